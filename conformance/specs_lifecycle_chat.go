// chat-lifecycle: the operations on a pulled chat (issue 12) and the transcript
// (MessageLogUpdated). Evidence: SendMessage, typing, Leave, Complete, user data,
// SetDisposition, Invite/Consult first notification [C]; Transfer notifications [?];
// customer messages in MessageLogUpdated [C-3p].

package conformance

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

func chatLifeSpecs() []specDef {
	cl := feats(FeatureChatLifecycle, FeaturePullChat)
	ch := spec.MediaChat
	one := []need{uses(1, wbAgent, ch)}
	return []specDef{
		{id: "chat-lifecycle.send-message", text: "SendMessage: MessageLogUpdated NewMessages names the chat and carries the agent's Text; typing notices follow as TypingStarted, TypingStopped",
			features: cl, variant: opVariant(spec.OpSendMessage, ch), needs: one, body: sendMessageLife},
		{id: "chat-lifecycle.customer-message", text: "the customer's message (through the mock's control plane) reaches the agent as MessageLogUpdated; the agent's answer follows it in the transcript",
			features: feats(FeatureChatLifecycle, FeaturePullChat, FeatureConfigurableOptions), variant: opVariant(spec.OpSendMessage, ch), needs: one, body: customerMessageLife},
		{id: "chat-lifecycle.user-data", text: "AttachUserData, UpdateUserData, DeleteUserData, SetDisposition on a chat: PropertiesUpdated with the data, still Chatting",
			features: cl, variant: opVariant(spec.OpSetDisposition, ch), needs: one, body: chatUserDataLife},
		{id: "chat-lifecycle.leave-complete", text: "Leave: StatusChange LeftChat with its capabilities; then Complete: Completed, and the chat is no longer the agent's",
			features: cl, variant: opVariant(spec.OpLeave, ch), needs: one, body: leaveCompleteLife},
		{id: "chat-lifecycle.complete", text: "Complete of a Chatting chat: StatusChange Completed; a later SendMessage is refused and publishes nothing",
			features: cl, variant: opVariant(spec.OpComplete, ch), needs: []need{uses(1, wbAgent, ch), uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) { completeLifeChat(t) }},
		{id: "chat-lifecycle.invite", text: "Invite another agent: ParticipantsUpdated with the conference capabilities; the invited agent is told",
			features: cl, variant: opVariant(spec.OpInvite, ch), needs: one, body: func(t *T) { conferenceLife(t, spec.OpInvite) }},
		{id: "chat-lifecycle.consult", text: "Consult another agent: ParticipantsUpdated with the conference capabilities; the consulted agent is told",
			features: cl, variant: opVariant(spec.OpConsult, ch), needs: one, body: func(t *T) { conferenceLife(t, spec.OpConsult) }},
		{id: "chat-lifecycle.transfer", text: "Transfer a chat to another agent: the sender's chat ends, the target is invited",
			features: cl, variant: opVariant(spec.OpTransfer, ch), needs: one, body: func(t *T) { transferLife(t, ch) }},
		{id: "chat-lifecycle.outside-capabilities", text: "Accept of a Chatting chat (not in its capabilities) is refused and changes nothing",
			features: cl, variant: opVariant(spec.OpAccept, ch), needs: one, body: func(t *T) { outsideCapabilities(t, ch, spec.OpAccept) }},
		{id: "chat-lifecycle.not-holder", text: "another agent's SendMessage on the agent's chat is refused, changes nothing and adds nothing to the transcript",
			features: cl, variant: opVariant(spec.OpSendMessage, ch), needs: one, body: chatNotHolder},
		{id: "chat-lifecycle.bad-body", text: "SendMessage without text, SetDisposition without disposition, DeleteUserData with keys a string: refused, nothing changed",
			features: cl, variant: opVariant(spec.OpSendMessage, ch), needs: one, body: chatBadBody},
	}
}

// chatLine is a message a MessageLogUpdated must carry.
type chatLine struct {
	kind string // spec.ChatMessageText, …
	text string // for Text
	from string // participant type: spec.ParticipantAgent or spec.ParticipantCustomer
}

// namesChat reports whether a MessageLogUpdated names chat id (chatUri or chatPath, N4).
func namesChat(n Notification, id string) bool {
	for _, k := range []string{spec.FieldChatURI, spec.FieldChatPath} {
		if s, _ := n.Data[k].(string); strings.HasSuffix(s, "/"+id) {
			return true
		}
	}
	return false
}

// lineIn finds line in a MessageLogUpdated's messages; it returns the message and its index.
func lineIn(n Notification, line chatLine) (map[string]any, bool) {
	for _, msg := range asList(n.Data[spec.FieldMessages]) {
		kind, _ := msg[spec.FieldType].(string)
		from, _ := msg[spec.FieldFrom].(map[string]any)
		who, _ := from[spec.FieldParticipantType].(string)
		text, _ := msg[spec.FieldText].(string)
		if kind == line.kind && who == line.from && (line.kind != spec.ChatMessageText || text == line.text) {
			return msg, true
		}
	}
	return nil, false
}

// expectLine waits for a MessageLogUpdated about chat id, from index after on, carrying
// line, and checks the message: an integer index greater than prev (the last one seen, -1
// for none; gaps are allowed, the documentation says indexes may be non-contiguous). It
// returns the notification and the message's index.
func (t *T) expectLine(l *Listener, id string, after int, line chatLine, prev int64, what string) (Notification, int64) {
	n, ok := t.awaitEvent(l, lifeKind("a "+spec.MessageChatMessageLogUpdated), func(n Notification) bool {
		if n.Index < after || n.Channel != spec.ChannelChats || n.MessageType() != spec.MessageChatMessageLogUpdated || !namesChat(n, id) {
			return false
		}
		_, ok := lineIn(n, line)
		return ok
	})
	if !ok {
		var seen []string
		for _, e := range l.events() {
			if e.Index >= after && e.MessageType() == spec.MessageChatMessageLogUpdated {
				seen = append(seen, string(e.Raw))
			}
		}
		t.violate(Violation{Rule: RuleMessageLog, Where: "CometD " + spec.ChannelChats + " (" + string(l.role) + ")",
			Message: fmt.Sprintf("%s: no %s naming chat %s with a %s message from the %s%s within %s (%d MessageLogUpdated since: %s)", what, spec.MessageChatMessageLogUpdated, id, line.kind, line.from,
				textNote(line), t.waited, len(seen), clipText(strings.Join(seen, " "), 600))})
	}
	t.checkEvents(l)
	where, raw := n.Describe()+" ("+string(l.role)+")", "message: "+string(n.Raw)
	if nt, _ := n.Data[spec.FieldNotificationType].(string); nt != spec.NotificationNewMessages {
		t.violate(Violation{Rule: RuleMessageLog, Where: where, Pointer: dataPointer(spec.FieldNotificationType), Message: fmt.Sprintf("notificationType %q; a transcript update is %q", nt, spec.NotificationNewMessages)}, raw)
	}
	msg, _ := lineIn(n, line)
	idx, ok := intOf(msg[spec.FieldIndex])
	if !ok {
		t.violate(Violation{Rule: RuleMessageLog, Where: where, Pointer: dataPointer(spec.FieldMessages), Message: fmt.Sprintf("the %s message has index %v; want an integer", line.kind, msg[spec.FieldIndex])}, raw)
	}
	if idx <= prev {
		t.violate(Violation{Rule: RuleMessageLog, Where: where, Pointer: dataPointer(spec.FieldMessages), Message: fmt.Sprintf("the %s message has index %d after %d; indexes increase", line.kind, idx, prev)}, raw)
	}
	t.evidence("transcript", string(n.Raw))
	return n, idx
}

func textNote(line chatLine) string {
	if line.kind == spec.ChatMessageText {
		return fmt.Sprintf(" with text %q", line.text)
	}
	return ""
}

// say performs a transcript operation (SendMessage, typing) and waits for its line.
func (t *T) say(h *held, body map[string]any, line chatLine, prev int64) (Notification, int64) {
	op, _ := body[spec.FieldOperationName].(string)
	what := op + " of chat " + h.p.ID
	from := mark(h.l)
	ex := t.operate(h.sess, h.p.Media, h.p.ID, body)
	t.expectDone(h.sess, h.p.Media, op, ex, what)
	return t.expectLine(h.l, h.p.ID, from, line, prev, what)
}

func sendMessageLife(t *T) {
	h := pullToWork(t, spec.MediaChat)
	text := "Conformance says hello " + randomID("")
	_, idx := t.say(h, opBody(spec.OpSendMessage, map[string]any{spec.FieldText: text}), chatLine{kind: spec.ChatMessageText, text: text, from: spec.ParticipantAgent}, -1)
	_, idx = t.say(h, opBody(spec.OpSendStartTypingNotification, nil), chatLine{kind: spec.ChatMessageTypingStarted, from: spec.ParticipantAgent}, idx)
	t.say(h, opBody(spec.OpSendStopTypingNotification, nil), chatLine{kind: spec.ChatMessageTypingStopped, from: spec.ParticipantAgent}, idx)
}

// customerMessageLife needs the mock's control plane to act as the customer, so it needs
// configurable-options too (the feature of a target with that control plane): a vendor's
// server, which has no customer the suite can drive, reports it not supported rather than
// skipped, whatever its provisioning.
func customerMessageLife(t *T) {
	h := pullToWork(t, spec.MediaChat)
	text := "Customer asks " + randomID("")
	from := mark(h.l)
	body := map[string]any{spec.AdminFieldAction: spec.AdminCustomerMessage, spec.AdminFieldText: text}
	ex := t.admin().Do(t.ctx, http.MethodPost, t.s.opts.Provisioning.AdminPath+spec.AdminChatCustomerPath(h.p.ID), body, adminCall(t.s.opts.Provisioning.AdminToken))
	if ex.Err != nil || ex.Status/100 != 2 {
		t.violate(Violation{Rule: RuleSetup, Where: ex.Where(), Message: fmt.Sprintf("the control plane refused the customer's message: HTTP %d %v", ex.Status, ex.Err)}, ex.Dump())
	}
	_, idx := t.expectLine(h.l, h.p.ID, from, chatLine{kind: spec.ChatMessageText, text: text, from: spec.ParticipantCustomer}, -1, "the customer's message")
	answer := "Agent answers " + randomID("")
	t.say(h, opBody(spec.OpSendMessage, map[string]any{spec.FieldText: answer}), chatLine{kind: spec.ChatMessageText, text: answer, from: spec.ParticipantAgent}, idx)
}

func chatUserDataLife(t *T) { dispositionLife(t, userDataLife(t, spec.MediaChat)) }

// dispositionLife: SetDisposition writes the disposition into the userData under
// dispositionKey [C]; without one, under the key configured for the server: the contract's
// DispositionCode, another key being a warning (a real server's configuration decides).
func dispositionLife(t *T, h *held) {
	mi, _ := spec.MediaOf(h.p.Media)
	const key = "WorkbinkitDisposition"
	want := withKeys(h.userData(), map[string]any{key: "IssueResolved"})
	n, res := t.act(h, opBody(spec.OpSetDisposition, map[string]any{spec.FieldDisposition: "IssueResolved", spec.FieldDispositionKey: key}), spec.NotificationPropertiesUpdated)
	t.expectResource(n, h.p.Media, res, mi.PulledState)
	t.expectUserData(n, h.p.Media, res, want, nil, "SetDisposition with dispositionKey")
	n, res = t.act(h, opBody(spec.OpSetDisposition, map[string]any{spec.FieldDisposition: "CallBack"}), spec.NotificationPropertiesUpdated)
	t.expectResource(n, h.p.Media, res, mi.PulledState)
	if ud, _ := res[spec.FieldUserData].(map[string]any); ud[spec.DefaultDispositionKey] != "CallBack" {
		t.gap(Violation{Rule: RuleUserDataOps, Where: n.Describe(), Pointer: dataPointer(mi.ResourceKey, spec.FieldUserData, spec.DefaultDispositionKey),
			Message: fmt.Sprintf("SetDisposition without dispositionKey: userData %q is %v; the contract writes it there (a server's configured key may differ)", spec.DefaultDispositionKey, ud[spec.DefaultDispositionKey])}, "message: "+string(n.Raw))
	}
}

func leaveCompleteLife(t *T) {
	h := pullToWork(t, spec.MediaChat)
	n, res := t.act(h, opBody(spec.OpLeave, nil), spec.NotificationStatusChange)
	t.expectResource(n, spec.MediaChat, res, spec.StateLeftChat)
	n, res = t.act(h, opBody(spec.OpComplete, nil), spec.NotificationStatusChange)
	t.expectResource(n, spec.MediaChat, res, spec.StateCompleted)
	t.expectNotHeld(h)
	t.setOwned(h.p.ID, "", h.p.Media)
}

func completeLifeChat(t *T) {
	h := pullToWork(t, spec.MediaChat)
	n, res := t.act(h, opBody(spec.OpComplete, nil), spec.NotificationStatusChange)
	t.expectResource(n, spec.MediaChat, res, spec.StateCompleted)
	t.expectNotHeld(h)
	t.setOwned(h.p.ID, "", h.p.Media)
	from := t.refuse(h, h.sess, opBody(spec.OpSendMessage, map[string]any{spec.FieldText: "too late"}),
		refusal{rule: RuleCapabilityGate, what: "SendMessage of a completed chat", strict: spec.StatusNotFound /* as completeLife */, tolerated: append(outsideCaps, spec.StatusNotFound)})
	t.expectNothingBetween(h.l, h.p.ID, from, barrier(t, h.sess, h.l, wbAgent), "a refused SendMessage on the completed chat")
}

// conferenceLife: Invite or Consult agent2. The first notification is ParticipantsUpdated,
// Chatting, with the conference capabilities [C]; agent2 hears about the chat (the
// invitation's form is the contract's decision; missing, a warning).
func conferenceLife(t *T, op string) {
	h := pullToWork(t, spec.MediaChat)
	a2 := t.user(RoleAgent2)
	l2 := t.listen(a2, spec.ChannelChats)
	n, res := t.act(h, opBody(op, map[string]any{spec.FieldTargetURI: t.userURI(RoleAgent2)}), spec.NotificationParticipantsUpdated)
	where, raw, base := n.Describe(), "message: "+string(n.Raw), dataPointer("chat")
	if st, _ := res[spec.FieldState].(string); st != spec.StateChatting {
		t.violate(Violation{Rule: RuleInvite, Where: where, Pointer: base + spec.Pointer(spec.FieldState), Message: fmt.Sprintf("after %s the chat is %q; want %q", op, st, spec.StateChatting)}, raw)
	}
	if msg := capsProblem(spec.ConferenceCapabilities(), stringsIn(res[spec.FieldCapabilities]), t.s.opts.Strict); msg != "" {
		t.violate(Violation{Rule: RuleInvite, Where: where, Pointer: base + spec.Pointer(spec.FieldCapabilities), Message: "a chat in conference or consultation: " + msg}, raw)
	}
	if _, ok := t.awaitEvent(l2, lifeKind("a notice to the agent an Invite or Consult named"), func(e Notification) bool { return e.Channel == spec.ChannelChats && mentions(e, h.p.ID) }); !ok {
		t.gap(Violation{Rule: RuleInvite, Where: "CometD " + spec.ChannelChats + " (agent2)", Message: fmt.Sprintf("the agent the %s named received nothing about chat %s within %s", op, h.p.ID, t.waited)})
	}
	t.checkEvents(l2)
}

// chatNotHolder: agent2's SendMessage on the agent's chat is refused; nothing reaches the
// transcript before the barrier.
func chatNotHolder(t *T) {
	h := pullToWork(t, spec.MediaChat)
	from := t.refuse(h, t.user(RoleAgent2), opBody(spec.OpSendMessage, map[string]any{spec.FieldText: "not mine"}),
		refusal{rule: RuleInteractionOwner, what: "another agent's SendMessage on the agent's chat", strict: spec.StatusNoPermission, tolerated: notHolder})
	t.expectSame(h, from, "another agent's SendMessage")
}

func chatBadBody(t *T) {
	h := pullToWork(t, spec.MediaChat)
	from := mark(h.l)
	for _, c := range []struct {
		what   string
		body   map[string]any
		strict spec.StatusCode
	}{
		{"SendMessage without text", opBody(spec.OpSendMessage, nil), spec.StatusMissingParameter},
		{"SetDisposition without disposition", opBody(spec.OpSetDisposition, nil), spec.StatusMissingParameter},
		{"DeleteUserData with keys a string", opBody(spec.OpDeleteUserData, map[string]any{spec.FieldUserDataKeys: "UserData1"}), spec.StatusInvalidInput},
	} {
		t.refuse(h, h.sess, c.body, refusal{rule: RuleBadBody, what: c.what, strict: c.strict, tolerated: badBody})
	}
	t.expectSame(h, from, "the refused malformed operations")
}
