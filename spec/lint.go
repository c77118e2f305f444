package spec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// LintReport counts what Lint checked.
type LintReport struct {
	Schemas    int
	Operations int
	Examples   int
	Messages   int
}

// Lint checks a contract directory more thoroughly than LoadFS: everything LoadFS checks,
// every example of openapi.yaml against its schema with both validators, every $ref of
// asyncapi.yaml, its channels and messages against wire.go, and the x-workbinkit-decision
// references. Faults are *FileError values naming the file and JSON pointer, joined.
func Lint(_ context.Context, fsys fs.FS) (*LintReport, error) {
	c, err := LoadFS(fsys)
	if err != nil {
		return nil, err
	}
	rep := &LintReport{Schemas: len(c.Schemas()), Operations: len(c.ops), Examples: c.examples}
	var errs []error
	errs = append(errs, c.lintDecisions()...)
	errs = append(errs, lintAsyncAPI(fsys, rep)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rep, nil
}

// lintExamples validates every example of openapi.yaml against its schema: with kin-openapi
// always, and with gojsonschema too where the schema is one of the schema files. LoadFS runs it.
func (c *Contract) lintExamples() []error {
	var errs []error
	check := func(ptr string, schema *openapi3.SchemaRef, value any) {
		if schema == nil || schema.Value == nil {
			return
		}
		c.examples++
		fail := func(validator string, err error) {
			for _, is := range IssuesOf(err) {
				errs = append(errs, &FileError{File: OpenAPIFile, Pointer: ptr, Err: fmt.Errorf("example breaks its schema (%s): %s", validator, is)})
			}
		}
		fail("kin-openapi", invalid(kinSchemaIssues("example", schema.Value.VisitJSON(value, openapi3.MultiErrors()))))
		if file := c.schemaFileOf(schema); file != "" {
			fail("gojsonschema", prefixIssues(c.schemas.ValidateValue(file, value, Strict()), "", "example"))
		}
	}
	content := func(ptr string, cont openapi3.Content) {
		for _, ct := range slices.Sorted(maps.Keys(cont)) {
			mt := cont[ct]
			base := ptr + Pointer("content", ct)
			if mt.Example != nil {
				check(base+"/example", mt.Schema, mt.Example)
			}
			for _, n := range slices.Sorted(maps.Keys(mt.Examples)) {
				if ex := mt.Examples[n]; ex != nil && ex.Value != nil && ex.Ref == "" {
					check(base+Pointer("examples", n, "value"), mt.Schema, ex.Value.Value)
				}
			}
		}
	}
	param := func(ptr string, p *openapi3.Parameter) {
		if p.Example != nil {
			check(ptr+"/example", p.Schema, p.Example)
		}
	}
	comp := c.doc.Components
	for _, n := range slices.Sorted(maps.Keys(comp.Parameters)) {
		param(Pointer("components", "parameters", n), comp.Parameters[n].Value)
	}
	for _, n := range slices.Sorted(maps.Keys(comp.RequestBodies)) {
		content(Pointer("components", "requestBodies", n), comp.RequestBodies[n].Value.Content)
	}
	for _, n := range slices.Sorted(maps.Keys(comp.Responses)) {
		content(Pointer("components", "responses", n), comp.Responses[n].Value.Content)
	}
	for _, p := range slices.Sorted(maps.Keys(c.doc.Paths.Map())) {
		ops := c.doc.Paths.Value(p).Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			op := ops[m]
			base := Pointer("paths", p, strings.ToLower(m))
			for i, pr := range op.Parameters {
				if pr.Ref == "" {
					param(base+Pointer("parameters", fmt.Sprint(i)), pr.Value)
				}
			}
			if rb := op.RequestBody; rb != nil && rb.Ref == "" {
				content(base+"/requestBody", rb.Value.Content)
			}
			for _, st := range slices.Sorted(maps.Keys(op.Responses.Map())) {
				if r := op.Responses.Value(st); r.Ref == "" {
					content(base+Pointer("responses", st), r.Value.Content)
				}
			}
		}
	}
	return errs
}

// schemaFileOf returns the schema file a (component) schema ref stands for, or "".
func (c *Contract) schemaFileOf(s *openapi3.SchemaRef) string {
	for file, v := range c.kinSchemas {
		if v == s.Value {
			return file
		}
	}
	return ""
}

var decisionID = regexp.MustCompile(`^W[0-9]+$`)

// lintDecisions checks that x-workbinkit-decision ids name an entry of x-workbinkit-decisions.
func (c *Contract) lintDecisions() []error {
	var errs []error
	known := map[string]bool{}
	list, _ := c.doc.Extensions["x-workbinkit-decisions"].([]any)
	for i, d := range list {
		m, _ := d.(map[string]any)
		id, _ := m["id"].(string)
		text, _ := m["text"].(string)
		ptr := Pointer("x-workbinkit-decisions", fmt.Sprint(i))
		switch {
		case !decisionID.MatchString(id) || text == "":
			errs = append(errs, &FileError{File: OpenAPIFile, Pointer: ptr, Err: errors.New("a decision needs an id W<n> and a text")})
		case known[id]:
			errs = append(errs, &FileError{File: OpenAPIFile, Pointer: ptr, Err: fmt.Errorf("decision %s is listed twice", id)})
		}
		known[id] = true
	}
	refer := func(ptr string, ext map[string]any) {
		if id, ok := ext["x-workbinkit-decision"].(string); ok && decisionID.MatchString(id) && !known[id] {
			errs = append(errs, &FileError{File: OpenAPIFile, Pointer: ptr + "/x-workbinkit-decision", Err: fmt.Errorf("no decision %s in x-workbinkit-decisions", id)})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(c.doc.Paths.Map())) {
		ops := c.doc.Paths.Value(p).Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			refer(Pointer("paths", p, strings.ToLower(m)), ops[m].Extensions)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(c.doc.Components.Parameters)) {
		refer(Pointer("components", "parameters", n), c.doc.Components.Parameters[n].Value.Extensions)
	}
	for _, n := range slices.Sorted(maps.Keys(c.doc.Components.Responses)) {
		refer(Pointer("components", "responses", n), c.doc.Components.Responses[n].Value.Extensions)
	}
	return errs
}

// asyncRef matches a `$ref: …` line of asyncapi.yaml (quoted or not).
var asyncRef = regexp.MustCompile(`^(\s*)(?:-\s+)?\$ref:\s*['"]?([^'"\s]+)['"]?\s*$`)

// lintAsyncAPI checks asyncapi.yaml without a YAML library: the file is ours and written in
// block style, so its $ref lines and key indentation are enough. Redocly lints it fully.
func lintAsyncAPI(fsys fs.FS, rep *LintReport) []error {
	data, err := fs.ReadFile(fsys, AsyncAPIFile)
	if err != nil {
		return []error{&FileError{File: AsyncAPIFile, Err: err}}
	}
	lines := yamlLines(data)
	var errs []error
	fail := func(ptr string, format string, args ...any) {
		errs = append(errs, &FileError{File: AsyncAPIFile, Pointer: ptr, Err: fmt.Errorf(format, args...)})
	}
	if v, _ := yamlScalar(lines, "/asyncapi"); !strings.HasPrefix(v, "2.6") {
		fail("/asyncapi", "version %q: the contract is AsyncAPI 2.6", v)
	}
	payloads := map[string]bool{}
	for i, l := range lines {
		m := asyncRef.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		ptr := yamlPointerAt(lines, i) + "/$ref"
		file, frag, _ := strings.Cut(m[2], "#")
		if file == "" {
			if _, ok := yamlFind(lines, frag); !ok {
				fail(ptr, "$ref %q: nothing at %s", m[2], frag)
			}
			continue
		}
		full := path.Clean(path.Join(path.Dir(AsyncAPIFile), file))
		if _, err := fs.Stat(fsys, full); err != nil {
			fail(ptr, "$ref %q: %v", m[2], err)
			continue
		}
		dir, name := path.Split(full)
		if path.Clean(dir) == SchemaDir && frag == "" {
			payloads[name] = true
		}
	}
	var channels []string
	for _, l := range lines {
		if l.indent == 2 && l.parent == "/channels" {
			channels = append(channels, l.key)
		}
	}
	if !slices.Equal(sorted(channels), sorted(Channels())) {
		fail("/channels", "channels %v; wire.go has %v", channels, Channels())
	}
	for _, ch := range Channels() {
		for _, mt := range MessageTypes(ch) {
			rep.Messages++
			schema, _ := NotificationSchema(mt)
			if !payloads[schema] {
				fail("/components/messages", "no message has the payload %s/%s (%s)", SchemaDir, schema, mt)
			}
			if _, ok := yamlFind(lines, Pointer("components", "messages", mt)); !ok {
				fail("/components/messages", "no message %s", mt)
			}
		}
	}
	return errs
}

type yamlLine struct {
	indent int
	key    string // "" if the line is not a "key:" line
	text   string
	parent string // pointer of the enclosing key
}

// yamlLines indexes the block-style keys of a YAML file with their pointers. Block scalars
// (| and >) are skipped.
func yamlLines(data []byte) []yamlLine {
	var out []yamlLine
	type frame struct {
		indent int
		ptr    string
	}
	stack := []frame{{-1, ""}}
	blockIndent := -1 // inside a block scalar opened at this indentation
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		text := sc.Text()
		trimmed := strings.TrimLeft(text, " ")
		indent := len(text) - len(trimmed)
		l := yamlLine{indent: indent, text: text}
		if blockIndent >= 0 && (trimmed == "" || indent > blockIndent) {
			out = append(out, l)
			continue
		}
		blockIndent = -1
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			out = append(out, l)
			continue
		}
		for len(stack) > 1 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		l.parent = stack[len(stack)-1].ptr
		if key, value, ok := yamlKey(trimmed); ok {
			l.key = key
			stack = append(stack, frame{indent, l.parent + Pointer(key)})
			if v := strings.TrimSpace(value); strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">") {
				blockIndent = indent
			}
		}
		out = append(out, l)
	}
	return out
}

// yamlKey splits a "key: value" line; list items and flow collections are not keys.
func yamlKey(s string) (key, value string, ok bool) {
	if s == "" || s[0] == '-' || s[0] == '{' || s[0] == '[' {
		return "", "", false
	}
	if q := s[0]; q == '\'' || q == '"' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 || !strings.HasPrefix(s[2+end:], ":") {
			return "", "", false
		}
		return s[1 : 1+end], s[3+end:], true
	}
	key, value, ok = strings.Cut(s, ":")
	if !ok || strings.ContainsAny(key, " {[") {
		return "", "", false
	}
	return key, value, true
}

func yamlFind(lines []yamlLine, ptr string) (int, bool) {
	for i, l := range lines {
		if l.key != "" && l.parent+Pointer(l.key) == ptr {
			return i, true
		}
	}
	return 0, false
}

func yamlScalar(lines []yamlLine, ptr string) (string, bool) {
	i, ok := yamlFind(lines, ptr)
	if !ok {
		return "", false
	}
	_, v, _ := strings.Cut(lines[i].text, ":")
	return strings.Trim(strings.TrimSpace(v), `'"`), true
}

// yamlPointerAt is the pointer of the key enclosing line i.
func yamlPointerAt(lines []yamlLine, i int) string { return lines[i].parent }

// sorted returns a sorted copy of l without duplicates.
func sorted(l []string) []string {
	l = slices.Clone(l)
	slices.Sort(l)
	return slices.Compact(l)
}
