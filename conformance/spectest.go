package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// T is what one running spec works with: its sessions and CometD listeners, its recorded
// exchanges, and the checks that fail it with a Violation. A T lives for one spec; nothing
// is shared between specs except the read-only Suite.
type T struct {
	ctx context.Context
	s   *Suite
	id  string
	ua  string
	log *exchangeLog

	mu        sync.Mutex
	listeners []*Listener
	users     map[Role]*Session
	// owned are provisioned interactions the suite pulled (their new owner), handed back to
	// the provisioner when the spec ends (the api mode adds them again).
	owned map[string]ownedBy
	// placed are the interactions the spec provisioned, by id: when the spec ends the
	// provisioner gets each back (api mode: to its configured owner), pulled or not.
	placed map[string]placement
	// accepted are the referenceIds of the spec's accepted requests, by role: events that
	// carry one of them are accounted for.
	accepted map[Role]map[int64]bool
	// subscribed are the workbins the spec sent Subscribe or Unsubscribe for: their
	// WorkbinSubscriptionStateChangeMessages are the spec's (match.go: caused).
	subscribed map[string]bool
	// used counts what the spec provisioned, against its declared needs.
	used map[needKey]int
	// waited says how long the last awaitEvent that came back empty waited, and why no
	// longer, for the spec's message about the absence.
	waited string
}

type ownedBy struct {
	role  Role
	media spec.Media
}

// placement is where the provisioner put an interaction and whose it was before.
type placement struct {
	workbin WorkbinRef
	media   spec.Media
	owner   Role
}

func (s *Suite) newT(ctx context.Context, id string) *T {
	t := &T{
		ctx: ctx, s: s, id: id,
		ua:       fmt.Sprintf("workbinkit-conformance/%s %s", SuiteVersion, id),
		log:      &exchangeLog{},
		users:    map[Role]*Session{},
		owned:    map[string]ownedBy{},
		placed:   map[string]placement{},
		accepted: map[Role]map[int64]bool{},

		subscribed: map[string]bool{},
	}
	// On failure, before any cleanup: the masked HTTP exchanges and CometD transcripts.
	ginkgo.DeferOnFailure(t.attachEvidence)
	// Registered first, so it runs last: after the listeners stopped, the interactions go
	// back (the api mode's Add and pull do not reach the spec's own listeners).
	ginkgo.DeferCleanup(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, t.s.opts.Timeouts.Provision.D())
		defer cancel()
		t.mu.Lock()
		placed := maps.Clone(t.placed)
		owned := maps.Clone(t.owned)
		t.mu.Unlock()
		for _, id := range slices.Sorted(maps.Keys(placed)) {
			s.prov.Return(ctx, t, id, placed[id], owned[id].role)
		}
	})
	return t
}

// notePlaced records an interaction the provisioner put into a workbin for this spec.
func (t *T) notePlaced(id string, p placement) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.placed[id] = p
}

// cleanupSession is a session of role for work after the spec's checks: the spec's own if it
// has one, else a fresh login. It never fails the spec (nil when the login fails).
func (t *T) cleanupSession(ctx context.Context, role Role) *Session {
	t.mu.Lock()
	sess := t.users[role]
	t.mu.Unlock()
	if sess != nil {
		return sess
	}
	if t.s.info.Problems[role] != "" {
		return nil
	}
	sess = t.s.tg.newSession(role, *t.s.opts.Users.Credentials(role), t.ua, t.log)
	if ex, user := sess.Login(ctx); ex.Err != nil || ex.Status != http.StatusOK || user == nil {
		return nil
	}
	return sess
}

// setOwned records who owns a provisioned interaction now ("" role: nobody of the suite).
func (t *T) setOwned(id string, role Role, m spec.Media) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if role == "" {
		delete(t.owned, id)
		return
	}
	t.owned[id] = ownedBy{role, m}
}

// admin is a session for the mock's control plane.
func (t *T) admin() *Session { return t.s.tg.newSession("admin", Credentials{}, t.ua, t.log) }

// wb returns a discovered workbin by name (an empty ID when the target has none).
func (t *T) wb(name string) WorkbinRef {
	w := t.s.info.workbin(name)
	if w.ID == "" {
		w.Owner = RoleAgent
		if name == wbAgent2 {
			w.Owner = RoleAgent2
		}
		w.Label = name + " workbin (not configured, not found)"
	}
	return w
}

func (t *T) attachEvidence() {
	m := t.s.mask
	if d := t.log.dump(m); d != "" {
		ginkgo.AddReportEntry("HTTP exchanges (masked)", d, ginkgo.ReportEntryVisibilityFailureOrVerbose)
	}
	t.mu.Lock()
	ls := append([]*Listener(nil), t.listeners...)
	t.mu.Unlock()
	for i, l := range ls {
		ginkgo.AddReportEntry(fmt.Sprintf("CometD transcript #%d of %s (masked)", i+1, l.role), l.transcript(m), ginkgo.ReportEntryVisibilityFailureOrVerbose)
	}
}

// evidence keeps something for the reports without printing it.
func (t *T) evidence(name string, v any) {
	if s, ok := v.(string); ok {
		v = t.s.mask.String(s)
	}
	ginkgo.AddReportEntry(name, v, ginkgo.ReportEntryVisibilityNever)
}

// fail records the violations and fails the spec with a message that names each broken
// rule, followed by masked details (the exchange, the message).
func (t *T) fail(vs []Violation, details ...string) {
	m := t.s.mask
	var b strings.Builder
	for i, v := range vs {
		v.Message, v.Where = m.String(v.Message), m.String(v.Where)
		ginkgo.AddReportEntry(violationEntry, v, ginkgo.ReportEntryVisibilityNever)
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(v.String())
	}
	for _, d := range details {
		if d == "" {
			continue
		}
		b.WriteString("\n")
		b.WriteString(indent(m.String(strings.TrimRight(d, "\n"))))
	}
	ginkgo.Fail(b.String(), 2)
}

// violate fails the spec with one violation.
func (t *T) violate(v Violation, details ...string) { t.fail([]Violation{v}, details...) }

// failf fails the spec with one violation built from a format.
func (t *T) failf(rule Rule, where, pointer, format string, args ...any) {
	t.violate(Violation{Rule: rule, Where: where, Pointer: pointer, Message: fmt.Sprintf(format, args...)})
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// await polls cond (through Gomega's Eventually, with our own timeout and interval) until
// it returns nil; it returns cond's last error if the timeout passes first.
func (t *T) await(timeout time.Duration, cond func() error) error {
	var last error
	g := gomega.NewGomega(func(string, ...int) {})
	ok := g.Eventually(t.ctx, func() error {
		last = cond()
		return last
	}).WithTimeout(timeout).WithPolling(t.s.opts.Timeouts.Poll.D()).Should(gomega.Succeed())
	if ok {
		return nil
	}
	if last == nil {
		last = fmt.Errorf("gave up after %s: %w", timeout, context.Cause(t.ctx))
	}
	return last
}

// quiet checks that cond stays nil for the whole window (Gomega's Consistently).
func (t *T) quiet(window time.Duration, cond func() error) error {
	var last error
	g := gomega.NewGomega(func(string, ...int) {})
	ok := g.Consistently(t.ctx, func() error {
		if err := cond(); err != nil {
			last = err
		}
		return last
	}).WithTimeout(window).WithPolling(t.s.opts.Timeouts.Poll.D()).Should(gomega.Succeed())
	if ok {
		return nil
	}
	if last == nil {
		last = context.Cause(t.ctx)
	}
	return last
}

// ---- HTTP ----

// newSession makes a logged-in session for role (a fresh HTTP session: its own cookie,
// CSRF token and referenceIds).
func (t *T) newSession(role Role) *Session {
	if p := t.s.info.Problems[role]; p != "" {
		t.failf(RuleSetup, "login as "+string(role), "", "%s", p)
	}
	sess := t.s.tg.newSession(role, *t.s.opts.Users.Credentials(role), t.ua, t.log)
	t.notHung(http.MethodGet, spec.MePath(), "")
	ex, user := sess.Login(t.ctx)
	t.transport(ex, RuleSetup)
	if ex.Status != http.StatusOK || user == nil {
		t.violate(Violation{Rule: RuleSetup, Where: ex.Where(), Message: fmt.Sprintf("cannot log in as %s: HTTP %d", role, ex.Status)}, ex.Dump())
	}
	t.conform(ex)
	return sess
}

// user returns the spec's main session of role, logging in on first use.
func (t *T) user(role Role) *Session {
	t.mu.Lock()
	sess := t.users[role]
	t.mu.Unlock()
	if sess != nil {
		return sess
	}
	sess = t.newSession(role)
	t.mu.Lock()
	t.users[role] = sess
	t.mu.Unlock()
	return sess
}

// do sends a request, fails the spec on a transport error, and checks the response
// against the contract.
func (t *T) do(sess *Session, method, path string, body any, opts ...reqOption) *Exchange {
	op := ""
	if b, ok := body.(map[string]any); ok {
		op, _ = b[spec.FieldOperationName].(string)
	}
	t.notHung(method, path, op)
	ex := sess.Do(t.ctx, method, path, body, opts...)
	t.transport(ex, RuleSetup)
	t.conform(ex)
	return ex
}

// notHung fails the spec, before the request is sent, when the first probe found that
// the target does not answer requests of method: each would wait out timeouts.request.
func (t *T) notHung(method, path, operation string) {
	if f := t.s.restFinding(method, operation); f != "" {
		t.failf(RuleSetup, method+" "+path, "", "not sent: %s; the suite does not wait %s for every request", f, t.s.opts.Timeouts.Request)
	}
}

// transport fails the spec when the exchange got no HTTP response.
func (t *T) transport(ex *Exchange, rule Rule) {
	if ex.Err == nil {
		return
	}
	t.violate(Violation{Rule: rule, Where: ex.Where(), Message: "no response: " + ex.Err.Error()}, ex.Dump())
}

// conform fails the spec when the response breaks the contract, naming every issue's JSON
// pointer and keyword; the response's contract warnings are the spec's warnings.
func (t *T) conform(ex *Exchange) {
	var ws []Violation
	for _, is := range ex.Warnings {
		ws = append(ws, Violation{Rule: RuleContract, Where: ex.Where() + " " + is.Where, Pointer: is.Pointer,
			Message: fmt.Sprintf("%s [%s] (HTTP %d)", is.Message, is.Rule, ex.Status)})
	}
	t.warnAll(ws, ex.Dump())
	if len(ex.Issues) == 0 {
		return
	}
	vs := make([]Violation, 0, len(ex.Issues))
	for _, is := range ex.Issues {
		vs = append(vs, Violation{Rule: RuleContract, Where: ex.Where() + " " + is.Where, Pointer: is.Pointer,
			Message: fmt.Sprintf("%s [%s] (HTTP %d)", is.Message, is.Rule, ex.Status)})
	}
	t.fail(vs, ex.Dump())
}

// ---- CometD ----

// listen opens a CometD session for sess's user (sharing its cookies), subscribes to the
// channels (default: every channel of the contract) and runs the connect loop until the
// spec ends. Every event it receives is checked against the contract.
func (t *T) listen(sess *Session, channels ...string) *Listener {
	if len(channels) == 0 {
		channels = spec.Channels()
	}
	rec := newRecorder()
	c := t.s.tg.newBayeuxClient(sess, rec, t.ua)
	l := &Listener{role: sess.role, client: c, rec: rec, done: make(chan error, 1), networkDelay: t.s.opts.Timeouts.Request.D()}
	t.mu.Lock()
	t.listeners = append(t.listeners, l)
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, 2*t.s.opts.Timeouts.Request.D())
	defer cancel()
	if err := c.Handshake(ctx); err != nil {
		t.failf(RuleBayeux, "CometD handshake ("+string(sess.role)+")", "", "the handshake of an authenticated session failed: %v", err)
	}
	if err := c.Subscribe(ctx, channels...); err != nil {
		t.failf(RuleBayeux, "CometD subscribe ("+string(sess.role)+")", "", "subscribing to %s failed: %v", strings.Join(channels, ", "), err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	l.stop = stop
	go l.run(runCtx)
	ginkgo.DeferCleanup(func(ctx context.Context) {
		t.finishEvents(l)
		dctx, cancel := context.WithTimeout(ctx, t.s.opts.Timeouts.Request.D())
		defer cancel()
		_ = c.Disconnect(dctx) // stops Run; the target may already have dropped the session
		stop()
		select {
		case <-l.done:
		case <-dctx.Done():
		}
	})
	return l
}

// checkEvents judges, for the spec, the events of l it caused (match.go: caused) and has
// not judged yet: each against the contract (envelope by bayeux-message.json, payload by
// channel and messageType). Shape faults fail the spec; values beyond what the contract
// knows are the spec's warnings. Events it did not cause wait for finishEvents.
func (t *T) checkEvents(l *Listener) {
	t.judgeEvents(l, l.unjudged(func(n Notification) bool { return t.caused(l.role, n) }))
}

// finishEvents, when a listener ends: the events no action of the spec caused go, once
// each, to the stream-level check (judging.go), which reports them apart and never
// charges them to this spec; then the spec's own events left are judged for it.
func (t *T) finishEvents(l *Listener) {
	for _, n := range l.unjudged(func(n Notification) bool { return !t.caused(l.role, n) }) {
		t.streamCheck(l, n)
	}
	t.checkEvents(l)
}

func (t *T) judgeEvents(l *Listener, evs []Notification) {
	var vs, ws []Violation
	var details []string
	for _, n := range evs {
		if !isContractChannel(n.Channel) {
			continue
		}
		where := n.Describe() + " (" + string(l.role) + ")"
		issues, warnings, err := t.s.validateMessage(n.Raw)
		for _, is := range warnings {
			ws = append(ws, Violation{Rule: RuleContract, Where: where + " " + is.Where, Pointer: is.Pointer, Message: fmt.Sprintf("%s [%s]", is.Message, is.Rule)})
		}
		for _, is := range issues {
			vs = append(vs, Violation{Rule: RuleContract, Where: where + " " + is.Where, Pointer: is.Pointer, Message: fmt.Sprintf("%s [%s]", is.Message, is.Rule)})
		}
		if err != nil && issues == nil {
			vs = append(vs, Violation{Rule: RuleContract, Where: where, Message: err.Error()})
		}
		if len(issues) > 0 || err != nil || len(warnings) > 0 {
			details = append(details, "message: "+string(n.Raw))
		}
	}
	t.warnAll(ws, details...)
	if len(vs) > 0 {
		t.fail(vs, details...)
	}
}

// rawBayeux is a Bayeux client for protocol checks (Send/SendAsIs) on sess's cookies; it
// runs no connect loop. Its listener records every exchange for failure output, and the
// events that came in replies are checked against the contract when the spec ends.
func (t *T) rawBayeux(sess *Session) (*bayeux.Client, *Listener) {
	rec := newRecorder()
	c := t.s.tg.newBayeuxClient(sess, rec, t.ua)
	l := &Listener{role: sess.role, client: c, rec: rec}
	t.mu.Lock()
	t.listeners = append(t.listeners, l)
	t.mu.Unlock()
	ginkgo.DeferCleanup(func() { t.finishEvents(l) })
	return c, l
}

// ---- provisioning ----

// provision puts a fresh interaction of media m into w and waits until w lists it. A
// spec that cannot provision is skipped with the reason.
func (t *T) provision(w WorkbinRef, m spec.Media) Placed {
	if w.ID == "" {
		if p := t.s.info.Problems[w.Owner]; p != "" {
			t.failf(RuleSetup, "login as "+string(w.Owner), "", "%s", p) // the user is broken, not the workbin missing
		}
		ginkgo.Skip(fmt.Sprintf("cannot provision: the %s", w.Label))
	}
	t.consume(w, m)
	ctx, cancel := context.WithTimeout(t.ctx, t.s.opts.Timeouts.Provision.D())
	defer cancel()
	id, err := t.s.prov.Place(ctx, t, w, m)
	switch {
	case errors.Is(err, ErrCannotProvision):
		// The reason is the hook's own text: masked, as Ginkgo's reports and console show it.
		ginkgo.Skip(t.s.mask.String(fmt.Sprintf("cannot provision a %s in %s (%s provisioning): %v", m, w.Label, t.s.prov.Mode(), err)))
	case err != nil:
		t.failf(RuleSetup, "provisioning ("+string(t.s.prov.Mode())+")", "", "placing a %s in %s failed: %v", m, w.Label, err)
	}
	it := t.awaitListed(w, id, "provisioned")
	if it.Media != m {
		t.failf(RuleSetup, "provisioning", "", "interaction %s was provisioned as a %s but %s lists it among the %ss", id, m, w.Label, it.Media)
	}
	t.evidence("provisioned", fmt.Sprintf("%s %s in %s", m, id, w.Label))
	return Placed{ID: id, Media: m, Workbin: w, Listed: it.Resource}
}
