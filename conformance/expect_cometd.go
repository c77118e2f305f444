// Expectations on CometD messages: each waits (bounded by timeouts.notification) for the
// message a request caused, picked by the predicates of match.go, then judges it.

package conformance

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// expectPulled waits for the media notification of a pull (D5 1) on l and checks it:
// channel, messageType, notificationType StatusChange, the referenceId of the HTTP reply
// (the suite listens before pulling, so either order of reply and event is accepted), the
// pulled state and capabilities, the userData kept, for chats the puller among the
// participants. nickname is the one requested ("" for none). A message about p that
// breaks the expectation fails the spec at once (match.go: pullNoteWrong).
func (t *T) expectPulled(l *Listener, p Placed, ref int64, puller Role, nickname string) Notification {
	mi, _ := spec.MediaOf(p.Media)
	found := t.awaitPullNote(l, p, ref)
	t.checkEvents(l)
	where := found.Describe() + " (" + string(l.role) + ")"
	raw := "message: " + string(found.Raw)
	res, _ := found.Data[mi.ResourceKey].(map[string]any)
	base := dataPointer(mi.ResourceKey)
	if st, _ := res[spec.FieldState].(string); st != mi.PulledState {
		t.violate(Violation{Rule: RuleState, Where: where, Pointer: base + spec.Pointer(spec.FieldState), Message: fmt.Sprintf("a pulled %s is %q, got %q", p.Media, mi.PulledState, st)}, raw)
	}
	t.checkCapabilities(where, base, p.Media, mi.PulledState, res, raw)
	t.checkUserData(where, base, p, res, raw)
	if p.Media == spec.MediaChat {
		t.expectParticipants(l, p, found, puller, nickname)
	}
	t.evidence("notification", string(found.Raw))
	t.setOwned(p.ID, puller, p.Media)
	return found
}

// awaitPullNote waits for the StatusChange the pull of p answered with ref caused (see
// pullNote) and returns it; it fails the spec, saying why, when none comes.
func (t *T) awaitPullNote(l *Listener, p Placed, ref int64) Notification {
	n, ok := t.awaitNote(l, t.pullNote(l, p, ref))
	if !ok {
		mi, _ := spec.MediaOf(p.Media)
		t.diagnoseMissing(l, p, mi, ref)
	}
	return n
}

// diagnoseMissing fails the spec saying why no matching notification came within the
// timeout: what came about p instead (none of it final, or the wait would have ended
// earlier), then the absence.
func (t *T) diagnoseMissing(l *Listener, p Placed, mi spec.MediaInfo, ref int64) {
	want := fmt.Sprintf("%s %s on %s about %s %s with referenceId %d", mi.MessageType, spec.NotificationStatusChange, mi.Channel, p.Media, p.ID, ref)
	for _, n := range l.events() {
		if resourceID(n.Data, mi.ResourceKey) != p.ID {
			continue
		}
		raw := "message: " + string(n.Raw)
		where := n.Describe() + " (" + string(l.role) + ")"
		nt, _ := n.Data[spec.FieldNotificationType].(string)
		switch {
		case n.Channel != mi.Channel:
			t.violate(Violation{Rule: RuleNotification, Where: where, Pointer: "/channel", Message: fmt.Sprintf("the %s about %s came on %s; want %s", n.MessageType(), p.ID, n.Channel, mi.Channel)}, raw)
		case n.MessageType() != mi.MessageType:
			t.violate(Violation{Rule: RuleNotification, Where: where, Pointer: dataPointer(spec.FieldMessageType), Message: fmt.Sprintf("messageType %q; want %q", n.MessageType(), mi.MessageType)}, raw)
		case !refIs(n.Data, ref):
			t.violate(Violation{Rule: RuleReferenceEcho, Where: where, Pointer: dataPointer(spec.FieldReferenceID), Message: fmt.Sprintf("referenceId %v; want %d, the HTTP reply's", n.Data[spec.FieldReferenceID], ref)}, raw)
		case nt != spec.NotificationStatusChange:
			t.violate(Violation{Rule: RuleNotification, Where: where, Pointer: dataPointer(spec.FieldNotificationType),
				Message: fmt.Sprintf("notificationType %q with the pull's referenceId, and no %s within %s; a pull is reported as %q", nt, spec.NotificationStatusChange, t.s.opts.Timeouts.Notification, spec.NotificationStatusChange)}, raw)
		}
	}
	var seen []string
	for _, n := range l.events() {
		seen = append(seen, n.Channel+" "+n.MessageType())
	}
	t.violate(Violation{Rule: RuleNotification, Where: "CometD (" + string(l.role) + ")", Message: fmt.Sprintf("no %s within %s (%d events received: %s)", want, t.s.opts.Timeouts.Notification, len(seen), strings.Join(seen, "; "))})
}

// checkCapabilities compares the capabilities with the contract's list for the state:
// as a set by default (the docs list them without saying the order matters), in the
// contract's order under --strict.
func (t *T) checkCapabilities(where, base string, m spec.Media, state string, res map[string]any, raw string) {
	want, _ := spec.Capabilities(m, state)
	got := stringsIn(res[spec.FieldCapabilities])
	var missing, extra []string
	for _, c := range want {
		if !slices.Contains(got, c) {
			missing = append(missing, c)
		}
	}
	for _, c := range got {
		if !slices.Contains(want, c) {
			extra = append(extra, c)
		}
	}
	switch {
	case len(missing) > 0 || len(extra) > 0:
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			parts = append(parts, "unexpected "+strings.Join(extra, ", "))
		}
		t.violate(Violation{Rule: RuleCapabilities, Where: where, Pointer: base + spec.Pointer(spec.FieldCapabilities),
			Message: fmt.Sprintf("a %s %s has %s; this one: %s", state, m, strings.Join(want, ", "), strings.Join(parts, "; "))}, raw)
	case t.s.opts.Strict && !slices.Equal(got, want):
		t.violate(Violation{Rule: RuleCapabilities, Where: where, Pointer: base + spec.Pointer(spec.FieldCapabilities),
			Message: fmt.Sprintf("order %s; want %s (--strict)", strings.Join(got, ", "), strings.Join(want, ", "))}, raw)
	}
}

// checkUserData checks that every userData key the workbin listed is still there with the
// same value. Tolerance: the target may add keys (routing adds its own).
func (t *T) checkUserData(where, base string, p Placed, res map[string]any, raw string) {
	listed, _ := p.Listed[spec.FieldUserData].(map[string]any)
	if len(listed) == 0 {
		return
	}
	got, ok := res[spec.FieldUserData].(map[string]any)
	if !ok {
		t.violate(Violation{Rule: RuleUserData, Where: where, Pointer: base + spec.Pointer(spec.FieldUserData), Message: fmt.Sprintf("the pulled %s has no userData; the workbin listed %d keys", p.Media, len(listed))}, raw)
	}
	for _, k := range slices.Sorted(maps.Keys(listed)) {
		v, ok := got[k]
		switch {
		case !ok:
			t.violate(Violation{Rule: RuleUserData, Where: where, Pointer: base + spec.Pointer(spec.FieldUserData, k), Message: fmt.Sprintf("userData key %q is gone (the workbin listed %v)", k, listed[k])}, raw)
		case !jsonEqual(v, listed[k]):
			t.violate(Violation{Rule: RuleUserData, Where: where, Pointer: base + spec.Pointer(spec.FieldUserData, k), Message: fmt.Sprintf("userData %q changed from %v to %v", k, listed[k], v)}, raw)
		}
	}
}

// expectParticipants checks a pulled chat lists the puller (D5): in the StatusChange of the
// pull, or, as the documentation's Accept shows it (StatusChange with participants [], then
// ParticipantsUpdated), in a ParticipantsUpdated about the chat within the notification
// timeout.
func (t *T) expectParticipants(l *Listener, p Placed, status Notification, puller Role, nickname string) {
	mi, _ := spec.MediaOf(p.Media)
	base := dataPointer(mi.ResourceKey)
	problem := t.participantsProblem(status.Describe()+" ("+string(l.role)+")", base, puller, nickname, status.Data)
	if problem == nil {
		return
	}
	later, ok := t.awaitNote(l, wait{kind: kindParticipants, rule: RuleParticipants,
		what:    fmt.Sprintf("%s %s about chat %s listing the puller", mi.MessageType, spec.NotificationParticipantsUpdated, p.ID),
		pointer: problem.Pointer, context: problem.Message + " in the " + spec.NotificationStatusChange,
		match: func(n Notification) bool {
			nt, _ := n.Data[spec.FieldNotificationType].(string)
			return n.Index > status.Index && n.Channel == mi.Channel && n.MessageType() == mi.MessageType && nt == spec.NotificationParticipantsUpdated &&
				resourceID(n.Data, mi.ResourceKey) == p.ID && t.participantsProblem("", base, puller, nickname, n.Data) == nil
		}})
	if ok {
		t.evidence("participants", string(later.Raw))
		return
	}
	problem.Message += fmt.Sprintf("; nor did a %s within %s", spec.NotificationParticipantsUpdated, t.s.opts.Timeouts.Notification)
	t.violate(*problem, "message: "+string(status.Raw))
}

// participantsProblem checks the chat of a notification's data lists the puller: an Agent
// participant (or Supervisor for a supervisor, W12) with the requested nickname; without
// one, any nickname by default and the user name under --strict (D5). nil: it does.
func (t *T) participantsProblem(where, base string, puller Role, nickname string, data map[string]any) *Violation {
	mi, _ := spec.MediaOf(spec.MediaChat)
	res, _ := data[mi.ResourceKey].(map[string]any)
	types := []string{spec.ParticipantAgent}
	if puller == RoleSupervisor {
		types = append(types, spec.ParticipantSupervisor)
	}
	want := nickname
	if want == "" && t.s.opts.Strict {
		want = t.s.opts.Users.Credentials(puller).User
	}
	parts, _ := res[spec.FieldParticipants].([]any)
	var seen []string
	for _, x := range parts {
		p, _ := x.(map[string]any)
		typ, _ := p[spec.FieldParticipantType].(string)
		nick, _ := p[spec.FieldNickname].(string)
		seen = append(seen, fmt.Sprintf("%s %q", typ, nick))
		if slices.Contains(types, typ) && (want == "" || nick == want) {
			return nil
		}
	}
	wantText := "a participant of type " + strings.Join(types, " or ")
	if want != "" {
		wantText += fmt.Sprintf(" with nickname %q", want)
	}
	return &Violation{Rule: RuleParticipants, Where: where, Pointer: base + spec.Pointer(spec.FieldParticipants),
		Message: fmt.Sprintf("a pulled chat lists the puller: want %s; got [%s]", wantText, strings.Join(seen, ", "))}
}

// expectSubscriptionNote waits for the WorkbinSubscriptionStateChangeMessage of a
// Subscribe/Unsubscribe with referenceId ref. One without a referenceId, as the
// documentation's samples show it, is accepted with a warning when its stateResource is
// the one wanted (D4 wants the echo; --strict fails it); a wrong referenceId fails.
func expectSubscriptionNote(t *T, l *Listener, workbinID string, ref int64, want, ownerID string) {
	n, ok := t.awaitNote(l, wait{kind: kindSubscription, rule: RuleSubscription,
		what: fmt.Sprintf("%s %s about workbin %s with referenceId %d", spec.MessageWorkbinSubscriptionStateChange, want, workbinID, ref),
		match: func(n Notification) bool {
			if !isSubscriptionNote(n, workbinID) || n.Channel != spec.ChannelWorkbins {
				return false
			}
			_, hasRef := n.Data[spec.FieldReferenceID]
			st, _ := n.Data[spec.FieldStateResource].(string)
			return refIs(n.Data, ref) || (!hasRef && st == want)
		},
		wrong: func(n Notification) *Violation { return subscriptionNoteWrong(n, workbinID) },
	})
	if _, hasRef := n.Data[spec.FieldReferenceID]; ok && !hasRef {
		t.warn(Violation{Rule: RuleReferenceEcho, Where: n.Describe() + " (" + string(l.role) + ")", Pointer: dataPointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("no referenceId; D4 wants the HTTP reply's (%d) on the notification of a request (the documentation's samples show none)", ref)}, "message: "+string(n.Raw))
	}
	if !ok {
		for _, e := range l.events() {
			if isSubscriptionNote(e, workbinID) {
				raw := "message: " + string(e.Raw)
				if e.Channel != spec.ChannelWorkbins {
					t.violate(Violation{Rule: RuleSubscription, Where: e.Describe(), Message: fmt.Sprintf("it came on %s; want %s", e.Channel, spec.ChannelWorkbins)}, raw)
				}
				t.violate(Violation{Rule: RuleReferenceEcho, Where: e.Describe(), Pointer: dataPointer(spec.FieldReferenceID),
					Message: fmt.Sprintf("referenceId %v; want %d, the HTTP reply's", e.Data[spec.FieldReferenceID], ref)}, raw)
			}
		}
		t.violate(Violation{Rule: RuleSubscription, Where: "CometD " + spec.ChannelWorkbins + " (" + string(l.role) + ")",
			Message: fmt.Sprintf("no %s about workbin %s with referenceId %d within %s (received: %s)", spec.MessageWorkbinSubscriptionStateChange, workbinID, ref, t.s.opts.Timeouts.Notification, seenChannels(l))})
	}
	t.checkEvents(l)
	raw := "message: " + string(n.Raw)
	if st, _ := n.Data[spec.FieldStateResource].(string); st != want {
		t.violate(Violation{Rule: RuleSubscription, Where: n.Describe(), Pointer: dataPointer(spec.FieldStateResource), Message: fmt.Sprintf("stateResource %q; want %q", st, want)}, raw)
	}
	if ownerID != "" {
		if got, _ := n.Data[spec.FieldWorkbinUserID].(string); got != ownerID {
			t.violate(Violation{Rule: RuleSubscription, Where: n.Describe(), Pointer: dataPointer(spec.FieldWorkbinUserID), Message: fmt.Sprintf("workbinUserId %q; want the agent's id %q (supervisor subscription)", got, ownerID)}, raw)
		}
	}
}

// workbinEvent is what a WorkbinStateChangeMessage must say.
type workbinEvent struct {
	action string
	w      WorkbinRef
	p      Placed
	// ref is the referenceId the copy must carry; 0: it must carry none (D5: only the
	// requester's copy has one).
	ref int64
	// userID is the workbinUserId it must carry ("" for none expected).
	userID string
}

// expectWorkbinEvent waits for a WorkbinStateChangeMessage on l and checks it (D5 2). The
// requester's copy with another referenceId fails the spec at once (workbinEventWrong).
func expectWorkbinEvent(t *T, l *Listener, e workbinEvent) Notification {
	about := func(n Notification) bool { return isWorkbinEventAbout(n, e.action, e.w.ID, e.p) }
	n, ok := t.awaitNote(l, wait{kind: kindWorkbinEvent(e.action), rule: RuleWorkbinEvent,
		what:  fmt.Sprintf("%s %s about %s %s in workbin %s", spec.MessageWorkbinStateChange, e.action, e.p.Media, e.p.ID, e.w.ID),
		match: func(n Notification) bool { return about(n) && (e.ref == 0 || refIs(n.Data, e.ref)) },
		wrong: func(n Notification) *Violation { return workbinEventWrong(n, e, t.isAccounted(l.role, n)) },
	})
	if !ok {
		for _, x := range l.events() {
			if about(x) && e.ref != 0 {
				t.violate(Violation{Rule: RuleReferenceEcho, Where: x.Describe() + " (" + string(l.role) + ")", Pointer: dataPointer(spec.FieldReferenceID),
					Message: fmt.Sprintf("referenceId %v; want %d, the HTTP reply's", x.Data[spec.FieldReferenceID], e.ref)}, "message: "+string(x.Raw))
			}
		}
		t.violate(Violation{Rule: RuleWorkbinEvent, Where: "CometD " + spec.ChannelWorkbins + " (" + string(l.role) + ")",
			Message: fmt.Sprintf("no %s %s about %s %s in workbin %s within %s (received: %s)", spec.MessageWorkbinStateChange, e.action, e.p.Media, e.p.ID, e.w.ID, t.s.opts.Timeouts.Notification, seenChannels(l))})
	}
	t.checkEvents(l)
	where, raw := n.Describe()+" ("+string(l.role)+")", "message: "+string(n.Raw)
	if n.Channel != spec.ChannelWorkbins {
		t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Message: fmt.Sprintf("it came on %s; want %s", n.Channel, spec.ChannelWorkbins)}, raw)
	}
	if _, has := n.Data[spec.FieldReferenceID]; e.ref == 0 && has {
		t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Pointer: dataPointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("a subscriber who did not make the request got referenceId %v; only the requester's copy carries one (D5)", n.Data[spec.FieldReferenceID])}, raw)
	}
	if e.w.isGroup() {
		if got, _ := n.Data[e.w.Param].(string); got != e.w.Group {
			t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Pointer: dataPointer(e.w.Param), Message: fmt.Sprintf("%s %q; want %q for a group workbin (D5)", e.w.Param, got, e.w.Group)}, raw)
		}
	}
	if e.userID != "" {
		if got, _ := n.Data[spec.FieldWorkbinUserID].(string); got != e.userID {
			t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Pointer: dataPointer(spec.FieldWorkbinUserID), Message: fmt.Sprintf("workbinUserId %q; want the agent's id %q after a supervisor's pull (D5, D10)", got, e.userID)}, raw)
		}
	}
	return n
}

// expectNoStray fails when l received, before event index before, an event about id that
// no accepted request of the spec accounts for (expectNothingBetween from the start).
func (t *T) expectNoStray(l *Listener, id string, before int, cause string) {
	t.expectNothingBetween(l, id, 0, before, cause)
}
