package spec_test

import (
	"context"
	"encoding/json"
	"fmt"
	stdhttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

// The schema files are read by kin-openapi (as OpenAPI 3.0, through openapi.yaml) and by
// gojsonschema (as JSON Schema draft-04). This test feeds both the same documents (every
// fixture resource, every golden notification, and hand-made valid and invalid documents in
// testdata/) and requires the same verdict and the same issues (Rule and Pointer).

type caseFile struct {
	Schema   string          `json:"schema"`
	Rule     string          `json:"rule"`
	Pointer  string          `json:"pointer"`
	Why      string          `json:"why"`
	Document json.RawMessage `json:"document"`
}

type differentialCase struct {
	name    string
	schema  string
	doc     []byte
	invalid bool
	rule    string
	pointer string
}

func loadCases(t *testing.T, dir string, invalid bool) []differentialCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []differentialCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c caseFile
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Schema == "" || len(c.Document) == 0 || c.Why == "" || (invalid && c.Rule == "") {
			t.Fatalf("%s: a case needs schema, why, document (and rule, pointer when invalid)", f)
		}
		out = append(out, differentialCase{name: f, schema: c.Schema, doc: c.Document, invalid: invalid, rule: c.Rule, pointer: c.Pointer})
	}
	return out
}

func fixtureCases(t *testing.T) []differentialCase {
	t.Helper()
	set, err := fixtures.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var out []differentialCase
	for _, u := range set.Users {
		out = append(out, differentialCase{name: u.File, schema: "user.json", doc: u.Resource})
	}
	for _, w := range set.Workbins {
		out = append(out, differentialCase{name: w.File, schema: "workbin.json", doc: w.Resource})
	}
	for _, x := range set.Interactions {
		info, _ := spec.MediaOf(x.Media)
		out = append(out, differentialCase{name: x.File + "#" + x.Pointer, schema: info.Schema, doc: x.Resource})
	}
	for _, g := range set.Golden {
		schema, _ := spec.NotificationSchema(g.MessageType)
		out = append(out,
			differentialCase{name: g.File + "#/data", schema: schema, doc: g.Data},
			differentialCase{name: g.File, schema: spec.BayeuxMessageSchema, doc: g.Message})
	}
	return out
}

func TestDifferential(t *testing.T) {
	c, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	invalid := loadCases(t, "invalid", true)
	if len(invalid) < 30 {
		t.Fatalf("only %d invalid documents; the contract asks for at least 30", len(invalid))
	}
	// testdata/known: shape-valid documents with a value beyond the known ones (see
	// TestDifferentialKnown); at shape level both validators must accept them.
	known := loadCases(t, "known", false)
	cases := append(append(append(fixtureCases(t), loadCases(t, "valid", false)...), known...), invalid...)
	schemasSeen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schemasSeen[tc.schema] = true
			var kinValue any
			if err := json.Unmarshal(tc.doc, &kinValue); err != nil {
				t.Fatal(err)
			}
			kinErr := c.KinValidateValue(tc.schema, kinValue)
			gjsErr := c.ValidateDocument(tc.schema, tc.doc)
			kin, gjs := keys(spec.IssuesOf(kinErr)), keys(spec.IssuesOf(gjsErr))
			if (kinErr == nil) != (gjsErr == nil) {
				t.Fatalf("the validators disagree on %s: kin-openapi %v, gojsonschema %v", tc.schema, kinErr, gjsErr)
			}
			if !slices.Equal(kin, gjs) {
				t.Errorf("the validators report different issues:\n kin-openapi  %v\n gojsonschema %v", kin, gjs)
			}
			if !tc.invalid {
				if kinErr != nil {
					t.Fatalf("valid document rejected: %v", kinErr)
				}
				return
			}
			if kinErr == nil {
				t.Fatalf("invalid document accepted by both validators (expected %s at %q)", tc.rule, tc.pointer)
			}
			want := tc.rule + " " + tc.pointer
			if !slices.Contains(kin, want) || !slices.Contains(gjs, want) {
				t.Errorf("not rejected for the reason it was made for: want %q\n kin-openapi  %v\n gojsonschema %v", want, kin, gjs)
			}
		})
	}
	for _, s := range c.Schemas() {
		if !schemasSeen[s] {
			t.Errorf("schema %s has no document in the differential test", s)
		}
	}
}

// keys gives the sorted "rule pointer" pairs of issues.
func keys(issues []spec.Issue) []string {
	out := make([]string, 0, len(issues))
	for _, is := range issues {
		out = append(out, fmt.Sprintf("%s %s", is.Rule, is.Pointer))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestDifferentialKnown covers the known-value level (x-known, x-extra-members): documents
// in testdata/known hold a value beyond what the contract knows. Both validators must accept
// their shape; the warning pass must name the value at the pointer (a warning by default, an
// error under Strict); and every path that reaches the schema — ValidateDocument, the
// notification path for payloads, the HTTP path for resources inside a workbin content reply —
// must give the same warnings.
func TestDifferentialKnown(t *testing.T) {
	c, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := loadCases(t, "known", true)
	if len(cases) < 10 {
		t.Fatalf("only %d known-level documents", len(cases))
	}
	http := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var kinValue any
			if err := json.Unmarshal(tc.doc, &kinValue); err != nil {
				t.Fatal(err)
			}
			if err := c.KinValidateValue(tc.schema, kinValue); err != nil {
				t.Fatalf("kin-openapi rejects the shape: %v", err)
			}
			var warnings []spec.Issue
			if err := c.ValidateDocument(tc.schema, tc.doc, spec.CollectWarnings(&warnings)); err != nil {
				t.Fatalf("gojsonschema rejects the shape: %v", err)
			}
			want := tc.rule + " " + tc.pointer
			if !slices.Contains(keys(warnings), want) {
				t.Fatalf("no warning %q, got %v", want, keys(warnings))
			}
			for _, w := range warnings {
				if w.Value == nil {
					t.Errorf("warning %v does not name the value", w)
				}
			}
			strictErr := c.ValidateDocument(tc.schema, tc.doc, spec.Strict())
			if !slices.Equal(keys(spec.IssuesOf(strictErr)), keys(warnings)) {
				t.Errorf("Strict gives %v, default mode warns %v", strictErr, keys(warnings))
			}

			if mt, ok := messageTypeOf(tc.doc); ok {
				channel := channelOf(mt)
				var nw []spec.Issue
				if err := c.ValidateNotification(channel, tc.doc, spec.CollectWarnings(&nw)); err != nil {
					t.Fatalf("notification path: %v", err)
				}
				if !slices.Equal(keys(nw), keys(warnings)) {
					t.Errorf("notification path warns %v, ValidateDocument %v", keys(nw), keys(warnings))
				}
			}
			if body, prefix, ok := inWorkbinContent(tc.schema, tc.doc); ok {
				http++
				req := httptest.NewRequest(stdhttp.MethodGet, "/api/v2/workbins/wb1", nil)
				h := stdhttp.Header{"Content-Type": {"application/json"}}
				var hw []spec.Issue
				if err := c.ValidateResponse(context.Background(), req, stdhttp.StatusOK, h, body, spec.CollectWarnings(&hw)); err != nil {
					t.Fatalf("HTTP path: %v", err)
				}
				var shifted []spec.Issue
				for _, w := range warnings {
					w.Pointer = prefix + w.Pointer
					shifted = append(shifted, w)
				}
				if !slices.Equal(keys(hw), keys(shifted)) {
					t.Errorf("HTTP path warns %v, ValidateDocument %v", keys(hw), keys(shifted))
				}
				if err := c.ValidateResponse(context.Background(), req, stdhttp.StatusOK, h, body, spec.Strict()); err == nil {
					t.Error("HTTP path under Strict accepted it")
				}
			}
		})
	}
	if http == 0 {
		t.Error("no known-level case went through the HTTP path")
	}
}

func messageTypeOf(doc []byte) (string, bool) {
	var m struct {
		MessageType string `json:"messageType"`
	}
	if json.Unmarshal(doc, &m) != nil || m.MessageType == "" {
		return "", false
	}
	return m.MessageType, true
}

func channelOf(messageType string) string {
	for _, ch := range spec.Channels() {
		if slices.Contains(spec.MessageTypes(ch), messageType) {
			return ch
		}
	}
	return ""
}

// inWorkbinContent wraps a resource document in the reply to GET /api/v2/workbins/{id}.
func inWorkbinContent(schema string, doc []byte) ([]byte, string, bool) {
	var array string
	switch schema {
	case "workbin.json":
		return []byte(`{"statusCode":0,"workbin":` + string(doc) + `}`), "/workbin", true
	case "workitem.json":
		array = "workitems"
	case "chat.json":
		array = "chats"
	case "email.json":
		array = "emails"
	default:
		return nil, "", false
	}
	return []byte(`{"statusCode":0,"workbin":{"id":"wb1","` + array + `":[` + string(doc) + `]}}`), "/workbin/" + array + "/0", true
}
