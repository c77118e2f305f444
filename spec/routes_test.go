package spec

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// routeMethods are the methods the route tests try: the contract's, others, odd spellings.
var routeMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "QUERY", "get", "Post", "FOO"}

// sameRoute requires the route table to answer as kin-openapi's gorillamux router: the same
// outcome (no route, method not allowed, or a route), the same template, operation and
// method, and the same (escaped) path parameters.
func sameRoute(t *testing.T, c *Contract, gm routers.Router, method, target string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Method = method
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return // not a request a server would see
	}
	r.URL = u
	want, wantParams, wantErr := gm.FindRoute(r)
	got, op, params, err := c.routes.find(r)
	switch {
	case errors.Is(wantErr, routers.ErrMethodNotAllowed):
		if !errors.Is(err, ErrMethodNotAllowed) {
			t.Fatalf("%s %s: got %v, %v; gorillamux: method not allowed", method, target, got, err)
		}
		return
	case wantErr != nil:
		if !errors.Is(err, ErrNoRoute) {
			t.Fatalf("%s %s: got %v, %v; gorillamux: no route (%v)", method, target, got, err, wantErr)
		}
		return
	case err != nil:
		t.Fatalf("%s %s: got %v; gorillamux: %s %s", method, target, err, want.Method, want.Path)
	}
	if op != want.Operation || got.Path != want.Path || got.Method != want.Method || got.PathItem != want.PathItem ||
		got.Spec != want.Spec || got.Server != want.Server || !maps.Equal(params, wantParams) {
		t.Fatalf("%s %s: got %s %s %v (%s); gorillamux: %s %s %v (%s)", method, target, got.Method, got.Path, params,
			op.OperationID, want.Method, want.Path, wantParams, want.Operation.OperationID)
	}
	// The route handed to openapi3filter is the operation without security requirements.
	if got.Operation.Security == nil || len(*got.Operation.Security) != 0 || got.Operation.RequestBody != op.RequestBody ||
		got.Operation.Responses != op.Responses || got.Operation.OperationID != op.OperationID {
		t.Fatalf("%s %s: the route's operation is not the unsecured copy of %s", method, target, op.OperationID)
	}
}

// routeTargets are paths around every template: filled in with plain, escaped, odd and empty
// values, with a segment more or less, a trailing slash, without the server base.
func routeTargets(c *Contract) []string {
	values := []string{"x", "3434543fafwe987", "a%2Fb", "x%40y", "me", "workbins", "users", "workitems", "%20", "a.b", "{workbinId}", ""}
	var out []string
	for _, p := range c.doc.Paths.InMatchingOrder() {
		for _, v := range values {
			segs := strings.Split(p, "/")
			for i, seg := range segs {
				if strings.HasPrefix(seg, "{") {
					segs[i] = v
				}
			}
			filled := strings.Join(segs, "/")
			out = append(out, "/api/v2"+filled, "/api/v2"+filled+"/", "/api/v2"+filled+"/x", filled, "/api/v2/"+filled,
				"/API/v2"+filled, "/api/v2"+filled+"?agentGroup=a", "/api/v2"+strings.ToUpper(filled))
			if k := strings.LastIndex(filled, "/"); k > 0 {
				out = append(out, "/api/v2"+filled[:k])
			}
		}
	}
	return append(out, "/", "", "/api", "/api/v2", "/api/v2/", "//api/v2/me", "/api//v2/me", "/api/v2/me/", "/api/v2/notifications",
		"/api/v2/workbins/a/b/c", "/api/v2/users/u/workbins/w/emails/x", "*")
}

func TestRouteTableMatchesGorillamux(t *testing.T) {
	c := loadT(t)
	if c.routes.fallback != nil || len(c.routes.entries) == 0 {
		t.Fatal("the embedded contract should be matched by the route table itself")
	}
	gm, err := gorillamux.NewRouter(c.doc)
	if err != nil {
		t.Fatal(err)
	}
	targets := routeTargets(c)
	for _, target := range targets {
		for _, m := range routeMethods {
			sameRoute(t, c, gm, m, target)
		}
	}
	if len(targets) < 400 {
		t.Fatalf("only %d targets", len(targets))
	}
}

// A contract the table cannot express is matched by gorillamux, with the same answers.
func TestRouteTableFallsBack(t *testing.T) {
	for name, change := range map[string][2]string{
		"parameter inside a segment": {"  /workbins/{workbinId}/{mediaType}:", "  /workbins/{workbinId}/{mediaType}.json:"},
		"two servers":                {"servers:\n  - url: /api/v2\n", "servers:\n  - url: /api/v2\n  - url: /gws/api/v2\n"},
	} {
		t.Run(name, func(t *testing.T) {
			m := contractCopy(t)
			edit(t, m, OpenAPIFile, change[0], change[1])
			c, err := LoadFS(m)
			if err != nil {
				t.Fatal(err)
			}
			if c.routes.fallback == nil {
				t.Fatal("no fallback")
			}
			gm, err := gorillamux.NewRouter(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range append(routeTargets(c), "/api/v2/workbins/w/workitems.json", "/gws/api/v2/me") {
				for _, m := range []string{"GET", "POST", "PUT", "get"} {
					sameRoute(t, c, gm, m, target)
				}
			}
		})
	}
}

func FuzzRouteTable(f *testing.F) {
	c := loadT(f)
	gm, err := gorillamux.NewRouter(c.doc)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"/api/v2/me", "/api/v2/workbins/x", "/api/v2/users/a%2F/workbins/b/chats", "/api/v2/me/workbins/w/"} {
		f.Add("POST", s)
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		sameRoute(t, c, gm, method, target)
	})
}

// The security walk openapi3filter would run cannot fail with NoopAuthenticationFunc once
// every scheme is declared: checkSecurity makes sure of that, so skipping it changes nothing.
func TestSecurityWalkSkipped(t *testing.T) {
	c := loadT(t)
	if err := checkSecurity(c.doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range c.doc.Paths.InMatchingOrder() {
		for m, op := range c.doc.Paths.Value(p).Operations() {
			r := httptest.NewRequest(m, "/api/v2"+p, strings.NewReader(`{}`))
			route := &routers.Route{Spec: c.doc, Path: p, PathItem: c.doc.Paths.Value(p), Method: m, Operation: op}
			in := &openapi3filter.RequestValidationInput{Request: r, Route: route, Options: c.opts}
			reqs := c.doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			if len(reqs) == 0 {
				t.Fatalf("%s %s: no security requirement", m, p)
			}
			if err := openapi3filter.ValidateSecurityRequirements(context.Background(), in, reqs); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
		}
	}
	c.doc.Security = append(c.doc.Security, openapi3.SecurityRequirement{"undeclared": nil})
	var fe *FileError
	if err := checkSecurity(c.doc); !errors.As(err, &fe) || fe.Pointer != "/security" || !strings.Contains(err.Error(), `"undeclared"`) {
		t.Fatalf("checkSecurity: %v", err)
	}
}

// sameAllowed requires AllowedMethods to agree with the router: a method is listed exactly
// when the request with that method matches an operation.
func sameAllowed(t *testing.T, c *Contract, target string) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.URL = u
	got := c.AllowedMethods(r)
	var want []string
	for _, m := range operationMethods {
		r.Method = m
		if _, _, _, err := c.routes.find(r); err == nil {
			want = append(want, m)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("AllowedMethods(%s) = %v; the router matches %v", target, got, want)
	}
}

func TestAllowedMethods(t *testing.T) {
	c := loadT(t)
	for target, want := range map[string][]string{
		"/api/v2/me":                        {"GET", "POST"},
		"/api/v2/workbins/x":                {"GET", "POST"},
		"/api/v2/workbins":                  {"GET", "POST"},
		"/api/v2/workbins/x/workitems":      {"GET"},
		"/api/v2/nosuch":                    nil,
		"/api/v2/users/u/workbins/w/emails": {"GET"},
	} {
		r := httptest.NewRequest(http.MethodDelete, target, nil)
		if got := c.AllowedMethods(r); !slices.Equal(got, want) {
			t.Errorf("AllowedMethods(%s) = %v, want %v", target, got, want)
		}
	}
	for _, target := range routeTargets(c) {
		sameAllowed(t, c, target)
	}
	// A contract matched by gorillamux answers the same way.
	m := contractCopy(t)
	edit(t, m, OpenAPIFile, "  /workbins/{workbinId}/{mediaType}:", "  /workbins/{workbinId}/{mediaType}.json:")
	fc, err := LoadFS(m)
	if err != nil {
		t.Fatal(err)
	}
	if fc.routes.fallback == nil {
		t.Fatal("no fallback")
	}
	for _, target := range append(routeTargets(fc), "/api/v2/workbins/w/workitems.json") {
		sameAllowed(t, fc, target)
	}
	if got := fc.AllowedMethods(httptest.NewRequest(http.MethodPut, "/api/v2/workbins/w/workitems.json", nil)); !slices.Equal(got, []string{"GET"}) {
		t.Errorf("fallback AllowedMethods = %v", got)
	}
}
