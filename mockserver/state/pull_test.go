package state

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// TestPullEveryWorkbinTypeAndMedia pulls an interaction of each media out of a workbin of each
// type, with PullInteraction and with the media's own name, through the URL form that type
// needs, and checks the outcome and both events (D5).
func TestPullEveryWorkbinTypeAndMedia(t *testing.T) {
	type form struct {
		actor string
		ref   WorkbinRef
	}
	forms := map[string][]form{
		spec.WorkbinAgent:      {{marat, me(testWB)}, {marat, plain(testWB)}, {supervisor, sup(maratID, testWB)}},
		spec.WorkbinPlace:      {{marat, me(placeWB)}, {marat, plain(placeWB)}},
		spec.WorkbinAgentGroup: {{agent2, meAG(agWB, agentGroup)}, {supervisor, plain(agWB)}},
		spec.WorkbinPlaceGroup: {{agent2, mePG(pgWB, placeGroup)}, {marat, plain(pgWB)}},
	}
	workbinOf := map[string]string{spec.WorkbinAgent: testWB, spec.WorkbinPlace: placeWB, spec.WorkbinAgentGroup: agWB, spec.WorkbinPlaceGroup: pgWB}
	for _, typ := range spec.WorkbinTypes() {
		for _, media := range spec.AllMedia() {
			info, _ := spec.MediaOf(media)
			for fi, f := range forms[typ] {
				for _, op := range []string{spec.PullInteraction, info.PullOperation} {
					t.Run(strings.Join([]string{typ, string(media), f.actor, op, string(rune('a' + fi))}, "/"), func(t *testing.T) {
						s := newStore(t)
						wb := workbinOf[typ]
						id := itemOf(t, s, wb, media)
						before := mustInteraction(t, s, id)
						must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{plain(testWB), plain(placeWB), plain(agWB), plain(pgWB)}))
						events := must(t)(s.Pull(Actor{f.actor}, f.ref, op, id, ""))
						checkPulled(t, s, events, f.actor, wb, before)
						if f.ref.OnBehalfOf != "" {
							for _, e := range events {
								if e.WorkbinUserID != f.ref.OnBehalfOf {
									t.Errorf("%s: WorkbinUserID %q, want %q", e.Kind, e.WorkbinUserID, f.ref.OnBehalfOf)
								}
							}
						}
						checkInvariant(t, s)
						// A second pull finds it gone, already pulled (D11).
						refused(t, s, spec.StatusInvalidParameter, ErrAlreadyPulled, func() ([]Event, error) {
							return s.Pull(Actor{f.actor}, f.ref, op, id, "")
						})
					})
				}
			}
		}
	}
}

// itemOf returns an interaction of a media in a workbin, placing one if the fixtures have none.
func itemOf(t *testing.T, s *Store, wb string, media spec.Media) string {
	t.Helper()
	_, content, err := s.Content(Actor{marat}, plain(wb), media)
	if err != nil {
		t.Fatal(err)
	}
	if len(content) > 0 {
		return content[0].ID
	}
	events := must(t)(s.Place(NewInteraction{Media: media, UserData: map[string]any{"Subject": "placed by the test"}}, wb))
	return events[0].Interaction.ID
}

// checkPulled checks the outcome of a successful pull of before (D5, D10, N2, S3, S7).
func checkPulled(t *testing.T, s *Store, events []Event, actor, wb string, before Interaction) {
	t.Helper()
	info, _ := spec.MediaOf(before.Media)
	wantCaps, _ := spec.Capabilities(before.Media, info.PulledState)
	after := mustInteraction(t, s, before.ID)
	if after.Owner != actor || after.Workbin != "" || after.State != info.PulledState || !slices.Equal(after.Capabilities, wantCaps) {
		t.Fatalf("after the pull: owner %q workbin %q state %s caps %v", after.Owner, after.Workbin, after.State, after.Capabilities)
	}
	res, old := resourceOf(t, after), resourceOf(t, before)
	if res[spec.FieldState] != info.PulledState || !slices.Equal(toStrings(res[spec.FieldCapabilities]), wantCaps) {
		t.Errorf("resource state %v caps %v", res[spec.FieldState], res[spec.FieldCapabilities])
	}
	for _, keep := range []string{spec.FieldUserData, spec.FieldReceivedDate, info.TypeField} {
		if mustJSON(t, res[keep]) != mustJSON(t, old[keep]) {
			t.Errorf("%s changed: %v -> %v", keep, old[keep], res[keep])
		}
	}
	if before.Media == spec.MediaChat {
		parts := participantsOf(t, after)
		if len(parts) != 2 || parts[0].Type != spec.ParticipantCustomer || parts[1].Nickname == "" || parts[1].ParticipantID == "" || parts[0].ParticipantID == parts[1].ParticipantID {
			t.Errorf("participants %+v", parts)
		}
		wantType := spec.ParticipantAgent
		if actor == supervisor {
			wantType = spec.ParticipantSupervisor
		}
		if parts[1].Type != wantType {
			t.Errorf("the puller joined as %s, want %s", parts[1].Type, wantType)
		}
	} else if _, ok := res[spec.FieldParticipants]; ok {
		t.Errorf("a %s got participants", before.Media)
	}

	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	changed, removed := events[0], events[1]
	if changed.Kind != InteractionChanged || !slices.Equal(changed.Recipients, []string{actor}) || changed.Requester != actor ||
		string(changed.Interaction.Resource) != string(after.Resource) || changed.Interaction.Owner != actor {
		t.Errorf("media event %+v", changed)
	}
	subs := subscribersOf(s, wb)
	if removed.Kind != WorkbinItemRemoved || !slices.Equal(removed.Recipients, subs) || removed.Requester != actor || removed.Workbin.ID != wb {
		t.Errorf("workbin event %+v, subscribers %v", removed, subs)
	}
	// N2: the workbin event carries the interaction as the workbin listed it.
	if string(removed.Interaction.Resource) != string(before.Resource) || removed.Interaction.Workbin != wb || removed.Interaction.State != spec.StateInWorkbin {
		t.Errorf("ItemRemoved carries %s", removed.Interaction.Resource)
	}
	if removed.AgentGroup != removed.Workbin.AgentGroup() || removed.PlaceGroup != removed.Workbin.PlaceGroup() {
		t.Errorf("group %q/%q for a %s workbin", removed.AgentGroup, removed.PlaceGroup, removed.Workbin.Type)
	}
	if wbType := removed.Workbin.Type; (wbType == spec.WorkbinAgentGroup) != (removed.AgentGroup != "") || (wbType == spec.WorkbinPlaceGroup) != (removed.PlaceGroup != "") {
		t.Errorf("%s workbin: agentGroup %q placeGroup %q", wbType, removed.AgentGroup, removed.PlaceGroup)
	}
}

func subscribersOf(s *Store, wb string) []string {
	out := []string{}
	for _, sub := range s.Snapshot().Subscriptions {
		if sub.Workbin == wb {
			out = append(out, sub.User)
		}
	}
	return out
}

// participant is a member of a chat's participants, as the tests compare them.
type participant struct{ Nickname, Type, ParticipantID string }

func participantsOf(t *testing.T, x Interaction) []participant {
	t.Helper()
	m, err := Members(x.Resource)
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if raw, ok := m[spec.FieldParticipants]; ok {
		if err := json.Unmarshal(raw, &raws); err != nil {
			t.Fatal(err)
		}
	}
	var out []participant
	for _, raw := range raws {
		pm, err := Members(raw)
		if err != nil {
			t.Fatal(err)
		}
		var p participant
		p.Nickname, _ = stringMember(pm, spec.FieldNickname)
		p.Type, _ = stringMember(pm, spec.FieldParticipantType)
		p.ParticipantID, _ = stringMember(pm, spec.FieldParticipantID)
		out = append(out, p)
	}
	return out
}

// A stored participant that is not an object, or whose id or type is not a string, is a
// broken state: joining the chat is refused (it was silently read as an empty participant).
func TestJoinChatRefusesBrokenParticipants(t *testing.T) {
	s := newStore(t)
	u := User{Name: marat}
	for _, parts := range []string{`[5]`, `["Customer"]`, `[{"participantId":7}]`, `[{"type":["Customer"]}]`, `[null]`} {
		res := `{"participants":` + parts + `}`
		if got, err := s.joinChat([]byte(res), u, ""); !errors.Is(err, ErrInternal) {
			t.Errorf("participants %s: %d participants, error %v", parts, len(got), err)
		}
	}
	// Open objects are fine: other members are ignored, and an existing customer is kept.
	res := `{"participants":[{"nickname":"Ann","type":"Customer","participantId":"P1","extra":{"a":1}}]}`
	got, err := s.joinChat([]byte(res), u, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("open participant: %d participants, error %v", len(got), err)
	}
	if string(got[0]) != `{"nickname":"Ann","type":"Customer","participantId":"P1","extra":{"a":1}}` {
		t.Errorf("the existing participant changed: %s", got[0])
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, s := range l {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPullRefusals(t *testing.T) {
	long := strings.Repeat("n", maxNickname+1)
	cases := []struct {
		name     string
		actor    string
		ref      WorkbinRef
		op, id   string
		nickname string
		code     spec.StatusCode
		kind     error
	}{
		{"unknown actor", "ghost", me(testWB), spec.PullWorkitem, wiTest, "", 20, ErrNotAuthenticated},
		{"no api-multimedia (D7)", voiceonly, me(voiceWB), spec.PullWorkitem, wiVoice, "", 6, ErrNoMultimedia},
		{"unknown operation", marat, me(testWB), "PullEverything", wiTest, "", 2, ErrUnknownOperation},
		{"add name on pull", marat, me(testWB), spec.AddWorkitem, wiTest, "", 2, ErrUnknownOperation},
		{"subscribe name on pull", marat, me(testWB), spec.Subscribe, wiTest, "", 2, ErrUnknownOperation},
		{"PullTweet", marat, me(testWB), spec.PullTweet, wiTest, "", 2, ErrUnknownOperation},
		{"PullFacebook", marat, me(testWB), spec.PullFacebook, wiTest, "", 2, ErrUnknownOperation},
		{"PullFacebooksession", marat, me(testWB), spec.PullFacebooksession, wiTest, "", 2, ErrUnknownOperation},
		{"PullOpenmedia", marat, meAG(agWB, agentGroup), spec.PullOpenmedia, wiAG, "", 2, ErrUnknownOperation},
		{"no id", marat, me(testWB), spec.PullWorkitem, "", "", 1, ErrMissingParameter},
		{"nickname too long", marat, me(testWB), spec.PullChat, chatTest, long, 10, ErrInvalidInput},
		{"no workbin id", marat, me(""), spec.PullWorkitem, wiTest, "", 1, ErrMissingParameter},
		{"unknown workbin", marat, me("nope"), spec.PullWorkitem, wiTest, "", 6, ErrUnknownWorkbin},
		{"unknown workbin, plain form", marat, plain("nope"), spec.PullWorkitem, wiTest, "", 6, ErrUnknownWorkbin},
		{"another agent's workbin (W7)", marat, plain(agent2W), spec.PullWorkitem, wiAgent2, "", 5, ErrWorkbinForbidden},
		{"another agent's workbin, /me (W7)", marat, me(agent2W), spec.PullWorkitem, wiAgent2, "", 5, ErrWorkbinForbidden},
		{"supervisor outside the supervisor form (W7)", supervisor, plain(agent2W), spec.PullWorkitem, wiAgent2, "", 5, ErrWorkbinForbidden},
		{"agent on the supervisor form (D10)", marat, sup(agent2ID, agent2W), spec.PullWorkitem, wiAgent2, "", 5, ErrNotSupervisor},
		{"agent on the supervisor form for himself (D10)", marat, sup(maratID, testWB), spec.PullWorkitem, wiTest, "", 5, ErrNotSupervisor},
		{"supervisor form, unknown user", supervisor, sup("nobody", agent2W), spec.PullWorkitem, wiAgent2, "", 6, ErrUnknownUser},
		{"supervisor form, user name instead of id (W2)", supervisor, sup(agent2, agent2W), spec.PullWorkitem, wiAgent2, "", 6, ErrUnknownUser},
		{"supervisor form, unknown workbin", supervisor, sup(agent2ID, "nope"), spec.PullWorkitem, wiAgent2, "", 6, ErrUnknownWorkbin},
		{"supervisor form, another user's workbin", supervisor, sup(agent2ID, testWB), spec.PullWorkitem, wiTest, "", 6, ErrUnknownWorkbin},
		{"supervisor form, a group workbin", supervisor, sup(agent2ID, agWB), spec.PullWorkitem, wiAG, "", 6, ErrUnknownWorkbin},
		{"supervisor form, a place workbin", supervisor, sup(maratID, placeWB), spec.PullWorkitem, wiPlace, "", 6, ErrUnknownWorkbin},
		{"supervisor form with agentGroup", supervisor, WorkbinRef{ID: agent2W, OnBehalfOf: agent2ID, AgentGroup: agentGroup}, spec.PullWorkitem, wiAgent2, "", 2, ErrGroupParameter},
		{"both group parameters (W3)", marat, WorkbinRef{ID: agWB, Me: true, AgentGroup: agentGroup, PlaceGroup: placeGroup}, spec.PullWorkitem, wiAG, "", 1, ErrMissingParameter},
		{"AgentGroup workbin on /me without agentGroup", marat, me(agWB), spec.PullWorkitem, wiAG, "", 1, ErrMissingParameter},
		{"PlaceGroup workbin on /me without placeGroup", marat, me(pgWB), spec.PullWorkitem, wiPG, "", 1, ErrMissingParameter},
		{"agentGroup of another group", marat, meAG(agWB, "VoiceAgents"), spec.PullWorkitem, wiAG, "", 2, ErrGroupParameter},
		{"placeGroup for an AgentGroup workbin", marat, mePG(agWB, agentGroup), spec.PullWorkitem, wiAG, "", 2, ErrGroupParameter},
		{"agentGroup for a PlaceGroup workbin", marat, meAG(pgWB, placeGroup), spec.PullWorkitem, wiPG, "", 2, ErrGroupParameter},
		{"agentGroup for an Agent workbin", marat, meAG(testWB, agentGroup), spec.PullWorkitem, wiTest, "", 2, ErrGroupParameter},
		{"placeGroup for a Place workbin", marat, mePG(placeWB, placeGroup), spec.PullWorkitem, wiPlace, "", 2, ErrGroupParameter},
		{"not a member of the place group", supervisor, mePG(pgWB, placeGroup), spec.PullWorkitem, wiPG, "", 5, ErrWorkbinForbidden},
		{"not a member, plain form", supervisor, plain(pgWB), spec.PullWorkitem, wiPG, "", 5, ErrWorkbinForbidden},
		{"another place's workbin", agent2, me(placeWB), spec.PullWorkitem, wiPlace, "", 5, ErrWorkbinForbidden},
		{"unknown interaction (D11)", marat, me(testWB), spec.PullWorkitem, "02F0NOPE", "", 6, ErrUnknownInteraction},
		{"interaction in another workbin (D11)", marat, me(testWB), spec.PullWorkitem, wiPlace, "", 2, ErrNotInWorkbin},
		{"interaction owned by the actor (D11)", marat, me(testWB), spec.PullWorkitem, wiOwned, "", 2, ErrAlreadyPulled},
		{"interaction owned by another user (D11)", marat, me(testWB), spec.PullWorkitem, wiOwned2, "", 2, ErrAlreadyPulled},
		{"PullChat of a workitem (D2)", marat, me(testWB), spec.PullChat, wiTest, "", 2, ErrMediaMismatch},
		{"PullEmail of a chat (D2)", marat, me(testWB), spec.PullEmail, chatTest, "", 2, ErrMediaMismatch},
		{"PullWorkitem of an email (D2)", marat, me(testWB), spec.PullWorkitem, mailTest, "", 2, ErrMediaMismatch},
		{"PullChat of an email in a group workbin (D2)", marat, mePG(pgWB, placeGroup), spec.PullChat, mailPG, "", 2, ErrMediaMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{plain(testWB)}))
			refused(t, s, c.code, c.kind, func() ([]Event, error) {
				return s.Pull(Actor{c.actor}, c.ref, c.op, c.id, c.nickname)
			})
		})
	}
}

func TestPullChatParticipants(t *testing.T) {
	cases := []struct {
		name, actor string
		ref         WorkbinRef
		id          string
		nickname    string
		want        []participant // participantIds are checked apart
	}{
		{"nickname from the request", marat, me(testWB), chatTest, "Marat",
			[]participant{{"John Smith", spec.ParticipantCustomer, ""}, {"Marat", spec.ParticipantAgent, ""}}},
		{"user name without nickname", marat, me(testWB), chatTest, "",
			[]participant{{"John Smith", spec.ParticipantCustomer, ""}, {marat, spec.ParticipantAgent, ""}}},
		{"customer without a name", marat, me(testWB), chat2Test, "",
			[]participant{{"Customer", spec.ParticipantCustomer, ""}, {marat, spec.ParticipantAgent, ""}}},
		{"supervisor (W12)", supervisor, sup(agent2ID, agent2W), chatAgent, "Boss",
			[]participant{{"Customer", spec.ParticipantCustomer, ""}, {"Boss", spec.ParticipantSupervisor, ""}}},
		{"group workbin", agent2, meAG(agWB, agentGroup), chatAG, "",
			[]participant{{"Jane Doe", spec.ParticipantCustomer, ""}, {agent2, spec.ParticipantAgent, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(builtin(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			events := must(t)(s.Pull(Actor{c.actor}, c.ref, spec.PullChat, c.id, c.nickname))
			parts := participantsOf(t, events[0].Interaction)
			// The default id source counts per store.
			c.want[0].ParticipantID, c.want[1].ParticipantID = "WBK0000000000001", "WBK0000000000002"
			if !slices.Equal(parts, c.want) {
				t.Errorf("participants %+v, want %+v", parts, c.want)
			}
			x := mustInteraction(t, s, c.id)
			if got := participantsOf(t, x); !slices.Equal(got, parts) {
				t.Errorf("stored participants %+v", got)
			}
			// The resource is a valid chat, and the event's payload a valid notification.
			c := mustContract(t)
			if err := c.ValidateDocument("chat.json", x.Resource); err != nil {
				t.Error(err)
			}
		})
	}
}

// PullJoinFailed (D6, enableJoinOnPullChat off): the chat leaves the workbin for the actor,
// JoinFailed with the captured capabilities and its participants as listed ([]); a workitem
// is pulled as by Pull; the refusals are Pull's.
func TestPullJoinFailed(t *testing.T) {
	s := newStore(t)
	events := must(t)(s.PullJoinFailed(Actor{marat}, me(testWB), spec.PullChat, chatTest, "Marat"))
	if len(events) != 2 || events[0].Kind != InteractionChanged || events[1].Kind != WorkbinItemRemoved {
		t.Fatalf("events %+v", events)
	}
	x := mustInteraction(t, s, chatTest)
	want, _ := spec.Capabilities(spec.MediaChat, spec.StateJoinFailed)
	if x.Owner != marat || x.Workbin != "" || x.State != spec.StateJoinFailed || !slices.Equal(x.Capabilities, want) {
		t.Errorf("chat after PullJoinFailed: %+v", x)
	}
	m, err := Members(x.Resource)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m[spec.FieldParticipants]); got != "[]" {
		t.Errorf("participants %s, want []", got)
	}
	if err := mustContract(t).ValidateDocument("chat.json", x.Resource); err != nil {
		t.Error(err)
	}
	if !bytesEqualJSON(t, events[0].Interaction.Resource, x.Resource) {
		t.Error("the event's chat is not the stored one")
	}
	must(t)(s.PullJoinFailed(Actor{marat}, me(testWB), spec.PullWorkitem, wiTest, ""))
	if w := mustInteraction(t, s, wiTest); w.State != spec.StateProcessing {
		t.Errorf("workitem after PullJoinFailed: %s", w.State)
	}
	if _, err := s.PullJoinFailed(Actor{marat}, me(testWB), spec.PullChat, chatTest, ""); !errors.Is(err, ErrAlreadyPulled) {
		t.Errorf("second pull: %v", err)
	}
}

func bytesEqualJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return mustJSON(t, json.RawMessage(a)) == mustJSON(t, json.RawMessage(b))
}

// TestPullMatchesGolden renders the seed pull with the events' data the way the notifier
// will, and compares with the golden messages: the workitem after the pull is the seed
// sample (D5), the ItemRemoved copy is the workbin listing (N2).
func TestPullMatchesGolden(t *testing.T) {
	s := newStore(t)
	set := builtin(t)
	events := must(t)(s.Pull(Actor{marat}, me(testWB), spec.PullWorkitem, wiTest, ""))
	golden := func(name, key string) map[string]any {
		g, ok := set.GoldenMessage(name)
		if !ok {
			t.Fatalf("no golden %s", name)
		}
		var d map[string]any
		if err := json.Unmarshal(g.Data, &d); err != nil {
			t.Fatal(err)
		}
		return d[key].(map[string]any)
	}
	pulled := golden("workitem-pulled", "workitem")
	got := locatedOf(t, events[0].Interaction)
	for _, k := range []string{spec.FieldID, spec.FieldURI, spec.FieldPath, spec.FieldState, spec.FieldCapabilities, spec.FieldUserData} {
		if mustJSON(t, got[k]) != mustJSON(t, pulled[k]) {
			t.Errorf("%s: %v, golden %v", k, got[k], pulled[k])
		}
	}
	listed := golden("workbin-item-removed", "workitemStateResourceV2")
	if got := locatedOf(t, events[1].Interaction); mustJSON(t, got) != mustJSON(t, listed) {
		t.Errorf("ItemRemoved carries %v, golden %v", got, listed)
	}
}

func TestPullSupervisorOwnsAndAgentIsNotified(t *testing.T) {
	s := newStore(t)
	must(t)(s.Subscribe(Actor{agent2}, []WorkbinRef{me(agent2W)}))
	must(t)(s.Subscribe(Actor{supervisor}, []WorkbinRef{sup(agent2ID, agent2W)}))
	events := must(t)(s.Pull(Actor{supervisor}, sup(agent2ID, agent2W), spec.PullEmail, mailAgent, ""))
	if x := mustInteraction(t, s, mailAgent); x.Owner != supervisor {
		t.Errorf("owner %q, want the supervisor (D10)", x.Owner)
	}
	if !slices.Equal(events[0].Recipients, []string{supervisor}) {
		t.Errorf("media event to %v", events[0].Recipients)
	}
	if !slices.Equal(events[1].Recipients, []string{agent2, supervisor}) || events[1].Requester != supervisor || events[1].WorkbinUserID != agent2ID {
		t.Errorf("ItemRemoved %+v (N5)", events[1])
	}
	// The agent pulling from his own workbin: the supervisor is told, without workbinUserId.
	events = must(t)(s.Pull(Actor{agent2}, me(agent2W), spec.PullInteraction, wiAgent2, ""))
	if !slices.Equal(events[1].Recipients, []string{agent2, supervisor}) || events[1].WorkbinUserID != "" {
		t.Errorf("ItemRemoved %+v", events[1])
	}
	checkInvariant(t, s)
}

func mustContract(t testing.TB) *spec.Contract {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Messages naming a media, a kind or a workbin type read as English: "an email", "an
// AgentGroup workbin".
func TestMessagesUseTheRightArticle(t *testing.T) {
	s := newStore(t)
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(s.Pull(Actor{marat}, me(testWB), spec.PullEmail, wiTest, "")), "PullEmail is for an email; interaction \"" + wiTest + "\" is a workitem"},
		{second(s.Pull(Actor{marat}, me(testWB), spec.PullWorkitem, mailTest, "")), "PullWorkitem is for a workitem; interaction \"" + mailTest + "\" is an email"},
		{second(s.Pull(Actor{marat}, me(agWB), spec.PullWorkitem, wiAG, "")), "is an AgentGroup workbin"},
		{second(s.Pull(Actor{marat}, me(testWB), spec.AddWorkitem, wiTest, "")), "is not a pull operation"},
		{second(s.Add(Actor{marat}, me(testWB), spec.PullWorkitem, wiOwned, false)), "is not an add operation"},
	} {
		var se *Error
		if !errors.As(c.err, &se) || !strings.Contains(se.Message, c.want) {
			t.Errorf("message %v, want it to contain %q", c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }
