// Package ui is the mock's dashboard: plain HTML, CSS and ES modules, with no build step and
// no external resource, built into the binary. The mock serves it at /_mock/ui/
// (mockserver/dashboard.go); the page is one more client of the control plane
// (spec/mock-admin.yaml): it reads GET /_mock/events and steers through the other /_mock/
// endpoints.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files returns the dashboard's files (index.html at the root).
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid path: fs.Sub cannot fail
	}
	return sub
}
