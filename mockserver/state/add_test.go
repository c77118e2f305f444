package state

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// TestAddEveryWorkbinTypeAndMedia adds an owned interaction of each media into a workbin of
// each type, with AddInteraction and the media's own name (D11).
func TestAddEveryWorkbinTypeAndMedia(t *testing.T) {
	owned := map[spec.Media]string{spec.MediaWorkitem: wiOwned, spec.MediaChat: chatOwned, spec.MediaEmail: mailOwned}
	refs := map[string]WorkbinRef{
		spec.WorkbinAgent: me(testWB), spec.WorkbinPlace: plain(placeWB),
		spec.WorkbinAgentGroup: meAG(agWB, agentGroup), spec.WorkbinPlaceGroup: mePG(pgWB, placeGroup),
	}
	for _, typ := range spec.WorkbinTypes() {
		for _, media := range spec.AllMedia() {
			info, _ := spec.MediaOf(media)
			for _, op := range []string{spec.AddInteraction, info.AddOperation} {
				t.Run(typ+"/"+string(media)+"/"+op, func(t *testing.T) {
					s := newStore(t)
					ref := refs[typ]
					must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{ref}))
					if typ == spec.WorkbinAgentGroup || typ == spec.WorkbinPlaceGroup {
						must(t)(s.Subscribe(Actor{agent2}, []WorkbinRef{plain(ref.ID)}))
					}
					id := owned[media]
					before := mustInteraction(t, s, id)
					events := must(t)(s.Add(Actor{marat}, ref, op, id, true))
					after := mustInteraction(t, s, id)
					checkAdded(t, after, ref.ID)
					if len(events) != 1 {
						t.Fatalf("%d events", len(events))
					}
					e := events[0]
					if e.Kind != WorkbinItemAdded || e.Requester != marat || !slices.Equal(e.Recipients, subscribersOf(s, ref.ID)) || !slices.Contains(e.Recipients, marat) ||
						e.Workbin.ID != ref.ID || string(e.Interaction.Resource) != string(after.Resource) {
						t.Errorf("event %+v", e)
					}
					if e.AgentGroup != e.Workbin.AgentGroup() || e.PlaceGroup != e.Workbin.PlaceGroup() {
						t.Errorf("groups %q %q", e.AgentGroup, e.PlaceGroup)
					}
					// Everything but the managed members is kept.
					old, res := resourceOf(t, before), resourceOf(t, after)
					for _, k := range []string{spec.FieldUserData, spec.FieldReceivedDate, info.TypeField} {
						if mustJSON(t, old[k]) != mustJSON(t, res[k]) {
							t.Errorf("%s changed", k)
						}
					}
					if err := mustContract(t).ValidateDocument(info.Schema, after.Resource); err != nil {
						t.Error(err)
					}
					checkInvariant(t, s)
					// And back out again.
					must(t)(s.Pull(Actor{marat}, ref, spec.PullInteraction, id, ""))
					checkInvariant(t, s)
				})
			}
		}
	}
}

func checkAdded(t *testing.T, x Interaction, wb string) {
	t.Helper()
	res := resourceOf(t, x)
	if x.Workbin != wb || x.Owner != "" || x.State != spec.StateInWorkbin || len(x.Capabilities) != 0 ||
		res[spec.FieldState] != spec.StateInWorkbin || len(toStrings(res[spec.FieldCapabilities])) != 0 {
		t.Errorf("after the add: %+v %s", x, x.Resource)
	}
	if x.Media == spec.MediaChat {
		if parts, ok := res[spec.FieldParticipants].([]any); !ok || len(parts) != 0 {
			t.Errorf("chat in a workbin with participants %v", res[spec.FieldParticipants])
		}
	}
}

// TestAddGoldenGroupChat adds the owned chat into the AgentGroup workbin: the listing equals
// the golden ItemAdded (participants emptied).
func TestAddGoldenGroupChat(t *testing.T) {
	s := newStore(t)
	events := must(t)(s.Add(Actor{marat}, meAG(agWB, agentGroup), spec.AddChat, chatOwned, false))
	g, _ := builtin(t).GoldenMessage("workbin-item-added-group")
	var d map[string]any
	if err := json.Unmarshal(g.Data, &d); err != nil {
		t.Fatal(err)
	}
	if got := locatedOf(t, events[0].Interaction); mustJSON(t, got) != mustJSON(t, d["chatStateResourceV2"]) {
		t.Errorf("ItemAdded carries %s\ngolden %s", mustJSON(t, got), mustJSON(t, d["chatStateResourceV2"]))
	}
	if events[0].AgentGroup != d[spec.FieldAgentGroup] || events[0].Workbin.ID != d[spec.FieldID] {
		t.Errorf("event %+v", events[0])
	}
}

func TestAddSupervisor(t *testing.T) {
	s := newStore(t)
	must(t)(s.Subscribe(Actor{agent2}, []WorkbinRef{me(agent2W)}))
	must(t)(s.Pull(Actor{supervisor}, sup(agent2ID, agent2W), spec.PullWorkitem, wiAgent2, ""))
	events := must(t)(s.Add(Actor{supervisor}, sup(agent2ID, agent2W), spec.AddWorkitem, wiAgent2, false))
	if e := events[0]; e.WorkbinUserID != agent2ID || e.Requester != supervisor || !slices.Equal(e.Recipients, []string{agent2}) {
		t.Errorf("event %+v", e)
	}
	checkAdded(t, mustInteraction(t, s, wiAgent2), agent2W)
	// The agent cannot take the supervisor's form, and the supervisor cannot add what the
	// agent owns.
	refused(t, s, 5, ErrNotSupervisor, func() ([]Event, error) {
		return s.Add(Actor{agent2}, sup(agent2ID, agent2W), spec.AddWorkitem, wiOwned2, false)
	})
	refused(t, s, 5, ErrNotOwner, func() ([]Event, error) {
		return s.Add(Actor{supervisor}, sup(agent2ID, agent2W), spec.AddWorkitem, wiOwned2, false)
	})
}

func TestAddRefusals(t *testing.T) {
	cases := []struct {
		name   string
		actor  string
		ref    WorkbinRef
		op, id string
		code   spec.StatusCode
		kind   error
	}{
		{"unknown actor", "ghost", me(testWB), spec.AddWorkitem, wiOwned, 20, ErrNotAuthenticated},
		{"no api-multimedia (D7)", voiceonly, me(voiceWB), spec.AddWorkitem, wiOwned, 6, ErrNoMultimedia},
		{"unknown operation", marat, me(testWB), "AddEverything", wiOwned, 2, ErrUnknownOperation},
		{"pull name on add", marat, me(testWB), spec.PullWorkitem, wiOwned, 2, ErrUnknownOperation},
		{"AddTweet", marat, me(testWB), spec.AddTweet, wiOwned, 2, ErrUnknownOperation},
		{"AddFacebook", marat, me(testWB), spec.AddFacebook, wiOwned, 2, ErrUnknownOperation},
		{"AddFacebooksession", marat, me(testWB), spec.AddFacebooksession, wiOwned, 2, ErrUnknownOperation},
		{"AddOpenmedia", marat, me(testWB), spec.AddOpenmedia, wiOwned, 2, ErrUnknownOperation},
		{"no id", marat, me(testWB), spec.AddWorkitem, "", 1, ErrMissingParameter},
		{"unknown workbin", marat, me("nope"), spec.AddWorkitem, wiOwned, 6, ErrUnknownWorkbin},
		{"another agent's workbin (W7)", marat, me(agent2W), spec.AddWorkitem, wiOwned, 5, ErrWorkbinForbidden},
		{"group workbin on /me without its parameter", marat, me(agWB), spec.AddWorkitem, wiOwned, 1, ErrMissingParameter},
		{"wrong group", marat, meAG(agWB, "VoiceAgents"), spec.AddWorkitem, wiOwned, 2, ErrGroupParameter},
		{"not a member", supervisor, plain(pgWB), spec.AddWorkitem, wiOwned, 5, ErrWorkbinForbidden},
		{"unknown interaction", marat, me(testWB), spec.AddWorkitem, "02F0NOPE", 6, ErrUnknownInteraction},
		{"already in this workbin", marat, me(testWB), spec.AddWorkitem, wiTest, 2, ErrAlreadyInWorkbin},
		{"already in another workbin", marat, me(testWB), spec.AddWorkitem, wiPlace, 2, ErrAlreadyInWorkbin},
		{"owned by another user", marat, me(testWB), spec.AddWorkitem, wiOwned2, 5, ErrNotOwner},
		{"AddChat of a workitem", marat, me(testWB), spec.AddChat, wiOwned, 2, ErrMediaMismatch},
		{"AddEmail of a chat", marat, me(testWB), spec.AddEmail, chatOwned, 2, ErrMediaMismatch},
		{"AddWorkitem of an email", marat, me(testWB), spec.AddWorkitem, mailOwned, 2, ErrMediaMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			refused(t, s, c.code, c.kind, func() ([]Event, error) {
				return s.Add(Actor{c.actor}, c.ref, c.op, c.id, false)
			})
		})
	}
}

func TestAddCompleted(t *testing.T) {
	s := newStore(t)
	snap := s.Snapshot()
	for i, x := range snap.Interactions {
		if x.ID == wiOwned {
			res, err := withMembers(x.Resource, map[string]any{spec.FieldState: spec.StateCompleted, spec.FieldCapabilities: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			snap.Interactions[i].Resource = res
		}
	}
	if err := s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	refused(t, s, 2, ErrCompleted, func() ([]Event, error) {
		return s.Add(Actor{marat}, me(testWB), spec.AddWorkitem, wiOwned, false)
	})
}
