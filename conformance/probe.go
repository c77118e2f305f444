// The first probe. Before any spec runs, process 1 checks once that the target delivers
// the notifications the specs wait for: it opens a CometD session as the agent, subscribes
// to every channel of the contract, and does what is known to notify without a spec's
// provisioning (Subscribe, RequestAgentStats, and in admin mode a pull of each declared
// media, then whether the content lets the pulled interaction go). What it finds travels
// to every parallel process with the target info (TargetInfo.Probe). A spec that waits for
// something the probe found missing or broken then fails at once with that finding
// instead of waiting out the timeout (match.go: awaitNote); a target that delivered no
// notification at all fails every such spec at once.
//
// Without anything to probe (list or api provisioning, neither workbin-subscriptions nor
// agent-stats declared) the first wait of a process that ends with nothing at all
// delivered stands in for the probe, for that process only.

package conformance

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"

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
	// Broken says, by kind, what the probe found missing or wrong.
	Broken map[noteKind]string `json:"broken,omitempty"`
}

// summary is the probe's result in one line, for the setup's report entry.
func (r ProbeReport) summary() string {
	switch {
	case r.NotRun != "":
		return "no first probe: " + r.NotRun
	case r.Silent != "":
		return "first probe: the target delivered no CometD notification (" + r.Silent + ")"
	case len(r.Broken) > 0:
		var b []string
		for _, k := range slices.Sorted(maps.Keys(r.Broken)) {
			b = append(b, string(k)+": "+r.Broken[k])
		}
		return "first probe (" + strings.Join(r.Ran, "; ") + "): " + strings.Join(b, "; ")
	}
	return "first probe (" + strings.Join(r.Ran, "; ") + "): every notification arrived"
}

// findings is what one process knows besides the probe: whether a notification was ever
// delivered to one of its waits, and the silence its first wait learned when there was
// no probe. Safe for concurrent use; the zero value is ready.
type findings struct {
	mu      sync.Mutex
	seen    bool
	silence string
}

// delivered notes that a wait of this process got what it waited for.
func (f *findings) delivered() {
	f.mu.Lock()
	f.seen = true
	f.mu.Unlock()
}

// noSilentProbe is the start of every finding of silence (the wording the specs fail with).
const noSilentProbe = "the target delivered no CometD notification in the first probe"

// finding is what argues against waiting for kind: the probe's finding, or the silence
// this process learned. "" when nothing does.
func (s *Suite) finding(kind noteKind) string {
	p := s.info.Probe
	if b := p.Broken[kind]; kind != "" && b != "" {
		return "the first probe found the same: " + b
	}
	if kind == kindGone {
		return "" // silence says nothing about the content
	}
	if p.Silent != "" {
		return fmt.Sprintf("%s (%s)", noSilentProbe, p.Silent)
	}
	s.found.mu.Lock()
	defer s.found.mu.Unlock()
	if s.found.silence != "" {
		return fmt.Sprintf("%s (%s)", noSilentProbe, s.found.silence)
	}
	return ""
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
	// found: matched; problem: what is wrong with it ("" while nothing is known).
	found   bool
	problem string
}

// probeTarget runs the first probe as the agent, with info's workbins. It never fails the
// setup: what it cannot do, it leaves out.
func (s *Suite) probeTarget(ctx context.Context, info *TargetInfo) (rep ProbeReport) {
	defer func() { ginkgo.AddReportEntry("first probe", s.mask.String(rep.summary()), ginkgo.ReportEntryVisibilityNever) }()
	w := info.workbin(wbAgent)
	if w.ID == "" || info.Problems[RoleAgent] != "" {
		rep.NotRun = "the agent or the agent's workbin is not available"
		return rep
	}
	ua := fmt.Sprintf("workbinkit-conformance/%s first-probe", SuiteVersion)
	sess := s.tg.newSession(RoleAgent, *s.opts.Users.Credentials(RoleAgent), ua, s.setupLog)
	if ex, user := sess.Login(ctx); ex.Err != nil || ex.Status != http.StatusOK || user == nil {
		rep.NotRun = "the agent's login failed"
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

	items, pulled, subscribed := s.probeActions(ctx, sess, w, &rep)
	if subscribed {
		defer sess.Do(ctx, http.MethodPost, spec.WorkbinPath(w.ID), map[string]any{spec.FieldOperationName: spec.Unsubscribe})
	}
	if len(items) == 0 {
		rep.NotRun = "nothing the target declares notifies without a spec's provisioning (workbin-subscriptions, agent-stats, or admin provisioning)"
		rep.Ran = nil
		return rep
	}
	s.probeWait(ctx, l, items)
	if len(l.events()) == 0 {
		rep.Silent = fmt.Sprintf("%s; nothing arrived on %s within %s", strings.Join(rep.Ran, "; "), strings.Join(spec.Channels(), ", "), s.opts.Timeouts.Notification)
		if age, ok := l.pendingConnect(time.Now()); ok {
			rep.Silent += fmt.Sprintf("; its /meta/connect had been unanswered for %s", age.Round(100*time.Millisecond))
		}
		return rep
	}
	rep.Broken = map[noteKind]string{}
	for _, it := range items {
		switch {
		case it.problem != "":
			rep.Broken[it.kind] = it.problem
		case !it.found:
			rep.Broken[it.kind] = fmt.Sprintf("no %s within %s", it.what, s.opts.Timeouts.Notification)
		}
	}
	if len(pulled) > 0 {
		if still := s.probeGone(ctx, sess, w, pulled); len(still) > 0 {
			rep.Broken[kindGone] = fmt.Sprintf("%s still listed %s %s after it was pulled", w.Label, strings.Join(still, ", "), s.opts.Timeouts.Consistency)
		}
	}
	if len(rep.Broken) == 0 {
		rep.Broken = nil
	}
	return rep
}

// probeActions does what the probe can and returns what to wait for, the interactions it
// pulled, and whether it subscribed to w.
func (s *Suite) probeActions(ctx context.Context, sess *Session, w WorkbinRef, rep *ProbeReport) (items []*probeItem, pulled []string, subscribed bool) {
	accepted := func(ex *Exchange) (int64, bool) {
		ref, ok := intOf(ex.JSON()[spec.FieldReferenceID])
		return ref, ex.Err == nil && ex.Status == http.StatusOK && ok && ref > 0
	}
	if s.opts.Supports(FeatureWorkbinSubscriptions) {
		ex := sess.Do(ctx, http.MethodPost, spec.WorkbinPath(w.ID), map[string]any{spec.FieldOperationName: spec.Subscribe})
		if ref, ok := accepted(ex); ok {
			subscribed = true
			rep.Ran = append(rep.Ran, fmt.Sprintf("Subscribe to %s answered referenceId %d", w.Label, ref))
			items = append(items, &probeItem{kind: kindSubscription,
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
	if s.opts.Supports(FeatureAgentStats) {
		ex := sess.Do(ctx, http.MethodPost, spec.WorkbinsPath(), map[string]any{spec.FieldOperationName: spec.RequestAgentStats})
		if ref, ok := accepted(ex); ok {
			rep.Ran = append(rep.Ran, fmt.Sprintf("RequestAgentStats answered referenceId %d", ref))
			items = append(items, &probeItem{kind: kindStats,
				what:  fmt.Sprintf("%s with referenceId %d", spec.MessageWorkbinStats, ref),
				match: func(n Notification) bool { return isStatsNote(n, ref) },
				wrong: func(n Notification) *Violation {
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
		if ex.Err != nil || ex.Status != http.StatusCreated || id == "" {
			continue
		}
		ex = sess.Do(ctx, http.MethodPost, spec.WorkbinPath(w.ID), pullBody(mi.PullOperation, id))
		ref, ok := accepted(ex)
		if !ok {
			continue
		}
		pulled = append(pulled, id)
		p := Placed{ID: id, Media: m, Workbin: w}
		rep.Ran = append(rep.Ran, fmt.Sprintf("%s of %s %s answered referenceId %d", mi.PullOperation, m, id, ref))
		items = append(items, &probeItem{kind: kindMedia(m),
			what:  fmt.Sprintf("%s %s on %s about %s %s with referenceId %d", mi.MessageType, spec.NotificationStatusChange, mi.Channel, m, id, ref),
			match: func(n Notification) bool { return isPullStatus(n, p, ref) },
			wrong: func(n Notification) *Violation { return pullNoteWrong(n, p, ref, false) }})
		if subscribed {
			e := workbinEvent{action: spec.ActionItemRemoved, w: w, p: p, ref: ref}
			items = append(items, &probeItem{kind: kindItemRemoved,
				what:  fmt.Sprintf("%s %s about %s %s with referenceId %d", spec.MessageWorkbinStateChange, spec.ActionItemRemoved, m, id, ref),
				match: func(n Notification) bool { return isWorkbinEventAbout(n, e.action, w.ID, p) && refIs(n.Data, ref) },
				wrong: func(n Notification) *Violation { return workbinEventWrong(n, e, false) }})
		}
	}
	return items, pulled, subscribed
}

// probeWait waits, at most timeouts.notification, until every item is found or known
// wrong, or l can no longer deliver events.
func (s *Suite) probeWait(ctx context.Context, l *Listener, items []*probeItem) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeouts.Notification.D())
	defer cancel()
	tick := time.NewTicker(max(s.opts.Timeouts.Poll.D(), 10*time.Millisecond))
	defer tick.Stop()
	for {
		changed := l.rec.Changed()
		evs := l.events()
		open := 0
		for _, it := range items {
			if it.found || it.problem != "" {
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
					it.problem = v.Message
					break
				}
			}
			if !it.found && it.problem == "" {
				open++
			}
		}
		if open == 0 || l.fault(time.Now(), s.opts.Timeouts.Immediate.D()) != "" {
			return
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return
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
	for {
		ex := sess.Do(ctx, http.MethodGet, spec.WorkbinPath(w.ID), nil, withQuery(spec.SubresourcesQuery("*")))
		if ex.Err == nil && ex.Status == http.StatusOK {
			items := contentItems(ex)
			still := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { _, ok := items[id]; return !ok })
			if len(still) == 0 {
				return nil
			}
			select {
			case <-tick.C:
				continue
			case <-ctx.Done():
				return still
			}
		}
		return nil // the content cannot be read: the specs find out themselves
	}
}
