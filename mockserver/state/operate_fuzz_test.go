package state

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// FuzzOperate runs arbitrary operations (any name, media, id, user, target, userData and
// keys decoded from JSON) on the built-in fixtures, twice in a row. Properties: no panic; a
// refusal is an *Error and changes nothing; a success keeps the invariants (D11) and its
// state restores from its snapshot (S11, S14).
func FuzzOperate(f *testing.F) {
	f.Add(marat, "workitem", wiOwned, "AttachUserData", "", `{"UserData1":"DATA1","n":1}`, `["UserData1"]`, "x")
	f.Add(marat, "chat", chatOwned, "Invite", agent2ID, `{}`, `[]`, "")
	f.Add(agent2, "chat", chatOwned, "Accept", "", `null`, `[1]`, "Bea")
	f.Add(marat, "email", mailOwned, "Reply", "", `{"k":true}`, `null`, "q")
	f.Add(marat, "chat", chatOwned, "Leave", "", `{}`, `[]`, "bye")
	f.Add(marat, "workitem", wiOwned, "Transfer", maratID, `{}`, `[]`, "")
	f.Add("nobody", "tweet", "", "", "", ``, ``, "")
	f.Fuzz(func(t *testing.T, user, media, id, name, target, userData, keys, text string) {
		s := newStore(t)
		o := Operation{Media: spec.Media(media), ID: id, Name: name, TargetUserID: target, TargetGiven: target != "",
			Text: text, Queue: text, Nickname: text, Disposition: text, Comment: text}
		var ud map[string]any
		if json.Unmarshal([]byte(userData), &ud) == nil {
			o.UserData = ud
		}
		_ = json.Unmarshal([]byte(keys), &o.Keys)
		for range 2 {
			before := s.Snapshot()
			events, err := s.Operate(act(user), o)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("refusal %v is not an *Error", err)
				}
				if events != nil || !reflect.DeepEqual(before, s.Snapshot()) {
					t.Fatalf("a refused %s changed something", name)
				}
				continue
			}
			checkInvariant(t, s)
			snap := s.Snapshot()
			if err := s.Restore(snap); err != nil {
				t.Fatalf("after %s the state does not restore: %v", name, err)
			}
		}
	})
}
