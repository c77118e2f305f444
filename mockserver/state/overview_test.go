package state

import (
	"reflect"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// The overview tells the same story as the snapshot: every user and workbin, each
// interaction where it is, the subscriptions both ways; and it is bounded per workbin and
// per user, with the counts of everything.
func TestOverviewAgreesWithSnapshot(t *testing.T) {
	s := newStore(t)
	if _, err := s.Subscribe(Actor{User: marat}, []WorkbinRef{me(testWB)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(Actor{User: marat}, me(testWB), spec.PullWorkitem, wiTest, ""); err != nil {
		t.Fatal(err)
	}
	snap := s.Snapshot()

	for _, limit := range []int{1000, 1, 0} {
		ov := s.Overview(limit)
		if len(ov.Users) != len(snap.Users) || len(ov.Workbins) != len(snap.Workbins) {
			t.Fatalf("limit %d: %d users, %d workbins; the snapshot has %d, %d", limit, len(ov.Users), len(ov.Workbins), len(snap.Users), len(snap.Workbins))
		}
		for i, w := range ov.Workbins {
			if w.ID != snap.Workbins[i].ID || w.Type != snap.Workbins[i].Type || w.Owner != snap.Workbins[i].Owner {
				t.Errorf("workbin %d: %+v, snapshot %+v", i, w, snap.Workbins[i])
			}
			var want []Interaction
			for _, x := range snap.Interactions { // sorted by id
				if x.Workbin == w.ID {
					x.State, x.Capabilities = stateOf(t, s, x.ID)
					want = append(want, x)
				}
			}
			if w.Count != len(want) {
				t.Errorf("workbin %s: count %d, want %d", w.ID, w.Count, len(want))
			}
			want = want[:min(len(want), limit)]
			if len(want) == 0 {
				want = []Interaction{}
			}
			if !reflect.DeepEqual(w.Items, want) {
				t.Errorf("limit %d, workbin %s: items %v\nwant %v", limit, w.ID, ids(w.Items), ids(want))
			}
			var subs []string
			for _, sub := range snap.Subscriptions {
				if sub.Workbin == w.ID {
					subs = append(subs, sub.User)
				}
			}
			if !slices.Equal(w.Subscribers, subs) {
				t.Errorf("workbin %s: subscribers %v, want %v", w.ID, w.Subscribers, subs)
			}
		}
		for i, u := range ov.Users {
			if u.Name != snap.Users[i].Name || u.ID != snap.Users[i].ID {
				t.Errorf("user %d: %s, snapshot %s", i, u.Name, snap.Users[i].Name)
			}
			n := 0
			for _, x := range snap.Interactions {
				if x.Owner == u.Name {
					n++
				}
			}
			if u.OwnedCount != n || len(u.Owned) != min(n, limit) {
				t.Errorf("limit %d, user %s: owns %d (%d listed), want %d", limit, u.Name, u.OwnedCount, len(u.Owned), n)
			}
		}
	}

	ov := s.Overview(1000)
	marats := ov.Users[slices.IndexFunc(ov.Users, func(u UserOverview) bool { return u.Name == marat })]
	if !slices.Equal(marats.Subscriptions, []string{testWB}) {
		t.Errorf("MaratTest's subscriptions: %v", marats.Subscriptions)
	}
	if !slices.ContainsFunc(marats.Owned, func(x Interaction) bool { return x.ID == wiTest && x.State == spec.StateProcessing }) {
		t.Errorf("MaratTest does not own the pulled %s in Processing: %v", wiTest, ids(marats.Owned))
	}
}

// The overview is a copy: changing it changes nothing in the store.
func TestOverviewIsACopy(t *testing.T) {
	s := newStore(t)
	ov := s.Overview(1000)
	for _, w := range ov.Workbins {
		for i := range w.Items {
			clear(w.Items[i].Resource)
			w.Items[i].Capabilities = append(w.Items[i].Capabilities[:0], "Broken")
		}
	}
	for _, u := range ov.Users {
		if len(u.Roles) > 0 {
			u.Roles[0] = "Broken"
		}
	}
	checkInvariant(t, s)
	if again := s.Overview(1000); reflect.DeepEqual(again, ov) {
		t.Error("changing the overview changed the store")
	}
}

func stateOf(t *testing.T, s *Store, id string) (string, []string) {
	t.Helper()
	x, ok := s.Interaction(id)
	if !ok {
		t.Fatalf("no interaction %s", id)
	}
	return x.State, x.Capabilities
}

func ids(xs []Interaction) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.ID
	}
	return out
}
