// Package version is the one answer to "which workbinkit is this": the CLI's
// `workbinkit version`, the mock's banner and the conformance reports and
// User-Agents all read it, so they cannot disagree.
//
// The version comes from the build information the Go toolchain embeds
// (runtime/debug.ReadBuildInfo), in this order:
//
//  1. the value linked in with -ldflags, for release builds:
//     go build -ldflags "-X github.com/workbinkit/workbinkit/internal/version.override=v1.2.3" ./cmd/workbinkit
//  2. the main module's version: v1.2.3 after `go install github.com/workbinkit/workbinkit/cmd/workbinkit@v1.2.3`,
//     or the pseudo-version `go build` derives from the repository's tag and commit;
//  3. "devel+REVISION" (".dirty" appended for uncommitted changes) when the build recorded
//     only the commit (vcs.revision, vcs.modified);
//  4. "devel" when nothing is known (go run, go test, -buildvcs=false).
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// override is set at link time for release builds (see the package comment). It is the one
// package-level variable here because -ldflags -X can only set a package-level string.
var override string

// Devel is the version of a build that recorded neither a module version nor a commit.
const Devel = "devel"

// Info describes the running build.
type Info struct {
	Version   string // what to print and report: see the package comment
	Revision  string // the commit (vcs.revision), or ""
	Time      string // the commit's time (vcs.time, RFC 3339), or ""
	Modified  bool   // the work tree had uncommitted changes (vcs.modified)
	GoVersion string // the toolchain that built the binary, e.g. go1.26.8
	Platform  string // GOOS/GOARCH
}

// Get returns the running build's Info.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return fromBuildInfo(bi, override)
}

// String returns the running build's version (Get().Version).
func String() string { return Get().Version }

// fromBuildInfo computes Info from the build information (nil when the binary carries
// none) and the link-time override ("" when none).
func fromBuildInfo(bi *debug.BuildInfo, linked string) Info {
	info := Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	var module string
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		module = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				info.Time = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case strings.TrimSpace(linked) != "":
		info.Version = strings.TrimSpace(linked)
	case module != "" && module != "(devel)":
		info.Version = module
	case info.Revision != "":
		info.Version = Devel + "+" + short(info.Revision)
		if info.Modified {
			info.Version += ".dirty"
		}
	default:
		info.Version = Devel
	}
	return info
}

// short abbreviates a commit hash the way git does by default.
func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
