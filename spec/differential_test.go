package spec_test

import (
	"encoding/json"
	"fmt"
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
	cases := append(append(fixtureCases(t), loadCases(t, "valid", false)...), invalid...)
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
