package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// busyStore is a store after some of everything: pulls by an agent and a supervisor,
// an add, a placed item, subscriptions of every kind.
func busyStore(t *testing.T) *Store {
	t.Helper()
	s := newStore(t)
	must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{plain(testWB), plain(agWB), plain(pgWB), me(placeWB)}))
	must(t)(s.Subscribe(Actor{supervisor}, []WorkbinRef{sup(agent2ID, agent2W), plain(agWB)}))
	must(t)(s.Pull(Actor{marat}, me(testWB), spec.PullChat, chatTest, "Marat"))
	must(t)(s.Pull(Actor{supervisor}, sup(agent2ID, agent2W), spec.PullChat, chatAgent, ""))
	must(t)(s.Add(Actor{marat}, meAG(agWB, agentGroup), spec.AddEmail, mailOwned, false))
	must(t)(s.Place(NewInteraction{ID: "PLACED", Media: spec.MediaWorkitem, UserData: map[string]any{"Odd": "a<b>&c", "N": 1}}, pgWB))
	return s
}

func TestSnapshotJSONRoundTrip(t *testing.T) {
	s := busyStore(t)
	snap := s.Snapshot()
	for name, marshal := range map[string]func(any) ([]byte, error){
		"Marshal":       json.Marshal, // escapes <, > and & inside the resources
		"MarshalIndent": func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") },
	} {
		t.Run(name, func(t *testing.T) {
			data, err := marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			var back Snapshot
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			other := newStore(t)
			if err := other.Restore(back); err != nil {
				t.Fatal(err)
			}
			if got := other.Snapshot(); !equalSnapshots(got, snap) {
				t.Fatalf("round trip differs:\n%s", diffSnapshots(snap, got))
			}
			checkInvariant(t, other)
			// The restored store works on: a pull out of the placed item's workbin.
			must(t)(other.Pull(Actor{marat}, plain(pgWB), spec.PullInteraction, "PLACED", ""))
		})
	}
	if strings.Contains(string(mustInteraction(t, s, "PLACED").Resource), `\u003c`) {
		t.Error("the stored resource escapes HTML")
	}
}

func TestSnapshotDeterministic(t *testing.T) {
	a, b := busyStore(t).Snapshot(), busyStore(t).Snapshot()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("two identical histories, two snapshots:\n%s", diffSnapshots(a, b))
	}
	for _, l := range []int{len(a.Users), len(a.Workbins), len(a.Interactions), len(a.Subscriptions)} {
		if l == 0 {
			t.Fatal("an empty section")
		}
	}
}

func TestResetAndRestore(t *testing.T) {
	s := busyStore(t)
	fresh := newStore(t).Snapshot()
	if err := s.Reset(builtin(t)); err != nil {
		t.Fatal(err)
	}
	if got := s.Snapshot(); !equalSnapshots(got, fresh) {
		t.Fatalf("Reset differs from New:\n%s", diffSnapshots(fresh, got))
	}
	// The default id source restarts with the state.
	events := must(t)(s.Place(NewInteraction{Media: spec.MediaChat}, testWB))
	if events[0].Interaction.ID != "WBK0000000000001" {
		t.Errorf("id %s after Reset", events[0].Interaction.ID)
	}
	if err := s.Reset(nil); !errors.Is(err, ErrInvalidSnapshot) {
		t.Errorf("Reset(nil) = %v", err)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil)")
	}
}

// TestRestoreNormalizes: a hand-written snapshot may leave out what a workbin item must be;
// Restore fills it in and re-encodes resources canonically.
func TestRestoreNormalizes(t *testing.T) {
	s := newStore(t)
	snap := s.Snapshot()
	for i, x := range snap.Interactions {
		switch x.ID {
		case chatAG: // the group sample: no state
			snap.Interactions[i].Resource = json.RawMessage(`{ "id": "0001BaBFVPR20035", "chatType": "Inbound", "userData": {"b": 1, "a": "x>y"} }`)
		case wiOwned: // owned, without capabilities
			snap.Interactions[i].Resource = json.RawMessage(`{"state": "Processing", "userData": {}}`)
		}
	}
	if err := s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if got := string(mustInteraction(t, s, chatAG).Resource); got != `{"capabilities":[],"chatType":"Inbound","id":"0001BaBFVPR20035","participants":[],"state":"InWorkbin","userData":{"a":"x>y","b":1}}` {
		t.Errorf("normalized chat %s", got)
	}
	x := mustInteraction(t, s, wiOwned)
	want, _ := spec.Capabilities(spec.MediaWorkitem, spec.StateProcessing)
	if x.State != spec.StateProcessing || fmt.Sprint(x.Capabilities) != fmt.Sprint(want) || !strings.Contains(string(x.Resource), `"id":"02F0ASAK8EAFA90W"`) {
		t.Errorf("normalized workitem %+v %s", x, x.Resource)
	}
	checkInvariant(t, s)
}

func TestRestoreRefusals(t *testing.T) {
	type mutation func(*Snapshot)
	item := func(id string, f func(*Interaction)) mutation {
		return func(s *Snapshot) {
			for i := range s.Interactions {
				if s.Interactions[i].ID == id {
					f(&s.Interactions[i])
				}
			}
		}
	}
	resource := func(id, raw string) mutation {
		return item(id, func(x *Interaction) { x.Resource = json.RawMessage(raw) })
	}
	cases := []struct {
		name string
		mut  mutation
		want string // in the message
	}{
		{"empty user name", func(s *Snapshot) { s.Users[0].Name = "" }, "name is empty"},
		{"empty user id", func(s *Snapshot) { s.Users[0].ID = "" }, "id is empty"},
		{"duplicate user name", func(s *Snapshot) { s.Users[1].Name = s.Users[0].Name }, "taken twice"},
		{"duplicate user id", func(s *Snapshot) { s.Users[1].ID = s.Users[0].ID }, "is also"},
		{"user without resource", func(s *Snapshot) { s.Users[0].Resource = nil }, "resource is missing"},
		{"user resource not an object", func(s *Snapshot) { s.Users[0].Resource = json.RawMessage(`[1]`) }, "not a JSON object"},
		{"user resource broken", func(s *Snapshot) { s.Users[0].Resource = json.RawMessage(`{"id":`) }, "resource"},
		{"user resource with trailing data", func(s *Snapshot) { s.Users[0].Resource = json.RawMessage(`{} {}`) }, "after the JSON value"},
		{"user resource of another id", func(s *Snapshot) { s.Users[0].Resource = json.RawMessage(`{"id":"other"}`) }, "differs from the record's id"},
		{"user resource of another name", func(s *Snapshot) { s.Users[0].Resource = json.RawMessage(`{"userName":"other"}`) }, "userName"},
		{"workbin without id", func(s *Snapshot) { s.Workbins[0].ID = "" }, "1 to 255 characters"},
		{"workbin id too long", func(s *Snapshot) { s.Workbins[0].ID = strings.Repeat("w", 256) }, "1 to 255 characters"},
		{"duplicate workbin", func(s *Snapshot) { s.Workbins = append(s.Workbins, s.Workbins[0]) }, "taken twice"},
		{"workbin type", func(s *Snapshot) { s.Workbins[0].Type = "Team" }, `type "Team"`},
		{"workbin owner nobody has", func(s *Snapshot) { s.Workbins[0].Owner = "NoGroup" }, "is no user's"},
		{"workbin resource of another type", func(s *Snapshot) {
			for i := range s.Workbins {
				if s.Workbins[i].ID == testWB {
					s.Workbins[i].Resource = json.RawMessage(`{"id":"3434543fafwe987","type":"Place"}`)
				}
			}
		}, "resource type"},
		{"workbin resource with content", func(s *Snapshot) {
			s.Workbins[0].Resource = json.RawMessage(fmt.Sprintf(`{"id":%q,"chats":[]}`, s.Workbins[0].ID))
		}, "content"},
		{"interaction without id", item(wiTest, func(x *Interaction) { x.ID = "" }), "1 to 255 characters"},
		{"duplicate interaction (D11)", func(s *Snapshot) {
			dup := s.Interactions[0]
			dup.Workbin, dup.Owner = "", marat
			s.Interactions = append(s.Interactions, dup)
		}, "taken twice"},
		{"unknown media", item(wiTest, func(x *Interaction) { x.Media = "tweet" }), `media "tweet"`},
		{"in a workbin and owned (D11)", item(wiTest, func(x *Interaction) { x.Owner = marat }), "exactly one of workbin and owner"},
		{"nowhere (D11)", item(wiTest, func(x *Interaction) { x.Workbin = "" }), "exactly one of workbin and owner"},
		{"in an unknown workbin", item(wiTest, func(x *Interaction) { x.Workbin = "nope" }), `workbin "nope" does not exist`},
		{"owned by nobody", item(wiOwned, func(x *Interaction) { x.Owner = "ghost" }), `owner "ghost" is no user`},
		{"resource of another interaction", resource(wiTest, `{"id":"other"}`), "differs from the record's id"},
		{"in a workbin but Processing", resource(wiTest, `{"state":"Processing"}`), "is InWorkbin, not Processing"},
		{"in a workbin with capabilities", resource(wiTest, `{"capabilities":["Complete"]}`), "no capabilities"},
		{"chat in a workbin with participants", resource(chat2Test, `{"participants":[{"nickname":"a","type":"Agent"}]}`), "no participants"},
		{"capabilities not a list", resource(wiTest, `{"capabilities":"none"}`), "not a list of strings"},
		{"capabilities null", resource(wiTest, `{"capabilities":null}`), "not a list of strings"},
		{"state not a string", resource(wiTest, `{"state":3}`), "state is not a string"},
		{"owned without state", resource(wiOwned, `{}`), "needs its state"},
		{"owned but InWorkbin", resource(wiOwned, `{"state":"InWorkbin"}`), "cannot be InWorkbin"},
		{"owned in another media's state", resource(wiOwned, `{"state":"Chatting"}`), `state "Chatting" is not a workitem state`},
		{"owned with the wrong capabilities", resource(wiOwned, `{"state":"Processing","capabilities":["Accept"]}`), "has the capabilities"},
		{"userData boolean", resource(wiTest, `{"userData":{"Flag":true}}`), `userData "Flag"`},
		{"userData not an object", resource(wiTest, `{"userData":[]}`), "userData is not a JSON object"},
		{"type field", resource(wiTest, `{"workitemType":"Sideways"}`), "workitemType"},
		{"subscription of an unknown user", func(s *Snapshot) { s.Subscriptions = append(s.Subscriptions, Subscription{"ghost", testWB}) }, `user "ghost" does not exist`},
		{"subscription to an unknown workbin", func(s *Snapshot) { s.Subscriptions = append(s.Subscriptions, Subscription{marat, "nope"}) }, `workbin "nope" does not exist`},
		{"subscription nobody could make", func(s *Snapshot) { s.Subscriptions = append(s.Subscriptions, Subscription{marat, agent2W}) }, "cannot subscribe"},
		{"subscription without api-multimedia", func(s *Snapshot) { s.Subscriptions = append(s.Subscriptions, Subscription{voiceonly, voiceWB}) }, "cannot subscribe"},
		{"subscription twice", func(s *Snapshot) {
			s.Subscriptions = append(s.Subscriptions, Subscription{marat, testWB}, Subscription{marat, testWB})
		}, "listed twice"},
		{"many faults, bounded", func(s *Snapshot) {
			for i := range s.Interactions {
				s.Interactions[i].Media = "fax"
			}
		}, "and 6 more"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := busyStore(t)
			snap := s.Snapshot()
			c.mut(&snap)
			refused(t, s, 10, ErrInvalidSnapshot, func() ([]Event, error) { return nil, s.Restore(snap) })
			if err := s.Restore(snap); !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// TestRestoreContract: with Options.Contract, Restore also applies the schemas.
func TestRestoreContract(t *testing.T) {
	s := newStore(t)
	snap := s.Snapshot()
	for i := range snap.Interactions {
		if snap.Interactions[i].ID == wiTest {
			snap.Interactions[i].Resource = json.RawMessage(`{"receivedDate":"yesterday"}`)
		}
	}
	if err := s.Restore(snap); err != nil {
		t.Fatalf("without a contract the date is not checked: %v", err)
	}
	strict, err := New(builtin(t), Options{Contract: mustContract(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = strict.Restore(snap)
	wantError(t, err, 10, ErrInvalidSnapshot)
	if !strings.Contains(err.Error(), "workitem.json") {
		t.Errorf("error %v does not name the schema", err)
	}
}
