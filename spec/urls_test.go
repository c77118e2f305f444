package spec

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
)

// TestURLForms checks every URL form the builders make against the contract's route table:
// each request matches the operation and template it is meant for, is valid as a whole
// (path parameters, query, body), and each query parameter it sets is declared by that
// operation (kin-openapi ignores undeclared ones, so that is checked here).
func TestURLForms(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	const (
		wb   = "wb 1/é" // escaped as one segment
		user = "agent-7"
	)
	pull := `{"operationName":"PullWorkitem","id":"x"}`
	sub := `{"operationName":"Subscribe"}`
	cases := []urlCase{
		{"GET", MePath(), nil, "", OpGetMe, "/me"},
		{"GET", WorkbinsPath(), FieldsQuery("*"), "", OpListWorkbins, "/workbins"},
		{"POST", WorkbinsPath(), nil, `{"operationName":"RequestAgentStats"}`, OpPostWorkbins, "/workbins"},
		{"GET", MyWorkbinsPath(), FieldsQuery("*"), "", OpListMyWorkbins, "/me/workbins"},
		{"GET", MyWorkbinsPath(), nil, "", OpListMyWorkbins, "/me/workbins"},
		{"POST", MyWorkbinsPath(), WorkbinIDsQuery("a", "b"), sub, OpPostMyWorkbins, "/me/workbins"},
		{"POST", UserWorkbinsPath(user), WorkbinIDsQuery("a"), sub, OpPostUserWorkbins, "/users/{userId}/workbins"},
		{"GET", WorkbinPath(wb), nil, "", OpGetWorkbin, "/workbins/{workbinId}"},
		{"GET", WorkbinPath(wb), SubresourcesQuery("*"), "", OpGetWorkbin, "/workbins/{workbinId}"},
		{"POST", WorkbinPath(wb), nil, pull, OpPostWorkbin, "/workbins/{workbinId}"},
		{"GET", MyWorkbinPath(wb), SubresourcesQuery("*"), "", OpGetMyWorkbin, "/me/workbins/{workbinId}"},
		{"POST", MyWorkbinPath(wb), nil, pull, OpPostMyWorkbin, "/me/workbins/{workbinId}"},
		{"POST", MyWorkbinPath(wb), GroupQuery(ParamAgentGroup, "g"), pull, OpPostMyWorkbin, "/me/workbins/{workbinId}"},
		{"POST", MyWorkbinPath(wb), GroupQuery(ParamPlaceGroup, "g"), pull, OpPostMyWorkbin, "/me/workbins/{workbinId}"},
		{"GET", MyWorkbinPath(wb), GroupQuery(ParamAgentGroup, "g"), "", OpGetMyWorkbin, "/me/workbins/{workbinId}"},
		{"GET", UserWorkbinPath(user, wb), nil, "", OpGetUserWorkbin, "/users/{userId}/workbins/{workbinId}"},
		{"POST", UserWorkbinPath(user, wb), nil, pull, OpPostUserWorkbin, "/users/{userId}/workbins/{workbinId}"},
	}
	for _, m := range AllMedia() {
		cases = append(cases,
			urlCase{"GET", ContentPath(WorkbinPath(wb), m), nil, "", OpGetWorkbinMedia, "/workbins/{workbinId}/{mediaType}"},
			urlCase{"GET", ContentPath(MyWorkbinPath(wb), m), nil, "", OpGetMyWorkbinMedia, "/me/workbins/{workbinId}/{mediaType}"},
			urlCase{"GET", ContentPath(UserWorkbinPath(user, wb), m), nil, "", OpGetUserWorkbinMedia, "/users/{userId}/workbins/{workbinId}/{mediaType}"})
	}
	for _, tc := range cases {
		target := tc.path
		if tc.query != nil {
			target += "?" + tc.query.Encode()
		}
		r := httptest.NewRequest(tc.method, target, bytes.NewBufferString(tc.body))
		if tc.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		rt, err := c.ValidateRequest(context.Background(), r)
		if rt == nil {
			t.Errorf("%s %s: no route: %v", tc.method, target, err)
			continue
		}
		if err != nil {
			t.Errorf("%s %s: invalid: %v", tc.method, target, err)
		}
		if rt.OperationID != tc.op || rt.Path != BasePath+tc.template {
			t.Errorf("%s %s matched %s %s; want %s %s", tc.method, target, rt.OperationID, rt.Path, tc.op, BasePath+tc.template)
		}
		if id, ok := rt.PathParams[ParamWorkbinID]; ok && id != wb {
			t.Errorf("%s %s: workbinId %q; want %q", tc.method, target, id, wb)
		}
		declared := queryParams(c, tc.template, tc.method)
		for name := range tc.query {
			if !slices.Contains(declared, name) {
				t.Errorf("%s %s: the contract declares no query parameter %s here (it has %v)", tc.method, target, name, declared)
			}
		}
	}
	if got := ContentPath(WorkbinPath("x"), Media("fax")); got != "" {
		t.Errorf("ContentPath of an unknown media: %q", got)
	}
	if got, want := InteractionPath(MediaChat, "a/b"), BasePath+"/chats/a%2Fb"; got != want {
		t.Errorf("InteractionPath: %q; want %q", got, want)
	}
	// Real GWS (real-gws fact 13): uri http://host/api/v2/workitems/{id}, path /workitems/{id}.
	for _, c := range []struct{ got, want string }{
		{InteractionResourcePath(MediaWorkitem, "02F0ASAK8EAFA00W"), "/workitems/02F0ASAK8EAFA00W"},
		{InteractionResourcePath(MediaEmail, "a/b"), "/emails/a%2Fb"},
		{InteractionURI("http://gws:8090", MediaChat, "0001BaBFVPR20036"), "http://gws:8090/api/v2/chats/0001BaBFVPR20036"},
		{InteractionURI("http://gws:8090/", MediaWorkitem, "x"), "http://gws:8090/api/v2/workitems/x"},
	} {
		if c.got != c.want {
			t.Errorf("got %q; want %q", c.got, c.want)
		}
	}
}

// urlCase is one URL form: the request and the operation it must match.
type urlCase struct {
	method, path string
	query        url.Values
	body         string
	op, template string // template relative to BasePath
}

// queryParams lists the query parameters the operation at template declares (path-level
// and operation-level).
func queryParams(c *Contract, template, method string) []string {
	item := c.OpenAPI().Paths.Value(template)
	if item == nil {
		return nil
	}
	var out []string
	params := item.Parameters
	if op := item.GetOperation(method); op != nil {
		params = append(slices.Clone(item.Parameters), op.Parameters...)
	}
	for _, p := range params {
		if p.Value != nil && p.Value.In == "query" {
			out = append(out, p.Value.Name)
		}
	}
	return out
}
