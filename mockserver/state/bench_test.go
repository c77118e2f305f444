package state

import (
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// BenchmarkPull measures one pull and the add that puts the interaction back (so it stays
// available), for the seed workitem (a large userData), a chat (participants) and an email.
func BenchmarkPull(b *testing.B) {
	for _, c := range []struct {
		name, op, add, id string
	}{
		{"workitem", spec.PullWorkitem, spec.AddWorkitem, wiTest},
		{"chat", spec.PullChat, spec.AddChat, chatTest},
		{"email", spec.PullEmail, spec.AddEmail, mailTest},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := newStore(b)
			if _, err := s.Subscribe(Actor{marat}, []WorkbinRef{me(testWB)}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Pull(Actor{marat}, me(testWB), c.op, c.id, "Marat"); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Add(Actor{marat}, me(testWB), c.add, c.id, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNew measures building a Store from the built-in fixtures (New, Reset).
func BenchmarkNew(b *testing.B) {
	set := builtin(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(set, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot measures copying out the whole built-in state (GET /_mock/state).
func BenchmarkSnapshot(b *testing.B) {
	s := newStore(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Snapshot()
	}
}
