// workbin-subscriptions: Subscribe/Unsubscribe and the WorkbinStateChangeMessage of
// subscribers (D5 2).

package conformance

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// subscriptionSpecs: workbin-subscriptions.
func subscriptionSpecs() []specDef {
	ws := feats(FeatureWorkbinSubscriptions)
	return []specDef{
		{id: "workbin-subscriptions.subscribe-unsubscribe", text: "Subscribe and Unsubscribe are confirmed with their referenceIds; after Unsubscribe no workbin event comes", features: ws,
			variant: variant(spec.Subscribe, formWorkbins), serial: true, needs: []need{uses(2, wbAgent, spec.MediaWorkitem)}, body: subscribeUnsubscribe},
		{id: "workbin-subscriptions.item-removed", text: "a subscriber's own pull brings ItemRemoved with its referenceId", features: ws,
			variant: variant(spec.PullWorkitem, formWorkbins), needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: itemRemoved},
		{id: "workbin-subscriptions.subscribe-many", text: "Subscribe to several workbins answers one referenceId per workbin, each confirmed", features: ws,
			variant: spec.Subscribe + " · POST /api/v2/me/workbins?workbinIds=", body: subscribeMany},
		{id: "workbin-subscriptions.group-subscribers", text: "every subscriber of a group workbin gets ItemRemoved naming the group; only the puller's copy has the referenceId",
			features: feats(FeatureWorkbinSubscriptions, FeatureGroupWorkbins), variant: variant(spec.PullWorkitem, formAgentGroup), needs: []need{uses(1, wbAgentGroup, spec.MediaWorkitem)}, body: groupSubscribers},
		{id: "workbin-subscriptions.supervisor", text: "a supervisor subscribed to an agent's workbin gets workbinUserId on the subscription and on ItemRemoved",
			features: feats(FeatureWorkbinSubscriptions, FeatureSupervisor), variant: variant(spec.Subscribe, formUser), needs: []need{uses(1, wbAgent2, spec.MediaWorkitem)}, body: supervisorSubscription},
	}
}

// subscribe sends Subscribe or Unsubscribe for w and waits for its
// WorkbinSubscriptionStateChangeMessage on l.
func subscribe(t *T, sess *Session, l *Listener, f urlForm, w WorkbinRef, op string) int64 {
	t.noteSubscribing(w.ID)
	ex := t.post(sess, formOf(w, f), w, map[string]any{spec.FieldOperationName: op})
	ref := t.expectAccepted(sess, ex, op+" to "+w.Label)
	want := spec.SubscriptionSubscribed
	if op == spec.Unsubscribe {
		want = spec.SubscriptionUnsubscribed
	}
	ownerID := ""
	if f == formUser {
		ownerID = t.s.info.userID(w.Owner)
	}
	expectSubscriptionNote(t, l, w.ID, ref, want, ownerID)
	return ref
}

func subscribeUnsubscribe(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess)
	w := t.wb(wbAgent)
	subscribe(t, sess, l, formWorkbins, w, spec.Subscribe)
	subscribe(t, sess, l, formMe, w, spec.Unsubscribe)
	p := t.provision(w, spec.MediaWorkitem)
	ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem)
	ref := t.expectAccepted(sess, ex, "pull after Unsubscribe")
	t.expectPulled(l, p, ref, RoleAgent, "")
	until := barrier(t, sess, l, wbAgent)
	for _, e := range l.about(p.ID) {
		if e.Index < until && e.MessageType() == spec.MessageWorkbinStateChange {
			t.violate(Violation{Rule: RuleSubscription, Where: e.Describe(), Message: fmt.Sprintf("a %s about %s came after Unsubscribe", spec.MessageWorkbinStateChange, p.ID)}, "message: "+string(e.Raw))
		}
	}
}

func itemRemoved(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess)
	w := t.wb(wbAgent)
	subscribe(t, sess, l, formWorkbins, w, spec.Subscribe)
	p := t.provision(w, spec.MediaWorkitem)
	ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem)
	ref := t.expectAccepted(sess, ex, "pull")
	t.expectPulled(l, p, ref, RoleAgent, "")
	expectWorkbinEvent(t, l, workbinEvent{action: spec.ActionItemRemoved, w: w, p: p, ref: ref})
}

func subscribeMany(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess)
	ids := []string{t.wb(wbAgent).ID}
	if pw := t.wb(wbAgentPlace); pw.ID != "" {
		ids = append(ids, pw.ID)
	}
	for _, id := range ids {
		t.noteSubscribing(id)
	}
	ex := t.do(sess, http.MethodPost, spec.MyWorkbinsPath(), map[string]any{spec.FieldOperationName: spec.Subscribe},
		withQuery(spec.WorkbinIDsQuery(ids...)))
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleEnvelope, Where: ex.Where(), Message: fmt.Sprintf("Subscribe to %s was refused: HTTP %d %s", strings.Join(ids, ", "), ex.Status, statusOf(ex))}, ex.Dump())
	}
	refs, _ := ex.JSON()[spec.FieldReferenceIDs].(map[string]any)
	for _, id := range ids {
		ref, ok := intOf(refs[id])
		if !ok || ref < 1 {
			t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceIDs, id), Message: fmt.Sprintf("referenceIds[%q] is %v; want a positive integer per workbin", id, refs[id])}, ex.Dump())
		}
		if !sess.noteReference(ref) {
			t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceIDs, id), Message: fmt.Sprintf("referenceId %d repeats within the HTTP session (D4)", ref)}, ex.Dump())
		}
		t.noteAccepted(sess.role, ref)
		expectSubscriptionNote(t, l, id, ref, spec.SubscriptionSubscribed, "")
	}
}

func groupSubscribers(t *T) {
	a1, a2 := t.user(RoleAgent), t.user(RoleAgent2)
	l1, l2 := t.listen(a1), t.listen(a2)
	w := t.wb(wbAgentGroup)
	if w.ID == "" {
		t.failf(RuleSetup, "workbins.agentGroup", "", "no AgentGroup workbin is configured")
	}
	subscribe(t, a1, l1, formMe, w, spec.Subscribe)
	subscribe(t, a2, l2, formMe, w, spec.Subscribe)
	p := t.provision(w, spec.MediaWorkitem)
	ex := t.pull(a1, formMe, p, spec.PullWorkitem)
	ref := t.expectAccepted(a1, ex, "group pull")
	t.expectPulled(l1, p, ref, RoleAgent, "")
	expectWorkbinEvent(t, l1, workbinEvent{action: spec.ActionItemRemoved, w: w, p: p, ref: ref})
	expectWorkbinEvent(t, l2, workbinEvent{action: spec.ActionItemRemoved, w: w, p: p})
}

func supervisorSubscription(t *T) {
	sup := t.user(RoleSupervisor)
	l := t.listen(sup)
	w := t.wb(wbAgent2)
	subscribe(t, sup, l, formUser, w, spec.Subscribe)
	p := t.provision(w, spec.MediaWorkitem)
	ex := t.pull(sup, formUser, p, spec.PullWorkitem)
	ref := t.expectAccepted(sup, ex, "supervisor pull")
	t.expectPulled(l, p, ref, RoleSupervisor, "")
	expectWorkbinEvent(t, l, workbinEvent{action: spec.ActionItemRemoved, w: w, p: p, ref: ref, userID: t.s.info.userID(RoleAgent2)})
}
