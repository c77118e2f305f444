package spec

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// routeTable finds the operation of a request as kin-openapi's gorillamux router does, without
// a regular expression per template: the same templates (server base + path), tried in the
// same order (Paths.InMatchingOrder), where a {parameter} matches one non-empty segment of
// the escaped path and every other segment must be equal. The first template that matches
// decides: its operation for the method, or ErrMethodNotAllowed. A contract whose templates
// or servers that does not describe (a parameter inside a segment, a custom pattern, server
// variables or hosts, several servers, servers per path) is matched by gorillamux itself.
type routeTable struct {
	entries []routeEntry
	// fallback is gorillamux, for a contract the table cannot express (nil otherwise).
	fallback routers.Router
	// byOp holds, for each operation, the kin-openapi route handed to openapi3filter.
	byOp map[*openapi3.Operation]*routers.Route
}

type routeEntry struct {
	path  string // the template as in the document, e.g. /workbins/{workbinId}
	item  *openapi3.PathItem
	segs  []string // base+path split at "/"; a parameter's name at a parameter segment
	param []bool
	n     int // how many parameters
}

// errTemplate: a template the table does not match itself.
var errTemplate = errors.New("template beyond plain {parameter} segments")

// newRouteTable compiles the contract's templates. Each operation's route carries the
// operation with an empty security requirement list: with NoopAuthenticationFunc (the
// options of LoadFS) openapi3filter's security walk can only fail on a scheme that is not
// declared, which checkSecurity refuses at load, so the walk is skipped rather than run on
// every request. Authentication stays the server's job (ValidateRequest's doc).
func newRouteTable(doc *openapi3.T) (*routeTable, error) {
	t := &routeTable{byOp: map[*openapi3.Operation]*routers.Route{}}
	server, base, err := plainServer(doc)
	if err == nil {
		for _, p := range doc.Paths.InMatchingOrder() {
			item := doc.Paths.Value(p)
			if len(item.Servers) > 0 {
				err = errTemplate
				break
			}
			e, perr := compileTemplate(base, p, item)
			if perr != nil {
				err = perr
				break
			}
			t.entries = append(t.entries, e)
		}
	}
	if err != nil {
		t.entries = nil
		if t.fallback, err = gorillamux.NewRouter(doc); err != nil {
			return nil, err
		}
	}
	noSecurity := &openapi3.SecurityRequirements{}
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			if _, done := t.byOp[op]; done {
				continue
			}
			unsecured := *op
			unsecured.Security = noSecurity
			t.byOp[op] = &routers.Route{Spec: doc, Server: server, Path: p, PathItem: item, Method: method, Operation: &unsecured}
		}
	}
	return t, nil
}

// plainServer returns the one server, relative and without variables, and its base path as
// gorillamux computes it (none: no base).
func plainServer(doc *openapi3.T) (*openapi3.Server, string, error) {
	switch len(doc.Servers) {
	case 0:
		return nil, "", nil
	case 1:
	default:
		return nil, "", errTemplate
	}
	s := doc.Servers[0]
	if strings.ContainsAny(s.URL, "{}") || strings.Contains(s.URL, "://") {
		return nil, "", errTemplate
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return nil, "", errTemplate
	}
	return s, strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

func compileTemplate(base, path string, item *openapi3.PathItem) (routeEntry, error) {
	e := routeEntry{path: path, item: item, segs: strings.Split(base+path, "/")}
	e.param = make([]bool, len(e.segs))
	for i, s := range e.segs {
		if !strings.ContainsAny(s, "{}") {
			continue
		}
		name, open := strings.CutPrefix(s, "{")
		name, closed := strings.CutSuffix(name, "}")
		if !open || !closed || name == "" || strings.ContainsAny(name, "{}:") {
			return routeEntry{}, fmt.Errorf("%w: %s", errTemplate, path)
		}
		e.segs[i], e.param[i] = name, true
		e.n++
	}
	return e, nil
}

// match reports whether the escaped path fits the template, appending the parameters'
// values (still escaped) to vals.
func (e *routeEntry) match(path string, vals []string) ([]string, bool) {
	rest := path
	for i, seg := range e.segs {
		part := rest
		if i < len(e.segs)-1 {
			k := strings.IndexByte(rest, '/')
			if k < 0 {
				return vals, false
			}
			part, rest = rest[:k], rest[k+1:]
		} else if strings.IndexByte(rest, '/') >= 0 {
			return vals, false
		}
		switch {
		case e.param[i]:
			if part == "" {
				return vals, false
			}
			vals = append(vals, part)
		case part != seg:
			return vals, false
		}
	}
	return vals, true
}

// find returns the route of r (the one to hand to openapi3filter), its operation as the
// document has it, and its path parameters (escaped); or ErrNoRoute / ErrMethodNotAllowed.
func (t *routeTable) find(r *http.Request) (*routers.Route, *openapi3.Operation, map[string]string, error) {
	if t.fallback != nil {
		route, params, err := t.fallback.FindRoute(r)
		switch {
		case errors.Is(err, routers.ErrMethodNotAllowed):
			return nil, nil, nil, ErrMethodNotAllowed
		case err != nil:
			return nil, nil, nil, ErrNoRoute
		}
		kr := t.byOp[route.Operation]
		if kr == nil {
			return nil, nil, nil, ErrNoRoute
		}
		return withRequest(kr, route.Server, route.Path, route.PathItem, r.Method), route.Operation, params, nil
	}
	path := r.URL.EscapedPath()
	var scratch [4]string
	for i := range t.entries {
		e := &t.entries[i]
		vals, ok := e.match(path, scratch[:0])
		if !ok {
			continue
		}
		op := e.item.GetOperation(r.Method)
		if op == nil {
			return nil, nil, nil, ErrMethodNotAllowed
		}
		kr := t.byOp[op]
		if kr == nil {
			return nil, nil, nil, ErrNoRoute
		}
		params := make(map[string]string, e.n)
		j := 0
		for k, isParam := range e.param {
			if isParam {
				params[e.segs[k]] = vals[j]
				j++
			}
		}
		return withRequest(kr, kr.Server, e.path, e.item, r.Method), op, params, nil
	}
	return nil, nil, nil, ErrNoRoute
}

// operationMethods are the methods an OpenAPI 3.0 path item can have an operation for.
var operationMethods = []string{
	http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions,
	http.MethodPatch, http.MethodPost, http.MethodPut, http.MethodTrace,
}

// allowed returns the methods of the path item that find would match r's path to (r's
// method aside), sorted; nil when no template matches.
func (t *routeTable) allowed(r *http.Request) []string {
	var out []string
	if t.fallback != nil {
		for _, m := range operationMethods {
			cp := r.Clone(r.Context())
			cp.Method = m
			if _, _, err := t.fallback.FindRoute(cp); err == nil {
				out = append(out, m)
			}
		}
		return out
	}
	path := r.URL.EscapedPath()
	var scratch [4]string
	for i := range t.entries {
		e := &t.entries[i]
		if _, ok := e.match(path, scratch[:0]); !ok {
			continue
		}
		for _, m := range operationMethods {
			if e.item.GetOperation(m) != nil {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// withRequest returns the prebuilt route, or a copy when the request reached its operation
// through another server, template or method name than the one it was built for (several
// servers, an operation shared between path items).
func withRequest(kr *routers.Route, server *openapi3.Server, path string, item *openapi3.PathItem, method string) *routers.Route {
	if kr.Method == method && kr.Path == path && kr.PathItem == item && kr.Server == server {
		return kr
	}
	cp := *kr
	cp.Server, cp.Method, cp.Path, cp.PathItem = server, method, path, item
	return &cp
}

// checkSecurity refuses a security requirement naming a scheme the document does not declare
// (kin-openapi's Validate already does): with that, skipping openapi3filter's security walk
// changes no verdict.
func checkSecurity(doc *openapi3.T) error {
	var schemes openapi3.SecuritySchemes
	if doc.Components != nil {
		schemes = doc.Components.SecuritySchemes
	}
	check := func(ptr string, reqs openapi3.SecurityRequirements) error {
		for _, req := range reqs {
			for name := range req {
				if ref := schemes[name]; ref == nil || ref.Value == nil {
					return &FileError{File: OpenAPIFile, Pointer: ptr, Err: fmt.Errorf("security scheme %q is not declared", name)}
				}
			}
		}
		return nil
	}
	if err := check("/security", doc.Security); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		for m, op := range doc.Paths.Value(p).Operations() {
			if op.Security != nil {
				if err := check(Pointer("paths", p, strings.ToLower(m), "security"), *op.Security); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
