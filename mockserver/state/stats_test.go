package state

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

func TestAgentStats(t *testing.T) {
	cases := []struct {
		name        string
		actor       string
		typ, owner  string
		want        []WorkbinStat
		beforeEvent func(*testing.T, *Store)
	}{
		{"own Agent workbins", marat, "", "", []WorkbinStat{{testWB, 7, marat, spec.WorkbinAgent}}, nil},
		{"Agent by type", agent2, spec.WorkbinAgent, "", []WorkbinStat{{agent2W, 4, agent2, spec.WorkbinAgent}}, nil},
		{"Agent by type and owner", agent2, spec.WorkbinAgent, agent2, []WorkbinStat{{agent2W, 4, agent2, spec.WorkbinAgent}}, nil},
		{"Place", marat, spec.WorkbinPlace, "", []WorkbinStat{{placeWB, 3, "Place_MaratTest", spec.WorkbinPlace}}, nil},
		{"Place by owner", marat, spec.WorkbinPlace, "Place_MaratTest", []WorkbinStat{{placeWB, 3, "Place_MaratTest", spec.WorkbinPlace}}, nil},
		{"a place without workbin", agent2, spec.WorkbinPlace, "", []WorkbinStat{}, nil},
		{"AgentGroup", agent2, spec.WorkbinAgentGroup, "", []WorkbinStat{{agWB, 3, agentGroup, spec.WorkbinAgentGroup}}, nil},
		{"AgentGroup by owner", supervisor, spec.WorkbinAgentGroup, agentGroup, []WorkbinStat{{agWB, 3, agentGroup, spec.WorkbinAgentGroup}}, nil},
		{"PlaceGroup", marat, spec.WorkbinPlaceGroup, "", []WorkbinStat{{pgWB, 3, placeGroup, spec.WorkbinPlaceGroup}}, nil},
		{"PlaceGroup of a user in none", supervisor, spec.WorkbinPlaceGroup, "", []WorkbinStat{}, nil},
		{"supervisor without Agent workbin", supervisor, "", "", []WorkbinStat{}, nil},
		{"supervisor names an agent (D10)", supervisor, spec.WorkbinAgent, agent2, []WorkbinStat{{agent2W, 4, agent2, spec.WorkbinAgent}}, nil},
		{"counts follow pulls and adds", marat, "", "", []WorkbinStat{{testWB, 6, marat, spec.WorkbinAgent}}, func(t *testing.T, s *Store) {
			must(t)(s.Pull(Actor{marat}, me(testWB), spec.PullInteraction, wiTest, ""))
			must(t)(s.Pull(Actor{marat}, me(testWB), spec.PullInteraction, chatTest, ""))
			must(t)(s.Add(Actor{marat}, me(testWB), spec.AddInteraction, wiOwned, false))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			if c.beforeEvent != nil {
				c.beforeEvent(t, s)
			}
			before := s.Snapshot()
			e, err := s.AgentStats(Actor{c.actor}, c.typ, c.owner)
			if err != nil {
				t.Fatal(err)
			}
			if e.Kind != Stats || e.Requester != c.actor || !slices.Equal(e.Recipients, []string{c.actor}) || !slices.Equal(e.Stats, c.want) {
				t.Errorf("event %+v, want stats %+v", e, c.want)
			}
			if after := s.Snapshot(); !equalSnapshots(before, after) {
				t.Error("RequestAgentStats changed the state")
			}
		})
	}
}

// TestAgentStatsGolden: the built-in golden WorkbinStatsMessage is what MaratTest's request
// gives.
func TestAgentStatsGolden(t *testing.T) {
	s := newStore(t)
	e, err := s.AgentStats(Actor{marat}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := builtin(t).GoldenMessage("workbin-stats")
	var d struct {
		WorkbinStats map[string]struct {
			Count       int
			Owner, Type string
		} `json:"workbinStats"`
	}
	if err := json.Unmarshal(g.Data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.WorkbinStats) != len(e.Stats) {
		t.Fatalf("golden %v, got %v", d.WorkbinStats, e.Stats)
	}
	for _, st := range e.Stats {
		if g := d.WorkbinStats[st.WorkbinID]; g.Count != st.Count || g.Owner != st.Owner || g.Type != st.Type {
			t.Errorf("%s: golden %+v, got %+v", st.WorkbinID, g, st)
		}
	}
}

func TestAgentStatsRefusals(t *testing.T) {
	cases := []struct {
		name       string
		actor      string
		typ, owner string
		code       spec.StatusCode
		kind       error
	}{
		{"unknown actor", "ghost", "", "", 20, ErrNotAuthenticated},
		{"no api-multimedia", voiceonly, "", "", 6, ErrNoMultimedia},
		{"owner without type", marat, "", marat, 1, ErrMissingParameter},
		{"unknown type", marat, "Team", "", 2, ErrInvalidInput},
		{"another agent", marat, spec.WorkbinAgent, agent2, 5, ErrWorkbinForbidden},
		{"supervisor names nobody", supervisor, spec.WorkbinAgent, "ghost", 6, ErrUnknownUser},
		{"another place", agent2, spec.WorkbinPlace, "Place_MaratTest", 5, ErrWorkbinForbidden},
		{"a group the actor is not in", marat, spec.WorkbinAgentGroup, "VoiceAgents", 5, ErrWorkbinForbidden},
		{"a place group the actor is not in", supervisor, spec.WorkbinPlaceGroup, placeGroup, 5, ErrWorkbinForbidden},
		{"a supervisor names a place", supervisor, spec.WorkbinPlace, "Place_MaratTest", 5, ErrWorkbinForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			refused(t, s, c.code, c.kind, func() ([]Event, error) {
				e, err := s.AgentStats(Actor{c.actor}, c.typ, c.owner)
				if err == nil || e.Kind != "" {
					return []Event{e}, err
				}
				return nil, err
			})
		})
	}
}
