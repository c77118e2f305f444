package state

import (
	"errors"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

func TestUsersAndAuthenticate(t *testing.T) {
	s := newStore(t)
	u, ok := s.User(supervisor)
	if !ok || u.ID != supervisorID || !u.IsSupervisor() || !u.HasFeature(spec.FeatureMultimedia) {
		t.Errorf("User(%s) = %+v, %v", supervisor, u, ok)
	}
	if u, ok := s.UserByID(agent2ID); !ok || u.Name != agent2 || u.IsSupervisor() || u.Place != "Place_agent2" {
		t.Errorf("UserByID = %+v, %v", u, ok)
	}
	if _, ok := s.User("ghost"); ok {
		t.Error("a user nobody defined")
	}
	if _, ok := s.UserByID(agent2); ok {
		t.Error("UserByID found a user by name (W2)")
	}
	for _, c := range []struct {
		name, password string
		ok             bool
	}{
		{marat, marat, true}, {marat, "wrong", false}, {marat, "", false}, {"ghost", "ghost", false},
		{"ghost", "workbinkit-no-such-user", false}, {"", "", false}, {voiceonly, voiceonly, true},
	} {
		u, ok := s.Authenticate(c.name, c.password)
		if ok != c.ok || (ok && u.Name != c.name) {
			t.Errorf("Authenticate(%q, %q) = %q, %v", c.name, c.password, u.Name, ok)
		}
	}
}

func TestVisibleWorkbins(t *testing.T) {
	cases := []struct {
		actor    string
		onlyMine bool
		want     []string
	}{
		{marat, true, []string{testWB, placeWB}},
		{marat, false, []string{testWB, placeWB, agWB, pgWB}},
		{agent2, true, []string{agent2W}},
		{agent2, false, []string{agent2W, agWB, pgWB}},
		{supervisor, true, []string{}},
		{supervisor, false, []string{agWB}}, // not the agents' workbins
	}
	s := newStore(t)
	for _, c := range cases {
		got, err := s.VisibleWorkbins(Actor{c.actor}, c.onlyMine)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, w := range got {
			ids = append(ids, w.ID)
		}
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(ids, want) && !(len(ids) == 0 && len(want) == 0) {
			t.Errorf("%s onlyMine=%v: %v, want %v", c.actor, c.onlyMine, ids, want)
		}
		if got == nil {
			t.Errorf("%s: nil list (renders as null)", c.actor)
		}
	}
	_, err := s.VisibleWorkbins(Actor{voiceonly}, false)
	wantError(t, err, 6, ErrNoMultimedia)
	_, err = s.VisibleWorkbins(Actor{"ghost"}, true)
	wantError(t, err, 20, ErrNotAuthenticated)
}

func TestWorkbinAndContent(t *testing.T) {
	s := newStore(t)
	w, err := s.Workbin(Actor{marat}, me(testWB))
	if err != nil || w.ID != testWB || w.Name != "testWorkbin" || w.Type != spec.WorkbinAgent || w.Owner != marat || len(w.Resource) == 0 {
		t.Fatalf("Workbin = %+v, %v", w, err)
	}
	all := []string{"00001aEMAIL00001", "00001aEMAIL00002", "0001BaBFVPR20036", "0001BaBFVPR20037", "02F0ASAK8EAFA00W", "02F0ASAK8EAFA01W", "02F0ASAK8EAFA02W"}
	for _, c := range []struct {
		media []spec.Media
		want  []string
	}{
		{nil, all},
		{[]spec.Media{spec.MediaChat}, all[2:4]},
		{[]spec.Media{spec.MediaEmail, spec.MediaWorkitem}, append(slices.Clone(all[:2]), all[4:]...)},
		{[]spec.Media{"tweet"}, nil},
	} {
		_, items, err := s.Content(Actor{marat}, plain(testWB), c.media...)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range items {
			ids = append(ids, x.ID)
			if x.Workbin != testWB || x.State != spec.StateInWorkbin {
				t.Errorf("%s: %+v", x.ID, x)
			}
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("Content(%v) = %v, want %v", c.media, ids, c.want)
		}
		if items == nil {
			t.Error("nil content list")
		}
	}
	// The supervisor form reaches the agent's workbin; the access rules are those of the
	// commands (pull_test.go has the full table).
	if _, items, err := s.Content(Actor{supervisor}, sup(agent2ID, agent2W)); err != nil || len(items) != 4 {
		t.Errorf("supervisor content: %d items, %v", len(items), err)
	}
	if _, _, err := s.Content(Actor{marat}, me(agent2W)); !errors.Is(err, ErrWorkbinForbidden) {
		t.Errorf("another agent's content: %v", err)
	}
	if _, err := s.Workbin(Actor{marat}, me(agWB)); !errors.Is(err, ErrMissingParameter) {
		t.Errorf("group workbin on /me without parameter: %v", err)
	}
	if w, err := s.Workbin(Actor{marat}, meAG(agWB, agentGroup)); err != nil || w.AgentGroup() != agentGroup || w.PlaceGroup() != "" {
		t.Errorf("group workbin: %+v %v", w, err)
	}
	if _, ok := s.Interaction("nope"); ok {
		t.Error("Interaction found an unknown id")
	}
}

// TestCopies: what a query or a command returns is the caller's to change.
func TestCopies(t *testing.T) {
	s := newStore(t)
	before := s.Snapshot()
	scribble := func(b []byte) {
		for i := range b {
			b[i] = 'X'
		}
	}
	u, _ := s.User(marat)
	u.Roles[0] = "ROLE_ROOT"
	scribble(u.Resource)
	u, _ = s.UserByID(maratID)
	u.AgentGroups[0] = "x"
	u, _ = s.Authenticate(marat, marat)
	u.Features[0] = "x"
	w, _ := s.Workbin(Actor{marat}, me(testWB))
	scribble(w.Resource)
	_, items, _ := s.Content(Actor{marat}, me(testWB))
	scribble(items[0].Resource)
	x, _ := s.Interaction(wiOwned)
	x.Capabilities[0] = "Fly"
	scribble(x.Resource)
	snap := s.Snapshot()
	scribble(snap.Interactions[0].Resource)
	snap.Users[0].Roles[0] = "x"
	if after := s.Snapshot(); !equalSnapshots(before, after) {
		t.Fatalf("a query's result reaches into the store:\n%s", diffSnapshots(before, after))
	}
	events := must(t)(s.Pull(Actor{marat}, me(testWB), spec.PullChat, chatTest, ""))
	before = s.Snapshot()
	for _, e := range events {
		scribble(e.Interaction.Resource)
		scribble(e.Workbin.Resource)
		if len(e.Interaction.Capabilities) > 0 {
			e.Interaction.Capabilities[0] = "Fly"
		}
		if len(e.Recipients) > 0 {
			e.Recipients[0] = "x"
		}
	}
	if after := s.Snapshot(); !equalSnapshots(before, after) {
		t.Fatalf("an event reaches into the store:\n%s", diffSnapshots(before, after))
	}
	checkInvariant(t, s)
}

func TestCodeOf(t *testing.T) {
	if CodeOf(nil) != spec.StatusOK || CodeOf(errors.New("x")) != spec.StatusInternalError {
		t.Error("CodeOf of nil or a plain error")
	}
	e := fail(spec.StatusNoPermission, ErrNotOwner, "m")
	wrapped := errors.Join(errors.New("context"), e)
	if CodeOf(wrapped) != spec.StatusNoPermission || !errors.Is(wrapped, ErrNotOwner) {
		t.Error("CodeOf/Is through wrapping")
	}
	if e.Error() != "statusCode 5: m" {
		t.Errorf("Error() = %q", e.Error())
	}
}
