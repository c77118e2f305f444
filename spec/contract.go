package spec

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The contract files, as they are in this directory.
//
//go:embed openapi.yaml asyncapi.yaml schemas/*.json
var contractFiles embed.FS

// File names inside the contract file system.
const (
	OpenAPIFile  = "openapi.yaml"
	AsyncAPIFile = "asyncapi.yaml"
	SchemaDir    = "schemas"
)

// Files returns the embedded contract (openapi.yaml, asyncapi.yaml, schemas/*.json), for
// example to serve it.
func Files() fs.FS { return contractFiles }

// Contract is the loaded, compiled contract. Build it with Load or LoadFS; it is then
// read-only and safe for concurrent use.
type Contract struct {
	doc     *openapi3.T
	routes  *routeTable
	schemas *SchemaSet
	// kinSchemas maps a schema file name to the same schema as loaded through openapi.yaml.
	kinSchemas map[string]*openapi3.Schema
	ops        map[*openapi3.Operation]*opInfo
	opNames    operationNames
	opts       *openapi3filter.Options
	examples   int // how many examples were checked at load
	// reqKnown and respKnown are the compiled x-known annotations of each JSON body schema.
	reqKnown  map[*openapi3.RequestBody]*knownNode
	respKnown map[*openapi3.Response]*knownNode
}

// opInfo is what the router's match needs that kin-openapi does not keep at hand.
type opInfo struct {
	id        string
	path      string // with the server base, e.g. /api/v2/workbins/{workbinId}
	exclusive [][]string
}

// Load loads the embedded contract.
func Load() (*Contract, error) { return LoadFS(contractFiles) }

// LoadFS loads a contract from fsys, laid out as the embedded one (openapi.yaml,
// schemas/*.json). Every fault of the files is reported as a *FileError naming the file and
// the JSON pointer (several are joined with errors.Join).
func LoadFS(fsys fs.FS) (*Contract, error) {
	schemas, err := NewSchemaSet(fsys, SchemaDir)
	if err != nil {
		return nil, err
	}
	doc, err := loadOpenAPI(fsys)
	if err != nil {
		return nil, err
	}
	c := &Contract{doc: doc, schemas: schemas, ops: map[*openapi3.Operation]*opInfo{}}
	if err := c.bindSchemas(); err != nil {
		return nil, err
	}
	if err := c.indexOperations(); err != nil {
		return nil, err
	}
	if err := c.indexOperationNames(); err != nil {
		return nil, err
	}
	c.compileKnown()
	if errs := c.lintExamples(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := checkSecurity(doc); err != nil {
		return nil, err
	}
	c.routes, err = newRouteTable(doc)
	if err != nil {
		return nil, &FileError{File: OpenAPIFile, Pointer: "/paths", Err: err}
	}
	c.opts = &openapi3filter.Options{
		MultiError:            true, // every fault, not only the first
		IncludeResponseStatus: true, // an undocumented status is a fault
		SkipSettingDefaults:   true, // never write schema defaults into the request
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		KeepValidatedValue:    true, // Route.Body: callers need not decode the body again
	}
	return c, nil
}

func loadOpenAPI(fsys fs.FS) (*openapi3.T, error) {
	data, err := fs.ReadFile(fsys, OpenAPIFile)
	if err != nil {
		return nil, &FileError{File: OpenAPIFile, Err: err}
	}
	var mu sync.Mutex
	cache := map[string][]byte{}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	// Only files of the contract: no URLs, nothing outside fsys.
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" || u.Host != "" {
			return nil, fmt.Errorf("external reference %q: only files of the contract may be referenced", u)
		}
		p := path.Clean(strings.TrimPrefix(u.Path, "/"))
		if !fs.ValidPath(p) {
			return nil, fmt.Errorf("reference %q leaves the contract directory", u)
		}
		mu.Lock()
		defer mu.Unlock()
		if b, ok := cache[p]; ok {
			return b, nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		cache[p] = b
		return b, nil
	}
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: OpenAPIFile})
	if err != nil {
		return nil, &FileError{File: OpenAPIFile, Err: err}
	}
	if doc.OpenAPI != "3.0.3" {
		// 3.1 would make kin-openapi compile a JSON Schema validator on every call.
		return nil, &FileError{File: OpenAPIFile, Pointer: "/openapi", Err: fmt.Errorf("version %q: the contract is OpenAPI 3.0.3", doc.OpenAPI)}
	}
	// Examples are checked by lintExamples, which names the example and keeps messages short.
	ctx := openapi3.WithValidationOptions(context.Background(), openapi3.DisableExamplesValidation())
	if err := doc.Validate(ctx); err != nil {
		ptr, cause := localize(ctx, doc, err)
		return nil, &FileError{File: OpenAPIFile, Pointer: ptr, Err: cause}
	}
	return doc, nil
}

// localize finds which part of the document a Validate error comes from, so the error can
// name a JSON pointer.
func localize(ctx context.Context, doc *openapi3.T, whole error) (string, error) {
	for _, p := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		item := doc.Paths.Value(p)
		ops := item.Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			if err := ops[m].Validate(ctx); err != nil {
				return Pointer("paths", p, strings.ToLower(m)), err
			}
		}
		if err := item.Validate(ctx); err != nil {
			return Pointer("paths", p), err
		}
	}
	if comp := doc.Components; comp != nil {
		for _, n := range slices.Sorted(maps.Keys(comp.Schemas)) {
			if err := comp.Schemas[n].Validate(ctx); err != nil {
				return Pointer("components", "schemas", n), err
			}
		}
		for _, n := range slices.Sorted(maps.Keys(comp.Parameters)) {
			if err := comp.Parameters[n].Validate(ctx); err != nil {
				return Pointer("components", "parameters", n), err
			}
		}
		for _, n := range slices.Sorted(maps.Keys(comp.RequestBodies)) {
			if err := comp.RequestBodies[n].Validate(ctx); err != nil {
				return Pointer("components", "requestBodies", n), err
			}
		}
		for _, n := range slices.Sorted(maps.Keys(comp.Responses)) {
			if err := comp.Responses[n].Validate(ctx); err != nil {
				return Pointer("components", "responses", n), err
			}
		}
		for _, n := range slices.Sorted(maps.Keys(comp.Headers)) {
			if err := comp.Headers[n].Validate(ctx); err != nil {
				return Pointer("components", "headers", n), err
			}
		}
		for _, n := range slices.Sorted(maps.Keys(comp.SecuritySchemes)) {
			if err := comp.SecuritySchemes[n].Validate(ctx); err != nil {
				return Pointer("components", "securitySchemes", n), err
			}
		}
	}
	return "", whole
}

// bindSchemas pairs every schema file with its components.schemas entry: both validators
// must see every file (the differential test and the drift tests rely on it).
func (c *Contract) bindSchemas() error {
	c.kinSchemas = map[string]*openapi3.Schema{}
	var comps openapi3.Schemas
	if c.doc.Components != nil {
		comps = c.doc.Components.Schemas
	}
	for _, n := range slices.Sorted(maps.Keys(comps)) {
		ref := comps[n]
		if ref == nil || ref.Value == nil {
			continue
		}
		dir, file := path.Split(ref.Ref)
		if path.Clean(dir) != SchemaDir || strings.Contains(file, "#") {
			continue
		}
		if !c.schemas.Has(file) {
			return &FileError{File: OpenAPIFile, Pointer: Pointer("components", "schemas", n), Err: fmt.Errorf("$ref %q: no such schema file", ref.Ref)}
		}
		c.kinSchemas[file] = ref.Value
	}
	var errs []error
	for _, name := range c.schemas.Names() {
		if _, ok := c.kinSchemas[name]; !ok {
			errs = append(errs, &FileError{File: path.Join(SchemaDir, name), Err: fmt.Errorf("not listed in %s components.schemas as $ref: %s/%s", OpenAPIFile, SchemaDir, name)})
		}
	}
	return errors.Join(errs...)
}

func (c *Contract) indexOperations() error {
	base := ""
	if len(c.doc.Servers) > 0 {
		base = strings.TrimSuffix(c.doc.Servers[0].URL, "/")
		if strings.Contains(base, "://") {
			return &FileError{File: OpenAPIFile, Pointer: "/servers/0/url", Err: fmt.Errorf("server URL %q must be relative so that any host matches", base)}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(c.doc.Paths.Map())) {
		item := c.doc.Paths.Value(p)
		ops := item.Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			op := ops[m]
			info := &opInfo{id: op.OperationID, path: base + p}
			ptr := Pointer("paths", p, strings.ToLower(m))
			if info.id == "" {
				return &FileError{File: OpenAPIFile, Pointer: ptr, Err: errors.New("operation has no operationId")}
			}
			if x, ok := op.Extensions[extMutuallyExclusive]; ok {
				names, err := stringList(x)
				if err != nil || len(names) < 2 {
					return &FileError{File: OpenAPIFile, Pointer: ptr + Pointer(extMutuallyExclusive), Err: errors.New("must be a list of at least two query parameter names")}
				}
				for _, n := range names {
					if findParam(item, op, "query", n) == nil {
						return &FileError{File: OpenAPIFile, Pointer: ptr + Pointer(extMutuallyExclusive), Err: fmt.Errorf("%q is not a query parameter of the operation", n)}
					}
				}
				info.exclusive = append(info.exclusive, names)
			}
			c.ops[op] = info
		}
	}
	return nil
}

// extMutuallyExclusive lists query parameters of an operation that must not come together.
const extMutuallyExclusive = "x-workbinkit-mutually-exclusive"

func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, errors.New("not a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

func findParam(item *openapi3.PathItem, op *openapi3.Operation, in, name string) *openapi3.Parameter {
	for _, list := range []openapi3.Parameters{op.Parameters, item.Parameters} {
		for _, p := range list {
			if p.Value != nil && p.Value.In == in && p.Value.Name == name {
				return p.Value
			}
		}
	}
	return nil
}

// ErrUnknownSchema: a schema file name the contract does not have.
var ErrUnknownSchema = errors.New("no such schema")

// OpenAPI returns the loaded OpenAPI document. It is shared: treat it as read-only.
func (c *Contract) OpenAPI() *openapi3.T { return c.doc }

// Schemas lists the schema files of the contract (for example "workitem.json").
func (c *Contract) Schemas() []string { return c.schemas.Names() }

// OperationIDs lists the operationIds of openapi.yaml, sorted.
func (c *Contract) OperationIDs() []string {
	ids := make([]string, 0, len(c.ops))
	for _, info := range c.ops {
		ids = append(ids, info.id)
	}
	sort.Strings(ids)
	return ids
}

// compileKnown pairs every JSON request and response body of the operations with the
// compiled x-known annotations of its schema, so that the warning pass compiles nothing.
func (c *Contract) compileKnown() {
	files := map[string]string{} // "#/components/schemas/Name" → schema file
	if c.doc.Components != nil {
		for n, ref := range c.doc.Components.Schemas {
			if f := path.Base(ref.Ref); ref.Ref != "" && c.schemas.Has(f) {
				files["#/components/schemas/"+n] = f
			}
		}
	}
	c.reqKnown = map[*openapi3.RequestBody]*knownNode{}
	c.respKnown = map[*openapi3.Response]*knownNode{}
	jsonSchema := func(cont openapi3.Content) *openapi3.SchemaRef {
		if mt := cont.Get("application/json"); mt != nil {
			return mt.Schema
		}
		return nil
	}
	for op := range c.ops {
		if rb := op.RequestBody; rb != nil && rb.Value != nil {
			if n := kinKnown(jsonSchema(rb.Value.Content), files, c.schemas); n != nil {
				c.reqKnown[rb.Value] = n
			}
		}
		if op.Responses == nil {
			continue
		}
		for _, resp := range op.Responses.Map() {
			if resp == nil || resp.Value == nil {
				continue
			}
			if n := kinKnown(jsonSchema(resp.Value.Content), files, c.schemas); n != nil {
				c.respKnown[resp.Value] = n
			}
		}
	}
}
