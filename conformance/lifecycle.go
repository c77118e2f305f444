// The interaction's life after the pull (issue 12): how a spec works on an interaction the
// agent holds (POST /api/v2/me/{media}/{id}), waits for the notifications an operation
// causes, and checks the state, capabilities, user data and transcript they carry, and
// that a refused operation changed nothing. The specs are in specs_lifecycle_*.go.
//
// Tolerance. Where the Genesys evidence is an inference or missing ([I]/[?] in the
// reference: SetInFocus, workitem Transfer and Accept, chat Transfer notifications, the
// contact-center session's channel states, Error payloads), a value outside what the
// contract knows is a warning (t.gap): the spec passes and the report lists it; --strict
// makes it a failure.

package conformance

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// held is an interaction the agent pulled and now works on: its session, a listener on
// every channel of the contract, and the resource as the last notification showed it.
type held struct {
	p    Placed
	sess *Session
	l    *Listener
	res  map[string]any
}

// pullToWork provisions an interaction of media m into the agent's workbin and pulls it
// (the media's own pull operation; a chat with a nickname), as pull-workitem checks.
func pullToWork(t *T, m spec.Media) *held {
	mi, _ := spec.MediaOf(m)
	c := pullCase{form: formWorkbins, op: mi.PullOperation, media: m, workbin: wbAgent, puller: RoleAgent}
	if m == spec.MediaChat {
		c.nickname = "Conformance Agent"
	}
	r := runPull(t, c)
	res, _ := r.n.Data[mi.ResourceKey].(map[string]any)
	return &held{p: r.p, sess: r.sess, l: r.l, res: res}
}

// state is the state the last notification showed.
func (h *held) state() string { s, _ := h.res[spec.FieldState].(string); return s }

// userData is the userData the last notification showed (nil when it showed none).
func (h *held) userData() map[string]any {
	u, _ := h.res[spec.FieldUserData].(map[string]any)
	return u
}

// opBody is an operation body: operationName plus members.
func opBody(op string, members map[string]any) map[string]any {
	b := map[string]any{spec.FieldOperationName: op}
	maps.Copy(b, members)
	return b
}

// operate POSTs body to the interaction's operation URL, /api/v2/me/{media}/{id}, as sess.
func (t *T) operate(sess *Session, m spec.Media, id string, body any, opts ...reqOption) *Exchange {
	return t.do(sess, http.MethodPost, spec.MyInteractionPath(m, id), body, opts...)
}

// mark is the index the next event of l will have: a notification an operation causes
// has at least the mark taken before the request (it may come before the HTTP reply).
func mark(l *Listener) int { return len(l.events()) }

// expectDone checks the reply of an operation the interaction's capabilities allow:
// HTTP 200 with statusCode 0 (the contract, checked in t.do, says whether a referenceId
// belongs in it for this media; --strict wants the form D13 gives op). A referenceId, when there is one, is a fresh positive
// integer (D4) and the spec's notifications may echo it. It returns it (0: none).
func (t *T) expectDone(sess *Session, m spec.Media, op string, ex *Exchange, what string) int64 {
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleOperation, Where: ex.Where(),
			Message: fmt.Sprintf("%s was refused with HTTP %d %s; it is in the interaction's capabilities, so it succeeds: HTTP 200 {statusCode:0}", what, ex.Status, statusOf(ex))}, ex.Dump())
	}
	body := ex.JSON()
	if code, ok := intOf(body[spec.FieldStatusCode]); !ok || code != 0 {
		t.violate(Violation{Rule: RuleOperation, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldStatusCode), Message: fmt.Sprintf("%s: statusCode %v; success is 0", what, body[spec.FieldStatusCode])}, ex.Dump())
	}
	raw, has := body[spec.FieldReferenceID]
	if t.s.opts.Strict && has != spec.ReplyHasReferenceID(m, op) {
		want := "{statusCode:0}"
		if !has {
			want = "{statusCode:0, referenceId}"
		}
		t.violate(Violation{Rule: RuleOperation, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("%s answered %s; D13 gives %s for it as its page prints it (--strict)", what, clipText(string(ex.ResponseBody), 80), want)}, ex.Dump())
	}
	if !has {
		return 0
	}
	ref, ok := intOf(raw)
	if !ok || ref < 1 {
		t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceID), Message: fmt.Sprintf("%s: referenceId %v; want a positive integer", what, raw)}, ex.Dump())
	}
	if !sess.noteReference(ref) {
		t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("%s: referenceId %d was already answered earlier in this HTTP session; referenceIds are unique per session (D4)", what, ref)}, ex.Dump())
	}
	t.noteAccepted(sess.role, ref)
	return ref
}

// gap records what the evidence leaves open as a warning: the spec passes; --strict makes
// it a failure.
func (t *T) gap(v Violation, details ...string) {
	v.Message += " (the Genesys evidence is an inference or missing here: a warning)"
	t.warn(v, details...)
}

// note is a media notification an operation must cause.
type note struct {
	m  spec.Media
	id string
	// nt is the notificationType (StatusChange, PropertiesUpdated, ParticipantsUpdated).
	nt string
	// after: only events from this index on (mark before the request).
	after int
	// ref: the operation's referenceId (0: its reply had none). A notification with another
	// referenceId is another request's; one without is accepted with a warning (D4).
	ref int64
	// what names the operation in messages ("AttachUserData of workitem 02F…").
	what string
}

func (w note) matches(n Notification) bool {
	mi, _ := spec.MediaOf(w.m)
	nt, _ := n.Data[spec.FieldNotificationType].(string)
	if n.Index < w.after || n.Channel != mi.Channel || n.MessageType() != mi.MessageType || resourceID(n.Data, mi.ResourceKey) != w.id || nt != w.nt {
		return false
	}
	_, hasRef := n.Data[spec.FieldReferenceID]
	return w.ref == 0 || !hasRef || refIs(n.Data, w.ref)
}

// expectNote waits for the notification w on l and returns it with its resource. What
// came instead about the interaction is named in the failure.
func (t *T) expectNote(l *Listener, w note) (Notification, map[string]any) {
	mi, _ := spec.MediaOf(w.m)
	n, ok := t.awaitEvent(l, lifeKind("a "+w.nt), w.matches)
	if !ok {
		var seen []string
		for _, e := range l.events() {
			if e.Index >= w.after && mentions(e, w.id) {
				nt, _ := e.Data[spec.FieldNotificationType].(string)
				seen = append(seen, fmt.Sprintf("%s %s %s referenceId %v", e.Channel, e.MessageType(), nt, e.Data[spec.FieldReferenceID]))
			}
		}
		if len(seen) == 0 {
			seen = []string{"nothing"}
		}
		want := fmt.Sprintf("%s %s on %s about %s", mi.MessageType, w.nt, mi.Channel, w.id)
		if w.ref > 0 {
			want += fmt.Sprintf(" with referenceId %d", w.ref)
		}
		t.violate(Violation{Rule: RuleOperationNotes, Where: "CometD (" + string(l.role) + ")",
			Message: fmt.Sprintf("%s: no %s within %s (about it since the request: %s)", w.what, want, t.waited, strings.Join(seen, "; "))})
	}
	t.checkEvents(l)
	if _, has := n.Data[spec.FieldReferenceID]; w.ref > 0 && !has {
		// D14: the workitem pages show the echo [C]; for chat and email copies it is a warning.
		v := Violation{Rule: RuleReferenceEcho, Where: n.Describe() + " (" + string(l.role) + ")", Pointer: dataPointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("%s: no referenceId; D4 and D14 want the HTTP reply's (%d) on the caller's notification", w.what, w.ref)}
		if w.m == spec.MediaWorkitem {
			t.violate(v, "message: "+string(n.Raw))
		}
		t.warn(v, "message: "+string(n.Raw))
	}
	res, _ := n.Data[mi.ResourceKey].(map[string]any)
	t.evidence("notification", string(n.Raw))
	return n, res
}

// expectResource checks a notified resource's state and capabilities: the state is want;
// the capabilities are the contract's list for it (as a set; in order under --strict).
// Completed has none: an empty list or, as the chat samples show, no member at all.
func (t *T) expectResource(n Notification, m spec.Media, res map[string]any, want string) {
	mi, _ := spec.MediaOf(m)
	where, raw, base := n.Describe(), "message: "+string(n.Raw), dataPointer(mi.ResourceKey)
	rule := stateRule(want)
	if st, _ := res[spec.FieldState].(string); st != want {
		t.violate(Violation{Rule: rule, Where: where, Pointer: base + spec.Pointer(spec.FieldState), Message: fmt.Sprintf("state %q; want %q", st, want)}, raw)
	}
	caps, has := res[spec.FieldCapabilities]
	wantCaps, known := spec.Capabilities(m, want)
	if !known {
		return
	}
	if !has && len(wantCaps) == 0 {
		return
	}
	got := stringsIn(caps)
	if msg := capsProblem(wantCaps, got, t.s.opts.Strict); msg != "" {
		t.violate(Violation{Rule: rule, Where: where, Pointer: base + spec.Pointer(spec.FieldCapabilities),
			Message: fmt.Sprintf("a %s %s has [%s]; this one: %s", want, m, strings.Join(wantCaps, ", "), msg)}, raw)
	}
}

// stateRule is the rule a state after an operation answers to: D15 for Completed and
// LeftChat, else the operation's notification (D14).
func stateRule(state string) Rule {
	switch state {
	case spec.StateCompleted:
		return RuleCompleted
	case spec.StateLeftChat:
		return RuleLeftChat
	}
	return RuleOperationNotes
}

// capsProblem compares capabilities with the contract's list: "" when they agree (as a
// set; in order too when strict).
func capsProblem(want, got []string, strict bool) string {
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
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+strings.Join(extra, ", "))
	}
	if len(parts) == 0 && strict && !slices.Equal(got, want) {
		parts = append(parts, "in the order ["+strings.Join(got, ", ")+"] (--strict wants the contract's order)")
	}
	return strings.Join(parts, "; ")
}

// expectUserData checks a notified resource's userData: every key of want with its value
// (JSON-equal), none of gone. Other keys may be there (routing adds its own).
func (t *T) expectUserData(n Notification, m spec.Media, res map[string]any, want map[string]any, gone []string, what string) {
	mi, _ := spec.MediaOf(m)
	where, raw, base := n.Describe(), "message: "+string(n.Raw), dataPointer(mi.ResourceKey, spec.FieldUserData)
	got, ok := res[spec.FieldUserData].(map[string]any)
	if !ok && len(want) > 0 {
		t.violate(Violation{Rule: RuleUserDataOps, Where: where, Pointer: base, Message: fmt.Sprintf("after %s the resource has no userData", what)}, raw)
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := got[k]
		switch {
		case !ok:
			t.violate(Violation{Rule: RuleUserDataOps, Where: where, Pointer: base + spec.Pointer(k), Message: fmt.Sprintf("after %s userData has no key %q (want %v)", what, k, want[k])}, raw)
		case !jsonEqual(v, want[k]):
			t.violate(Violation{Rule: RuleUserDataOps, Where: where, Pointer: base + spec.Pointer(k), Message: fmt.Sprintf("after %s userData %q is %v; want %v", what, k, v, want[k])}, raw)
		}
	}
	for _, k := range gone {
		if v, ok := got[k]; ok {
			t.violate(Violation{Rule: RuleUserDataOps, Where: where, Pointer: base + spec.Pointer(k), Message: fmt.Sprintf("after %s userData still has %q (%v); it was deleted", what, k, v)}, raw)
		}
	}
}

// withKeys is m plus add, minus drop (a copy).
func withKeys(m map[string]any, add map[string]any, drop ...string) map[string]any {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, add)
	for _, k := range drop {
		delete(out, k)
	}
	return out
}

// act performs one operation the interaction's capabilities allow and waits for the
// notification it causes: reply HTTP 200 statusCode 0, then the media notification nt
// about it, whose resource it returns (and keeps in h).
func (t *T) act(h *held, body map[string]any, nt string) (Notification, map[string]any) {
	op, _ := body[spec.FieldOperationName].(string)
	what := fmt.Sprintf("%s of %s %s", op, h.p.Media, h.p.ID)
	from := mark(h.l)
	ex := t.operate(h.sess, h.p.Media, h.p.ID, body)
	ref := t.expectDone(h.sess, h.p.Media, op, ex, what)
	n, res := t.expectNote(h.l, note{m: h.p.Media, id: h.p.ID, nt: nt, after: from, ref: ref, what: what})
	h.res = res
	return n, res
}

// barrierKey is the userData key of the AttachUserData that expectSame uses as a barrier.
const barrierKey = "WorkbinkitBarrier"

// expectSame proves a refused operation (sent after index from) changed nothing of the
// interaction the agent holds: the owner attaches a barrier key; its PropertiesUpdated
// shows the state, capabilities and userData as before (plus the key), and nothing about
// the interaction came between the refused request and it. Tolerance: in-order delivery of
// one user's events.
func (t *T) expectSame(h *held, from int, cause string) {
	before := h.res
	beforeState := h.state()
	beforeData := h.userData()
	n, res := t.act(h, opBody(spec.OpAttachUserData, map[string]any{spec.FieldUserData: map[string]any{barrierKey: cause}}), spec.NotificationPropertiesUpdated)
	t.expectNothingBetween(h.l, h.p.ID, from, n.Index, cause)
	mi, _ := spec.MediaOf(h.p.Media)
	where, raw, base := n.Describe(), "message: "+string(n.Raw), dataPointer(mi.ResourceKey)
	if st, _ := res[spec.FieldState].(string); st != beforeState {
		t.violate(Violation{Rule: RuleNothingChanged, Where: where, Pointer: base + spec.Pointer(spec.FieldState), Message: fmt.Sprintf("after %s the state is %q; it was %q", cause, st, beforeState)}, raw)
	}
	if a, b := stringsIn(before[spec.FieldCapabilities]), stringsIn(res[spec.FieldCapabilities]); !slices.Equal(a, b) {
		t.violate(Violation{Rule: RuleNothingChanged, Where: where, Pointer: base + spec.Pointer(spec.FieldCapabilities), Message: fmt.Sprintf("after %s the capabilities are %v; they were %v", cause, b, a)}, raw)
	}
	got, _ := res[spec.FieldUserData].(map[string]any)
	want := withKeys(beforeData, map[string]any{barrierKey: cause})
	if ptr, diff := firstDiff(want, got, ""); ptr != "" || diff != "" {
		t.violate(Violation{Rule: RuleNothingChanged, Where: where, Pointer: base + spec.Pointer(spec.FieldUserData) + ptr, Message: fmt.Sprintf("after %s the userData changed: %s", cause, diff)}, raw)
	}
}

// expectNothingBetween fails when l received, from index from up to (not including) until,
// an event about id that no accepted request of the spec accounts for: a refused request
// publishes nothing. An event echoing the referenceId of one of the spec's earlier accepted
// requests (the pull's ItemRemoved, late on a subscribed workbin) is that request's; the
// provisioning's ItemAdded is routing's. A MessageLogUpdated names its chat by uri or path:
// mentions finds both.
func (t *T) expectNothingBetween(l *Listener, id string, from, until int, cause string) {
	for _, e := range l.events() {
		if e.Index >= from && e.Index < until && mentions(e, id) && !t.isAccounted(l.role, e) && !isPlacement(e) {
			t.violate(Violation{Rule: RuleNothingChanged, Where: e.Describe() + " (" + string(l.role) + ")",
				Message: fmt.Sprintf("a notification about %s came after %s, which must change nothing and publish nothing", id, cause)}, "message: "+string(e.Raw))
		}
	}
}

// refuse sends a refused operation on h's interaction as sess and checks the refusal r
// (r.rule names the D13 rule); it returns the mark taken before the request, for
// expectSame.
func (t *T) refuse(h *held, sess *Session, body any, r refusal, opts ...reqOption) int {
	from := mark(h.l)
	ex := t.operate(sess, h.p.Media, h.p.ID, body, opts...)
	t.expectRefused(ex, r)
	return from
}

// The statusCode sets of a refused operation (decided with the mock; the reference
// documents no code for them: [I] statusCode 2 for "not valid for the current state").
var (
	// outsideCaps: an operation not in the interaction's current capabilities.
	outsideCaps = []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusForbidden, spec.StatusInvalidInput}
	// notHolder: an operation on an interaction the caller does not hold.
	notHolder = []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusForbidden, spec.StatusNoPermission, spec.StatusNotFound}
)

// lifeKind names a kind of message of the operations after the pull, in words ("a
// PropertiesUpdated", "the chat transcript"…): when one wait of a process got none of a
// kind within timeouts.notification, later waits for that kind are given a short window
// only (findings.absenceWindow: the quiet window, or four times the slowest delivery seen),
// so that a target that never sends it is reported in seconds, not in a timeout per spec. Kinds are coarse on purpose (a PropertiesUpdated of any media, the invitee of an
// Invite or a Consult): a server that leaves one out rarely sends it elsewhere, and a
// spec cut short that way says which earlier spec waited in vain.
func lifeKind(what string) noteKind { return noteKind(lifePrefix + what) }

const lifePrefix = "life:"

// awaitEvent waits for an event of l that match accepts, through awaitNote: it fails at
// once when l can no longer deliver, or, after the quiet window, when the target was
// found to deliver no notification at all. Otherwise it waits timeouts.notification, or
// a short window when an earlier wait for kind got nothing (lifeKind). When it comes
// back empty, t.waited says how long it waited, and why not longer.
func (t *T) awaitEvent(l *Listener, kind noteKind, match func(Notification) bool) (Notification, bool) {
	timeout := t.s.opts.Timeouts.Notification.D()
	w := wait{rule: RuleNotification, what: "the notification this step waits for", match: match}
	learned := t.s.found.absence(kind)
	if learned != "" {
		timeout = t.s.found.absenceWindow(t.s.opts.Timeouts.Quiet.D(), timeout)
	}
	n, ok := t.awaitNoteWithin(l, w, timeout)
	switch {
	case ok:
	case learned != "":
		t.waited = fmt.Sprintf("%s (%s; the suite did not wait %s again)", timeout, learned, t.s.opts.Timeouts.Notification)
	default:
		t.waited = timeout.String()
		if t.ctx.Err() == nil {
			t.s.found.learnAbsence(kind, t.id, timeout)
		}
	}
	return n, ok
}
