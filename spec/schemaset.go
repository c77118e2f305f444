package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/xeipuuv/gojsonschema"
)

// SchemaSet is a directory of JSON Schema files compiled once with gojsonschema
// (draft-04). The contract's schemas/ is one; package fixtures uses another for its own
// file format. Safe for concurrent use.
type SchemaSet struct {
	dir      string
	names    []string
	docs     map[string]any
	compiled map[string]*gojsonschema.Schema
	known    map[string]*knownNode // the x-known annotations of each file, for the warning pass
}

// NewSchemaSet reads every *.json file of dir in fsys, checks it (well-formed JSON, valid
// draft-04 schema, every $ref resolves to a file of the same directory, combinators written
// the way both validators read alike) and compiles it. Faults are *FileError values naming
// the file and the JSON pointer, joined with errors.Join.
func NewSchemaSet(fsys fs.FS, dir string) (*SchemaSet, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, &FileError{File: dir, Err: err}
	}
	s := &SchemaSet{dir: dir, docs: map[string]any{}, compiled: map[string]*gojsonschema.Schema{}}
	raw := map[string][]byte{}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		file := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			errs = append(errs, &FileError{File: file, Err: err})
			continue
		}
		doc, err := decodeJSON(data)
		if err != nil {
			errs = append(errs, &FileError{File: file, Err: err})
			continue
		}
		s.names = append(s.names, e.Name())
		s.docs[e.Name()] = doc
		raw[e.Name()] = data
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(s.names) == 0 {
		return nil, &FileError{File: dir, Err: errors.New("no *.json schema files")}
	}
	sort.Strings(s.names)

	meta, err := gojsonschema.NewSchema(gojsonschema.NewReferenceLoader("http://json-schema.org/draft-04/schema"))
	if err != nil {
		return nil, fmt.Errorf("spec: compiling the draft-04 metaschema: %w", err)
	}
	for _, name := range s.names {
		file := path.Join(dir, name)
		res, err := meta.Validate(gojsonschema.NewRawLoader(s.docs[name]))
		if err != nil {
			errs = append(errs, &FileError{File: file, Err: err})
			continue
		}
		for _, is := range gjsIssues(file, res) {
			errs = append(errs, &FileError{File: file, Pointer: is.Pointer, Err: fmt.Errorf("not a valid draft-04 schema: %s [%s]", is.Message, is.Rule)})
		}
		errs = append(errs, checkSchemaDoc(file, s.docs[name], s.docs)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	loader := gojsonschema.NewSchemaLoader()
	loader.Draft = gojsonschema.Draft4
	loader.AutoDetect = false
	loader.Validate = false // done above, with pointers
	for _, name := range s.names {
		if err := loader.AddSchema(schemaURL(name), gojsonschema.NewBytesLoader(raw[name])); err != nil {
			return nil, &FileError{File: path.Join(dir, name), Err: err}
		}
	}
	for _, name := range s.names {
		// Every $ref was checked to name a file already in the loader's pool, so the
		// file system below is never read; it refuses everything to make sure.
		c, err := loader.Compile(gojsonschema.NewReferenceLoaderFileSystem(schemaURL(name), noFiles{}))
		if err != nil {
			return nil, &FileError{File: path.Join(dir, name), Err: err}
		}
		s.compiled[name] = c
	}
	b := &knownBuilder{docs: s.docs, files: map[string]*knownNode{}}
	for _, name := range s.names {
		b.file(name)
	}
	s.known = b.files
	return s, nil
}

func schemaURL(name string) string { return "file:///" + name }

// noFiles is an http.FileSystem with no files.
type noFiles struct{}

func (noFiles) Open(name string) (http.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// Names lists the schema files, sorted.
func (s *SchemaSet) Names() []string { return append([]string(nil), s.names...) }

// Has reports whether the set has a schema file of this name.
func (s *SchemaSet) Has(name string) bool { _, ok := s.compiled[name]; return ok }

// Validate checks doc against the schema file name (for example "workitem.json"). A value
// beyond the known ones (x-known, x-extra-members) is a warning, an error with Strict.
func (s *SchemaSet) Validate(name string, doc []byte, opts ...Option) error {
	v, err := decodeJSON(doc)
	if err != nil {
		return syntaxIssue(name, err)
	}
	return s.validate(name, v, makeOptions(opts))
}

// ValidateValue checks an already decoded JSON value (from encoding/json, with or without
// UseNumber). Other Go values ([]string, structs, ints…) are accepted too: they go through
// encoding/json first, since gojsonschema reads only the decoded forms.
func (s *SchemaSet) ValidateValue(name string, v any, opts ...Option) error {
	v, err := jsonValue(v)
	if err != nil {
		return &ValidationError{Issues: []Issue{{Where: name, Rule: RuleSchema, Message: err.Error()}}}
	}
	return s.validate(name, v, makeOptions(opts))
}

// validate checks a value decoded with UseNumber (gojsonschema only reads json.Number).
func (s *SchemaSet) validate(name string, v any, o options) error {
	r, err := s.check(name, v)
	if err != nil {
		return err
	}
	return o.finish(r)
}

// check gives the shape issues and the warnings of v; an error only for an unknown schema.
func (s *SchemaSet) check(name string, v any) (outcome, error) {
	c, ok := s.compiled[name]
	if !ok {
		return outcome{}, fmt.Errorf("spec: no schema %q in %s", name, s.dir)
	}
	var r outcome
	res, err := c.Validate(gojsonschema.NewRawLoader(v))
	switch {
	case err != nil:
		r.issues = []Issue{{Where: name, Rule: RuleSchema, Message: err.Error()}}
	case !res.Valid():
		r.issues = gjsIssues(name, res)
	}
	r.warnings = s.known[name].warnings(name, v)
	sortIssues(r.warnings)
	return r, nil
}

// jsonValue returns v as encoding/json decodes it with UseNumber: decoded values are
// copied with their float64s turned into json.Numbers; any other Go value is encoded and
// decoded again.
func jsonValue(v any) (any, error) {
	if isDecodedJSON(v) {
		return jsonNumbers(v), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a JSON value: %w", err)
	}
	return decodeJSON(b)
}

// isDecodedJSON reports whether v holds only the types encoding/json decodes into.
func isDecodedJSON(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, float64, json.Number:
		return true
	case map[string]any:
		for _, e := range x {
			if !isDecodedJSON(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isDecodedJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

// jsonNumbers returns v with every float64 turned into a json.Number; maps and slices are
// copied, v is left alone.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonNumbers(e)
		}
		return out
	}
	return v
}

// gjsIssues turns gojsonschema's result into issues named like kin-openapi's (see
// kinSchemaIssues):
//   - allOf is transparent: its branches' faults are reported, the allOf itself is not;
//   - a failed anyOf/oneOf is one issue at the combinator; gojsonschema follows it with the
//     faults of the closest branch, which are dropped (checkSchemaDoc makes sure combinator
//     branches only hold keywords that report at the combinator's own location);
//   - required and additionalProperties point at the member, not at its parent object.
func gjsIssues(where string, res *gojsonschema.Result) []Issue {
	var out []Issue
	skipCtx, skipping := "", false
	for _, e := range res.Errors() {
		ctx := e.Context().String("\x00")
		if skipping && ctx == skipCtx {
			continue
		}
		skipping = false
		ptr := gjsPointer(ctx)
		rule := e.Type()
		switch rule {
		case "number_all_of":
			continue
		case "number_any_of", "number_one_of":
			skipCtx, skipping = ctx, true
			rule = map[string]string{"number_any_of": RuleAnyOf, "number_one_of": RuleOneOf}[rule]
		case "required", "additional_property_not_allowed":
			if p, ok := e.Details()["property"].(string); ok {
				ptr += Pointer(p)
			}
			if rule == "required" {
				rule = RuleRequired
			} else {
				rule = RuleAdditionalProperties
			}
		default:
			if r, ok := gjsRules[rule]; ok {
				rule = r
			}
		}
		out = append(out, Issue{Where: where, Pointer: ptr, Rule: rule, Message: e.Description()})
	}
	return out
}

var gjsRules = map[string]string{
	"invalid_type":         RuleType,
	"enum":                 RuleEnum,
	"const":                "const",
	"number_not":           RuleNot,
	"pattern":              RulePattern,
	"string_gte":           RuleMinLength,
	"string_lte":           RuleMaxLength,
	"number_gte":           RuleMinimum,
	"number_lte":           RuleMaximum,
	"number_gt":            "exclusiveMinimum",
	"number_lt":            "exclusiveMaximum",
	"multiple_of":          "multipleOf",
	"array_min_items":      RuleMinItems,
	"array_max_items":      RuleMaxItems,
	"unique":               RuleUniqueItems,
	"array_min_properties": RuleMinProperties,
	"array_max_properties": RuleMaxProperties,
	"format":               "format",
	"missing_dependency":   "dependencies",
}

// gjsPointer turns a gojsonschema context written with NUL separators ("(root)\x00a\x00b")
// into an RFC 6901 pointer. gojsonschema keeps the tokens unescaped, so keys holding dots
// or slashes survive; only a key holding a NUL byte would be split wrongly.
func gjsPointer(ctx string) string {
	parts := strings.Split(ctx, "\x00")
	if len(parts) > 0 && parts[0] == "(root)" {
		parts = parts[1:]
	}
	return Pointer(parts...)
}
