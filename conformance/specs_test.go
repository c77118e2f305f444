package conformance

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestSpecTable checks the spec table the suite registers: stable, label-safe, unique ids;
// every spec has known features; every feature has specs; ids name their first feature.
func TestSpecTable(t *testing.T) {
	defs := allSpecs()
	seen := map[string]bool{}
	covered := map[Feature]int{}
	for _, d := range defs {
		if !specIDPattern.MatchString(d.id) || strings.ContainsAny(d.id, "&|!,()/") {
			t.Errorf("spec id %q is not a stable label value", d.id)
		}
		if seen[d.id] {
			t.Errorf("spec id %q twice", d.id)
		}
		seen[d.id] = true
		if len(d.features) == 0 || d.text == "" || d.variant == "" || d.body == nil {
			t.Errorf("spec %s: features %v, text %q, variant %q", d.id, d.features, d.text, d.variant)
		}
		for _, f := range d.features {
			if !f.Known() {
				t.Errorf("spec %s: unknown feature %q", d.id, f)
			}
			covered[f]++
		}
		if prefix, _, _ := strings.Cut(d.id, "."); !slices.Contains(d.features, Feature(prefix)) {
			t.Errorf("spec %s does not carry the feature its id names", d.id)
		}
	}
	for _, f := range AllFeatures() {
		if covered[f] == 0 {
			t.Errorf("feature %s has no spec", f)
		}
	}
	groups := groupByFeatures(defs)
	n := 0
	for _, g := range groups {
		n += len(g.defs)
	}
	if n != len(defs) {
		t.Errorf("groups hold %d specs of %d", n, len(defs))
	}
}

func TestLabels(t *testing.T) {
	labels := []string{"Feature:pull-chat", "id:pull-chat.pull-chat", "Feature:bayeux", "Feature:pull-chat", "other"}
	if got := featuresOf(labels); !slices.Equal(got, []Feature{FeatureBayeux, FeaturePullChat}) {
		t.Errorf("featuresOf: %v", got)
	}
	if got := specIDOf(labels); got != "pull-chat.pull-chat" {
		t.Errorf("specIDOf: %q", got)
	}
	if specIDOf([]string{"x"}) != "" {
		t.Error("no id label")
	}
}

func TestFirstDiff(t *testing.T) {
	dec := func(s string) any {
		var v any
		if err := decodeNumber([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ a, b, ptr string }{
		{`{"a":1,"b":{"c":[1,2]}}`, `{"a":1,"b":{"c":[1,2]}}`, ""},
		{`{"a":1}`, `{"a":2}`, "/a"},
		{`{"a":1}`, `{"a":1,"b":2}`, "/b"},
		{`{"u":{"x/y":"1"}}`, `{"u":{}}`, "/u/x~1y"},
		{`{"c":["A","B"]}`, `{"c":["A"]}`, "/c"},
	} {
		if ptr, _ := firstDiff(dec(c.a), dec(c.b), ""); ptr != c.ptr {
			t.Errorf("firstDiff(%s, %s) = %q, want %q", c.a, c.b, ptr, c.ptr)
		}
	}
	for _, c := range []struct {
		v  any
		n  int64
		ok bool
	}{{json.Number("7"), 7, true}, {json.Number("7.5"), 0, false}, {"7", 0, false}, {float64(3), 3, true}} {
		if n, ok := intOf(c.v); n != c.n || ok != c.ok {
			t.Errorf("intOf(%v) = %d %v", c.v, n, ok)
		}
	}
}
