package spec

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadEmbedded(t *testing.T) {
	c := loadT(t)
	if len(c.Schemas()) != len(c.kinSchemas) || len(c.OperationIDs()) != 19 {
		t.Fatalf("schemas %v, operations %v", c.Schemas(), c.OperationIDs())
	}
	if c.OpenAPI().OpenAPI != "3.0.3" {
		t.Errorf("OpenAPI version %s", c.OpenAPI().OpenAPI)
	}
	for _, f := range []string{OpenAPIFile, AsyncAPIFile, SchemaDir + "/workitem.json"} {
		if _, err := fs.Stat(Files(), f); err != nil {
			t.Errorf("Files() lacks %s: %v", f, err)
		}
	}
}

// contractCopy copies the embedded contract so a test can break it.
func contractCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Files(), p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func edit(t *testing.T, m fstest.MapFS, file, old, new string) {
	t.Helper()
	s := string(m[file].Data)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	m[file] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
}

func TestLoadBrokenContract(t *testing.T) {
	tests := []struct {
		name          string
		break_        func(t *testing.T, m fstest.MapFS)
		file, pointer string
		message       string
	}{
		{"schema not JSON", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"required": ["id"],`, `"required": ["id"]`)
		}, "schemas/workitem.json", "", "line 9"},
		{"schema $ref to a missing file", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"$ref": "userData.json"`, `"$ref": "user-data.json"`)
		}, "schemas/workitem.json", "/properties/userData/$ref", "no such schema file"},
		{"schema $ref to a URL", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"$ref": "userData.json"`, `"$ref": "http://example.com/userData.json"`)
		}, "schemas/workitem.json", "/properties/userData/$ref", "same directory"},
		{"schema $ref to a missing pointer", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"$ref": "userData.json"`, `"$ref": "userData.json#/nothing"`)
		}, "schemas/workitem.json", "/properties/userData/$ref", "no member"},
		{"format keyword", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/pull.json", `"minLength": 1,`, `"minLength": 1, "format": "uuid",`)
		}, "schemas/pull.json", "/properties/id/format", "not allowed"},
		{"type array", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/pull.json", `"nickname": {
      "description": "Agent nickname shown to the customer; PullChat only.",
      "type": "string"`, `"nickname": {
      "description": "Agent nickname shown to the customer; PullChat only.",
      "type": ["string", "null"]`)
		}, "schemas/pull.json", "/properties/nickname/type", "type arrays"},
		{"combinator with siblings", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/add.json", `"allOf": [`, `"type": "object", "allOf": [`)
		}, "schemas/add.json", "/type", "stand alone"},
		{"nullable outside the null idiom", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/pull.json", `"maxLength": 255
    }`, `"maxLength": 255, "nullable": true
    }`)
		}, "schemas/pull.json", "/properties/id/nullable", "nullable"},
		{"not a draft-04 schema", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/pull.json", `"minLength": 1,`, `"minLength": -1,`)
		}, "schemas/pull.json", "/properties/id/minLength", "draft-04"},
		{"x-known without its source", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"x-known-source": "Docs (sources 8, 11, 21) and the GWS JS SDK (source 3, wire fact 19)."`, `"description": "no source"`)
		}, "schemas/workitem.json", "/properties/state", "x-known-source"},
		{"x-known next to enum", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"x-known": ["Invited",`, `"enum": ["Invited"], "x-known": ["Invited",`)
		}, "schemas/workitem.json", "/properties/state/x-known", "enum"},
		{"x-known on a non-string", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/ok-reference.json", `"type": "integer", "enum": [0, 7] }`, `"type": "integer", "x-known": [0], "x-known-source": "s" }`)
		}, "schemas/ok-reference.json", "/properties/statusCode/x-known", "strings"},
		{"x-extra-members next to additionalProperties", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/error.json", `"additionalProperties": false,`, `"additionalProperties": false, "x-extra-members": "warn", "x-known-source": "s",`)
		}, "schemas/error.json", "/x-extra-members", "additionalProperties"},
		{"x-extra-members misspelt value", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, "schemas/workitem.json", `"x-extra-members": "warn"`, `"x-extra-members": true`)
		}, "schemas/workitem.json", "/x-extra-members", "warn"},
		{"openapi.yaml not YAML", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "openapi: 3.0.3", "openapi: [3.0.3")
		}, OpenAPIFile, "", ""},
		{"OpenAPI 3.1", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "openapi: 3.0.3", "openapi: 3.1.0")
		}, OpenAPIFile, "/openapi", "3.0.3"},
		{"response without description", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "          description: The current user.\n", "")
		}, OpenAPIFile, "/paths/~1me/get", "description"},
		{"components $ref to a missing file", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "$ref: schemas/pull.json", "$ref: schemas/pul.json")
		}, OpenAPIFile, "", "pul.json"},
		{"external URL", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "$ref: schemas/pull.json", "$ref: 'http://127.0.0.1:1/pull.json'")
		}, OpenAPIFile, "", "external reference"},
		{"schema file not in components", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "    BayeuxMessage:\n      $ref: schemas/bayeux-message.json\n", "")
		}, "schemas/bayeux-message.json", "", "components.schemas"},
		{"absolute server URL", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "  - url: /api/v2\n", "  - url: https://gws.example.com/api/v2\n")
		}, OpenAPIFile, "/servers/0/url", "relative"},
		{"mutually exclusive names an unknown parameter", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "x-workbinkit-mutually-exclusive: [agentGroup, placeGroup]\n      parameters:\n        - $ref: '#/components/parameters/subresources'",
				"x-workbinkit-mutually-exclusive: [agentGroup, placeGrp]\n      parameters:\n        - $ref: '#/components/parameters/subresources'")
		}, OpenAPIFile, "/paths/~1me~1workbins~1{workbinId}/get/x-workbinkit-mutually-exclusive", "placeGrp"},
		{"operationName mapped to two schemas", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "                Subscribe: '#/components/schemas/SubscribeRequest'", "                Subscribe: '#/components/schemas/UnsubscribeRequest'")
		}, OpenAPIFile, "/paths/~1me~1workbins~1{workbinId}/post/requestBody", "unsubscribe.json here, subscribe.json elsewhere"},
		{"discriminator on another member", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "              propertyName: operationName", "              propertyName: id")
		}, OpenAPIFile, "/paths/~1me/post/requestBody", "told apart by operationName"},
		{"no schemas directory", func(t *testing.T, m fstest.MapFS) {
			for k := range m {
				if strings.HasPrefix(k, SchemaDir+"/") {
					delete(m, k)
				}
			}
		}, SchemaDir, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := contractCopy(t)
			tc.break_(t, m)
			c, err := LoadFS(m)
			if c != nil || err == nil {
				t.Fatal("a broken contract loaded")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("want a *FileError, got %T %v", err, err)
			}
			if fe.File != tc.file || fe.Pointer != tc.pointer || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %q (file %q, pointer %q); want file %q, pointer %q, message with %q", err, fe.File, fe.Pointer, tc.file, tc.pointer, tc.message)
			}
		})
	}
}
