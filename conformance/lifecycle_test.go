package conformance

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

func TestCapsProblem(t *testing.T) {
	want := []string{"A", "B", "C"}
	for _, c := range []struct {
		got    []string
		strict bool
		ok     bool
	}{
		{[]string{"A", "B", "C"}, true, true},
		{[]string{"C", "B", "A"}, false, true},
		{[]string{"C", "B", "A"}, true, false},
		{[]string{"A", "B"}, false, false},
		{[]string{"A", "B", "C", "D"}, false, false},
		{nil, false, false},
	} {
		if got := capsProblem(want, c.got, c.strict); (got == "") != c.ok {
			t.Errorf("capsProblem(%v, %v, strict %v) = %q", want, c.got, c.strict, got)
		}
	}
	if capsProblem(nil, []string{}, true) != "" {
		t.Error("no capabilities wanted, none given: no problem")
	}
}

func TestStateRule(t *testing.T) {
	for state, want := range map[string]Rule{spec.StateCompleted: RuleCompleted, spec.StateLeftChat: RuleLeftChat, spec.StateProcessing: RuleOperationNotes} {
		if got := stateRule(state); got != want {
			t.Errorf("stateRule(%s) = %s, want %s", state, got, want)
		}
	}
}

func TestWithKeys(t *testing.T) {
	base := map[string]any{"a": 1, "b": 2}
	got := withKeys(base, map[string]any{"c": 3, "a": 9}, "b")
	if !maps.Equal(got, map[string]any{"a": 9, "c": 3}) || len(base) != 2 || base["a"] != 1 {
		t.Errorf("withKeys: %v (base now %v)", got, base)
	}
	if got := withKeys(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("withKeys(nil, nil) = %v", got)
	}
}

func decodeNote(t *testing.T, raw string) Notification {
	t.Helper()
	var data map[string]any
	if err := decodeNumber([]byte(raw), &data); err != nil {
		t.Fatal(err)
	}
	return Notification{Channel: spec.ChannelChats, Data: data, Raw: json.RawMessage(raw)}
}

func TestTranscriptMatching(t *testing.T) {
	n := decodeNote(t, `{"messageType":"MessageLogUpdated","notificationType":"NewMessages","chatUri":"http://h/api/v2/chats/C1",
		"messages":[{"index":3,"type":"Text","text":"hi","from":{"type":"Customer","nickname":"Jane"}},
		            {"index":4,"type":"TypingStarted","from":{"type":"Agent"}}]}`)
	if !namesChat(n, "C1") || namesChat(n, "C") || namesChat(n, "1") {
		t.Error("namesChat by chatUri")
	}
	if p := decodeNote(t, `{"chatPath":"/chats/C2"}`); !namesChat(p, "C2") {
		t.Error("namesChat by chatPath")
	}
	for _, c := range []struct {
		line chatLine
		ok   bool
	}{
		{chatLine{kind: spec.ChatMessageText, text: "hi", from: spec.ParticipantCustomer}, true},
		{chatLine{kind: spec.ChatMessageText, text: "hi", from: spec.ParticipantAgent}, false},
		{chatLine{kind: spec.ChatMessageText, text: "hello", from: spec.ParticipantCustomer}, false},
		{chatLine{kind: spec.ChatMessageTypingStarted, from: spec.ParticipantAgent}, true},
		{chatLine{kind: spec.ChatMessageTypingStopped, from: spec.ParticipantAgent}, false},
	} {
		if _, ok := lineIn(n, c.line); ok != c.ok {
			t.Errorf("lineIn(%+v) = %v", c.line, ok)
		}
	}
}

func TestNoteMatches(t *testing.T) {
	n := Notification{Index: 5, Channel: spec.ChannelWorkitems}
	if err := decodeNumber([]byte(`{"messageType":"WorkitemStateChangeMessage","notificationType":"PropertiesUpdated","referenceId":7,"workitem":{"id":"W1"}}`), &n.Data); err != nil {
		t.Fatal(err)
	}
	w := note{m: spec.MediaWorkitem, id: "W1", nt: spec.NotificationPropertiesUpdated, after: 5, ref: 7}
	for _, c := range []struct {
		change func(*note)
		ok     bool
	}{
		{func(*note) {}, true},
		{func(w *note) { w.ref = 0 }, true},
		{func(w *note) { w.ref = 8 }, false},
		{func(w *note) { w.after = 6 }, false},
		{func(w *note) { w.id = "W2" }, false},
		{func(w *note) { w.nt = spec.NotificationStatusChange }, false},
		{func(w *note) { w.m = spec.MediaChat }, false},
	} {
		x := w
		c.change(&x)
		if got := x.matches(n); got != c.ok {
			t.Errorf("%+v matches = %v, want %v", x, got, c.ok)
		}
	}
}
