package state

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// decodeReplaceEncode is what withMembers must give: the object decoded, the members
// replaced, encoded again.
func decodeReplaceEncode(raw []byte, set map[string]any) ([]byte, error) {
	m, err := Members(raw)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		b, err := encode(v)
		if err != nil {
			return nil, err
		}
		m[k] = b
	}
	return encode(m)
}

// memberSets are the changes the store makes (pull, add, restore) and a few more shapes:
// members added before, between and after the existing ones, escaped strings, nil lists.
func memberSets() []map[string]any {
	return []map[string]any{
		{spec.FieldState: spec.StateProcessing, spec.FieldCapabilities: []string{"Complete", "Transfer"}},
		{spec.FieldState: spec.StateInWorkbin, spec.FieldCapabilities: []string{}, spec.FieldParticipants: []json.RawMessage{}},
		{spec.FieldID: "x", spec.FieldState: "S", spec.FieldCapabilities: []string(nil)},
		{"": 1, "a": "<&>", "zzzz": []string{"é", "tab\t", `q"`}, "Zed": nil},
		{"new\u2028key": "line\u2028sep", "ü": map[string]any{"b": 1, "a": []any{true, nil}}},
	}
}

func TestWithMembersSplicesAsDecodingWould(t *testing.T) {
	s := newStore(t)
	var resources [][]byte
	for _, x := range s.Snapshot().Interactions {
		resources = append(resources, x.Resource)
	}
	for _, u := range s.Snapshot().Users {
		resources = append(resources, u.Resource)
	}
	resources = append(resources, []byte(`{}`), []byte(`{"a":{"}":"{,]"},"b":["\"",[],{}],"c":-1.5e3}`))
	for _, raw := range resources {
		if _, ok := canonicalMembers(raw, nil); !ok {
			t.Fatalf("a resource of the store is not canonical: %s", raw)
		}
		for _, set := range memberSets() {
			want, err := decodeReplaceEncode(raw, set)
			if err != nil {
				t.Fatal(err)
			}
			got, err := withMembers(raw, set)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("withMembers(%s, %v)\n got %s\nwant %s", raw, set, got, want)
			}
		}
	}
}

func TestCanonicalMembersRefusesOtherForms(t *testing.T) {
	for _, raw := range []string{
		``, `{`, `}`, `[]`, `"x"`, `{"a":1 }`, `{ "a":1}`, `{"a": 1}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`,
		`{"a\"b":1}`, `{"a":1,}`, `{"a":}`, `{"a"1}`, `{"a":1}x}`, `{"a":{"b":1}`, `{"a":"}`, `{"a":[1,2}`,
		"{\"a\":\n1}", "{\"a\tb\":1}",
	} {
		if ms, ok := canonicalMembers([]byte(raw), nil); ok {
			t.Errorf("canonicalMembers(%q) = %q, true; want false", raw, ms)
		}
	}
}

// FuzzWithMembers checks that splicing gives what decoding the object, replacing the
// members and encoding it again gives, for every valid object canonicalMembers accepts and
// for the canonical form of every object; and that no input makes it panic.
func FuzzWithMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":1}`, `{"capabilities":[],"id":"x","state":"InWorkbin","userData":{"k":"v"}}`,
		`{"a":{"}":"{,]"},"b":["\"",[],{}]}`, `{"b":1,"a":2}`, `{"a":1 }`, `{"\u00e9":"\u2028"}`, `[1]`, `{"a":"\\"}`,
		`{"a":{"z":1,"b":2}}`, `{"a":1.50,"b":"<>"}`,
	} {
		f.Add([]byte(seed))
	}
	sets := memberSets()
	f.Fuzz(func(t *testing.T, raw []byte) {
		inputs := [][]byte{}
		if _, ok := canonicalMembers(raw, nil); ok && json.Valid(raw) {
			inputs = append(inputs, raw)
		}
		if res, err := canonical(raw); err == nil {
			inputs = append(inputs, res) // refused (non-ASCII keys) or spliced, the same bytes
		}
		for _, in := range inputs {
			for _, set := range sets {
				want, err := decodeReplaceEncode(in, set)
				if err != nil {
					t.Fatal(err)
				}
				got, err := withMembers(in, set)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("withMembers(%s, %v)\n got %s\nwant %s", in, set, got, want)
				}
			}
		}
	})
}
