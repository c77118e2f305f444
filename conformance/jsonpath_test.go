package conformance

import (
	"slices"
	"testing"
)

func TestDataPointer(t *testing.T) {
	for _, c := range []struct {
		tokens []string
		want   string
	}{
		{[]string{"referenceId"}, "/data/referenceId"},
		{[]string{"workbinStats", "wb/1", "Count"}, "/data/workbinStats/wb~11/Count"},
		{nil, "/data"},
	} {
		if got := dataPointer(c.tokens...); got != c.want {
			t.Errorf("dataPointer(%q) = %q, want %q", c.tokens, got, c.want)
		}
	}
}

func TestStringsIn(t *testing.T) {
	if got := stringsIn([]any{"A", 1, "B", nil}); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("stringsIn: %q", got)
	}
	if got := stringsIn("A"); len(got) != 0 {
		t.Errorf("stringsIn of a string: %q", got)
	}
}
