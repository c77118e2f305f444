package spec

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"

	"github.com/getkin/kin-openapi/openapi3"
)

// AdminFile is the OpenAPI 3.0.3 description of the mock's control plane (/_mock/…). It is
// not part of the GWS contract; it lives here so that every API description is in spec/.
const AdminFile = "mock-admin.yaml"

//go:embed mock-admin.yaml
var adminFile []byte

// AdminDocument returns mock-admin.yaml as embedded.
func AdminDocument() []byte { return adminFile }

// LoadAdmin loads and validates mock-admin.yaml (examples included).
func LoadAdmin() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromDataWithPath(adminFile, &url.URL{Path: AdminFile})
	if err != nil {
		return nil, &FileError{File: AdminFile, Err: err}
	}
	if doc.OpenAPI != "3.0.3" {
		return nil, &FileError{File: AdminFile, Pointer: "/openapi", Err: fmt.Errorf("version %q: want 3.0.3", doc.OpenAPI)}
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, &FileError{File: AdminFile, Err: err}
	}
	return doc, nil
}
