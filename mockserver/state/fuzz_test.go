package state

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// FuzzCommands decodes the input into a sequence of commands by random users on random
// workbins and interactions, and checks after each one: no panic; a refused command is an
// *Error with a D3 statusCode other than 4, returns no events and changes nothing (the
// snapshot before equals the one after); an accepted one keeps the invariant and does what
// it says.
func FuzzCommands(f *testing.F) {
	f.Add([]byte{})
	// One byte per choice: command, actor, workbin, URL form (and its parts), then the
	// command's arguments; see program.run.
	f.Add([]byte{0, 0, 0, 1, 3, 0, 0})                                                // MaratTest: PullWorkitem 02F0ASAK8EAFA00W from /me/workbins/testWorkbin
	f.Add([]byte{0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 1, 3, 0, 0})                           // … twice: the second is refused
	f.Add([]byte{3, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 2, 0, 0, 0, 3, 0, 0})            // subscribe, pull, add back
	f.Add([]byte{3, 2, 1, 1, 2, 1, 0, 2, 1, 2, 1, 0, 11, 0, 5, 2, 1, 1})              // supervisor form: subscribe, pull a chat, stats
	f.Add([]byte{0, 1, 3, 3, 0, 0, 7, 0, 6, 0, 27, 1, 0, 4, 0, 0, 4, 4, 1, 0, 27, 1}) // group pull, place a chat, pull it
	f.Add([]byte("the quick brown fox jumps over the lazy dog, again and again"))
	set := builtin(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := New(set, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p := &program{data: data}
		for step := 0; step < 48 && p.more(); step++ {
			before := s.Snapshot()
			desc, events, err := p.run(s)
			if err != nil {
				code := CodeOf(err)
				if _, ok := code.HTTPStatus(); !ok || code == spec.StatusOK || code == spec.StatusInternalError {
					t.Fatalf("step %d %s: %v (statusCode %d)", step, desc, err, code)
				}
				if events != nil {
					t.Fatalf("step %d %s: refused with events", step, desc)
				}
				if after := s.Snapshot(); !equalSnapshots(before, after) {
					t.Fatalf("step %d %s refused (%v) but changed the state:\n%s", step, desc, err, diffSnapshots(before, after))
				}
				continue
			}
			if len(events) == 0 {
				t.Fatalf("step %d %s: accepted without events", step, desc)
			}
			if err := invariant(s.Snapshot()); err != nil {
				t.Fatalf("step %d %s: %v", step, desc, err)
			}
			if e := events[0]; e.Kind == InteractionChanged {
				if x, _ := s.Interaction(e.Interaction.ID); x.Owner != e.Requester || x.Owner == "" {
					t.Fatalf("step %d %s: pulled, but owned by %q", step, desc, x.Owner)
				}
			}
		}
		// Whatever happened, the state survives a JSON round trip.
		saved, err := json.Marshal(s.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		var back Snapshot
		if err := json.Unmarshal(saved, &back); err != nil {
			t.Fatal(err)
		}
		if err := s.Restore(back); err != nil {
			t.Fatalf("the store's own snapshot is refused: %v", err)
		}
	})
}

// program reads commands from fuzz input, one byte per choice (0 once the input runs out).
type program struct {
	data []byte
	pos  int
}

func (p *program) more() bool { return p.pos < len(p.data) }

func (p *program) next(n int) int {
	if p.pos >= len(p.data) {
		return 0
	}
	b := p.data[p.pos]
	p.pos++
	return int(b) % n
}

func pick[T any](p *program, l []T) T { return l[p.next(len(l))] }

// The choices of the fuzz programs: fixture names, and some that name nothing.
func fuzzUsers() []string { return []string{marat, agent2, supervisor, voiceonly, "ghost"} }

func fuzzUserIDs() []string {
	return []string{maratID, agent2ID, supervisorID, "d3d9446802a44259755d38e6d163e820", "nobody", agent2}
}

func fuzzWorkbins() []string {
	return []string{testWB, agent2W, placeWB, agWB, pgWB, voiceWB, "nope", ""}
}

func fuzzGroups() []string { return []string{agentGroup, placeGroup, "VoiceAgents", "nope"} }

func fuzzItems() []string {
	return []string{wiTest, chatTest, chat2Test, mailTest, wiPlace, mailPlace, chatAG, wiAG, wiPG, mailPG,
		wiAgent2, chatAgent, mailAgent, wiVoice, wiOwned, chatOwned, mailOwned, wiOwned2,
		"02F0ASAK8EAFA01W", "02F0ASAK8EAFA02W", "00001aEMAIL00002", "02F0ASAK8EAFA11W", "02F0ASAK8EAFA21W",
		"0001BaBFVPR20038", "02F0ASAK8EAFA41W", "WBK0000000000001", "WBK0000000000002", "F1", "F2", "nope", ""}
}

func fuzzTypes() []string {
	return []string{"", spec.WorkbinAgent, spec.WorkbinPlace, spec.WorkbinAgentGroup, spec.WorkbinPlaceGroup, "Team"}
}

func fuzzMedia() []spec.Media {
	return []spec.Media{spec.MediaWorkitem, spec.MediaChat, spec.MediaEmail, "tweet"}
}

// ref reads a workbin reference: a form (plain, /me, supervisor, /me with a group parameter,
// with both) and its parts.
func (p *program) ref() WorkbinRef {
	ref := WorkbinRef{ID: pick(p, fuzzWorkbins())}
	switch p.next(6) {
	case 1:
		ref.Me = true
	case 2:
		ref.OnBehalfOf = pick(p, fuzzUserIDs())
	case 3:
		ref.Me, ref.AgentGroup = true, pick(p, fuzzGroups())
	case 4:
		ref.Me, ref.PlaceGroup = true, pick(p, fuzzGroups())
	case 5:
		ref.Me, ref.AgentGroup, ref.PlaceGroup = true, pick(p, fuzzGroups()), pick(p, fuzzGroups())
	}
	return ref
}

func (p *program) run(s *Store) (string, []Event, error) {
	op := p.next(7)
	a := Actor{pick(p, fuzzUsers())}
	switch op {
	case 0, 1:
		ref, name, id := p.ref(), pick(p, append(spec.PullOperations(), "Bogus", spec.AddChat)), pick(p, fuzzItems())
		nick := []string{"", "Nick", string(make([]byte, 300))}[p.next(3)]
		events, err := s.Pull(a, ref, name, id, nick)
		return fmt.Sprintf("Pull(%v, %+v, %s, %s)", a, ref, name, id), events, err
	case 2:
		ref, name, id := p.ref(), pick(p, append(spec.AddOperations(), "Bogus", spec.PullChat)), pick(p, fuzzItems())
		events, err := s.Add(a, ref, name, id, p.next(2) == 1)
		return fmt.Sprintf("Add(%v, %+v, %s, %s)", a, ref, name, id), events, err
	case 3, 4:
		refs := make([]WorkbinRef, p.next(4))
		for i := range refs {
			refs[i] = p.ref()
		}
		if op == 3 {
			events, err := s.Subscribe(a, refs)
			return fmt.Sprintf("Subscribe(%v, %+v)", a, refs), events, err
		}
		events, err := s.Unsubscribe(a, refs)
		return fmt.Sprintf("Unsubscribe(%v, %+v)", a, refs), events, err
	case 5:
		typ, owner := pick(p, fuzzTypes()), pick(p, append(fuzzUsers(), "Place_MaratTest", agentGroup, placeGroup, ""))
		e, err := s.AgentStats(a, typ, owner)
		var events []Event
		if err == nil {
			events = []Event{e}
		}
		return fmt.Sprintf("AgentStats(%v, %s, %s)", a, typ, owner), events, err
	default:
		n := NewInteraction{ID: pick(p, fuzzItems()), Media: pick(p, fuzzMedia())}
		if p.next(2) == 1 {
			n.UserData = map[string]any{"k": []any{"string", 1, nil, true}[p.next(4)]}
		}
		wb := pick(p, fuzzWorkbins())
		events, err := s.Place(n, wb)
		return fmt.Sprintf("Place(%+v, %s)", n, wb), events, err
	}
}
