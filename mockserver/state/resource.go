package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Resources are kept as canonical JSON: compact, keys sorted, numbers as written, no HTML
// escaping (so "??:2>1" stays readable). Reads hand out copies of the bytes; a change
// re-encodes only the top-level members it touches.

// encode marshals v without HTML escaping and without the trailing newline.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

var errNotObject = errors.New("not a JSON object")

// canonical re-encodes a JSON object canonically.
func canonical(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errNotObject
	}
	return encode(v)
}

// members decodes the top level of a JSON object.
func members(raw []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errNotObject
	}
	return m, nil
}

// withMembers returns a copy of the object raw with the given top-level members replaced.
func withMembers(raw []byte, set map[string]any) ([]byte, error) {
	m, err := members(raw)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		b, err := encode(v)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", k, err)
		}
		m[k] = b
	}
	return encode(m)
}

// stringMember reads a string member ("" and false when absent or not a string).
func stringMember(m map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := m[key]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
