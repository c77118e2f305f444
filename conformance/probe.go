// The first probe. Before any spec runs, process 1 checks once that the target delivers
// the notifications the specs wait for: it opens a CometD session as the agent, subscribes
// to every channel of the contract, and does what is known to notify without a spec's
// provisioning (Subscribe, RequestAgentStats, and in admin mode a pull of each declared
// media, then whether the content lets the pulled interaction go). It also notes whether
// its first /meta/connect was answered at once and whether a REST request got no response
// (it stops there). What it finds travels to every parallel process with the target info
// (TargetInfo.Probe). A spec that waits for something the probe found missing or broken
// then fails at once with that finding instead of waiting out the timeout (match.go:
// awaitNote); a target that delivered no notification at all fails every such spec at
// once; a request of a method that hung is not sent (T.do), and a raw first connect is
// given timeouts.immediate (specs_bayeux.go).
//
// Without anything to probe (list or api provisioning, neither workbin-subscriptions nor
// agent-stats declared) the first wait of a process that ends with nothing at all
// delivered stands in for the probe, for that process only.

package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// noteKind names what a waiter waits for, so that what the first probe found about it
// applies. "" is no kind: only a probe that received nothing at all applies.
type noteKind string

// The kinds the probe checks.
const (
	kindSubscription noteKind = "subscription"
	kindStats        noteKind = "stats"
	kindItemRemoved  noteKind = "workbin-event:" + spec.ActionItemRemoved
	kindGone         noteKind = "content:gone"
	// kindParticipants: a pulled chat lists an Agent participant, in the pull's
	// StatusChange or a ParticipantsUpdated after it.
	kindParticipants noteKind = "chat:participants"
)

// kindMedia is the kind of the media notification of a pull of media m.
func kindMedia(m spec.Media) noteKind { return noteKind("media:" + string(m)) }

// kindWorkbinEvent is the kind of a WorkbinStateChangeMessage with action.
func kindWorkbinEvent(action string) noteKind { return noteKind("workbin-event:" + action) }

// ProbeReport is what the first probe did and found.
type ProbeReport struct {
	// Ran lists what the probe did, in order.
	Ran []string `json:"ran,omitempty"`
	// NotRun says why there was no probe.
	NotRun string `json:"notRun,omitempty"`
	// Silent is set when no CometD notification at all arrived: what was done and waited for.
	Silent string `json:"silent,omitempty"`
	// Broken says, by kind, what the probe found missing or wrong: the rule it breaks, the
	// pointer and what was seen.
	Broken map[noteKind]Violation `json:"broken,omitempty"`
	// Connect is set when the probe's first /meta/connect, which asks for an immediate
	// reply, was not answered within timeouts.immediate: what was seen.
	Connect string `json:"connect,omitempty"`
	// REST is set when a REST request of the probe got no response within
	// timeouts.request (the probe stops there, unless it was an optional operation and a
	// pull is left to try): which request; RESTMethod is its method.
	REST       string `json:"rest,omitempty"`
	RESTMethod string `json:"restMethod,omitempty"`
	// RESTOperation is the operationName of the request that hung when it was not a
	// pull (Subscribe, RequestAgentStats): only requests of that operation are held back
	// then, since an optional operation that hangs says nothing of the pull. "" for the
	// login or a pull: every request of RESTMethod is held back.
	RESTOperation string `json:"restOperation,omitempty"`
}

// summary is the probe's result in one line, for the setup's report entry.
func (r ProbeReport) summary() string {
	var extra string
	if r.REST != "" {
		extra += "; " + r.REST
	}
	if r.Connect != "" {
		extra += "; " + r.Connect
	}
	switch {
	case r.NotRun != "":
		return "no first probe: " + r.NotRun + extra
	case r.Silent != "":
		return "first probe: the target delivered no CometD notification (" + r.Silent + ")" + extra
	case len(r.Broken) > 0:
		var b []string
		for _, k := range slices.Sorted(maps.Keys(r.Broken)) {
			b = append(b, string(k)+": "+r.Broken[k].Message)
		}
		return "first probe (" + strings.Join(r.Ran, "; ") + "): " + strings.Join(b, "; ") + extra
	}
	return "first probe (" + strings.Join(r.Ran, "; ") + "): every notification arrived" + extra
}

// findings is what one process knows besides the probe: whether a notification was ever
// delivered to one of its waits, and the silence its first wait learned when there was
// no probe. Safe for concurrent use; the zero value is ready.
type findings struct {
	mu      sync.Mutex
	seen    bool
	silence string
	// absent: for a kind of the operations after the pull (lifeKind), what the first wait
	// of this process that got none of it saw (lifecycle.go: awaitEvent).
	absent map[noteKind]string
	// slowest is the longest a wait of this process waited for a message that came: how
	// slow this target's deliveries are (absenceWindow).
	slowest time.Duration
}

// deliveredAfter notes that a wait got its message after d.
func (f *findings) deliveredAfter(d time.Duration) {
	f.mu.Lock()
	f.seen = true
	f.slowest = max(f.slowest, d)
	f.mu.Unlock()
}

// absenceWindow is how long a wait for a kind an earlier wait got none of is given: the
// quiet window, or four times the slowest delivery this process saw, whichever is longer
// (a slow lab's messages still make it), at most timeout.
func (f *findings) absenceWindow(quiet, timeout time.Duration) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return min(timeout, max(quiet, 4*f.slowest))
}

// learnAbsence records, once per kind, that a wait for kind got nothing within waited.
func (f *findings) learnAbsence(kind noteKind, specID string, waited time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.absent[kind]; ok {
		return
	}
	if f.absent == nil {
		f.absent = map[noteKind]string{}
	}
	f.absent[kind] = fmt.Sprintf("spec %s waited %s for %s and got none it could accept", specID, waited, strings.TrimPrefix(string(kind), lifePrefix))
}

// absence is what learnAbsence recorded about kind ("" for nothing).
func (f *findings) absence(kind noteKind) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.absent[kind]
}

// noSilentProbe is the start of every finding of silence (the wording the specs fail with).
const noSilentProbe = "the target delivered no CometD notification in the first probe"

// finding is what argues against waiting for kind: the probe's finding, or the silence
// this process learned. "" when nothing does.
func (s *Suite) finding(kind noteKind) string {
	p := s.info.Probe
	if b, ok := p.Broken[kind]; kind != "" && ok {
		return "the first probe found the same: " + b.Message
	}
	if kind == kindGone {
		return "" // silence says nothing about the content
	}
	if p.Silent != "" {
		if p.Connect != "" {
			return fmt.Sprintf("%s (%s; %s)", noSilentProbe, p.Silent, p.Connect)
		}
		return fmt.Sprintf("%s (%s)", noSilentProbe, p.Silent)
	}
	s.found.mu.Lock()
	defer s.found.mu.Unlock()
	if s.found.silence != "" {
		return "the target delivered no CometD notification to this process (" + s.found.silence + ")"
	}
	return ""
}

// probeViolation is the rule and pointer of what the first probe found broken about kind
// (ok false when it found nothing).
func (s *Suite) probeViolation(kind noteKind) (v Violation, ok bool) {
	v, ok = s.info.Probe.Broken[kind]
	return v, ok && kind != ""
}

// restFinding is what argues against sending a REST request of method and operationName
// operation ("" when not known): the first probe got no response to one ("" when it did
// not, or when what hung was another optional operation).
func (s *Suite) restFinding(method, operation string) string {
	p := s.info.Probe
	if p.REST == "" || p.RESTMethod != method {
		return ""
	}
	if p.RESTOperation != "" {
		if operation != p.RESTOperation {
			return ""
		}
		return fmt.Sprintf("the first probe found that the target does not answer %s (%s)", operation, p.REST)
	}
	return fmt.Sprintf("the first probe found that the target does not answer %s requests (%s)", method, p.REST)
}

// connectFinding is what argues against waiting timeouts.request for a first /meta/connect:
// the first probe's was not answered within timeouts.immediate ("" when it was).
func (s *Suite) connectFinding() string {
	if c := s.info.Probe.Connect; c != "" {
		return "the first probe found that the target does not answer a first /meta/connect at once (" + c + ")"
	}
	return ""
}

// hung reports whether ex got no response because timeouts.request passed (not because
// ctx, the caller's, ended).
func hung(ctx context.Context, ex *Exchange) bool {
	return ex.Err != nil && errors.Is(ex.Err, context.DeadlineExceeded) && ctx.Err() == nil
}

// noteHung records in rep that ex, sent for what, got no response in time.
func (s *Suite) noteHung(rep *ProbeReport, ex *Exchange, what string, optional bool) {
	u, err := url.Parse(ex.URL)
	path := ex.URL
	if err == nil {
		path = u.Path
	}
	rep.REST = fmt.Sprintf("%s %s (%s) got no response within %s, timeouts.request", ex.Method, path, what, s.opts.Timeouts.Request)
	rep.RESTMethod = ex.Method
	rep.RESTOperation = ""
	if optional {
		rep.RESTOperation = what
	}
}

// learnSilence, after a wait of the spec timed out: when there was no probe and nothing
// was ever delivered to a wait of this process, and l, listening on every channel of the
// contract, received nothing at all, this first wait stands in for the probe: later waits
// of the process fail at once.
func (t *T) learnSilence(l *Listener, what string, waited time.Duration) {
	if len(t.s.info.Probe.Ran) > 0 || len(l.events()) > 0 || !listensToAll(l.client.Subscriptions()) {
		return
	}
	t.s.found.mu.Lock()
	defer t.s.found.mu.Unlock()
	if t.s.found.seen || t.s.found.silence != "" {
		return
	}
	t.s.found.silence = fmt.Sprintf("the first wait of this process, in spec %s: no %s, nor anything else, within %s", t.id, what, waited)
}

// listensToAll reports whether subs cover every channel of the contract.
func listensToAll(subs []string) bool {
	for _, ch := range spec.Channels() {
		if !slices.ContainsFunc(subs, func(p string) bool {
			return p == ch || p == spec.PrivateChannelRoot+"/**" || p == "/**"
		}) {
			return false
		}
	}
	return true
}

// probeItem is one thing the probe waits for.
type probeItem struct {
	kind  noteKind
	what  string
	match func(Notification) bool
	wrong func(Notification) *Violation
	// rule and pointer: what its absence breaks, and where.
	rule    Rule
	pointer string
	// after is the item whose message this one looks into (the chat's StatusChange for its
	// participants): when that one is wrong, nothing is known of this one.
	after *probeItem
	// found: matched; problem: what is wrong with it (nil while nothing is known).
	found   bool
	problem *Violation
}

// probeTarget runs the first probe as the agent, with info's workbins. It never fails the
// setup: what it cannot do, it leaves out.
func (s *Suite) probeTarget(ctx context.Context, info *TargetInfo) (rep ProbeReport) {
	defer func() {
		ginkgo.AddReportEntry("first probe", s.mask.String(rep.summary()), ginkgo.ReportEntryVisibilityNever)
	}()
	w := info.workbin(wbAgent)
	if w.ID == "" || info.Problems[RoleAgent] != "" {
		rep.NotRun = "the agent or the agent's workbin is not available"
		return rep
	}
	ua := fmt.Sprintf("workbinkit-conformance/%s first-probe", SuiteVersion)
	sess := s.tg.newSession(RoleAgent, *s.opts.Users.Credentials(RoleAgent), ua, s.setupLog)
	if ex, user := sess.Login(ctx); ex.Err != nil || ex.Status != http.StatusOK || user == nil {
		rep.NotRun = "the agent's login failed"
		if hung(ctx, ex) {
			s.noteHung(&rep, ex, "the agent's login", false)
		}
		return rep
	}
	rec := newRecorder()
	l := &Listener{role: RoleAgent, client: s.tg.newBayeuxClient(sess, rec, ua), rec: rec, done: make(chan error, 1), networkDelay: s.opts.Timeouts.Request.D()}
	hctx, cancel := context.WithTimeout(ctx, 2*s.opts.Timeouts.Request.D())
	err := l.client.Handshake(hctx)
	if err == nil {
		err = l.client.Subscribe(hctx, spec.Channels()...)
	}
	cancel()
	if err != nil {
		// Every spec's listen fails at once on this; nothing to wait for.
		rep.NotRun = "the CometD handshake or subscribe failed: " + err.Error()
		return rep
	}
	runCtx, stop := context.WithCancel(ctx)
	go l.run(runCtx)
	defer func() {
		dctx, cancel := context.WithTimeout(ctx, s.opts.Timeouts.Request.D())
		defer cancel()
		_ = l.client.Disconnect(dctx)
		stop()
		select {
		case <-l.done:
		case <-dctx.Done():
		}
	}()

	// Nothing is published to the agent before the first connect is answered (or
	// timeouts.immediate passes), so an event cannot hide a target that holds it.
	s.awaitFirstConnect(ctx, l)
	items, pulled, subscribed := s.probeActions(ctx, sess, w, &rep)
	if subscribed && rep.REST == "" {
		defer sess.Do(ctx, http.MethodPost, spec.WorkbinPath(w.ID), map[string]any{spec.FieldOperationName: spec.Unsubscribe})
	}
	if len(items) == 0 {
		if rep.REST != "" {
			rep.NotRun = "a request of the probe got no response"
		} else {
			rep.NotRun = "nothing the target declares notifies without a spec's provisioning (workbin-subscriptions, agent-stats, or admin provisioning)"
		}
		rep.Ran = nil
		// Without anything to wait for, the connect loop has still had the REST time to
		// show whether the target answers its first connect.
		s.probeConnect(l, &rep)
		return rep
	}
	// The probe runs in the suite's set-up, which has a deadline of its own: what it waits
	// must leave time for the rest (the content check, the unsubscribe). A wait cut short
	// proves no absence.
	limit := s.opts.Timeouts.Notification.D()
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl)-s.opts.Timeouts.Consistency.D()-2*s.opts.Timeouts.Request.D())
	}
	cut := !s.probeWait(ctx, l, items, limit) && limit < s.opts.Timeouts.Notification.D()
	s.probeConnect(l, &rep)
	if cut {
		rep.Ran = append(rep.Ran, fmt.Sprintf("its wait was cut to %s by the set-up's deadline: absences are not findings", max(limit, 0).Round(time.Second)))
	}
	if len(l.events()) == 0 && !cut {
		rep.Silent = fmt.Sprintf("%s; nothing arrived on %s within %s", strings.Join(rep.Ran, "; "), strings.Join(spec.Channels(), ", "), s.opts.Timeouts.Notification)
		return rep
	}
	rep.Broken = map[noteKind]Violation{}
	for _, it := range items {
		switch {
		case it.problem != nil:
			rep.Broken[it.kind] = *it.problem
		case it.unknowable():
		case !it.found && !cut:
			rep.Broken[it.kind] = Violation{Rule: it.rule, Pointer: it.pointer, Message: fmt.Sprintf("no %s within %s", it.what, s.opts.Timeouts.Notification)}
		}
	}
	if len(pulled) > 0 {
		if still := s.probeGone(ctx, sess, w, pulled); len(still) > 0 {
			rep.Broken[kindGone] = Violation{Rule: RuleContent, Message: fmt.Sprintf("%s still listed %s %s after the pull", w.Label, strings.Join(still, ", "), s.opts.Timeouts.Consistency)}
		}
	}
	if len(rep.Broken) == 0 {
		rep.Broken = nil
	}
	return rep
}

// awaitFirstConnect waits, at most timeouts.immediate, until l's first /meta/connect has
// been answered.
func (s *Suite) awaitFirstConnect(ctx context.Context, l *Listener) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeouts.Immediate.D())
	defer cancel()
	for {
		changed := l.rec.Changed()
		for _, e := range l.rec.Entries() {
			if slices.ContainsFunc(e.Request, func(m bayeux.Message) bool { return m.Channel == bayeux.MetaConnect }) && e.Done {
				return
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// probeConnect records in rep a first /meta/connect of l that was not answered within
// timeouts.immediate: the client's first connect asks for an immediate reply, so a target
// that holds it that long does not answer connects as it should (later connects are held
// by design and say nothing).
func (s *Suite) probeConnect(l *Listener, rep *ProbeReport) {
	lim := s.opts.Timeouts.Immediate.D()
	for _, e := range l.rec.Entries() {
		if !slices.ContainsFunc(e.Request, func(m bayeux.Message) bool { return m.Channel == bayeux.MetaConnect }) {
			continue
		}
		switch took := e.Received.Sub(e.Sent); {
		case !e.Done && time.Since(e.Sent) > lim:
			rep.Connect = fmt.Sprintf("its first /meta/connect, which asks for an immediate reply, was unanswered after %s (timeouts.immediate %s)", time.Since(e.Sent).Round(100*time.Millisecond), lim)
		case e.Done && took > lim:
			rep.Connect = fmt.Sprintf("its first /meta/connect, which asks for an immediate reply, was not answered within timeouts.immediate %s (it was after %s)", lim, took.Round(100*time.Millisecond))
		}
		return
	}
}

// probeActions does what the probe can and returns what to wait for, the interactions it
// pulled, and whether it subscribed to w.
func (s *Suite) probeActions(ctx context.Context, sess *Session, w WorkbinRef, rep *ProbeReport) (items []*probeItem, pulled []string, subscribed bool) {
	accepted := func(ex *Exchange) (int64, bool) {
		ref, ok := intOf(ex.JSON()[spec.FieldReferenceID])
		return ref, ex.Err == nil && ex.Status == http.StatusOK && ok && ref > 0
	}
	// A hung optional operation holds back only itself (noteHung); the probe goes on to
	// its pulls, whose hanging would hold back every POST.
	optionalHung := false
	if s.opts.Supports(FeatureWorkbinSubscriptions) {
		ex := sess.Do(ctx, http.MethodPost, spec.WorkbinPath(w.ID), map[string]any{spec.FieldOperationName: spec.Subscribe})
		if hung(ctx, ex) {
			s.noteHung(rep, ex, spec.Subscribe, true)
			optionalHung = true
		} else if ref, ok := accepted(ex); ok {
			subscribed = true
			rep.Ran = append(rep.Ran, fmt.Sprintf("Subscribe to %s answered referenceId %d", w.Label, ref))
			items = append(items, &probeItem{kind: kindSubscription, rule: RuleSubscription,
				what: fmt.Sprintf("%s about workbin %s with referenceId %d", spec.MessageWorkbinSubscriptionStateChange, w.ID, ref),
				match: func(n Notification) bool {
					_, hasRef := n.Data[spec.FieldReferenceID]
					return isSubscriptionNote(n, w.ID) && n.Channel == spec.ChannelWorkbins && (refIs(n.Data, ref) || !hasRef)
				},
				wrong: func(n Notification) *Violation {
					if v := subscriptionNoteWrong(n, w.ID); v != nil {
						return v
					}
					// Run alone, before any spec: another referenceId is not another request's.
					if _, hasRef := n.Data[spec.FieldReferenceID]; isSubscriptionNote(n, w.ID) && hasRef && !refIs(n.Data, ref) {
						return &Violation{Rule: RuleReferenceEcho, Message: fmt.Sprintf("its %s came with referenceId %v, not the HTTP reply's %d", spec.MessageWorkbinSubscriptionStateChange, n.Data[spec.FieldReferenceID], ref)}
					}
					return nil
				}})
		}
	}
	if s.opts.Supports(FeatureAgentStats) && !optionalHung {
		ex := sess.Do(ctx, http.MethodPost, spec.WorkbinsPath(), map[string]any{spec.FieldOperationName: spec.RequestAgentStats})
		if hung(ctx, ex) {
			s.noteHung(rep, ex, spec.RequestAgentStats, true)
			optionalHung = true
		} else if ref, ok := accepted(ex); ok {
			rep.Ran = append(rep.Ran, fmt.Sprintf("RequestAgentStats answered referenceId %d", ref))
			items = append(items, &probeItem{kind: kindStats, rule: RuleAgentStats,
				what:  fmt.Sprintf("%s with referenceId %d", spec.MessageWorkbinStats, ref),
				match: func(n Notification) bool { return isStatsNote(n, ref) },
				wrong: func(n Notification) *Violation {
					if v := statsNoteWrong(n, ref); v != nil {
						return v
					}
					// Run alone, before any spec: another referenceId is not another request's.
					if _, hasRef := n.Data[spec.FieldReferenceID]; n.MessageType() == spec.MessageWorkbinStats && hasRef && !refIs(n.Data, ref) {
						return &Violation{Rule: RuleReferenceEcho, Message: fmt.Sprintf("its %s came with referenceId %v, not the HTTP reply's %d", spec.MessageWorkbinStats, n.Data[spec.FieldReferenceID], ref)}
					}
					return nil
				}})
		}
	}
	if s.opts.Provisioning.Mode != ProvisionAdmin {
		return items, pulled, subscribed
	}
	admin := s.tg.newSession("admin", Credentials{}, sess.userAgent, s.setupLog)
	for _, m := range spec.AllMedia() {
		if (m == spec.MediaChat && !s.opts.Supports(FeaturePullChat)) || (m == spec.MediaEmail && !s.opts.Supports(FeaturePullEmail)) {
			continue
		}
		mi, _ := spec.MediaOf(m)
		body := map[string]any{spec.AdminFieldWorkbinID: w.ID, spec.AdminFieldMedia: m, spec.AdminFieldUserData: map[string]any{"WorkbinkitSpec": "first-probe"}}
		ex := admin.Do(ctx, http.MethodPost, s.opts.Provisioning.AdminPath+spec.AdminPathInteractions, body, adminCall(s.opts.Provisioning.AdminToken))
		id, _ := ex.JSON()[spec.FieldID].(string)
		if hung(ctx, ex) {
			// The control plane, not the API: the probe stops, the specs are not told.
			return items, pulled, subscribed
		}
		if ex.Err != nil || ex.Status != http.StatusCreated || id == "" {
			continue
		}
		ex = sess.Do(ctx, http.MethodPost, spec.WorkbinPath(w.ID), pullBody(mi.PullOperation, id))
		if hung(ctx, ex) {
			s.noteHung(rep, ex, mi.PullOperation, false)
			return items, pulled, subscribed
		}
		ref, ok := accepted(ex)
		if !ok {
			continue
		}
		pulled = append(pulled, id)
		p := Placed{ID: id, Media: m, Workbin: w}
		rep.Ran = append(rep.Ran, fmt.Sprintf("%s of %s %s answered referenceId %d", mi.PullOperation, m, id, ref))
		status := &probeItem{kind: kindMedia(m), rule: RuleNotification,
			what:  fmt.Sprintf("%s %s on %s about %s %s with referenceId %d", mi.MessageType, spec.NotificationStatusChange, mi.Channel, m, id, ref),
			match: func(n Notification) bool { return isPullStatus(n, p, ref) },
			wrong: func(n Notification) *Violation { return pullNoteWrong(n, p, ref, false) }}
		items = append(items, status)
		if m == spec.MediaChat {
			items = append(items, &probeItem{kind: kindParticipants, after: status, rule: RuleParticipants, pointer: dataPointer(mi.ResourceKey) + spec.Pointer(spec.FieldParticipants),
				what: fmt.Sprintf("%s about chat %s (its %s or a %s) listing the puller as a participant of type %s", mi.MessageType, id, spec.NotificationStatusChange, spec.NotificationParticipantsUpdated, spec.ParticipantAgent),
				match: func(n Notification) bool {
					nt, _ := n.Data[spec.FieldNotificationType].(string)
					return n.Channel == mi.Channel && resourceID(n.Data, mi.ResourceKey) == id &&
						(isPullStatus(n, p, ref) || nt == spec.NotificationParticipantsUpdated) && listsParticipant(n.Data[mi.ResourceKey], spec.ParticipantAgent)
				}})
		}
		if subscribed {
			e := workbinEvent{action: spec.ActionItemRemoved, w: w, p: p, ref: ref}
			items = append(items, &probeItem{kind: kindItemRemoved, rule: RuleWorkbinEvent,
				what:  fmt.Sprintf("%s %s about %s %s with referenceId %d", spec.MessageWorkbinStateChange, spec.ActionItemRemoved, m, id, ref),
				match: func(n Notification) bool { return isWorkbinEventAbout(n, e.action, w.ID, p) && refIs(n.Data, ref) },
				wrong: func(n Notification) *Violation { return workbinEventWrong(n, e, false) }})
		}
	}
	return items, pulled, subscribed
}

// unknowable reports whether the probe cannot tell about it: the message it looks into
// is wrong.
func (it *probeItem) unknowable() bool { return it.after != nil && it.after.problem != nil }

// listsParticipant reports whether res, a chat resource, lists a participant of one of
// the types.
func listsParticipant(res any, types ...string) bool {
	r, _ := res.(map[string]any)
	parts, _ := r[spec.FieldParticipants].([]any)
	return slices.ContainsFunc(parts, func(x any) bool {
		p, _ := x.(map[string]any)
		typ, _ := p[spec.FieldParticipantType].(string)
		return slices.Contains(types, typ)
	})
}

// probeWait waits, at most limit, until every item is found or known wrong, or l can no
// longer deliver events; it reports whether the wait ended before limit.
func (s *Suite) probeWait(ctx context.Context, l *Listener, items []*probeItem, limit time.Duration) bool {
	if limit <= 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(max(s.opts.Timeouts.Poll.D(), 10*time.Millisecond))
	defer tick.Stop()
	for {
		changed := l.rec.Changed()
		evs := l.events()
		open := 0
		for _, it := range items {
			if it.found || it.problem != nil || it.unknowable() {
				continue
			}
			for _, n := range evs {
				if it.match(n) {
					it.found = true
					break
				}
			}
			for _, n := range evs {
				if it.wrong == nil || it.found {
					break
				}
				if v := it.wrong(n); v != nil {
					it.problem = v
					break
				}
			}
			if !it.found && it.problem == nil {
				open++
			}
		}
		if open == 0 || l.fault(time.Now(), s.opts.Timeouts.Immediate.D()) != "" {
			return true
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
	}
}

// probeGone polls w's content, at most timeouts.consistency, until it lists none of ids;
// it returns those still listed.
func (s *Suite) probeGone(ctx context.Context, sess *Session, w WorkbinRef, ids []string) []string {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeouts.Consistency.D())
	defer cancel()
	tick := time.NewTicker(max(s.opts.Timeouts.Poll.D(), 10*time.Millisecond))
	defer tick.Stop()
	var still []string // as the last read found them
	for {
		ex := sess.Do(ctx, http.MethodGet, spec.WorkbinPath(w.ID), nil, withQuery(spec.SubresourcesQuery("*")))
		switch {
		case ctx.Err() != nil:
			return still // the read the deadline cut says nothing
		case ex.Err != nil || ex.Status != http.StatusOK:
			return nil // the content cannot be read: the specs find out themselves
		}
		items := contentItems(ex)
		still = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { _, ok := items[id]; return !ok })
		if len(still) == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return still
		}
	}
}
