package mockserver

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/workbinkit/workbinkit/mockserver/state"
)

// object builds a JSON object member by member, in the order given: envelopes and
// notifications keep the order GWS prints (statusCode first, messageType first), and
// resources already held as JSON are spliced in without decoding.
type object struct {
	b []byte
}

func newObject() *object { return &object{b: append(make([]byte, 0, 128), '{')} }

func (o *object) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

func (o *object) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

// raw adds a member whose value is already JSON.
func (o *object) raw(k string, v []byte) {
	o.key(k)
	o.b = append(o.b, v...)
}

func (o *object) bytes() []byte { return append(o.b, '}') }

// appendString appends s as a JSON string as encoding/json writes it without HTML escaping
// (invalid UTF-8 becomes U+FFFD; U+2028 and U+2029 are escaped): the mock's one string
// escaper, for envelopes, notifications and the journal. bayeux has its own (it imports
// nothing of ours) and so has the fixtures' Python-repr importer (fixtures may not import
// the mock; see fixtures/pyrepr.go for how it differs).
func appendString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes (invalid UTF-8 becomes U+FFFD)
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// rawArray joins JSON values into an array.
func rawArray(items [][]byte) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

func stringArray(items []string) []byte {
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, it)
	}
	return append(b, ']')
}

// members is state.Members as a yes or no: the HTTP layer only asks whether it has an object.
func members(raw []byte) (map[string]json.RawMessage, bool) {
	m, err := state.Members(raw)
	return m, err == nil
}

// encodeMembers encodes members back into an object (keys sorted, as encoding/json does).
func encodeMembers(m map[string]json.RawMessage) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// addMember appends a member to a JSON object (body must end with '}').
func addMember(body []byte, key, rawValue string) []byte {
	body = bytes.TrimRight(body, " \n")
	if len(body) < 2 || body[len(body)-1] != '}' {
		return body
	}
	out := append([]byte(nil), body[:len(body)-1]...)
	if len(bytes.TrimSpace(out)) > 1 {
		out = append(out, ',')
	}
	out = appendString(out, key)
	out = append(out, ':')
	out = append(out, rawValue...)
	return append(out, '}')
}

// dropMember removes a top-level member of a JSON object (re-encoding it).
func dropMember(body []byte, key string) []byte {
	m, ok := members(body)
	if !ok {
		return body
	}
	delete(m, key)
	if out := encodeMembers(m); out != nil {
		return out
	}
	return body
}

// body is a decoded request body: its members by name (the spec.Field* constants).
type body map[string]any

// decodeBody decodes a request body that passed validation: the value the validator
// decoded (spec.Route.Body), or raw decoded here when the validator kept none.
func decodeBody(raw []byte, validated any) body {
	if m, ok := validated.(map[string]any); ok {
		return m
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	return m
}

// str reads a string member ("" if absent or not a string).
func (b body) str(key string) string {
	s, _ := b[key].(string)
	return s
}

// boolean reads a boolean member (false if absent or not a boolean).
func (b body) boolean(key string) bool {
	x, _ := b[key].(bool)
	return x
}
