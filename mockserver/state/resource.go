package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/workbinkit/workbinkit/spec"
)

// Resources are kept as canonical JSON: compact, keys sorted, numbers as written, no HTML
// escaping (so "?:2>1" stays readable). Reads hand out copies of the bytes; a change
// splices in only the top-level members it touches (withMembers).

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

// Members decodes the top level of a JSON object, keeping each value as JSON; anything
// but an object (null included) is an error. The HTTP layer reads resources with it too.
func Members(raw []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errNotObject
	}
	return m, nil
}

// withMembers returns a copy of the object raw with the given top-level members replaced
// (or added). A canonical resource, which is what the store holds, is spliced: its other
// members are copied as they are, never decoded, and the result is the canonical encoding
// of the changed object (what decoding, replacing and re-encoding would give). Anything
// else takes that longer way.
func withMembers(raw []byte, set map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(set))
	vals := make([][]byte, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, err := encodeValue(set[k])
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", k, err)
		}
		vals = append(vals, b)
	}
	var scratch [16]member
	if ms, ok := canonicalMembers(raw, scratch[:0]); ok && plainKeys(keys) {
		return splice(raw, ms, keys, vals), nil
	}
	m, err := Members(raw)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		m[k] = vals[i]
	}
	return encode(m)
}

// member is one top-level member of a canonical object: its key (without quotes) and its
// value, both slices of the object.
type member struct{ key, val []byte }

// canonicalMembers splits a canonical JSON object (compact, keys sorted and unique, ASCII
// and unescaped) into its top-level members, appending them to dst. It reports false for
// anything else (whitespace between tokens, an escaped key, keys out of order, not an
// object): the caller then decodes. Values are delimited, not checked; the store's
// resources are valid JSON from the start (canonical, encode).
func canonicalMembers(raw []byte, dst []member) ([]member, bool) {
	n := len(raw)
	if n < 2 || raw[0] != '{' || raw[n-1] != '}' {
		return nil, false
	}
	if n == 2 {
		return dst, true
	}
	i := 1
	for {
		// key
		if raw[i] != '"' {
			return nil, false
		}
		start := i + 1
		j := start
		for j < n && raw[j] != '"' {
			if c := raw[j]; c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false // encoding/json might write it otherwise
			}
			j++
		}
		if j+1 >= n || raw[j+1] != ':' {
			return nil, false
		}
		key := raw[start:j]
		if len(dst) > 0 && bytes.Compare(dst[len(dst)-1].key, key) >= 0 {
			return nil, false
		}
		// value: up to the ',' or '}' that closes it at depth 0
		i = j + 2
		vstart, depth := i, 0
	value:
		for ; i < n; i++ {
			switch raw[i] {
			case '"':
				end, ok := stringEnd(raw, i)
				if !ok {
					return nil, false
				}
				i = end
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 {
					break value
				}
				depth--
			case ',':
				if depth == 0 {
					break value
				}
			case ' ', '\t', '\n', '\r':
				return nil, false
			}
		}
		if i >= n || i == vstart {
			return nil, false
		}
		dst = append(dst, member{key: key, val: raw[vstart:i]})
		if raw[i] == '}' {
			if i != n-1 {
				return nil, false
			}
			return dst, true
		}
		i++ // past ','
		if i >= n {
			return nil, false
		}
	}
}

// stringEnd returns the index of the quote that closes the string opening at raw[i].
func stringEnd(raw []byte, i int) (int, bool) {
	for k := i + 1; ; k++ {
		q := bytes.IndexByte(raw[k:], '"')
		if q < 0 {
			return 0, false
		}
		k += q
		escapes := 0
		for b := k - 1; b > i && raw[b] == '\\'; b-- {
			escapes++
		}
		if escapes%2 == 0 {
			return k, true
		}
	}
}

// plainKeys reports whether strings need no escaping in JSON (so that keys sort as written
// and values are written as they are).
func plainKeys(keys []string) bool {
	for _, k := range keys {
		if !plainString(k) {
			return false
		}
	}
	return true
}

func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// splice writes the object of members ms with keys (sorted) set to vals, in key order.
func splice(raw []byte, ms []member, keys []string, vals [][]byte) []byte {
	size := len(raw)
	for i, k := range keys {
		size += len(k) + len(vals[i]) + 4
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	put := func(key string, val []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, key...)
		out = append(out, '"', ':')
		out = append(out, val...)
	}
	i := 0
	for _, m := range ms {
		for i < len(keys) && keys[i] < string(m.key) {
			put(keys[i], vals[i])
			i++
		}
		if i < len(keys) && keys[i] == string(m.key) {
			put(keys[i], vals[i])
			i++
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.key...)
		out = append(out, '"', ':')
		out = append(out, m.val...)
	}
	for ; i < len(keys); i++ {
		put(keys[i], vals[i])
	}
	return append(out, '}')
}

// encodeValue is encode for one member's value, with a shortcut for the strings and string
// lists a change sets (state, capabilities) when they need no escaping.
func encodeValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if plainString(x) {
			return append(append(append(make([]byte, 0, len(x)+2), '"'), x...), '"'), nil
		}
	case []string:
		if x != nil && plainKeys(x) { // nil is null
			b := make([]byte, 0, 2+len(x)*16)
			b = append(b, '[')
			for i, s := range x {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(append(append(b, '"'), s...), '"')
			}
			return append(b, ']'), nil
		}
	}
	return encode(v)
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

// optionalString is the member key of m: "" when it is absent, an error when it is not a
// string.
func optionalString(m map[string]json.RawMessage, key string) (string, error) {
	raw, ok := m[key]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is not a string", key)
	}
	return s, nil
}

// Located is the interaction's resource as it goes out, with the uri and path a real GWS
// resource carries (real-gws fact 13): uri base + /api/v2/{mediaType}/{id} (no /me/), path
// /{mediaType}/{id}. base is the scheme and host clients reach the server at; the store
// keeps neither member, since the host is the request's.
func (x Interaction) Located(base string) ([]byte, error) {
	res, err := withMembers(x.Resource, map[string]any{
		spec.FieldURI:  spec.InteractionURI(base, x.Media, x.ID),
		spec.FieldPath: spec.InteractionResourcePath(x.Media, x.ID),
	})
	if err != nil {
		return nil, fmt.Errorf("interaction %q: %w", x.ID, err)
	}
	return res, nil
}
