package state

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

func act(user string) Actor { return Actor{User: user} }

// opOf is an operation with a valid body for its name: targets name supervisor1 (in no
// fixture chat), texts and data are set.
func opOf(media spec.Media, id, name string) Operation {
	o := Operation{Media: media, ID: id, Name: name}
	switch name {
	case spec.OpTransfer, spec.OpInvite, spec.OpConsult:
		o.TargetUserID, o.TargetGiven = supervisorID, true
	case spec.OpAttachUserData, spec.OpUpdateUserData:
		o.UserData = map[string]any{"UserData1": "DATA1", "UserData2": 123456789}
	case spec.OpDeleteUserData:
		o.Keys = []string{"UserData1"}
	case spec.OpSendMessage, spec.OpSendToAgents:
		o.Text = "How may I help you?"
	case spec.OpSetDisposition:
		o.Disposition = "IssueResolved"
	case spec.OpAddComment:
		o.Comment = "Called back"
	case spec.OpReply, spec.OpReplyAll:
		o.Queue = "OutboundQueue"
	}
	return o
}

// kinds describes events as "Kind/notification/state" for comparisons.
func kinds(events []Event) []string {
	var out []string
	for _, e := range events {
		switch e.Kind {
		case InteractionChanged:
			n := e.Notification
			if n == "" {
				n = spec.NotificationStatusChange
			}
			out = append(out, fmt.Sprintf("%s>%s/%s", e.Recipients[0], n, e.Interaction.State))
		case ChatMessages:
			var types []string
			for _, m := range e.Messages {
				types = append(types, m.Type)
			}
			out = append(out, fmt.Sprintf("%s>log%v", e.Recipients[0], types))
		default:
			out = append(out, string(e.Kind))
		}
	}
	return out
}

func wantKinds(t *testing.T, what string, events []Event, want ...string) {
	t.Helper()
	if got := kinds(events); !slices.Equal(got, want) {
		t.Fatalf("%s: events\n %v\nwant\n %v", what, got, want)
	}
}

func userDataOf(t *testing.T, x Interaction) map[string]any {
	t.Helper()
	ud, _ := resourceOf(t, x)[spec.FieldUserData].(map[string]any)
	return ud
}

func TestWorkitemLifecycle(t *testing.T) {
	s := newStore(t)
	must(t)(s.Pull(act(marat), me(testWB), spec.PullWorkitem, wiTest, ""))
	ev := must(t)(s.Operate(act(marat), opOf(spec.MediaWorkitem, wiTest, spec.OpAttachUserData)))
	wantKinds(t, "AttachUserData", ev, "MaratTest>PropertiesUpdated/Processing")
	if ev[0].Requester != marat {
		t.Errorf("requester %q", ev[0].Requester)
	}
	ud := userDataOf(t, ev[0].Interaction)
	if ud["UserData1"] != "DATA1" || ud["UserData2"] != float64(123456789) || ud["Workbin"] != "testWorkbin" {
		t.Errorf("userData after attach: %v", ud)
	}
	upd := Operation{Media: spec.MediaWorkitem, ID: wiTest, Name: spec.OpUpdateUserData, UserData: map[string]any{"UserData1": "DATAUPDATE-@123"}}
	must(t)(s.Operate(act(marat), upd))
	if got := userDataOf(t, mustInteraction(t, s, wiTest))["UserData1"]; got != "DATAUPDATE-@123" {
		t.Errorf("after update: %v", got)
	}
	ev = must(t)(s.Operate(act(marat), opOf(spec.MediaWorkitem, wiTest, spec.OpDeleteUserData)))
	if _, ok := userDataOf(t, ev[0].Interaction)["UserData1"]; ok {
		t.Error("UserData1 still in the notification after DeleteUserData")
	}
	if _, ok := userDataOf(t, mustInteraction(t, s, wiTest))["UserData1"]; ok {
		t.Error("UserData1 still in the state after DeleteUserData")
	}
	before := s.Snapshot()
	if ev := must(t)(s.Operate(act(marat), opOf(spec.MediaWorkitem, wiTest, spec.OpSetInFocus))); len(ev) != 0 {
		t.Errorf("SetInFocus published %v", kinds(ev))
	}
	if !equalSnapshots(before, s.Snapshot()) {
		t.Error("SetInFocus changed the state")
	}
	ev = must(t)(s.Operate(act(marat), opOf(spec.MediaWorkitem, wiTest, spec.OpComplete)))
	wantKinds(t, "Complete", ev, "MaratTest>StatusChange/Completed")
	if caps := resourceOf(t, ev[0].Interaction)[spec.FieldCapabilities].([]any); len(caps) != 0 {
		t.Errorf("Completed with capabilities %v", caps)
	}
	if _, ok := s.Interaction(wiTest); ok {
		t.Error("a completed workitem is still in the state (S13)")
	}
	for _, x := range s.Mine(marat, spec.MediaWorkitem) {
		if x.ID == wiTest {
			t.Error("a completed workitem is still among the agent's")
		}
	}
	refused(t, s, spec.StatusNotFound, ErrUnknownInteraction, func() ([]Event, error) {
		return s.Operate(act(marat), opOf(spec.MediaWorkitem, wiTest, spec.OpComplete))
	})
	checkInvariant(t, s)
}

func TestOperateRefusals(t *testing.T) {
	s := newStore(t)
	for _, tc := range []struct {
		name string
		user string
		o    Operation
		code spec.StatusCode
		kind error
	}{
		{"not in capabilities", marat, opOf(spec.MediaWorkitem, wiOwned, spec.OpAccept), spec.StatusInvalidParameter, ErrNotCapable},
		{"chat operation on a workitem", marat, opOf(spec.MediaWorkitem, wiOwned, spec.OpSendMessage), spec.StatusInvalidParameter, ErrNotCapable},
		{"someone else's", agent2, opOf(spec.MediaWorkitem, wiOwned, spec.OpComplete), spec.StatusNoPermission, ErrNotYours},
		{"in a workbin", marat, opOf(spec.MediaWorkitem, wiTest, spec.OpComplete), spec.StatusNoPermission, ErrNotYours},
		{"unknown", marat, opOf(spec.MediaWorkitem, "nosuch", spec.OpComplete), spec.StatusNotFound, ErrUnknownInteraction},
		{"another media under the URL", marat, opOf(spec.MediaChat, wiOwned, spec.OpComplete), spec.StatusNotFound, ErrUnknownInteraction},
		{"transfer without target", marat, Operation{Media: spec.MediaWorkitem, ID: wiOwned, Name: spec.OpTransfer}, spec.StatusMissingParameter, ErrMissingParameter},
		{"transfer to a URI naming no user", marat, Operation{Media: spec.MediaWorkitem, ID: wiOwned, Name: spec.OpTransfer, TargetGiven: true}, spec.StatusNotFound, ErrBadTarget},
		{"transfer to an unknown user", marat, Operation{Media: spec.MediaWorkitem, ID: wiOwned, Name: spec.OpTransfer, TargetUserID: "nosuch", TargetGiven: true}, spec.StatusNotFound, ErrUnknownUser},
		{"transfer to oneself", marat, Operation{Media: spec.MediaWorkitem, ID: wiOwned, Name: spec.OpTransfer, TargetUserID: maratID, TargetGiven: true}, spec.StatusInvalidParameter, ErrBadTarget},
		{"invite to a queue", marat, Operation{Media: spec.MediaChat, ID: chatOwned, Name: spec.OpInvite, Queue: "q"}, spec.StatusInvalidParameter, ErrBadTarget},
		{"userData value not allowed", marat, Operation{Media: spec.MediaWorkitem, ID: wiOwned, Name: spec.OpAttachUserData, UserData: map[string]any{"k": true}}, spec.StatusInvalidInput, ErrInvalidInput},
		{"reply with bad userData", marat, Operation{Media: spec.MediaEmail, ID: mailOwned, Name: spec.OpReply, UserData: map[string]any{"k": []any{}}}, spec.StatusInvalidInput, ErrInvalidInput},
		{"unknown user", "nobody", opOf(spec.MediaWorkitem, wiOwned, spec.OpComplete), spec.StatusNotAuthenticated, ErrNotAuthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, s, tc.code, tc.kind, func() ([]Event, error) { return s.Operate(act(tc.user), tc.o) })
		})
	}
}

func TestTransferWorkitem(t *testing.T) {
	s := newStore(t)
	o := opOf(spec.MediaWorkitem, wiOwned, spec.OpTransfer)
	o.TargetUserID = agent2ID
	ev := must(t)(s.Operate(act(marat), o))
	wantKinds(t, "Transfer", ev, "MaratTest>StatusChange/Completed", "agent2>StatusChange/Invited")
	if got := resourceOf(t, ev[1].Interaction)[spec.FieldCapabilities]; fmt.Sprint(got) != "[Accept Reject]" {
		t.Errorf("invitation capabilities %v", got)
	}
	if len(s.Mine(marat, spec.MediaWorkitem)) != 0 {
		t.Error("the transferred workitem is still MaratTest's")
	}
	refused(t, s, spec.StatusNoPermission, ErrNotYours, func() ([]Event, error) {
		return s.Operate(act(marat), opOf(spec.MediaWorkitem, wiOwned, spec.OpComplete))
	})
	ev = must(t)(s.Operate(act(agent2), opOf(spec.MediaWorkitem, wiOwned, spec.OpAccept)))
	wantKinds(t, "Accept", ev, "agent2>StatusChange/Processing")
	// A queue: the workitem goes to routing, out of the mock.
	o = Operation{Media: spec.MediaWorkitem, ID: wiOwned, Name: spec.OpTransfer, Queue: "q"}
	wantKinds(t, "Transfer to a queue", must(t)(s.Operate(act(agent2), o)), "agent2>StatusChange/Completed")
	if _, ok := s.Interaction(wiOwned); ok {
		t.Error("a workitem transferred to a queue is still in the state")
	}
	// Reject of an invitation ends it.
	o = opOf(spec.MediaWorkitem, wiOwned2, spec.OpTransfer)
	o.TargetUserID = maratID
	must(t)(s.Operate(act(agent2), o))
	wantKinds(t, "Reject", must(t)(s.Operate(act(marat), opOf(spec.MediaWorkitem, wiOwned2, spec.OpReject))), "MaratTest>StatusChange/Completed")
	checkInvariant(t, s)
}

func TestChatLifecycle(t *testing.T) {
	s := newStore(t)
	ev := must(t)(s.Customer(chatOwned, CustomerMessage, "Where is my order?"))
	wantKinds(t, "customer message", ev, "MaratTest>log[Text]")
	m := ev[0].Messages[0]
	if m.Index != 1 || m.Text != "Where is my order?" || m.FromType != spec.ParticipantCustomer || m.FromNickname != "Kim" || ev[0].Requester != "" {
		t.Errorf("customer message %+v", m)
	}
	ev = must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpSendMessage)))
	wantKinds(t, "SendMessage", ev, "MaratTest>log[Text]")
	if m := ev[0].Messages[0]; m.Index != 2 || m.FromType != spec.ParticipantAgent || m.FromNickname != marat || m.Visibility != spec.VisibilityAll {
		t.Errorf("agent message %+v", m)
	}
	wantKinds(t, "typing", must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpSendStartTypingNotification))), "MaratTest>log[TypingStarted]")
	wantKinds(t, "typing", must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpSendStopTypingNotification))), "MaratTest>log[TypingStopped]")
	wantKinds(t, "SetDisposition", must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpSetDisposition))), "MaratTest>PropertiesUpdated/Chatting")
	if got := userDataOf(t, mustInteraction(t, s, chatOwned))[spec.DefaultDispositionKey]; got != "IssueResolved" {
		t.Errorf("disposition %v", got)
	}

	inv := opOf(spec.MediaChat, chatOwned, spec.OpInvite)
	inv.TargetUserID = agent2ID
	ev = must(t)(s.Operate(act(marat), inv))
	wantKinds(t, "Invite", ev, "MaratTest>ParticipantsUpdated/Chatting", "agent2>StatusChange/Invited")
	if caps, _ := CapabilitiesFor(mustInteraction(t, s, chatOwned), marat); !slices.Equal(caps, spec.ConferenceCapabilities()) {
		t.Errorf("inviter's capabilities %v", caps)
	}
	ev = must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpAccept)))
	wantKinds(t, "guest Accept", ev, "agent2>StatusChange/Chatting", "agent2>ParticipantsUpdated/Chatting",
		"agent2>log[Text Text TypingStarted TypingStopped ParticipantJoined]", "MaratTest>ParticipantsUpdated/Chatting", "MaratTest>log[ParticipantJoined]")
	ev = must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpSendToAgents)))
	wantKinds(t, "SendToAgents", ev, "MaratTest>log[Text]", "agent2>log[Text]")
	if ev[0].Messages[0].Visibility != spec.VisibilityAgents {
		t.Errorf("SendToAgents visibility %s", ev[0].Messages[0].Visibility)
	}
	must(t)(s.Customer(chatOwned, CustomerTypingStarted, ""))
	ev = must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpLeave)))
	wantKinds(t, "guest Leave", ev, "agent2>StatusChange/Completed", "MaratTest>ParticipantsUpdated/Chatting", "MaratTest>log[ParticipantLeft]")
	if caps, _ := CapabilitiesFor(mustInteraction(t, s, chatOwned), marat); !slices.Equal(caps, mustCaps(spec.MediaChat, spec.StateChatting)) {
		t.Errorf("capabilities after the guest left %v", caps)
	}
	ev = must(t)(s.Customer(chatOwned, CustomerLeave, ""))
	wantKinds(t, "customer leaves", ev, "MaratTest>ParticipantsUpdated/Chatting", "MaratTest>log[ParticipantLeft]")
	refused(t, s, spec.StatusInvalidParameter, ErrCustomerGone, func() ([]Event, error) { return s.Customer(chatOwned, CustomerMessage, "x") })
	wantKinds(t, "Leave", must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpLeave))), "MaratTest>StatusChange/LeftChat")
	refused(t, s, spec.StatusInvalidParameter, ErrNotCapable, func() ([]Event, error) {
		return s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpSendMessage))
	})
	wantKinds(t, "Complete", must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpComplete))), "MaratTest>StatusChange/Completed")
	if len(s.Mine(marat, spec.MediaChat)) != 0 {
		t.Error("the completed chat is still the agent's")
	}
	checkInvariant(t, s)
}

func mustCaps(m spec.Media, state string) []string {
	caps, _ := spec.Capabilities(m, state)
	return caps
}

func TestChatOwnerLeavesConference(t *testing.T) {
	s := newStore(t)
	inv := opOf(spec.MediaChat, chatOwned, spec.OpConsult)
	inv.TargetUserID = agent2ID
	must(t)(s.Operate(act(marat), inv))
	must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpAccept)))
	// A consulting agent's messages are for agents only.
	ev := must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpSendMessage)))
	if ev[0].Messages[0].Visibility != spec.VisibilityAgents {
		t.Errorf("consultant's message visibility %s", ev[0].Messages[0].Visibility)
	}
	ev = must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpLeave)))
	wantKinds(t, "owner Leave in a conference", ev, "MaratTest>StatusChange/Completed", "agent2>ParticipantsUpdated/Chatting", "agent2>log[ParticipantLeft]")
	x := mustInteraction(t, s, chatOwned)
	if x.Owner != agent2 || len(x.Guests) != 0 {
		t.Fatalf("owner %s guests %v", x.Owner, x.Guests)
	}
	ev = must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpSendMessage)))
	if m := ev[0].Messages[0]; m.FromNickname != agent2 {
		t.Errorf("the new owner's message is from %q", m.FromNickname)
	}
	// A guest who declines: the inviter's list shrinks again.
	inv.TargetUserID = maratID
	must(t)(s.Operate(act(agent2), inv))
	ev = must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpReject)))
	wantKinds(t, "guest Reject", ev, "MaratTest>StatusChange/Completed", "agent2>ParticipantsUpdated/Chatting")
	checkInvariant(t, s)
	// The state with guests round-trips through a snapshot.
	inv.TargetUserID = supervisorID
	must(t)(s.Operate(act(agent2), inv))
	snap := s.Snapshot()
	if err := s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if !equalSnapshots(snap, s.Snapshot()) {
		t.Error("a snapshot with guests does not round-trip")
	}
}

func TestChatTransferAndAccept(t *testing.T) {
	s := newStore(t)
	must(t)(s.Customer(chatOwned, CustomerMessage, "Hello"))
	o := opOf(spec.MediaChat, chatOwned, spec.OpTransfer)
	o.TargetUserID = agent2ID
	wantKinds(t, "Transfer", must(t)(s.Operate(act(marat), o)), "MaratTest>StatusChange/Completed", "agent2>StatusChange/Invited")
	ev := must(t)(s.Operate(act(agent2), Operation{Media: spec.MediaChat, ID: chatOwned, Name: spec.OpAccept, Nickname: "Bea"}))
	wantKinds(t, "Accept", ev, "agent2>StatusChange/Chatting", "agent2>ParticipantsUpdated/Chatting", "agent2>log[Text ParticipantJoined]")
	parts := resourceOf(t, ev[0].Interaction)[spec.FieldParticipants].([]any)
	var nicks []string
	for _, p := range parts {
		nicks = append(nicks, p.(map[string]any)[spec.FieldNickname].(string))
	}
	if !slices.Equal(nicks, []string{"Kim", "Bea"}) {
		t.Errorf("participants after the transfer %v", nicks)
	}
	ev = must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpSendMessage)))
	if m := ev[0].Messages[0]; m.FromNickname != "Bea" || m.Index != 3 {
		t.Errorf("message after accept %+v", m)
	}
}

func TestEmailReplyCancelSend(t *testing.T) {
	s := newStore(t)
	ev := must(t)(s.Operate(act(marat), opOf(spec.MediaEmail, mailOwned, spec.OpReply)))
	wantKinds(t, "Reply", ev, "MaratTest>StatusChange/Composing")
	reply := ev[0].Interaction
	if reply.ID == mailOwned || resourceOf(t, reply)[spec.FieldParentID] != mailOwned {
		t.Fatalf("reply %s", reply.Resource)
	}
	if got := len(s.Mine(marat, spec.MediaEmail)); got != 2 {
		t.Errorf("%d emails after Reply, want 2", got)
	}
	must(t)(s.Operate(act(marat), opOf(spec.MediaEmail, reply.ID, spec.OpAddComment)))
	if got := resourceOf(t, mustInteraction(t, s, reply.ID))[spec.FieldComment]; got != "Called back" {
		t.Errorf("comment %v", got)
	}
	wantKinds(t, "Cancel", must(t)(s.Operate(act(marat), opOf(spec.MediaEmail, reply.ID, spec.OpCancel))), "MaratTest>StatusChange/Canceled")
	ev = must(t)(s.Operate(act(marat), opOf(spec.MediaEmail, mailOwned, spec.OpReplyAll)))
	wantKinds(t, "Send", must(t)(s.Operate(act(marat), opOf(spec.MediaEmail, ev[0].Interaction.ID, spec.OpSend))), "MaratTest>StatusChange/Completed")
	if got := len(s.Mine(marat, spec.MediaEmail)); got != 1 {
		t.Errorf("%d emails after Cancel and Send, want 1", got)
	}
	checkInvariant(t, s)
}

func TestContactCenterSession(t *testing.T) {
	s := newStore(t)
	ev := must(t)(s.StartSession(act(marat), []string{"voice", "chat", "chat", "workitem"}))
	if len(ev) != 1 || ev[0].Kind != ChannelsChanged || fmt.Sprint(ev[0].Channels) != "[{voice Ready} {chat Ready} {workitem Ready}]" {
		t.Fatalf("Start: %+v", ev)
	}
	if got := s.Channels(marat); len(got) != 3 {
		t.Errorf("channels %v", got)
	}
	refused(t, s, spec.StatusMissingParameter, ErrMissingParameter, func() ([]Event, error) { return s.StartSession(act(marat), nil) })
	refused(t, s, spec.StatusInvalidParameter, ErrUnknownOption, func() ([]Event, error) { return s.StartSession(act(marat), []string{"chat", "pigeon"}) })
	if got := s.Channels(marat); len(got) != 3 {
		t.Errorf("a refused Start changed the channels: %v", got)
	}
	ev = must(t)(s.EndSession(act(marat)))
	if fmt.Sprint(ev[0].Channels) != "[{voice LoggedOut} {chat LoggedOut} {workitem LoggedOut}]" {
		t.Errorf("End: %+v", ev[0].Channels)
	}
	if got := s.Channels(marat); len(got) != 0 {
		t.Errorf("channels after End %v", got)
	}
}

// TestCapabilityWalk: every capability the mock can advertise, in every state it can
// advertise it in, has an operation that succeeds there (issue 12).
func TestCapabilityWalk(t *testing.T) {
	type setup struct {
		name  string
		media spec.Media
		user  string
		state string
		// prepare brings a fresh store there and returns the interaction's id.
		prepare func(t *testing.T, s *Store) string
	}
	transferTo := func(media spec.Media, id, from, toID string) func(*testing.T, *Store) string {
		return func(t *testing.T, s *Store) string {
			o := opOf(media, id, spec.OpTransfer)
			o.TargetUserID = toID
			must(t)(s.Operate(act(from), o))
			return id
		}
	}
	conference := func(accept bool) func(*testing.T, *Store) string {
		return func(t *testing.T, s *Store) string {
			o := opOf(spec.MediaChat, chatOwned, spec.OpInvite)
			o.TargetUserID = agent2ID
			must(t)(s.Operate(act(marat), o))
			if accept {
				must(t)(s.Operate(act(agent2), opOf(spec.MediaChat, chatOwned, spec.OpAccept)))
			}
			return chatOwned
		}
	}
	fixed := func(id string) func(*testing.T, *Store) string { return func(*testing.T, *Store) string { return id } }
	setups := []setup{
		{"workitem Processing", spec.MediaWorkitem, marat, spec.StateProcessing, fixed(wiOwned)},
		{"workitem Invited", spec.MediaWorkitem, marat, spec.StateInvited, transferTo(spec.MediaWorkitem, wiOwned2, agent2, maratID)},
		{"chat Chatting", spec.MediaChat, marat, spec.StateChatting, fixed(chatOwned)},
		{"chat Invited (transfer)", spec.MediaChat, agent2, spec.StateInvited, transferTo(spec.MediaChat, chatOwned, marat, agent2ID)},
		{"chat Invited (guest)", spec.MediaChat, agent2, spec.StateInvited, conference(false)},
		{"chat conference, inviter", spec.MediaChat, marat, spec.StateChatting, conference(false)},
		{"chat conference, guest", spec.MediaChat, agent2, spec.StateChatting, conference(true)},
		{"chat LeftChat", spec.MediaChat, marat, spec.StateLeftChat, func(t *testing.T, s *Store) string {
			must(t)(s.Operate(act(marat), opOf(spec.MediaChat, chatOwned, spec.OpLeave)))
			return chatOwned
		}},
		{"chat JoinFailed", spec.MediaChat, marat, spec.StateJoinFailed, func(t *testing.T, s *Store) string {
			must(t)(s.PullJoinFailed(act(marat), me(testWB), spec.PullChat, chatTest, ""))
			return chatTest
		}},
		{"email Processing", spec.MediaEmail, marat, spec.StateProcessing, fixed(mailOwned)},
		{"email Invited", spec.MediaEmail, agent2, spec.StateInvited, transferTo(spec.MediaEmail, mailOwned, marat, agent2ID)},
		{"email Composing", spec.MediaEmail, marat, spec.StateComposing, func(t *testing.T, s *Store) string {
			return must(t)(s.Operate(act(marat), opOf(spec.MediaEmail, mailOwned, spec.OpReply)))[0].Interaction.ID
		}},
	}
	walked := map[spec.Media]map[string]bool{}
	for _, su := range setups {
		s := newStore(t)
		id := su.prepare(t, s)
		caps, ok := CapabilitiesFor(mustInteraction(t, s, id), su.user)
		if !ok || len(caps) == 0 {
			t.Fatalf("%s: %s has no capabilities on %s", su.name, su.user, id)
		}
		if v, _ := ViewFor(mustInteraction(t, s, id), su.user); v.State != su.state {
			t.Fatalf("%s: state %s", su.name, v.State)
		}
		if walked[su.media] == nil {
			walked[su.media] = map[string]bool{}
		}
		for _, c := range caps {
			t.Run(su.name+"/"+c, func(t *testing.T) {
				s := newStore(t)
				id := su.prepare(t, s)
				if _, err := s.Operate(act(su.user), opOf(su.media, id, c)); err != nil {
					t.Fatalf("%s advertised in %s fails: %v", c, su.state, err)
				}
				checkInvariant(t, s)
			})
			walked[su.media][c] = true
		}
	}
	// Every capability of the contract's tables was reached by some setup.
	for _, m := range spec.AllMedia() {
		all := map[string]bool{}
		for _, st := range spec.States(m) {
			caps, _ := spec.Capabilities(m, st)
			for _, c := range caps {
				all[c] = true
			}
		}
		if m == spec.MediaChat {
			for _, c := range spec.ConferenceCapabilities() {
				all[c] = true
			}
		}
		for _, c := range slices.Sorted(maps.Keys(all)) {
			if !walked[m][c] {
				t.Errorf("%s capability %s is in no walked state", m, c)
			}
		}
		for _, c := range slices.Sorted(maps.Keys(walked[m])) {
			if !slices.Contains(spec.InteractionOperations(m), c) {
				t.Errorf("%s capability %s has no operation in the contract", m, c)
			}
		}
	}
}
