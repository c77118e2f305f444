package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// TestConcurrentPullOneWinner: many goroutines pull the same interaction from the same
// workbin at once; exactly one wins, every other one gets statusCode 2 (D11), and the winner
// owns it.
func TestConcurrentPullOneWinner(t *testing.T) {
	type puller struct {
		user string
		ref  WorkbinRef
	}
	cases := []struct {
		name    string
		id      string
		op      string
		pullers []puller
	}{
		{"workitem, one agent's workbin", wiTest, spec.PullWorkitem, []puller{{marat, me(testWB)}, {marat, plain(testWB)}, {supervisor, sup(maratID, testWB)}}},
		{"chat, group workbin, three users", chatAG, spec.PullChat, []puller{{marat, meAG(agWB, agentGroup)}, {agent2, plain(agWB)}, {supervisor, plain(agWB)}}},
		{"email, place group workbin", mailPG, spec.PullInteraction, []puller{{marat, mePG(pgWB, placeGroup)}, {agent2, plain(pgWB)}}},
	}
	const n = 64
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{plain(c.pullers[0].ref.ID)}))
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, n)
			events := make([][]Event, n)
			for i := range n {
				p := c.pullers[i%len(c.pullers)]
				wg.Go(func() {
					<-start
					events[i], errs[i] = s.Pull(Actor{p.user}, p.ref, c.op, c.id, fmt.Sprintf("nick%d", i))
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("goroutines %d and %d both pulled %s", winner, i, c.id)
				case err == nil:
					winner = i
				case CodeOf(err) != spec.StatusInvalidParameter || !errors.Is(err, ErrAlreadyPulled):
					t.Errorf("goroutine %d: %v", i, err)
				case events[i] != nil:
					t.Errorf("goroutine %d lost but got events", i)
				}
			}
			if winner < 0 {
				t.Fatal("nobody pulled it")
			}
			x := mustInteraction(t, s, c.id)
			if want := c.pullers[winner%len(c.pullers)].user; x.Owner != want || events[winner][0].Interaction.Owner != want {
				t.Errorf("owner %q, winner %q", x.Owner, want)
			}
			if x.Media == spec.MediaChat {
				if parts := participantsOf(t, x); len(parts) != 2 || parts[1].Nickname != fmt.Sprintf("nick%d", winner) {
					t.Errorf("participants %+v", parts)
				}
			}
			checkInvariant(t, s)
		})
	}
}

// TestConcurrentMixedWorkload runs pulls, adds, subscriptions, statistics, placements and
// reads by every user at once, then checks the invariant and that no interaction was lost
// or made up.
func TestConcurrentMixedWorkload(t *testing.T) {
	s := newStore(t)
	refs := map[string][]WorkbinRef{
		marat:      {me(testWB), me(placeWB), meAG(agWB, agentGroup), mePG(pgWB, placeGroup)},
		agent2:     {me(agent2W), plain(agWB), plain(pgWB)},
		supervisor: {sup(agent2ID, agent2W), plain(agWB), sup(maratID, testWB)},
	}
	users := []string{marat, agent2, supervisor}
	initial := len(s.Snapshot().Interactions)
	var placed, pulled, added atomic.Int64
	// Losing a race is a refusal with one of these kinds; anything else is a bug.
	expected := []error{ErrNotInWorkbin, ErrAlreadyPulled, ErrAlreadyInWorkbin, ErrNotOwner, ErrMediaMismatch}
	const workers, steps = 12, 250
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		user := users[w%len(users)]
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		wg.Go(func() {
			<-start
			var owned []string // what this worker pulled (another worker of the user may add it first)
			for i := range steps {
				ref := refs[user][rng.IntN(len(refs[user]))]
				var err error
				switch op := rng.IntN(10); op {
				case 0, 1, 2: // pull the first item of a workbin, by any name
					var items []Interaction
					if _, items, err = s.Content(Actor{user}, ref); err == nil && len(items) > 0 {
						x := items[rng.IntN(len(items))]
						names := []string{spec.PullInteraction, mediaInfo(x.Media).PullOperation}
						if _, err = s.Pull(Actor{user}, ref, names[rng.IntN(2)], x.ID, ""); err == nil {
							owned = append(owned, x.ID)
							pulled.Add(1)
						}
					}
				case 3, 4: // put back something the user owns
					if len(owned) > 0 {
						if _, err = s.Add(Actor{user}, ref, spec.AddInteraction, owned[0], false); err == nil {
							added.Add(1)
						}
						owned = owned[1:]
					}
				case 5:
					_, err = s.Subscribe(Actor{user}, []WorkbinRef{ref})
				case 6:
					_, err = s.Unsubscribe(Actor{user}, []WorkbinRef{ref})
				case 7:
					_, err = s.AgentStats(Actor{user}, "", "")
				case 8:
					if ref.OnBehalfOf == "" {
						var wb Workbin
						if wb, err = s.Workbin(Actor{user}, ref); err == nil {
							_, err = s.Place(NewInteraction{ID: fmt.Sprintf("W%d-%d", w, i), Media: spec.AllMedia()[i%3]}, wb.ID)
							if err == nil {
								placed.Add(1)
							}
						}
					}
				case 9:
					_, err = s.VisibleWorkbins(Actor{user}, rng.IntN(2) == 0)
					if err == nil && i%25 == 0 {
						err = invariant(s.Snapshot())
					}
				}
				if err != nil && !isOneOf(err, expected) {
					t.Errorf("worker %d (%s) step %d: %v", w, user, i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	snap := s.Snapshot()
	if err := invariant(snap); err != nil {
		t.Fatal(err)
	}
	if got, want := len(snap.Interactions), initial+int(placed.Load()); got != want {
		t.Errorf("%d interactions, want %d", got, want)
	}
	if pulled.Load() == 0 || added.Load() == 0 || placed.Load() == 0 {
		t.Errorf("a workload without effect: %d pulls, %d adds, %d placed", pulled.Load(), added.Load(), placed.Load())
	}
	t.Logf("%d pulls, %d adds, %d placed", pulled.Load(), added.Load(), placed.Load())
}

func isOneOf(err error, kinds []error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func mediaInfo(m spec.Media) spec.MediaInfo {
	info, _ := spec.MediaOf(m)
	return info
}
