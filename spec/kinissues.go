package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kinSchemaIssues turns a kin-openapi schema validation error into issues named like
// gojsonschema's (see gjsIssues): same Rule, same Pointer for the same fault.
func kinSchemaIssues(where string, err error) []Issue {
	switch e := err.(type) {
	case nil:
		return nil
	case openapi3.MultiError:
		var out []Issue
		for _, x := range e {
			out = append(out, kinSchemaIssues(where, x)...)
		}
		return out
	case *openapi3.SchemaError:
		return kinSchemaErrorIssues(where, e)
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return kinSchemaErrorIssues(where, se)
	}
	return []Issue{{Where: where, Rule: RuleSchema, Message: err.Error()}}
}

func kinSchemaErrorIssues(where string, e *openapi3.SchemaError) []Issue {
	ptr := Pointer(e.JSONPointer()...)
	issue := func(rule, pointer string) []Issue {
		return []Issue{{Where: where, Pointer: pointer, Rule: rule, Message: e.Reason}}
	}
	switch e.SchemaField {
	case "allOf":
		// allOf is transparent: its branches' faults are the faults. kin-openapi already
		// wrote their pointers from the root.
		if inner := originMultiError(e.Origin); inner != nil {
			return kinSchemaIssues(where, inner)
		}
		return issue("allOf", ptr)
	case "oneOf":
		// With a discriminator only the mapped branch was tried: its faults are the faults.
		if e.Schema != nil && e.Schema.Discriminator != nil {
			if inner := originMultiError(e.Origin); len(inner) == 1 {
				return kinSchemaIssues(where, inner)
			}
		}
		return issue(RuleOneOf, ptr)
	case "properties":
		if name, ok := unquoteProperty(e.Reason); ok && strings.HasSuffix(e.Reason, " is unsupported") {
			return issue(RuleAdditionalProperties, ptr+Pointer(name))
		}
		return issue("properties", ptr)
	case "nullable":
		// null where the schema does not admit it: gojsonschema calls this a type fault.
		return issue(RuleType, ptr)
	case "discriminator":
		name := ""
		if e.Schema != nil && e.Schema.Discriminator != nil {
			name = e.Schema.Discriminator.PropertyName
		}
		// kin-openapi reports a missing member, one of the wrong type and an unmapped value
		// all as discriminator faults; gojsonschema calls the first two required and type.
		switch {
		case strings.Contains(e.Reason, "does not contain"):
			return issue(RuleRequired, ptr+Pointer(name))
		case strings.Contains(e.Reason, "is not a string"):
			return issue(RuleType, ptr+Pointer(name))
		}
		return []Issue{{Where: where, Pointer: ptr + Pointer(name), Rule: RuleDiscriminator, Message: discriminatorMessage(e, name)}}
	case "enum":
		// kin-openapi checks enum before type; gojsonschema checks type first. A value of the
		// wrong JSON type is a type fault for both.
		if e.Schema != nil && e.Schema.Type != nil && !permitsValue(e.Schema, e.Value) {
			return issue(RuleType, ptr)
		}
	}
	return issue(e.SchemaField, ptr)
}

// discriminatorMessage says which value the discriminator member had and which values
// its mapping takes: `operationName "Pul" is not one of: PullChat, PullEmail, …` (kin-openapi
// says only that the value is invalid).
func discriminatorMessage(e *openapi3.SchemaError, name string) string {
	if e.Schema == nil || e.Schema.Discriminator == nil || len(e.Schema.Discriminator.Mapping) == 0 {
		return e.Reason
	}
	names := slices.Sorted(maps.Keys(e.Schema.Discriminator.Mapping))
	v := e.Value // kin-openapi gives the member's value (the whole object in older versions)
	if obj, ok := v.(map[string]any); ok {
		v = obj[name]
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%s %q is not one of: %s", name, s, strings.Join(names, ", "))
	}
	return fmt.Sprintf("%s is not one of: %s", name, strings.Join(names, ", "))
}

// originMultiError digs the list of branch errors out of a oneOf/allOf SchemaError's Origin.
func originMultiError(origin error) openapi3.MultiError {
	for origin != nil {
		if me, ok := origin.(openapi3.MultiError); ok {
			return me
		}
		origin = errors.Unwrap(origin)
	}
	return nil
}

// permitsValue reports whether the JSON type of v is one the schema's type admits.
func permitsValue(s *openapi3.Schema, v any) bool {
	t := s.Type
	switch x := v.(type) {
	case nil:
		return s.Nullable || t.IncludesNull()
	case bool:
		return t.Permits(openapi3.TypeBoolean)
	case string:
		return t.Permits(openapi3.TypeString)
	case float64:
		return t.Permits(openapi3.TypeNumber) || (t.Permits(openapi3.TypeInteger) && x == float64(int64(x)))
	case json.Number:
		if t.Permits(openapi3.TypeNumber) {
			return true
		}
		_, err := x.Int64()
		return t.Permits(openapi3.TypeInteger) && err == nil
	case int, int32, int64:
		return t.Permits(openapi3.TypeInteger) || t.Permits(openapi3.TypeNumber)
	case []any:
		return t.Permits(openapi3.TypeArray)
	case map[string]any:
		return t.Permits(openapi3.TypeObject)
	}
	return true
}
