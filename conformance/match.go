// Matching: the one place where a CometD message is tied to what caused it (the spec's
// request, by referenceId; the interaction or workbin it is about; routing's placement).
// The expectations in expect_cometd.go wait for messages through these predicates and
// judge only what they pick; caused decides which messages a spec answers for at all.

package conformance

import (
	"errors"
	"strings"

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

// awaitEvent waits for an event of l that match accepts.
func (t *T) awaitEvent(l *Listener, match func(Notification) bool) (Notification, bool) {
	var found Notification
	err := t.await(t.s.opts.Timeouts.Notification.D(), func() error {
		for _, n := range l.events() {
			if match(n) {
				found = n
				return nil
			}
		}
		return errors.New("not yet")
	})
	return found, err == nil
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
