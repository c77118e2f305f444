package spec

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// The schema files are read by two validators: kin-openapi as OpenAPI 3.0 Schema Objects and
// gojsonschema as JSON Schema draft-04. checkSchemaDoc keeps them in the keyword subset both
// read the same way, and in a shape whose faults both report alike.

// forbiddenKeywords are read differently (or not at all) by one of the two validators.
var forbiddenKeywords = map[string]string{
	"$schema":           "JSON Schema only; OpenAPI 3.0 rejects it",
	"$id":               "JSON Schema only",
	"id":                "draft-04 base URI; OpenAPI 3.0 ignores it",
	"definitions":       "JSON Schema only; use one file per shape",
	"dependencies":      "JSON Schema only",
	"patternProperties": "JSON Schema only",
	"additionalItems":   "JSON Schema only",
	"const":             "not in draft-04 nor OpenAPI 3.0; use a one-value enum",
	"examples":          "not in draft-04 nor OpenAPI 3.0 schemas",
	"if":                "not in draft-04 nor OpenAPI 3.0",
	"then":              "not in draft-04 nor OpenAPI 3.0",
	"else":              "not in draft-04 nor OpenAPI 3.0",
	"contains":          "not in draft-04 nor OpenAPI 3.0",
	"propertyNames":     "not in draft-04 nor OpenAPI 3.0",
	"format":            "the two validators know different formats; use pattern",
	"default":           "kin-openapi can write defaults into values; state defaults in descriptions",
	"readOnly":          "OpenAPI only; changes request/response validation",
	"writeOnly":         "OpenAPI only; changes request/response validation",
	"discriminator":     "OpenAPI only; put discriminators in openapi.yaml",
	"exclusiveMinimum":  "boolean in both, but easy to misread as draft-06; use minimum",
	"exclusiveMaximum":  "boolean in both, but easy to misread as draft-06; use maximum",
}

// annotations may sit next to anything.
func isAnnotation(k string) bool {
	return k == "description" || k == "title" || strings.HasPrefix(k, "x-")
}

// combinator branches may only hold keywords that report at the combinator's own location,
// so that gojsonschema's "closest branch" faults can be told apart (see gjsIssues).
var branchKeywords = map[string]bool{
	"required": true, "type": true, "enum": true, "nullable": true,
	"minLength": true, "maxLength": true, "pattern": true, "minimum": true, "maximum": true,
}

func checkSchemaDoc(file string, doc any, docs map[string]any) []error {
	c := &subsetChecker{file: file, docs: docs}
	c.schema(doc, nil, "")
	return c.errs
}

type subsetChecker struct {
	file string
	docs map[string]any
	errs []error
}

func (c *subsetChecker) fail(tokens []string, format string, args ...any) {
	c.errs = append(c.errs, &FileError{File: c.file, Pointer: Pointer(tokens...), Err: fmt.Errorf(format, args...)})
}

func at(tokens []string, more ...string) []string {
	return append(append([]string(nil), tokens...), more...)
}

// schema checks one schema object at tokens; parent names the keyword holding it.
func (c *subsetChecker) schema(v any, tokens []string, parent string) {
	m, ok := v.(map[string]any)
	if !ok {
		if _, isBool := v.(bool); isBool && parent == "additionalProperties" {
			return
		}
		c.fail(tokens, "a schema must be an object")
		return
	}
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		if why, bad := forbiddenKeywords[k]; bad {
			c.fail(at(tokens, k), "keyword %q is not allowed: %s", k, why)
		}
	}
	c.knownAnnotations(m, tokens)
	if t, ok := m["type"]; ok {
		if _, isString := t.(string); !isString {
			c.fail(at(tokens, "type"), "type must be one string (no type arrays: OpenAPI 3.0 has none)")
		}
	}
	if ref, ok := m["$ref"]; ok {
		for _, k := range keys {
			if k != "$ref" && !isAnnotation(k) {
				c.fail(at(tokens, k), "keyword %q next to $ref is ignored by both validators; move it", k)
			}
		}
		c.ref(ref, at(tokens, "$ref"))
		return
	}
	var combinators []string
	for _, k := range []string{"allOf", "anyOf", "oneOf", "not"} {
		if _, ok := m[k]; ok {
			combinators = append(combinators, k)
		}
	}
	if len(combinators) > 0 {
		// kin-openapi stops at a failing combinator, gojsonschema goes on with the siblings:
		// a combinator stands alone.
		for _, k := range keys {
			if k != combinators[0] && !isAnnotation(k) {
				c.fail(at(tokens, k), "keyword %q next to %s: a combinator must stand alone (the validators would report differently)", k, combinators[0])
			}
		}
	}
	if nullable, ok := m["nullable"]; ok && nullable == true && parent != "anyOf" {
		c.fail(at(tokens, "nullable"), "nullable only counts for OpenAPI; use it only in an anyOf branch next to {\"enum\":[null]}")
	}
	for _, k := range keys {
		val := m[k]
		switch k {
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				c.fail(at(tokens, k), "properties must be an object")
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(props)) {
				c.schema(props[name], at(tokens, k, name), k)
			}
		case "additionalProperties", "items", "not":
			if _, isArray := val.([]any); isArray {
				c.fail(at(tokens, k), "%s must be one schema", k)
				continue
			}
			c.schema(val, at(tokens, k), k)
		case "allOf":
			list := c.list(val, at(tokens, k))
			for i, b := range list {
				bm, _ := b.(map[string]any)
				_, any1 := bm["anyOf"]
				_, one1 := bm["oneOf"]
				if (any1 || one1) && i != len(list)-1 {
					c.fail(at(tokens, k, fmt.Sprint(i)), "an anyOf/oneOf branch of allOf must be the last branch")
				}
				c.schema(b, at(tokens, k, fmt.Sprint(i)), k)
			}
		case "anyOf", "oneOf":
			c.branches(k, c.list(val, at(tokens, k)), at(tokens, k))
		}
	}
}

// knownAnnotations checks x-known, x-extra-members and x-known-source (see known.go): both
// validators ignore them, so a misspelt or misplaced one would silently check nothing.
func (c *subsetChecker) knownAnnotations(m map[string]any, tokens []string) {
	_, hasKnown := m[KeywordKnown]
	_, hasExtra := m[KeywordExtraMembers]
	if src, ok := m[KeywordKnownSource]; ok {
		if s, isString := src.(string); !isString || strings.TrimSpace(s) == "" {
			c.fail(at(tokens, KeywordKnownSource), "%s must be a non-empty string naming the evidence", KeywordKnownSource)
		}
		if !hasKnown && !hasExtra {
			c.fail(at(tokens, KeywordKnownSource), "%s without %s or %s", KeywordKnownSource, KeywordKnown, KeywordExtraMembers)
		}
	} else if hasKnown || hasExtra {
		c.fail(tokens, "%s and %s need %s: the known values come from somewhere", KeywordKnown, KeywordExtraMembers, KeywordKnownSource)
	}
	if hasKnown {
		list, ok := m[KeywordKnown].([]any)
		seen := map[string]bool{}
		for _, v := range list {
			s, isString := v.(string)
			if !isString || seen[s] {
				ok = false
				break
			}
			seen[s] = true
		}
		if !ok || len(list) == 0 {
			c.fail(at(tokens, KeywordKnown), "%s must be a non-empty array of distinct strings", KeywordKnown)
		}
		if m["type"] != "string" {
			c.fail(at(tokens, KeywordKnown), "%s goes next to \"type\": \"string\"", KeywordKnown)
		}
		if _, ok := m["enum"]; ok {
			c.fail(at(tokens, KeywordKnown), "%s next to enum: the enum already closes the values; keep one", KeywordKnown)
		}
	}
	if hasExtra {
		if m[KeywordExtraMembers] != "warn" {
			c.fail(at(tokens, KeywordExtraMembers), "%s takes the one value \"warn\"", KeywordExtraMembers)
		}
		if _, ok := m["properties"].(map[string]any); !ok || m["type"] != "object" {
			c.fail(at(tokens, KeywordExtraMembers), "%s goes on an object schema with properties", KeywordExtraMembers)
		}
		if _, ok := m["additionalProperties"]; ok {
			c.fail(at(tokens, KeywordExtraMembers), "%s next to additionalProperties: keep one", KeywordExtraMembers)
		}
	}
}

func (c *subsetChecker) list(v any, tokens []string) []any {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		c.fail(tokens, "must be a non-empty array of schemas")
		return nil
	}
	return l
}

// branches checks the branches of an anyOf/oneOf, including the null idiom: a branch with
// nullable:true (OpenAPI's null) needs a {"enum":[null]} branch (JSON Schema's null) in the
// same list and the other way round.
func (c *subsetChecker) branches(kw string, list []any, tokens []string) {
	nullable, enumNull := false, false
	for i, b := range list {
		bt := at(tokens, fmt.Sprint(i))
		bm, ok := b.(map[string]any)
		if !ok {
			c.fail(bt, "a schema must be an object")
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(bm)) {
			if !branchKeywords[k] && !isAnnotation(k) {
				c.fail(at(bt, k), "keyword %q in a %s branch: branches may only hold %s", k, kw, strings.Join(slices.Sorted(maps.Keys(branchKeywordsAny())), ", "))
			}
		}
		if bm["nullable"] == true {
			nullable = true
		}
		if reflect.DeepEqual(bm["enum"], []any{nil}) {
			enumNull = true
		}
		c.schema(b, bt, kw)
	}
	if nullable != enumNull {
		c.fail(tokens, "a null branch needs both forms: {\"type\":…,\"nullable\":true} for OpenAPI and {\"enum\":[null]} for JSON Schema")
	}
	if nullable && kw != "anyOf" {
		c.fail(tokens, "the null idiom needs anyOf (both null branches match null)")
	}
}

func branchKeywordsAny() map[string]any {
	m := make(map[string]any, len(branchKeywords))
	for k := range branchKeywords {
		m[k] = nil
	}
	return m
}

// ref checks that a $ref names a schema file of the same directory, or a pointer into one.
func (c *subsetChecker) ref(v any, tokens []string) {
	s, ok := v.(string)
	if !ok {
		c.fail(tokens, "$ref must be a string")
		return
	}
	file, frag, _ := strings.Cut(s, "#")
	if strings.ContainsAny(file, "/\\:") {
		c.fail(tokens, "$ref %q must name a file of the same directory (no paths, no URLs)", s)
		return
	}
	target := c.docs[file]
	if file == "" {
		c.fail(tokens, "$ref %q: refer to another file; one file is one shape", s)
		return
	}
	if target == nil {
		c.fail(tokens, "$ref %q: no such schema file", s)
		return
	}
	if frag != "" {
		if _, err := resolvePointer(target, frag); err != nil {
			c.fail(tokens, "$ref %q: %v", s, err)
		}
	}
}
