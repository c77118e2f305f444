// Pulls: pull-workitem (the core: URL forms, referenceIds, a second pull, concurrent
// pulls, isolation, the reads the suite relies on), pull-chat and pull-email.

package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/workbinkit/workbinkit/spec"
)

// pullCase is one successful pull to run and check.
type pullCase struct {
	form     urlForm
	op       string
	media    spec.Media
	workbin  string // a TargetInfo workbin name
	puller   Role
	nickname string
}

// pulled is what runPull leaves for further checks.
type pulled struct {
	p    Placed
	ref  int64
	l    *Listener
	sess *Session
	n    Notification
}

// runPull provisions an interaction, listens as the puller on every channel of the
// contract, pulls, and checks the D3/D4 reply, the D5 notification and the D11 content.
func runPull(t *T, c pullCase) pulled {
	sess := t.user(c.puller)
	l := t.listen(sess)
	p := t.provision(t.wb(c.workbin), c.media)
	body := pullBody(c.op, p.ID)
	if c.nickname != "" {
		body[spec.FieldNickname] = c.nickname
	}
	ex := t.post(sess, formOf(p.Workbin, c.form), p.Workbin, body)
	ref := t.expectAccepted(sess, ex, c.op+" of "+string(c.media)+" "+p.ID)
	n := t.expectPulled(l, p, ref, c.puller, c.nickname)
	t.awaitGone(p.Workbin, p.ID)
	return pulled{p: p, ref: ref, l: l, sess: sess, n: n}
}

func pullSpec(id, text string, fs []Feature, c pullCase) specDef {
	return specDef{id: id, text: text, features: fs, variant: variant(c.op, formOf(WorkbinRef{Param: paramOf(c.workbin)}, c.form)),
		needs: []need{c.need()}, body: func(t *T) { runPull(t, c) }}
}

// need is what runPull(c) provisions.
func (c pullCase) need() need { return uses(1, c.workbin, c.media) }

func paramOf(workbin string) string {
	switch workbin {
	case wbAgentGroup:
		return spec.ParamAgentGroup
	case wbPlaceGroup:
		return spec.ParamPlaceGroup
	}
	return ""
}

// pullSpecs is the core: pull-workitem.
func pullSpecs() []specDef {
	core := feats(FeaturePullWorkitem)
	return []specDef{
		pullSpec("pull-workitem.workbins-url", "PullWorkitem on /api/v2/workbins/{id}: 200 with a referenceId, the StatusChange with it, the item gone", core,
			pullCase{form: formWorkbins, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgent, puller: RoleAgent}),
		pullSpec("pull-workitem.me-url", "PullWorkitem on /api/v2/me/workbins/{id}", core,
			pullCase{form: formMe, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgent, puller: RoleAgent}),
		pullSpec("pull-workitem.pull-interaction", "PullInteraction (any media) of a workitem", core,
			pullCase{form: formWorkbins, op: spec.PullInteraction, media: spec.MediaWorkitem, workbin: wbAgent, puller: RoleAgent}),
		{id: "pull-workitem.second-pull", text: "a second pull of the same interaction is refused and changes nothing", features: core,
			variant: variant(spec.PullWorkitem, formWorkbins), needs: []need{uses(2, wbAgent, spec.MediaWorkitem)}, body: secondPull},
		{id: "pull-workitem.reference-ids", text: "referenceIds are unique within the HTTP session and each notification echoes its own", features: core,
			variant: variant(spec.PullWorkitem, formWorkbins), needs: []need{uses(3, wbAgent, spec.MediaWorkitem)}, body: referenceIDs},
		{id: "pull-workitem.concurrent", text: "of concurrent pulls of one interaction exactly one wins", features: core,
			variant: variant(spec.PullWorkitem, formWorkbins), needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: concurrentPulls},
		{id: "pull-workitem.isolation", text: "another agent subscribed to /v2/me/** receives none of the agent's events", features: core,
			variant: variant(spec.PullWorkitem, formWorkbins), needs: []need{uses(1, wbAgent, spec.MediaWorkitem), uses(1, wbAgent2, spec.MediaWorkitem)}, body: isolation},
		{id: "pull-workitem.workbin-reads", text: "workbin lists and content conform to the contract", features: core,
			variant: "GET /api/v2/workbins, /api/v2/me/workbins, content", body: workbinReads},
	}
}

func secondPull(t *T) {
	r := runPull(t, pullCase{form: formWorkbins, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgent, puller: RoleAgent})
	ex := t.pull(r.sess, formWorkbins, r.p, spec.PullWorkitem)
	// Tolerance (D3/D11): the item is no longer in the workbin, so "not valid for the
	// current state" (2) and "not found" (6) are both plausible; --strict wants 400 / 2.
	t.expectRefused(ex, refusal{rule: RuleSecondPull, what: "a second pull of " + r.p.ID,
		strict: spec.StatusInvalidParameter, tolerated: []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNotFound}})
	// Barrier: a later pull's notification; nothing about the first item may come before
	// it except what the first pull itself caused.
	t.expectNoStray(r.l, r.p.ID, barrier(t, r.sess, r.l, wbAgent), "the refused second pull")
}

// barrier pulls a fresh workitem from a workbin of sess's user and returns the index of
// its notification on l: every event published before it has been delivered by then
// (tolerance: the target delivers one user's events in publication order).
func barrier(t *T, sess *Session, l *Listener, workbin string) int {
	q := t.provision(t.wb(workbin), spec.MediaWorkitem)
	ex := t.pull(sess, formWorkbins, q, spec.PullWorkitem)
	ref := t.expectAccepted(sess, ex, "the barrier pull of "+q.ID)
	return t.expectPulled(l, q, ref, sess.role, "").Index
}

func referenceIDs(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess)
	var refs []int64
	for range 3 {
		p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
		ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem)
		ref := t.expectAccepted(sess, ex, "pull of "+p.ID) // uniqueness is checked here
		t.expectPulled(l, p, ref, RoleAgent, "")
		refs = append(refs, ref)
	}
	t.evidence("referenceIds", fmt.Sprint(refs))
}

// concurrentPulls races several sessions of the agent for one interaction (D11).
func concurrentPulls(t *T) {
	const n = 5
	sessions := make([]*Session, n)
	for i := range sessions {
		sessions[i] = t.newSession(RoleAgent)
	}
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	path, q := t.workbinURL(formWorkbins, p.Workbin)
	t.notHung(http.MethodPost, path, spec.PullWorkitem) // the goroutines below cannot fail the spec
	exs := make([]*Exchange, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range sessions {
		wg.Go(func() {
			<-start
			exs[i] = s.Do(t.ctx, http.MethodPost, path, pullBody(spec.PullWorkitem, p.ID), withQuery(q))
		})
	}
	close(start)
	wg.Wait()
	var won []*Exchange
	for i, ex := range exs {
		t.transport(ex, RuleConcurrentPull)
		t.conform(ex)
		if ex.Status == http.StatusOK {
			won = append(won, ex)
			t.expectAccepted(sessions[i], ex, "the winning concurrent pull")
		}
	}
	if len(won) != 1 {
		details := make([]string, 0, n)
		for _, ex := range exs {
			details = append(details, ex.Dump())
		}
		t.violate(Violation{Rule: RuleConcurrentPull, Where: string(formWorkbins),
			Message: fmt.Sprintf("%d of %d concurrent pulls of %s were accepted; exactly one may win", len(won), n, p.ID)}, details...)
	}
	for _, ex := range exs {
		if ex.Status != http.StatusOK {
			t.expectRefused(ex, refusal{rule: RuleConcurrentPull, what: "a losing concurrent pull",
				strict: spec.StatusInvalidParameter, tolerated: []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNotFound}})
		}
	}
	t.setOwned(p.ID, RoleAgent, p.Media)
	t.awaitGone(p.Workbin, p.ID)
}

// isolation: agent2 subscribes to the whole private tree and must not see agent's events.
// Barrier technique: agent2's own later pull; tolerance: in-order delivery per user.
func isolation(t *T) {
	a1, a2 := t.user(RoleAgent), t.user(RoleAgent2)
	l1 := t.listen(a1)
	l2 := t.listen(a2, spec.PrivateChannelRoot+"/**")
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	ex := t.pull(a1, formWorkbins, p, spec.PullWorkitem)
	ref := t.expectAccepted(a1, ex, "agent's pull")
	t.expectPulled(l1, p, ref, RoleAgent, "")
	until := barrier(t, a2, l2, wbAgent2)
	for _, e := range l2.about(p.ID) {
		if e.Index < until {
			t.violate(Violation{Rule: RuleIsolation, Where: e.Describe() + " (agent2)",
				Message: fmt.Sprintf("agent2 received agent's event about %s; a user never receives another user's events (D9)", p.ID)}, "message: "+string(e.Raw))
		}
	}
}

// workbinReads checks the GETs the suite relies on against the contract.
func workbinReads(t *T) {
	sess := t.user(RoleAgent)
	w := t.wb(wbAgent)
	type get struct {
		path string
		q    url.Values
	}
	gets := []get{
		{spec.WorkbinsPath(), spec.FieldsQuery("*")},
		{spec.MyWorkbinsPath(), spec.FieldsQuery("*")},
		{spec.MyWorkbinsPath(), nil},
		{spec.WorkbinPath(w.ID), nil},
		{spec.MyWorkbinPath(w.ID), spec.SubresourcesQuery("*")},
		{spec.ContentPath(spec.WorkbinPath(w.ID), spec.MediaWorkitem), nil},
	}
	for _, g := range gets {
		ex := t.do(sess, http.MethodGet, g.path, nil, withQuery(g.q))
		if ex.Status != http.StatusOK {
			t.violate(Violation{Rule: RuleContent, Where: ex.Where(), Message: fmt.Sprintf("HTTP %d %s; want 200", ex.Status, statusOf(ex))}, ex.Dump())
		}
	}
	list := t.do(sess, http.MethodGet, spec.MyWorkbinsPath(), nil, withQuery(spec.FieldsQuery("*")))
	found := false
	for _, x := range asList(list.JSON()[spec.FieldWorkbins]) {
		if x[spec.FieldID] == w.ID {
			found = true
		}
	}
	if !found {
		t.violate(Violation{Rule: RuleContent, Where: list.Where(), Pointer: spec.Pointer(spec.FieldWorkbins), Message: fmt.Sprintf("the agent's workbin %s is not listed", w.ID)}, list.Dump())
	}
}

// mediaSpecs: pull-chat and pull-email.
func mediaSpecs() []specDef {
	chat, email := feats(FeaturePullChat), feats(FeaturePullEmail)
	return []specDef{
		pullSpec("pull-chat.pull-chat", "PullChat with a nickname: Chatting, chat capabilities, the agent a participant with that nickname", chat,
			pullCase{form: formWorkbins, op: spec.PullChat, media: spec.MediaChat, workbin: wbAgent, puller: RoleAgent, nickname: "Conformance Agent"}),
		pullSpec("pull-chat.pull-interaction", "PullInteraction of a chat, without a nickname", chat,
			pullCase{form: formMe, op: spec.PullInteraction, media: spec.MediaChat, workbin: wbAgent, puller: RoleAgent}),
		pullSpec("pull-email.pull-email", "PullEmail: Processing with the email capabilities", email,
			pullCase{form: formMe, op: spec.PullEmail, media: spec.MediaEmail, workbin: wbAgent, puller: RoleAgent}),
		pullSpec("pull-email.pull-interaction", "PullInteraction of an email", email,
			pullCase{form: formWorkbins, op: spec.PullInteraction, media: spec.MediaEmail, workbin: wbAgent, puller: RoleAgent}),
	}
}
