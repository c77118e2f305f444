package conformance

import (
	"strings"
	"testing"
	"time"
)

// A kind learned absent is recorded once, by the first spec that waited in vain, and the
// window later waits get grows with the slowest delivery seen, within the timeout.
func TestFindingsAbsence(t *testing.T) {
	var f findings
	kind := lifeKind("a PropertiesUpdated")
	if got := f.absence(kind); got != "" {
		t.Fatalf("absence before any wait: %q", got)
	}
	f.learnAbsence(kind, "workitem-lifecycle.user-data", 10*time.Second)
	f.learnAbsence(kind, "chat-lifecycle.user-data", 10*time.Second)
	got := f.absence(kind)
	if !strings.Contains(got, "workitem-lifecycle.user-data waited 10s for a PropertiesUpdated") || strings.Contains(got, "chat-lifecycle") {
		t.Errorf("absence: %q, want the first spec's wait", got)
	}
	if other := f.absence(lifeKind("a StatusChange")); other != "" {
		t.Errorf("another kind: %q, want none", other)
	}

	quiet, timeout := 300*time.Millisecond, 10*time.Second
	for _, c := range []struct {
		slowest, want time.Duration
	}{
		{0, quiet},
		{50 * time.Millisecond, quiet},
		{500 * time.Millisecond, 2 * time.Second},
		{5 * time.Second, timeout},
	} {
		f.deliveredAfter(c.slowest)
		if got := f.absenceWindow(quiet, timeout); got != c.want {
			t.Errorf("slowest delivery %s: window %s, want %s", c.slowest, got, c.want)
		}
	}
	if !f.seen {
		t.Error("a delivery did not mark the process as having seen one")
	}
}
