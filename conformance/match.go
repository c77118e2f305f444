// Matching: the one place where a CometD message is tied to what caused it (the spec's
// request, by referenceId; the interaction or workbin it is about; routing's placement).
// The expectations in expect_cometd.go wait for messages through these predicates and
// judge only what they pick; caused decides which messages a spec answers for at all.

package conformance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// mediaChannels are the channels of the media notifications (not /v2/me/workbins): what a
// "nothing was published" check listens to, so that workbin events of provisioning do not
// count.
func mediaChannels() []string {
	var out []string
	for _, m := range spec.AllMedia() {
		mi, _ := spec.MediaOf(m)
		out = append(out, mi.Channel)
	}
	return out
}

// wait is what a waiter waits for on a listener.
type wait struct {
	// kind is what the first probe may have found broken (probe.go); "" for none.
	kind noteKind
	// what names the message in failure messages ("WorkitemStateChangeMessage about …").
	what string
	// rule is what a failure of the wait breaks.
	rule Rule
	// match picks the message waited for.
	match func(Notification) bool
	// pointer and context, when set, go into the violation a finding of the first probe
	// makes: the JSON pointer of what is missing, and what the spec already saw.
	pointer, context string
	// wrong returns the violation a message makes final: it is about the same thing (the
	// interaction, the referenceId) and breaks the expectation in a way no later message
	// can mend. nil: it is not final (another legitimate message, or none of ours).
	wrong func(Notification) *Violation
}

// awaitNote waits, at most timeouts.notification, for the message w matches on l. It
// does not wait out the timeout when the verdict is known before: it fails the spec at
// once when a message is wrong for w, when a message the spec caused breaks the contract,
// when l can no longer deliver events (Listener.fault), or when the first probe showed
// the target does not deliver what w waits for. Only a true absence waits the timeout:
// then ok is false and the caller says what is missing.
func (t *T) awaitNote(l *Listener, w wait) (n Notification, ok bool) {
	return t.awaitNoteWithin(l, w, t.s.opts.Timeouts.Notification.D())
}

// awaitNoteWithin is awaitNote with another timeout.
func (t *T) awaitNoteWithin(l *Listener, w wait, timeout time.Duration) (n Notification, ok bool) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	// Events wake the loop at once; the ticker lets the connect watchdog run meanwhile.
	tick := time.NewTicker(max(t.s.opts.Timeouts.Poll.D(), 10*time.Millisecond))
	defer tick.Stop()
	where := "CometD (" + string(l.role) + ")"
	start := time.Now()
	for {
		changed := l.rec.Changed()
		evs := l.events()
		for _, n := range evs {
			if w.match(n) {
				t.s.found.deliveredAfter(time.Since(start))
				return n, true
			}
		}
		if w.wrong != nil {
			for _, n := range evs {
				if v := w.wrong(n); v != nil {
					if v.Where == "" {
						v.Where = n.Describe() + " (" + string(l.role) + ")"
					}
					t.violate(*v, "message: "+string(n.Raw))
				}
			}
		}
		t.checkEvents(l)
		if f := l.fault(time.Now(), t.s.opts.Timeouts.Immediate.D()); f != "" {
			t.violate(Violation{Rule: RuleBayeux, Where: where, Message: fmt.Sprintf("no %s: %s", w.what, f)})
		}
		// Given the probe's finding, the message is given the quiet window (in which the
		// suite concludes that something does not happen), not the whole timeout: long
		// enough for the spec's own message, if any, to be judged on its own.
		if f := t.s.finding(w.kind); f != "" && time.Since(start) >= t.s.opts.Timeouts.Quiet.D() {
			msg := fmt.Sprintf("no %s within %s, and %s; the suite does not wait %s for it", w.what, t.s.opts.Timeouts.Quiet, f, timeout)
			if w.context != "" {
				msg = w.context + "; " + msg
			}
			v := Violation{Rule: w.rule, Where: where, Pointer: w.pointer, Message: msg}
			if pv, ok := t.s.probeViolation(w.kind); ok {
				// What the probe saw (a wrong referenceId, say) is what the spec fails for.
				v.Rule, v.Pointer = pv.Rule, cmp.Or(pv.Pointer, w.pointer)
			}
			t.violate(v)
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			if t.ctx.Err() == nil && timeout >= t.s.opts.Timeouts.Notification.D() {
				t.learnSilence(l, w.what, timeout)
			}
			return Notification{}, false
		}
	}
}

// pullNote is the wait for the media notification of the pull of p answered with ref:
// its StatusChange on p's media channel, echoing ref. Other notifications about p that
// may legitimately come first (a ParticipantsUpdated, a PropertiesUpdated, one without
// referenceId) are passed over; pullNoteWrong says which are final.
func (t *T) pullNote(l *Listener, p Placed, ref int64) wait {
	mi, _ := spec.MediaOf(p.Media)
	return wait{
		kind: kindMedia(p.Media), rule: RuleNotification,
		what:  fmt.Sprintf("%s %s on %s about %s %s with referenceId %d", mi.MessageType, spec.NotificationStatusChange, mi.Channel, p.Media, p.ID, ref),
		match: func(n Notification) bool { return isPullStatus(n, p, ref) },
		wrong: func(n Notification) *Violation { return pullNoteWrong(n, p, ref, t.isAccounted(l.role, n)) },
	}
}

// isPullStatus reports whether n is the StatusChange the pull of p answered with ref caused.
func isPullStatus(n Notification, p Placed, ref int64) bool {
	mi, _ := spec.MediaOf(p.Media)
	nt, _ := n.Data[spec.FieldNotificationType].(string)
	return n.MessageType() == mi.MessageType && nt == spec.NotificationStatusChange && isPullNote(n.Channel, n.Data, p, ref)
}

// pullNoteWrong is the violation n makes final for the wait of pullNote, or nil. Only a
// message about p counts: p was provisioned for this spec, so nothing else (another
// spec, another process) speaks of it. Final are: p's media message on another channel of
// the contract; a message on p's media channel whose messageType that channel does not
// carry; p's media message with a referenceId that is neither ref nor the reply of
// another request of the spec (accounted). A message without referenceId, or with a
// known messageType or notificationType other than the one waited for, is not final.
func pullNoteWrong(n Notification, p Placed, ref int64, accounted bool) *Violation {
	mi, _ := spec.MediaOf(p.Media)
	if resourceID(n.Data, mi.ResourceKey) != p.ID {
		return nil
	}
	_, hasRef := n.Data[spec.FieldReferenceID]
	switch {
	case n.MessageType() == mi.MessageType && n.Channel != mi.Channel && isContractChannel(n.Channel):
		return &Violation{Rule: RuleNotification, Pointer: "/channel",
			Message: fmt.Sprintf("the %s about %s %s came on %s; it is published on %s (D5)", mi.MessageType, p.Media, p.ID, n.Channel, mi.Channel)}
	case n.Channel == mi.Channel && !slices.Contains(spec.MessageTypes(mi.Channel), n.MessageType()):
		return &Violation{Rule: RuleNotification, Pointer: dataPointer(spec.FieldMessageType),
			Message: fmt.Sprintf("messageType %q about %s %s on %s, which carries %s; a pull is reported as %s (D5)", n.MessageType(), p.Media, p.ID, mi.Channel, strings.Join(spec.MessageTypes(mi.Channel), ", "), mi.MessageType)}
	case n.Channel == mi.Channel && n.MessageType() == mi.MessageType && hasRef && !refIs(n.Data, ref) && !accounted:
		return &Violation{Rule: RuleReferenceEcho, Pointer: dataPointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("referenceId %v on the %s about %s %s; want %d, the pull's HTTP reply's (no other request of the spec answered %v)", n.Data[spec.FieldReferenceID], mi.MessageType, p.Media, p.ID, ref, n.Data[spec.FieldReferenceID])}
	}
	return nil
}

// subscriptionNoteWrong is the violation n makes final for the wait for the subscription
// notification about workbin workbinID, or nil: the message on another channel of the
// contract. A referenceId other than the request's is not final by itself: the
// workbin is not the spec's alone, and another process may subscribe to it at the same
// time (the first probe, run alone, tells whether the target echoes it).
func subscriptionNoteWrong(n Notification, workbinID string) *Violation {
	if !isSubscriptionNote(n, workbinID) || n.Channel == spec.ChannelWorkbins || !isContractChannel(n.Channel) {
		return nil
	}
	return &Violation{Rule: RuleSubscription, Pointer: "/channel",
		Message: fmt.Sprintf("the %s about workbin %s came on %s; want %s", spec.MessageWorkbinSubscriptionStateChange, workbinID, n.Channel, spec.ChannelWorkbins)}
}

// statsNoteWrong is the violation n makes final for the wait for the WorkbinStatsMessage
// answering RequestAgentStats ref, or nil: a message carrying ref that is not one (only
// that message answers the request).
func statsNoteWrong(n Notification, ref int64) *Violation {
	if !refIs(n.Data, ref) || n.MessageType() == spec.MessageWorkbinStats {
		return nil
	}
	return &Violation{Rule: RuleAgentStats, Pointer: dataPointer(spec.FieldMessageType),
		Message: fmt.Sprintf("messageType %q with the referenceId %d of RequestAgentStats; it is answered by a %s", n.MessageType(), ref, spec.MessageWorkbinStats)}
}

// workbinEventWrong is the violation n makes final for the wait for e, or nil: the
// requester's copy (e.ref set) of the event about e.p carrying a referenceId that is
// neither e.ref nor the reply of another request of the spec (accounted). The
// interaction is the spec's alone.
func workbinEventWrong(n Notification, e workbinEvent, accounted bool) *Violation {
	_, hasRef := n.Data[spec.FieldReferenceID]
	if e.ref == 0 || !hasRef || refIs(n.Data, e.ref) || accounted || !isWorkbinEventAbout(n, e.action, e.w.ID, e.p) {
		return nil
	}
	return &Violation{Rule: RuleReferenceEcho, Pointer: dataPointer(spec.FieldReferenceID),
		Message: fmt.Sprintf("referenceId %v on the %s %s about %s; want %d, the HTTP reply's (no other request of the spec answered %v)", n.Data[spec.FieldReferenceID], spec.MessageWorkbinStateChange, e.action, e.p.ID, e.ref, n.Data[spec.FieldReferenceID])}
}

// isPullNote reports whether a media notification (channel, data) is the one the pull of p
// answered with referenceId ref caused: on p's media channel, about p, echoing ref.
func isPullNote(channel string, data map[string]any, p Placed, ref int64) bool {
	mi, _ := spec.MediaOf(p.Media)
	return channel == mi.Channel && resourceID(data, mi.ResourceKey) == p.ID && refIs(data, ref)
}

// isSubscriptionNote reports whether n is a WorkbinSubscriptionStateChangeMessage about
// workbin workbinID (whatever its channel and referenceId).
func isSubscriptionNote(n Notification, workbinID string) bool {
	id, _ := n.Data[spec.FieldID].(string)
	return n.MessageType() == spec.MessageWorkbinSubscriptionStateChange && id == workbinID
}

// isWorkbinEventAbout reports whether n is a WorkbinStateChangeMessage with action about
// p in workbin workbinID (whatever its channel and referenceId).
func isWorkbinEventAbout(n Notification, action, workbinID string, p Placed) bool {
	mi, _ := spec.MediaOf(p.Media)
	id, _ := n.Data[spec.FieldID].(string)
	act, _ := n.Data[spec.FieldAction].(string)
	return n.MessageType() == spec.MessageWorkbinStateChange && id == workbinID && act == action && resourceID(n.Data, mi.StateResourceV2Key) == p.ID
}

// isStatsNote reports whether n is the WorkbinStatsMessage answering RequestAgentStats ref.
func isStatsNote(n Notification, ref int64) bool {
	return n.MessageType() == spec.MessageWorkbinStats && refIs(n.Data, ref)
}

// resourceID is the id of the resource data holds under key ("" when there is none).
func resourceID(data map[string]any, key string) string {
	res, _ := data[key].(map[string]any)
	id, _ := res[spec.FieldID].(string)
	return id
}

// refIs reports whether data carries referenceId ref.
func refIs(data map[string]any, ref int64) bool {
	v, ok := intOf(data[spec.FieldReferenceID])
	return ok && v == ref
}

// noteAccepted records a referenceId of an accepted request of role.
func (t *T) noteAccepted(role Role, ref int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.accepted[role] == nil {
		t.accepted[role] = map[int64]bool{}
	}
	t.accepted[role][ref] = true
}

// isAccounted reports whether an event of role's listener carries the referenceId of one
// of the spec's accepted requests.
func (t *T) isAccounted(role Role, n Notification) bool {
	ref, ok := intOf(n.Data[spec.FieldReferenceID])
	if !ok {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.accepted[role][ref]
}

// caused reports whether the spec's own actions caused n, an event of role's listener: it
// carries the referenceId of one of the spec's accepted requests, or it is about an
// interaction the spec provisioned (by id, uri or chatPath: a MessageLogUpdated names its
// chat by chatPath or chatUri only), or it is the subscription change of a workbin the spec
// sent Subscribe or Unsubscribe for. A spec is judged on these messages only; the others
// (another spec's, on another process; the target's own) go to the stream-level check.
func (t *T) caused(role Role, n Notification) bool {
	if t.isAccounted(role, n) {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for id := range t.placed {
		if mentions(n, id) {
			return true
		}
	}
	if n.MessageType() == spec.MessageWorkbinSubscriptionStateChange {
		id, _ := n.Data[spec.FieldID].(string)
		return t.subscribed[id]
	}
	return false
}

// mentions reports whether n names the interaction id: as a JSON string value, or as the
// last segment of one (a uri, a chatPath).
func mentions(n Notification, id string) bool {
	raw := string(n.Raw)
	return strings.Contains(raw, `"`+id+`"`) || strings.Contains(raw, `/`+id+`"`)
}

// noteSubscribing records, before the request goes out, a workbin the spec sends Subscribe
// or Unsubscribe for (its notification may come before the HTTP reply, and without a
// referenceId).
func (t *T) noteSubscribing(workbinID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.subscribed[workbinID] = true
}

// isPlacement reports whether n is the ItemAdded of an interaction placed by routing (or
// the mock's admin API): no referenceId, since no request of the user caused it.
func isPlacement(n Notification) bool {
	_, hasRef := n.Data[spec.FieldReferenceID]
	act, _ := n.Data[spec.FieldAction].(string)
	return n.MessageType() == spec.MessageWorkbinStateChange && act == spec.ActionItemAdded && !hasRef
}

// seenChannels lists what l received, for failure messages.
func seenChannels(l *Listener) string {
	var seen []string
	for _, n := range l.events() {
		seen = append(seen, n.Channel+" "+n.MessageType())
	}
	if len(seen) == 0 {
		return "nothing"
	}
	return strings.Join(seen, "; ")
}
