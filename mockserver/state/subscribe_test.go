package state

import (
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

func subscriptionsOf(s *Store, user string) []string {
	var out []string
	for _, sub := range s.Snapshot().Subscriptions {
		if sub.User == user {
			out = append(out, sub.Workbin)
		}
	}
	return out
}

func TestSubscribeEveryWorkbinType(t *testing.T) {
	cases := []struct {
		name   string
		actor  string
		ref    WorkbinRef
		userID string
	}{
		{"Agent, /me", marat, me(testWB), ""},
		{"Agent, plain", marat, plain(testWB), ""},
		{"Agent, supervisor form (D10)", supervisor, sup(agent2ID, agent2W), agent2ID},
		{"Place", marat, me(placeWB), ""},
		{"AgentGroup, /me", agent2, meAG(agWB, agentGroup), ""},
		{"AgentGroup, plain", supervisor, plain(agWB), ""},
		{"PlaceGroup, /me", marat, mePG(pgWB, placeGroup), ""},
		{"PlaceGroup, plain", agent2, plain(pgWB), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			for round := range 2 { // a repeated Subscribe is accepted with its event
				events := must(t)(s.Subscribe(Actor{c.actor}, []WorkbinRef{c.ref}))
				if len(events) != 1 {
					t.Fatalf("round %d: %d events", round, len(events))
				}
				e := events[0]
				if e.Kind != Subscribed || e.Workbin.ID != c.ref.ID || e.Requester != c.actor || !slices.Equal(e.Recipients, []string{c.actor}) || e.WorkbinUserID != c.userID {
					t.Errorf("round %d: event %+v", round, e)
				}
				if got := subscriptionsOf(s, c.actor); !slices.Equal(got, []string{c.ref.ID}) {
					t.Errorf("round %d: subscriptions %v", round, got)
				}
			}
			for round := range 2 { // so is a repeated Unsubscribe (S6)
				events := must(t)(s.Unsubscribe(Actor{c.actor}, []WorkbinRef{c.ref}))
				if len(events) != 1 || events[0].Kind != Unsubscribed || events[0].Workbin.ID != c.ref.ID || events[0].WorkbinUserID != c.userID {
					t.Errorf("round %d: events %+v", round, events)
				}
				if got := subscriptionsOf(s, c.actor); len(got) != 0 {
					t.Errorf("round %d: still subscribed to %v", round, got)
				}
			}
			checkInvariant(t, s)
		})
	}
}

func TestSubscribeMany(t *testing.T) {
	s := newStore(t)
	refs := []WorkbinRef{plain(placeWB), plain(testWB), plain(agWB), plain(placeWB), plain(pgWB)}
	events := must(t)(s.Subscribe(Actor{marat}, refs))
	var ids []string
	for _, e := range events {
		ids = append(ids, e.Workbin.ID)
	}
	// Request order, each workbin once (S5).
	if want := []string{placeWB, testWB, agWB, pgWB}; !slices.Equal(ids, want) {
		t.Errorf("events for %v, want %v", ids, want)
	}
	want := []string{testWB, agWB, placeWB, pgWB}
	slices.Sort(want)
	if got := subscriptionsOf(s, marat); !slices.Equal(got, want) {
		t.Errorf("subscriptions %v", got)
	}
	// Unsubscribe from some.
	must(t)(s.Unsubscribe(Actor{marat}, []WorkbinRef{plain(agWB), plain(testWB)}))
	want = []string{placeWB, pgWB}
	slices.Sort(want)
	if got := subscriptionsOf(s, marat); !slices.Equal(got, want) {
		t.Errorf("subscriptions %v", got)
	}
}

func TestSubscribeRefusals(t *testing.T) {
	cases := []struct {
		name  string
		actor string
		refs  []WorkbinRef
		code  spec.StatusCode
		kind  error
	}{
		{"unknown actor", "ghost", []WorkbinRef{me(testWB)}, 20, ErrNotAuthenticated},
		{"no api-multimedia (D7)", voiceonly, []WorkbinRef{me(voiceWB)}, 6, ErrNoMultimedia},
		{"no workbin", marat, nil, 1, ErrMissingParameter},
		{"unknown workbin", marat, []WorkbinRef{me("nope")}, 6, ErrUnknownWorkbin},
		{"another agent's workbin", marat, []WorkbinRef{me(agent2W)}, 5, ErrWorkbinForbidden},
		{"agent on the supervisor form", agent2, []WorkbinRef{sup(maratID, testWB)}, 5, ErrNotSupervisor},
		{"supervisor form, unknown user", supervisor, []WorkbinRef{sup("x", testWB)}, 6, ErrUnknownUser},
		{"group workbin on /me without parameter", marat, []WorkbinRef{me(agWB)}, 1, ErrMissingParameter},
		{"one bad workbin among good ones: all refused (S5)", marat, []WorkbinRef{plain(testWB), plain(placeWB), plain(agent2W)}, 5, ErrWorkbinForbidden},
		{"the first refusal is reported", marat, []WorkbinRef{plain(testWB), plain("nope"), plain(agent2W)}, 6, ErrUnknownWorkbin},
	}
	for _, c := range cases {
		for _, kind := range []EventKind{Subscribed, Unsubscribed} {
			t.Run(c.name+"/"+string(kind), func(t *testing.T) {
				s := newStore(t)
				must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{plain(testWB)})) // something to lose
				refused(t, s, c.code, c.kind, func() ([]Event, error) {
					if kind == Subscribed {
						return s.Subscribe(Actor{c.actor}, c.refs)
					}
					return s.Unsubscribe(Actor{c.actor}, c.refs)
				})
			})
		}
	}
}

// TestSubscribersReceiveWorkbinEvents: every subscriber of W gets ItemRemoved and ItemAdded,
// the requester among them, and nobody else (D5).
func TestSubscribersReceiveWorkbinEvents(t *testing.T) {
	s := newStore(t)
	must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{meAG(agWB, agentGroup)}))
	must(t)(s.Subscribe(Actor{supervisor}, []WorkbinRef{plain(agWB)}))
	must(t)(s.Subscribe(Actor{agent2}, []WorkbinRef{plain(pgWB)})) // another workbin
	events := must(t)(s.Pull(Actor{agent2}, meAG(agWB, agentGroup), spec.PullWorkitem, wiAG, ""))
	if e := events[1]; !slices.Equal(e.Recipients, []string{marat, supervisor}) || e.Requester != agent2 || e.AgentGroup != agentGroup {
		t.Errorf("ItemRemoved %+v", e)
	}
	must(t)(s.Subscribe(Actor{agent2}, []WorkbinRef{plain(agWB)}))
	events = must(t)(s.Add(Actor{agent2}, meAG(agWB, agentGroup), spec.AddWorkitem, wiAG, false))
	if e := events[0]; !slices.Equal(e.Recipients, sortedCopy(marat, agent2, supervisor)) || e.Requester != agent2 {
		t.Errorf("ItemAdded %+v", e)
	}
	if !slices.IsSorted(events[0].Recipients) {
		t.Errorf("recipients not sorted: %v", events[0].Recipients)
	}
	must(t)(s.Unsubscribe(Actor{marat}, []WorkbinRef{plain(agWB)}))
	events = must(t)(s.Pull(Actor{supervisor}, plain(agWB), spec.PullInteraction, wiAG, ""))
	if e := events[1]; !slices.Equal(e.Recipients, []string{agent2, supervisor}) {
		t.Errorf("ItemRemoved after unsubscribe %+v", e)
	}
	// Nobody subscribed: the event is still there, with no recipient (S7).
	events = must(t)(s.Pull(Actor{marat}, me(testWB), spec.PullInteraction, wiTest, ""))
	if len(events) != 2 || events[1].Kind != WorkbinItemRemoved || len(events[1].Recipients) != 0 {
		t.Errorf("events %+v", events)
	}
}

func sortedCopy(l ...string) []string {
	l = slices.Clone(l)
	slices.Sort(l)
	return l
}
