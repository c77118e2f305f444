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
			variant: variant(spec.Subscribe, formWorkbins), serial: true, body: subscribeUnsubscribe},
		{id: "workbin-subscriptions.item-removed", text: "a subscriber's own pull brings ItemRemoved with its referenceId", features: ws,
			variant: variant(spec.PullWorkitem, formWorkbins), body: itemRemoved},
		{id: "workbin-subscriptions.subscribe-many", text: "Subscribe to several workbins answers one referenceId per workbin, each confirmed", features: ws,
			variant: spec.Subscribe + " · POST /api/v2/me/workbins?workbinIds=", body: subscribeMany},
		{id: "workbin-subscriptions.group-subscribers", text: "every subscriber of a group workbin gets ItemRemoved naming the group; only the puller's copy has the referenceId",
			features: feats(FeatureWorkbinSubscriptions, FeatureGroupWorkbins), variant: variant(spec.PullWorkitem, formAgentGroup), body: groupSubscribers},
		{id: "workbin-subscriptions.supervisor", text: "a supervisor subscribed to an agent's workbin gets workbinUserId on the subscription and on ItemRemoved",
			features: feats(FeatureWorkbinSubscriptions, FeatureSupervisor), variant: variant(spec.Subscribe, formUser), body: supervisorSubscription},
	}
}

// subscribe sends Subscribe or Unsubscribe for w and waits for its
// WorkbinSubscriptionStateChangeMessage on l.
func subscribe(t *T, sess *Session, l *Listener, f urlForm, w WorkbinRef, op string) int64 {
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

// expectSubscriptionNote waits for the WorkbinSubscriptionStateChangeMessage of a
// Subscribe/Unsubscribe with referenceId ref.
func expectSubscriptionNote(t *T, l *Listener, workbinID string, ref int64, want, ownerID string) {
	isNote := func(n Notification) bool {
		id, _ := n.Data[spec.FieldID].(string)
		return n.MessageType() == spec.MessageWorkbinSubscriptionStateChange && id == workbinID
	}
	n, ok := t.awaitEvent(l, func(n Notification) bool { return isNote(n) && n.Channel == spec.ChannelWorkbins && refIs(n.Data, ref) })
	if !ok {
		for _, e := range l.events() {
			if isNote(e) {
				raw := "message: " + string(e.Raw)
				if e.Channel != spec.ChannelWorkbins {
					t.violate(Violation{Rule: RuleSubscription, Where: e.Describe(), Message: fmt.Sprintf("it came on %s; want %s", e.Channel, spec.ChannelWorkbins)}, raw)
				}
				t.violate(Violation{Rule: RuleReferenceEcho, Where: e.Describe(), Pointer: "/data/" + spec.FieldReferenceID,
					Message: fmt.Sprintf("referenceId %v; want %d, the HTTP reply's", e.Data[spec.FieldReferenceID], ref)}, raw)
			}
		}
		t.violate(Violation{Rule: RuleSubscription, Where: "CometD " + spec.ChannelWorkbins + " (" + string(l.role) + ")",
			Message: fmt.Sprintf("no %s about workbin %s with referenceId %d within %s (received: %s)", spec.MessageWorkbinSubscriptionStateChange, workbinID, ref, t.s.opts.Timeouts.Notification, seenChannels(l))})
	}
	t.checkEvents(l)
	raw := "message: " + string(n.Raw)
	if st, _ := n.Data[spec.FieldStateResource].(string); st != want {
		t.violate(Violation{Rule: RuleSubscription, Where: n.Describe(), Pointer: "/data/" + spec.FieldStateResource, Message: fmt.Sprintf("stateResource %q; want %q", st, want)}, raw)
	}
	if ownerID != "" {
		if got, _ := n.Data[spec.FieldWorkbinUserID].(string); got != ownerID {
			t.violate(Violation{Rule: RuleSubscription, Where: n.Describe(), Pointer: "/data/" + spec.FieldWorkbinUserID, Message: fmt.Sprintf("workbinUserId %q; want the agent's id %q (supervisor subscription)", got, ownerID)}, raw)
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

// expectWorkbinEvent waits for a WorkbinStateChangeMessage on l and checks it (D5 2).
func expectWorkbinEvent(t *T, l *Listener, e workbinEvent) Notification {
	mi, _ := spec.MediaOf(e.p.Media)
	about := func(n Notification) bool {
		id, _ := n.Data[spec.FieldID].(string)
		act, _ := n.Data[spec.FieldAction].(string)
		return n.MessageType() == spec.MessageWorkbinStateChange && id == e.w.ID && act == e.action && resourceID(n.Data, mi.StateResourceV2Key) == e.p.ID
	}
	n, ok := t.awaitEvent(l, func(n Notification) bool {
		return about(n) && (e.ref == 0 || refIs(n.Data, e.ref))
	})
	if !ok {
		for _, x := range l.events() {
			if about(x) && e.ref != 0 {
				t.violate(Violation{Rule: RuleReferenceEcho, Where: x.Describe() + " (" + string(l.role) + ")", Pointer: "/data/" + spec.FieldReferenceID,
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
		t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Pointer: "/data/" + spec.FieldReferenceID,
			Message: fmt.Sprintf("a subscriber who did not make the request got referenceId %v; only the requester's copy carries one (D5)", n.Data[spec.FieldReferenceID])}, raw)
	}
	if e.w.isGroup() {
		if got, _ := n.Data[e.w.Param].(string); got != e.w.Group {
			t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Pointer: "/data/" + e.w.Param, Message: fmt.Sprintf("%s %q; want %q for a group workbin (D5)", e.w.Param, got, e.w.Group)}, raw)
		}
	}
	if e.userID != "" {
		if got, _ := n.Data[spec.FieldWorkbinUserID].(string); got != e.userID {
			t.violate(Violation{Rule: RuleWorkbinEvent, Where: where, Pointer: "/data/" + spec.FieldWorkbinUserID, Message: fmt.Sprintf("workbinUserId %q; want the agent's id %q after a supervisor's pull (D5, D10)", got, e.userID)}, raw)
		}
	}
	return n
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
	ex := t.do(sess, http.MethodPost, spec.BasePath+"/me/workbins", map[string]any{spec.FieldOperationName: spec.Subscribe},
		query(spec.ParamWorkbinIDs, strings.Join(ids, ",")))
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleEnvelope, Where: ex.Where(), Message: fmt.Sprintf("Subscribe to %s was refused: HTTP %d %s", strings.Join(ids, ", "), ex.Status, statusOf(ex))}, ex.Dump())
	}
	refs, _ := ex.JSON()[spec.FieldReferenceIDs].(map[string]any)
	for _, id := range ids {
		ref, ok := intOf(refs[id])
		if !ok || ref < 1 {
			t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: "/" + spec.FieldReferenceIDs + spec.Pointer(id), Message: fmt.Sprintf("referenceIds[%q] is %v; want a positive integer per workbin", id, refs[id])}, ex.Dump())
		}
		if !sess.noteReference(ref) {
			t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: "/" + spec.FieldReferenceIDs + spec.Pointer(id), Message: fmt.Sprintf("referenceId %d repeats within the HTTP session (D4)", ref)}, ex.Dump())
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

// addSpecs: add-to-workbin.
func addSpecs() []specDef {
	add := feats(FeatureAddToWorkbin)
	return []specDef{
		{id: "add-to-workbin.add-by-id", text: "AddWorkitem of a workitem the agent owns: listed InWorkbin again, and pullable", features: add,
			variant: variant(spec.AddWorkitem, formWorkbins), body: func(t *T) { addBack(t, spec.AddWorkitem, formWorkbins, false, false) }},
		{id: "add-to-workbin.add-by-uri", text: "AddInteraction with the interaction's uri", features: add,
			variant: variant(spec.AddInteraction, formMe), body: func(t *T) { addBack(t, spec.AddInteraction, formMe, true, false) }},
		{id: "add-to-workbin.not-owned", text: "Add of an interaction the agent does not own is refused and changes nothing", features: add,
			variant: variant(spec.AddWorkitem, formWorkbins), body: addNotOwned},
		{id: "add-to-workbin.item-added", text: "a subscriber's own Add brings ItemAdded with its referenceId", features: feats(FeatureAddToWorkbin, FeatureWorkbinSubscriptions),
			variant: variant(spec.AddWorkitem, formWorkbins), body: func(t *T) { addBack(t, spec.AddWorkitem, formWorkbins, false, true) }},
	}
}

// addBack pulls a fresh interaction (so the agent owns it), adds it back with op, and
// checks it is listed again and can be pulled again.
func addBack(t *T, op string, f urlForm, byURI, subscribed bool) {
	r := runPull(t, pullCase{form: formWorkbins, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgent, puller: RoleAgent})
	if subscribed {
		subscribe(t, r.sess, r.l, formWorkbins, r.p.Workbin, spec.Subscribe)
	}
	body := map[string]any{spec.FieldOperationName: op}
	if byURI {
		uri, _ := r.p.Listed[spec.FieldURI].(string)
		if uri == "" {
			mi, _ := spec.MediaOf(r.p.Media)
			uri = t.s.tg.base.String() + spec.BasePath + "/" + mi.ContentArray + "/" + r.p.ID
		}
		body[spec.FieldURI] = uri
	} else {
		body[spec.FieldID] = r.p.ID
	}
	ex := t.post(r.sess, f, r.p.Workbin, body)
	ref := t.expectAccepted(r.sess, ex, op+" of owned "+r.p.ID)
	t.setOwned(r.p.ID, "", r.p.Media)
	if subscribed {
		n := expectWorkbinEvent(t, r.l, workbinEvent{action: spec.ActionItemAdded, w: r.p.Workbin, p: r.p, ref: ref})
		mi, _ := spec.MediaOf(r.p.Media)
		res, _ := n.Data[mi.StateResourceV2Key].(map[string]any)
		if caps, ok := res[spec.FieldCapabilities].([]any); ok && len(caps) > 0 {
			t.violate(Violation{Rule: RuleWorkbinEvent, Where: n.Describe(), Pointer: "/data/" + mi.StateResourceV2Key + "/" + spec.FieldCapabilities,
				Message: fmt.Sprintf("the added interaction has capabilities %v; in a workbin it has none (D11, N2)", caps)}, "message: "+string(n.Raw))
		}
	}
	listed := t.awaitListed(r.p.Workbin, r.p.ID, "added")
	p := Placed{ID: r.p.ID, Media: r.p.Media, Workbin: r.p.Workbin, Listed: listed.Resource}
	ex = t.pull(r.sess, formWorkbins, p, spec.PullWorkitem)
	ref = t.expectAccepted(r.sess, ex, "pull of the added "+p.ID)
	t.expectPulled(r.l, p, ref, RoleAgent, "")
}

func addNotOwned(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess, mediaChannels()...)
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	target := t.wb(wbAgentPlace)
	if target.ID == "" {
		target = p.Workbin
	}
	ex := t.post(sess, formWorkbins, target, map[string]any{spec.FieldOperationName: spec.AddWorkitem, spec.FieldID: p.ID})
	// D11: only an interaction the caller owns; 400 / 2 in the mock. Tolerated: 5 (no
	// permission) and 6 (not found among the caller's interactions), any 4xx.
	t.expectRefused(ex, refusal{rule: RuleOwnership, what: "an Add of an interaction in a workbin",
		strict: spec.StatusInvalidParameter, tolerated: []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNoPermission, spec.StatusNotFound}})
	t.expectUnchanged(l, p)
}

// statsSpecs: agent-stats.
func statsSpecs() []specDef {
	return []specDef{
		{id: "agent-stats.request-agent-stats", text: "RequestAgentStats counts what the agent's workbins hold", features: feats(FeatureAgentStats),
			variant: spec.RequestAgentStats + " · POST /api/v2/workbins", serial: true, body: agentStats},
	}
}

func agentStats(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess)
	w := t.wb(wbAgent)
	items, _ := t.contentOf(w)
	ex := t.do(sess, http.MethodPost, spec.BasePath+"/workbins", map[string]any{spec.FieldOperationName: spec.RequestAgentStats})
	ref := t.expectAccepted(sess, ex, spec.RequestAgentStats)
	n, ok := t.awaitEvent(l, func(n Notification) bool {
		return n.MessageType() == spec.MessageWorkbinStats && refIs(n.Data, ref)
	})
	if !ok {
		t.violate(Violation{Rule: RuleAgentStats, Where: "CometD " + spec.ChannelWorkbins,
			Message: fmt.Sprintf("no %s with referenceId %d within %s (received: %s)", spec.MessageWorkbinStats, ref, t.s.opts.Timeouts.Notification, seenChannels(l))})
	}
	t.checkEvents(l)
	raw := "message: " + string(n.Raw)
	if n.Channel != spec.ChannelWorkbins {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Message: fmt.Sprintf("it came on %s; want %s (N1)", n.Channel, spec.ChannelWorkbins)}, raw)
	}
	stats, _ := n.Data[spec.FieldWorkbinStats].(map[string]any)
	entry, ok := stats[w.ID].(map[string]any)
	if !ok {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Pointer: "/data/" + spec.FieldWorkbinStats + spec.Pointer(w.ID), Message: fmt.Sprintf("no entry for the agent's workbin %s", w.ID)}, raw)
	}
	after, _ := t.contentOf(w)
	count, _ := intOf(entry[spec.FieldStatCount])
	if int(count) != len(items) && int(count) != len(after) {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Pointer: "/data/" + spec.FieldWorkbinStats + spec.Pointer(w.ID) + "/" + spec.FieldStatCount,
			Message: fmt.Sprintf("Count %d; the workbin lists %d interactions", count, len(items))}, raw)
	}
	if typ, _ := entry[spec.FieldStatType].(string); typ != spec.WorkbinAgent {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Pointer: "/data/" + spec.FieldWorkbinStats + spec.Pointer(w.ID) + "/" + spec.FieldStatType, Message: fmt.Sprintf("Type %q; want %q", typ, spec.WorkbinAgent)}, raw)
	}
}
