// workitem-lifecycle: the operations on a pulled workitem (issue 12), their notifications
// and their refusals. Evidence: AttachUserData, UpdateUserData, DeleteUserData, Complete
// [C]; SetInFocus [?]; Transfer [?] (the OpenMedia analog [C]); Accept [C-3p]/[I].

package conformance

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/workbinkit/workbinkit/spec"
)

// lifecycleSpecs: workitem-, chat-, email-lifecycle and contact-center-session.
func lifecycleSpecs() []specDef {
	var out []specDef
	out = append(out, workitemLifeSpecs()...)
	out = append(out, chatLifeSpecs()...)
	out = append(out, emailLifeSpecs()...)
	out = append(out, sessionSpecs()...)
	return out
}

// opVariant names an interaction operation for the report.
func opVariant(op string, m spec.Media) string {
	mi, _ := spec.MediaOf(m)
	return op + " · POST /api/v2/me/" + mi.ContentArray + "/{id}"
}

// The user data the specs attach, update and delete (values as the documentation's
// samples: a string and an integer).
var (
	attachData = map[string]any{"UserData1": "DATA1", "UserData2": 123456789}
	updateData = map[string]any{"UserData1": "DATAUPDATE-@123"}
)

func workitemLifeSpecs() []specDef {
	wl := feats(FeatureWorkitemLifecycle)
	wi := spec.MediaWorkitem
	one := []need{uses(1, wbAgent, wi)}
	return []specDef{
		{id: "workitem-lifecycle.user-data", text: "AttachUserData, UpdateUserData, DeleteUserData: each PropertiesUpdated carries the merged userData, Processing with its capabilities",
			features: wl, variant: opVariant(spec.OpAttachUserData, wi), needs: one, body: func(t *T) { userDataLife(t, wi) }},
		{id: "workitem-lifecycle.complete", text: "Complete: StatusChange Completed without capabilities; the workitem is no longer the agent's and takes no further operation",
			features: wl, variant: opVariant(spec.OpComplete, wi), needs: []need{uses(2, wbAgent, wi)}, body: func(t *T) { completeLife(t, wi) }},
		{id: "workitem-lifecycle.set-in-focus", text: "SetInFocus succeeds and changes neither state, capabilities nor userData",
			features: wl, variant: opVariant(spec.OpSetInFocus, wi), needs: one, body: func(t *T) { setInFocus(t, wi) }},
		{id: "workitem-lifecycle.transfer", text: "Transfer to another agent: the sender's workitem ends, the target is invited and can accept it",
			features: wl, variant: opVariant(spec.OpTransfer, wi), needs: one, body: func(t *T) { transferLife(t, wi) }},
		{id: "workitem-lifecycle.outside-capabilities", text: "an operation outside the workitem's capabilities (Accept while Processing) is refused and changes nothing",
			features: wl, variant: opVariant(spec.OpAccept, wi), needs: one, body: func(t *T) { outsideCapabilities(t, wi, spec.CapAccept) }},
		{id: "workitem-lifecycle.not-holder", text: "another agent's operation on the workitem is refused and changes nothing",
			features: wl, variant: opVariant(spec.OpAttachUserData, wi), needs: one, body: func(t *T) { notHolderLife(t, wi) }},
		{id: "workitem-lifecycle.in-workbin", text: "an operation on a workitem still in a workbin is refused and changes nothing",
			features: wl, variant: opVariant(spec.OpComplete, wi), needs: one, body: inWorkbinLife},
		{id: "workitem-lifecycle.bad-body", text: "AttachUserData without userData, with userData not an object, DeleteUserData with keys not an array: refused, nothing changed",
			features: wl, variant: opVariant(spec.OpAttachUserData, wi), needs: one, body: func(t *T) { badBodyLife(t, wi) }},
	}
}

// userDataLife: Attach, Update, Delete in turn; each PropertiesUpdated shows the data so
// far (so the earlier operations' data shows in later notifications too).
func userDataLife(t *T, m spec.Media) *held {
	h := pullToWork(t, m)
	mi, _ := spec.MediaOf(m)
	want := withKeys(h.userData(), attachData)
	n, res := t.act(h, opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: attachData}), spec.NotificationPropertiesUpdated)
	t.expectResource(n, m, res, mi.PulledState)
	t.expectUserData(n, m, res, want, nil, "AttachUserData")

	want = withKeys(want, updateData)
	n, res = t.act(h, opBody(spec.OpUpdateUserData, map[string]any{spec.FieldUserData: updateData}), spec.NotificationPropertiesUpdated)
	t.expectResource(n, m, res, mi.PulledState)
	t.expectUserData(n, m, res, want, nil, "UpdateUserData")

	want = withKeys(want, nil, "UserData1")
	n, res = t.act(h, opBody(spec.OpDeleteUserData, map[string]any{spec.FieldUserDataKeys: []string{"UserData1"}}), spec.NotificationPropertiesUpdated)
	t.expectResource(n, m, res, mi.PulledState)
	t.expectUserData(n, m, res, want, []string{"UserData1"}, "DeleteUserData")
	t.expectHeldData(h, want)
	return h
}

// expectHeldData: a later read, GET /api/v2/me?subresources=* (W15), shows the held
// interaction with the userData the notifications showed.
func (t *T) expectHeldData(h *held, want map[string]any) {
	held, ex := t.heldBy(h.sess, h.p.Media)
	res, ok := held[h.p.ID]
	if !ok {
		t.violate(Violation{Rule: RuleUserDataOps, Where: ex.Where(), Message: fmt.Sprintf("the agent's %s %s is not among the interactions GET /me lists", h.p.Media, h.p.ID)}, ex.Dump())
	}
	got, _ := res[spec.FieldUserData].(map[string]any)
	for k, v := range want {
		if !jsonEqual(got[k], v) {
			t.violate(Violation{Rule: RuleUserDataOps, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldUser, string(h.p.Media)+"s", h.p.ID, spec.FieldUserData, k),
				Message: fmt.Sprintf("a later read shows userData %q as %v; the last notification had %v", k, got[k], v)}, ex.Dump())
		}
	}
}

// completeLife: attach data, Complete: StatusChange Completed without capabilities
// (keeping the data, when the resource carries userData); the interaction is no longer
// the agent's; a later operation is refused and publishes nothing before a barrier.
func completeLife(t *T, m spec.Media) {
	h := pullToWork(t, m)
	t.act(h, opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: attachData}), spec.NotificationPropertiesUpdated)
	n, res := t.act(h, opBody(spec.OpComplete, nil), spec.NotificationStatusChange)
	t.expectResource(n, m, res, spec.StateCompleted)
	if _, has := res[spec.FieldUserData]; has {
		t.expectUserData(n, m, res, attachData, nil, "Complete")
	}
	t.expectNotHeld(h)
	// D15: a completed interaction leaves the agent's work and is gone (S13), so a later
	// operation is 404 / 6 (an unknown id, D13.capability-gate) under --strict; the codes of
	// an operation outside the capabilities are tolerated too, the evidence being silent.
	from := t.refuse(h, h.sess, opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: attachData}),
		refusal{rule: RuleCapabilityGate, what: "AttachUserData of a completed " + string(m), strict: spec.StatusNotFound, tolerated: append(outsideCaps, spec.StatusNotFound)})
	t.expectNothingBetween(h.l, h.p.ID, from, barrier(t, h.sess, h.l, wbAgent), "a refused operation on the completed "+string(m))
	t.setOwned(h.p.ID, "", m) // completed: nobody of the suite holds it any more
}

// setInFocus: SetInFocus is [?] everywhere (no page, no client): it must succeed (it is
// in the capabilities); a notification is allowed; what it shows must not change state,
// capabilities or userData.
func setInFocus(t *T, m spec.Media) {
	h := pullToWork(t, m)
	from := mark(h.l)
	ex := t.operate(h.sess, m, h.p.ID, opBody(spec.OpSetInFocus, nil))
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleSetInFocus, Where: ex.Where(), Message: fmt.Sprintf("SetInFocus, in the capabilities, was refused with HTTP %d %s; D18 accepts it", ex.Status, statusOf(ex))}, ex.Dump())
	}
	t.expectDone(h.sess, m, spec.OpSetInFocus, ex, "SetInFocus of "+string(m)+" "+h.p.ID)
	before := *h
	t.expectSameAfter(h, from, "SetInFocus", &before)
}

// expectSameAfter is expectSame for an accepted operation that must not change anything
// the resource shows: notifications about it between from and the barrier are allowed,
// but each must show the state, capabilities and userData of before.
func (t *T) expectSameAfter(h *held, from int, cause string, before *held) {
	mi, _ := spec.MediaOf(h.p.Media)
	barrierFrom := mark(h.l)
	n, res := t.act(h, opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: map[string]any{barrierKey: cause}}), spec.NotificationPropertiesUpdated)
	for _, e := range h.l.events() {
		if e.Index < from || e.Index >= barrierFrom || resourceID(e.Data, mi.ResourceKey) != h.p.ID {
			continue
		}
		r, _ := e.Data[mi.ResourceKey].(map[string]any)
		if st, _ := r[spec.FieldState].(string); st != before.state() {
			t.gap(Violation{Rule: RuleSetInFocus, Where: e.Describe(), Pointer: dataPointer(mi.ResourceKey, spec.FieldState), Message: fmt.Sprintf("after %s the state is %q; it was %q", cause, st, before.state())}, "message: "+string(e.Raw))
		}
	}
	t.expectResource(n, h.p.Media, res, before.state())
	t.expectUserData(n, h.p.Media, res, withKeys(before.userData(), map[string]any{barrierKey: cause}), nil, cause+" and AttachUserData")
}

// expectNotHeld: after Complete or Transfer the interaction is no longer among the
// agent's: GET /api/v2/me with subresources lists the interactions the user works on (W15).
func (t *T) expectNotHeld(h *held) {
	var last *Exchange
	err := t.await(t.s.opts.Timeouts.Consistency.D(), func() error {
		held, ex := t.heldBy(h.sess, h.p.Media)
		last = ex
		if ex.Status != http.StatusOK {
			return fmt.Errorf("HTTP %d %s", ex.Status, statusOf(ex))
		}
		if _, ok := held[h.p.ID]; ok {
			return fmt.Errorf("%s is still listed", h.p.ID)
		}
		return nil
	})
	if err != nil {
		t.violate(Violation{Rule: RuleCompleted, Where: last.Where(),
			Message: fmt.Sprintf("%s %s is still among the agent's %s after it ended: %v", h.p.Media, h.p.ID, t.s.opts.Timeouts.Consistency, err)}, last.Dump())
	}
}

// heldBy reads the interactions of media m that sess's user works on, by id (GET
// /api/v2/me?subresources=*, W15).
func (t *T) heldBy(sess *Session, m spec.Media) (map[string]map[string]any, *Exchange) {
	mi, _ := spec.MediaOf(m)
	ex := t.do(sess, http.MethodGet, spec.MePath(), nil, withQuery(spec.SubresourcesQuery("*")))
	user, _ := ex.JSON()[spec.FieldUser].(map[string]any)
	out := map[string]map[string]any{}
	for _, x := range asList(user[mi.ContentArray]) {
		if id, ok := x[spec.FieldID].(string); ok {
			out[id] = x
		}
	}
	return out, ex
}

// userURI is the uri of role's user, the targetUri of a Transfer, Invite or Consult.
func (t *T) userURI(role Role) string {
	return spec.UserURI(t.s.tg.base.String(), t.s.info.userID(role))
}

// transferLife: Transfer to agent2. Evidence for workitems is [?] (the OpenMedia analog
// [C]: the sender's StatusChange Completed, the target invited): the reply must be a
// success; the sender must lose the workitem (Completed, or Revoked with a warning); the
// target's invitation and its Accept are checked as the contract decides them, a missing
// invitation being a warning.
func transferLife(t *T, m spec.Media) {
	h := pullToWork(t, m)
	a2 := t.user(RoleAgent2)
	mi, _ := spec.MediaOf(m)
	l2 := t.listen(a2, mi.Channel)
	body := opBody(spec.OpTransfer, map[string]any{transferTargetKey(m): t.userURI(RoleAgent2)})
	from := mark(h.l)
	ex := t.operate(h.sess, m, h.p.ID, body)
	ref := t.expectDone(h.sess, m, spec.OpTransfer, ex, "Transfer of "+string(m)+" "+h.p.ID)
	n, ok := t.awaitEvent(h.l, lifeKind("the StatusChange of a Transfer"), note{m: m, id: h.p.ID, nt: spec.NotificationStatusChange, after: from, ref: ref}.matches)
	if !ok {
		t.violate(Violation{Rule: RuleTransfer, Where: "CometD " + mi.Channel + " (agent)", Message: fmt.Sprintf("no StatusChange about the transferred %s %s within %s", m, h.p.ID, t.waited)})
	}
	t.checkEvents(h.l)
	res, _ := n.Data[mi.ResourceKey].(map[string]any)
	switch st, _ := res[spec.FieldState].(string); st {
	case spec.StateCompleted:
		t.expectResource(n, m, res, spec.StateCompleted)
	case spec.StateRevoked:
		t.gap(Violation{Rule: RuleTransfer, Where: n.Describe(), Pointer: dataPointer(mi.ResourceKey, spec.FieldState), Message: "the sender's transferred interaction is Revoked; the contract decides Completed"}, "message: "+string(n.Raw))
	default:
		t.violate(Violation{Rule: RuleTransfer, Where: n.Describe(), Pointer: dataPointer(mi.ResourceKey, spec.FieldState), Message: fmt.Sprintf("after Transfer the sender's %s is %q; it is no longer the sender's (Completed)", m, st)}, "message: "+string(n.Raw))
	}
	t.expectNotHeld(h)
	t.setOwned(h.p.ID, "", m)
	inv, ok := t.awaitEvent(l2, lifeKind("a notice to the target of a Transfer"), func(e Notification) bool {
		return e.Channel == mi.Channel && resourceID(e.Data, mi.ResourceKey) == h.p.ID
	})
	if !ok {
		t.gap(Violation{Rule: RuleTransfer, Where: "CometD " + mi.Channel + " (agent2)", Message: fmt.Sprintf("the target of the Transfer received nothing about %s within %s", h.p.ID, t.waited)})
		return
	}
	t.checkEvents(l2)
	ires, _ := inv.Data[mi.ResourceKey].(map[string]any)
	if st, _ := ires[spec.FieldState].(string); st != spec.StateInvited {
		t.gap(Violation{Rule: RuleTransfer, Where: inv.Describe() + " (agent2)", Pointer: dataPointer(mi.ResourceKey, spec.FieldState), Message: fmt.Sprintf("the target's interaction is %q; the contract decides an invitation (Invited)", st)}, "message: "+string(inv.Raw))
		return
	}
	t.expectResource(inv, m, ires, spec.StateInvited)
	h2 := &held{p: h.p, sess: a2, l: l2, res: ires}
	n, res = t.act(h2, opBody(spec.OpAccept, nil), spec.NotificationStatusChange)
	t.expectResource(n, m, res, mi.PulledState)
	t.setOwned(h.p.ID, RoleAgent2, m)
	if m == spec.MediaChat {
		t.expectAcceptOrder(l2, h.p.ID, n)
	}
}

// expectAcceptOrder: after a chat Accept's StatusChange come, in this order, the
// ParticipantsUpdated and the MessageLogUpdated with the history [C]. D14 requires the
// first notification only: a missing or reordered follower is a warning.
func (t *T) expectAcceptOrder(l *Listener, id string, status Notification) {
	pu, ok := t.awaitEvent(l, lifeKind("the ParticipantsUpdated after an Accept"), func(e Notification) bool {
		nt, _ := e.Data[spec.FieldNotificationType].(string)
		return e.Index > status.Index && e.MessageType() == spec.MessageChatStateChange && nt == spec.NotificationParticipantsUpdated && resourceID(e.Data, "chat") == id
	})
	if !ok {
		t.gap(Violation{Rule: RuleOperationNotes, Where: "CometD " + spec.ChannelChats + " (" + string(l.role) + ")", Message: fmt.Sprintf("no ParticipantsUpdated after the StatusChange of the Accept of chat %s", id)})
		return
	}
	if _, ok := t.awaitEvent(l, lifeKind("the history after an Accept"), func(e Notification) bool {
		return e.Index > pu.Index && e.MessageType() == spec.MessageChatMessageLogUpdated && namesChat(e, id)
	}); !ok {
		t.gap(Violation{Rule: RuleOperationNotes, Where: "CometD " + spec.ChannelChats + " (" + string(l.role) + ")", Message: fmt.Sprintf("no MessageLogUpdated (the history) after the ParticipantsUpdated of the Accept of chat %s", id)})
	}
	t.checkEvents(l)
}

// transferTargetKey is the member naming the target user of a Transfer: targetUri, as the
// chat and OpenMedia pages send it; userUri for an email, as the email pages do
// (contradiction 2 of the reference: the iOS sample sends targetUri for emails too).
func transferTargetKey(m spec.Media) string {
	if m == spec.MediaEmail {
		return spec.FieldUserURI
	}
	return spec.FieldTargetURI
}

// outsideCapabilities: op is not among the interaction's capabilities in its state:
// refused, nothing changed.
func outsideCapabilities(t *T, m spec.Media, op string) {
	h := pullToWork(t, m)
	if caps := stringsIn(h.res[spec.FieldCapabilities]); slices.Contains(caps, op) {
		t.failf(RuleSetup, "the pulled "+string(m), "", "%s is among its capabilities %v: the spec needs an operation outside them", op, caps)
	}
	from := t.refuse(h, h.sess, opBody(op, nil), refusal{rule: RuleCapabilityGate, what: op + " of a " + h.state() + " " + string(m) + " (not in its capabilities)", strict: spec.StatusInvalidParameter, tolerated: outsideCaps})
	t.expectSame(h, from, "the refused "+op)
}

// notHolderLife: agent2 operates on the agent's interaction: refused, nothing changed.
func notHolderLife(t *T, m spec.Media) {
	h := pullToWork(t, m)
	a2 := t.user(RoleAgent2)
	from := t.refuse(h, a2, opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: attachData}),
		refusal{rule: RuleInteractionOwner, what: "another agent's AttachUserData of the agent's " + string(m), strict: spec.StatusNoPermission, tolerated: notHolder})
	t.expectSame(h, from, "another agent's AttachUserData")
}

// inWorkbinLife: Complete of a workitem nobody holds (it is in the agent's workbin).
func inWorkbinLife(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess, mediaChannels()...)
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	ex := t.operate(sess, p.Media, p.ID, opBody(spec.OpComplete, nil))
	t.expectRefused(ex, refusal{rule: RuleInteractionOwner, what: "Complete of a workitem in a workbin", strict: spec.StatusNoPermission, tolerated: notHolder})
	t.expectUnchanged(l, p)
}

// badBodyLife: malformed operation bodies on a held interaction: refused, nothing changed.
func badBodyLife(t *T, m spec.Media) {
	h := pullToWork(t, m)
	from := mark(h.l)
	cases := []struct {
		what   string
		body   map[string]any
		strict spec.StatusCode
	}{
		{"AttachUserData without userData", opBody(spec.OpAttachUserData, nil), spec.StatusMissingParameter},
		{"AttachUserData with userData a string", opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: "UserData1=DATA1"}), spec.StatusInvalidInput},
		{"DeleteUserData with keys a string", opBody(spec.OpDeleteUserData, map[string]any{spec.FieldUserDataKeys: "UserData1"}), spec.StatusInvalidInput},
	}
	for _, c := range cases {
		t.refuse(h, h.sess, c.body, refusal{rule: RuleBadBody, what: c.what, strict: c.strict, tolerated: badBody})
	}
	t.expectSame(h, from, "the refused malformed operations")
}
