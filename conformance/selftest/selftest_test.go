// Package selftest proves the conformance suite can fail: it builds the suite's test binary
// once and runs it, as a subprocess, against an in-process workbinkit mock: with default
// settings every spec passes; with each deviation switch on, the specs that catch it fail
// and name the broken rule. A deviation without a catching spec fails the build.
package selftest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/spec"
)

// suiteFlags registers the suite's flags so that `go test ./conformance/... -args --target
// …` (which reaches this package too) parses; the self-test then stands aside.
var suiteFlags = conformance.RegisterFlags(flag.CommandLine)

// fastTimeouts suit the in-process mock on loopback: a missing notification is given up
// after 4 s instead of 10 s, so deviation runs end quickly. Nothing waits for them when the
// mock behaves.
const fastTimeouts = "request=5s,notification=4s,consistency=3s,provision=5s,immediate=5s,spec=30s"

// runTimeout bounds one run of the suite binary.
const runTimeout = 2 * time.Minute

// parallelRuns is how many suite runs go at once (2 cores).
const parallelRuns = 2

// catch says which specs catch a deviation, and which rule their failure must name.
type catch struct {
	specs []string
	// rules: one of these must be the rule of a violation of each spec.
	rules []string
	// pointer, if set, must be in that violation's JSON pointer.
	pointer string
	// strict: the deviation is a warning by default (what real servers may do) and is caught
	// under --strict only; the run uses --strict.
	strict bool
}

// catches maps every deviation switch of the mock to the specs that catch it. A new switch
// without an entry fails the self-test. Read-only.
func catches() map[string]catch {
	pull := []string{"pull-workitem.workbins-url"}
	return map[string]catch{
		"agent-stats-wrong-count":           {specs: []string{"agent-stats.request-agent-stats"}, rules: []string{"S.agent-stats"}, pointer: "/Count"},
		"csrf-not-enforced":                 {specs: []string{"csrf.post-without-token", "csrf.post-wrong-token"}, rules: []string{"D8.csrf"}},
		"event-leaked-to-other-user":        {specs: []string{"pull-workitem.isolation"}, rules: []string{"D9.isolation"}},
		"extra-error-field":                 {specs: []string{"bad-input.unknown-interaction"}, rules: []string{"contract"}, pointer: "/mockExtra"},
		"extra-success-field":               {specs: pull, rules: []string{"contract"}, pointer: "/mockExtra"},
		"handshake-without-auth":            {specs: []string{"bayeux.handshake-unauthenticated"}, rules: []string{"D9.bayeux"}},
		"missing-capability":                {specs: pull, rules: []string{"D5.capabilities"}, pointer: "/data/workitem/capabilities"},
		"missing-csrf-headers":              {specs: []string{"csrf.token-on-get"}, rules: []string{"D8.csrf"}},
		"missing-item-removed":              {specs: []string{"workbin-subscriptions.item-removed"}, rules: []string{"D5.workbin-event"}},
		"missing-media-notification":        {specs: pull, rules: []string{"D5.notification"}},
		"missing-status-message":            {specs: []string{"bad-input.unknown-interaction"}, rules: []string{"contract"}, pointer: "/statusMessage"},
		"missing-subscription-notification": {specs: []string{"workbin-subscriptions.subscribe-unsubscribe"}, rules: []string{"S.subscription"}},
		"missing-www-authenticate":          {specs: []string{"bad-input.no-credentials-get"}, rules: []string{"contract", "D8.auth"}},
		"pull-chat-gate-ignored":            {specs: []string{"configurable-options.join-gate", "configurable-options.notification-gate"}, rules: []string{"D6.pullchat-gate"}},
		"pulled-item-still-listed":          {specs: pull, rules: []string{"D11.content"}},
		"reference-id-to-other-subscribers": {specs: []string{"workbin-subscriptions.group-subscribers"}, rules: []string{"D5.workbin-event"}, pointer: "/data/referenceId"},
		"repeated-reference-id":             {specs: []string{"pull-workitem.reference-ids"}, rules: []string{"D4.referenceId"}, pointer: "/referenceId"},
		"second-pull-succeeds":              {specs: []string{"pull-workitem.second-pull"}, rules: []string{"D11.second-pull"}},
		"unknown-client-accepted":           {specs: []string{"bayeux.unknown-client"}, rules: []string{"D9.bayeux"}},
		"user-data-dropped":                 {specs: pull, rules: []string{"D5.userData"}, pointer: "/data/workitem/userData"},
		"wrong-channel":                     {specs: pull, rules: []string{"D5.notification"}},
		"wrong-error-http-status":           {specs: []string{"bad-input.unknown-interaction"}, rules: []string{"contract"}},
		"wrong-message-type":                {specs: pull, rules: []string{"D5.notification", "contract"}, pointer: "/data/messageType"},
		"wrong-reference-id":                {specs: pull, rules: []string{"D4.referenceId-echo"}, pointer: "/data/referenceId"},
		"wrong-second-pull-status-code":     {specs: []string{"pull-workitem.second-pull"}, rules: []string{"D11.second-pull"}, pointer: "/statusCode"},
		"wrong-state-after-pull":            {specs: pull, rules: []string{"D5.state"}, pointer: "/data/workitem/state"},
		"add-unowned-accepted":              {specs: []string{"add-to-workbin.not-owned"}, rules: []string{"D11.ownership"}},
		"agent-on-supervisor-url-accepted":  {specs: []string{"supervisor.agent-refused"}, rules: []string{"D10.supervisor"}},
		"concurrent-pulls-all-win":          {specs: []string{"pull-workitem.concurrent"}, rules: []string{"D11.concurrent-pull"}},
		"connect-not-held":                  {specs: []string{"bayeux.held-connect"}, rules: []string{"D9.bayeux"}},
		"disconnect-ignored":                {specs: []string{"bayeux.disconnect"}, rules: []string{"D9.bayeux"}},
		"first-connect-held":                {specs: []string{"bayeux.first-connect"}, rules: []string{"D9.bayeux"}},
		"group-params-both-accepted":        {specs: []string{"group-workbins.both-params"}, rules: []string{"D1.group-params"}},
		"multimedia-not-enforced":           {specs: []string{"multimedia-gate.get-workbins"}, rules: []string{"D7.multimedia"}},
		"negotiation-ignored":               {specs: []string{"bayeux.handshake-negotiation"}, rules: []string{"D9.bayeux"}},
		"puller-not-participant":            {specs: []string{"pull-chat.pull-chat"}, rules: []string{"D5.participants"}, pointer: "/data/chat/participants"},
		"refused-request-half-applied":      {specs: []string{"bad-input.wrong-media"}, rules: []string{"D11.nothing-changed"}},
		"supervisor-pull-notifies-agent":    {specs: []string{"supervisor.pull-from-agent"}, rules: []string{"D10.supervisor"}},
		// The interaction's life after the pull (issue 12).
		"allowed-operation-refused":    {specs: []string{"workitem-lifecycle.user-data"}, rules: []string{"D13.operation"}},
		"capability-gate-ignored":      {specs: []string{"workitem-lifecycle.outside-capabilities", "chat-lifecycle.outside-capabilities", "email-lifecycle.outside-capabilities"}, rules: []string{"D13.capability-gate"}},
		"others-interaction-accepted":  {specs: []string{"workitem-lifecycle.not-holder", "chat-lifecycle.not-holder", "workitem-lifecycle.in-workbin"}, rules: []string{"D13.ownership"}},
		"bad-operation-body-accepted":  {specs: []string{"workitem-lifecycle.bad-body"}, rules: []string{"D13.bad-body"}},
		"missing-properties-updated":   {specs: []string{"workitem-lifecycle.user-data", "chat-lifecycle.user-data"}, rules: []string{"D14.notifications"}},
		"completed-keeps-capabilities": {specs: []string{"workitem-lifecycle.complete"}, rules: []string{"D15.completed"}, pointer: "/data/workitem/capabilities"},
		"leave-completes-chat":         {specs: []string{"chat-lifecycle.leave-complete"}, rules: []string{"D15.left-chat"}, pointer: "/data/chat/state"},
		"user-data-not-shown":          {specs: []string{"workitem-lifecycle.user-data", "email-lifecycle.user-data"}, rules: []string{"D16.user-data"}, pointer: "/userData"},
		"transfer-ignored":             {specs: []string{"workitem-lifecycle.transfer", "chat-lifecycle.transfer"}, rules: []string{"D17.transfer"}},
		"invitee-not-notified":         {specs: []string{"chat-lifecycle.invite", "chat-lifecycle.consult"}, rules: []string{"D17.invite"}, strict: true},
		"set-in-focus-refused":         {specs: []string{"workitem-lifecycle.set-in-focus"}, rules: []string{"D18.set-in-focus"}},
		"message-log-dropped":          {specs: []string{"chat-lifecycle.send-message", "chat-lifecycle.customer-message"}, rules: []string{"D20.message-log"}},
		"channels-not-notified":        {specs: []string{"contact-center-session.start-end"}, rules: []string{"D21.session"}, strict: true},
	}
}

// harness holds the suite binary, built once for the whole self-test.
type harness struct {
	bin string
}

// buildSuite builds the suite's test binary (go test -c ./conformance) into a temporary
// directory.
func buildSuite(t *testing.T) harness {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "conformance.test")
	cmd := exec.Command(goTool(), "test", "-c", "-o", bin, "github.com/workbinkit/workbinkit/conformance")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c ./conformance: %v\n%s", err, out)
	}
	return harness{bin: bin}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// TestSelfTest builds the suite once and runs every self-test against in-process mocks.
func TestSelfTest(t *testing.T) {
	if suiteFlags.Configured() {
		t.Skip("the suite's flags were given: this is a run against a target, not the self-test")
	}
	if testing.Short() {
		t.Skip("-short: the self-test builds and runs the suite binary")
	}
	h := buildSuite(t)
	t.Run("default-mock-passes", h.defaultMockPasses)
	t.Run("deviations-are-caught", h.deviationsAreCaught)
	t.Run("unclaimed-features-are-not-supported", h.unclaimedFeaturesAreNotSupported)
	t.Run("setup-failure-is-reported", h.setupFailureIsReported)
	t.Run("list-provisioning", h.listProvisioning)
	t.Run("api-provisioning", h.apiProvisioning)
	t.Run("parallel-run", h.parallelRun)
	t.Run("undocumented-4xx", h.undocumented4xx)
	t.Run("go-test-deadline", h.goTestDeadline)
	t.Run("wrong-notifications-fail-fast", h.wrongNotificationsFailFast)
	t.Run("hanging-targets", h.hangingTargets)
}

// mock starts an in-process mock on 127.0.0.1:0 with cfg; its self-check violations are
// counted.
type mock struct {
	url        string
	mu         sync.Mutex
	violations []mockserver.Violation
}

func startMock(t *testing.T, cfg mockserver.Config) *mock {
	t.Helper()
	m := &mock{}
	cfg.OnViolation = func(v mockserver.Violation) {
		m.mu.Lock()
		m.violations = append(m.violations, v)
		m.mu.Unlock()
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	m.url = ts.URL
	return m
}

func (m *mock) selfViolations() []mockserver.Violation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.violations)
}

// outcome is one run of the suite binary.
type outcome struct {
	code   int
	output string
	report conformance.Report
	took   time.Duration
}

// run runs the suite binary against target with args, writing its reports into a fresh
// directory, and reads the conformance report.
func (h harness) run(t *testing.T, target string, args ...string) outcome {
	t.Helper()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "report.json")
	all := append([]string{"-test.run=^TestConformance$", "--target", target, "--timeouts", fastTimeouts,
		"--report-json", jsonPath, "--report-markdown", filepath.Join(dir, "report.md"),
		"-ginkgo.timeout=" + runTimeout.String(), "-ginkgo.no-color"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, all...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	o := outcome{output: out.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		o.code = ee.ExitCode()
	default:
		t.Fatalf("running the suite: %v\n%s", err, tail(o.output))
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("the run wrote no conformance report (exit %d): %v\n%s", o.code, err, tail(o.output))
	}
	if err := json.Unmarshal(b, &o.report); err != nil {
		t.Fatalf("conformance report: %v", err)
	}
	return o
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return strings.Join(lines, "\n")
}

func (o outcome) byState(state string) []string {
	var ids []string
	for _, s := range o.report.Specs {
		if s.State == state {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func (o outcome) spec(id string) (conformance.SpecResult, bool) {
	for _, s := range o.report.Specs {
		if s.ID == id {
			return s, true
		}
	}
	return conformance.SpecResult{}, false
}

// requireAllPassed checks a run in which every spec must pass.
func requireAllPassed(t *testing.T, o outcome, m *mock) {
	t.Helper()
	if o.code != 0 || o.report.Result != conformance.ResultSuccess || len(o.byState(conformance.StatePassed)) != o.report.Statistics.Total || o.report.Statistics.Total == 0 {
		var fails []string
		for _, s := range o.report.Specs {
			if s.State != conformance.StatePassed {
				fails = append(fails, fmt.Sprintf("%s: %s: %s", s.ID, s.State, firstLines(s.Reason, 12)))
			}
		}
		t.Fatalf("exit %d, result %s, %+v; not passed:\n%s\n%s", o.code, o.report.Result, o.report.Statistics, strings.Join(fails, "\n"), tail(o.output))
	}
	if vs := m.selfViolations(); len(vs) > 0 {
		t.Errorf("the mock broke its own contract %d times during the run, first: %+v", len(vs), vs[0])
	}
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// defaultMockPasses: against the mock with default settings every spec passes, in
// the default (tolerant) mode and under --strict.
func (h harness) defaultMockPasses(t *testing.T) {
	for _, mode := range []string{"tolerant", "strict"} {
		t.Run(mode, func(t *testing.T) {
			m := startMock(t, mockserver.Config{})
			var args []string
			if mode == "strict" {
				// Every feature claimed by name, as make conform CONFORM_ARGS="--features all --strict".
				args = append(args, "--strict", "--features", "all")
			}
			o := h.run(t, m.url, args...)
			requireAllPassed(t, o, m)
			if len(o.report.Specs) < 50 {
				t.Errorf("only %d specs ran", len(o.report.Specs))
			}
			requireEveryFeaturePassed(t, o)
			t.Logf("full run, %s: %d specs passed in %s", mode, o.report.Statistics.Passed, o.took.Round(10*time.Millisecond))
		})
	}
}

// requireEveryFeaturePassed: each feature of the suite (the lifecycle ones of issue 12
// among them) was claimed and has specs that ran and passed, none skipped.
func requireEveryFeaturePassed(t *testing.T, o outcome) {
	t.Helper()
	passed := map[conformance.Feature]int{}
	for _, s := range o.report.Specs {
		if s.State != conformance.StatePassed {
			continue
		}
		for _, f := range s.Features {
			passed[f]++
		}
	}
	for _, f := range conformance.AllFeatures() {
		if passed[f] == 0 {
			t.Errorf("feature %s: no spec passed (claimed by default, so its specs must run and pass against the mock)", f)
		}
	}
}

// deviationsAreCaught runs the suite against the mock with each deviation switch on,
// focused on the specs the table says catch it (those specs pass against the default mock,
// see TestDefaultMockPasses, so the mapping is honest). Every switch must be caught: the
// run exits non-zero and each catching spec fails naming the rule.
func (h harness) deviationsAreCaught(t *testing.T) {
	table := catches()
	devs := mockserver.Deviations()
	known := map[string]bool{}
	for _, d := range devs {
		known[string(d.Name)] = true
	}
	for name := range table {
		if !known[name] {
			t.Errorf("the catch table names %q, which is no deviation of the mock", name)
		}
	}
	type result struct {
		name, breaks, caughtBy string
		caught                 bool
		took                   time.Duration // time to verdict: the run of the suite binary
	}
	var (
		mu      sync.Mutex
		results []result
	)
	sem := make(chan struct{}, parallelRuns)
	t.Run("each", func(t *testing.T) {
		for _, d := range devs {
			name := string(d.Name)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c, ok := table[name]
				if !ok {
					mu.Lock()
					results = append(results, result{name: name, breaks: d.Breaks, caughtBy: "(no spec in the catch table)"})
					mu.Unlock()
					t.Fatalf("deviation %q (%s) has no catching spec: add specs that catch it to catches() in %s", name, d.Breaks, "conformance/selftest/selftest_test.go")
				}
				sem <- struct{}{}
				defer func() { <-sem }()
				m := startMock(t, mockserver.Config{Deviations: []mockserver.Deviation{d.Name}})
				args := []string{"-ginkgo.label-filter=" + labelFilter(c.specs)}
				if c.strict {
					args = append(args, "--strict")
				}
				o := h.run(t, m.url, args...)
				caught, by := judge(t, o, c)
				if c.strict {
					by += " (--strict)"
				}
				mu.Lock()
				results = append(results, result{name: name, breaks: d.Breaks, caughtBy: by, caught: caught, took: o.took})
				mu.Unlock()
			})
		}
	})
	sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })
	caught := 0
	times := map[string]time.Duration{}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| deviation | breaks | caught by (spec: rule at pointer) |\n| --- | --- | --- |\n")
	for _, r := range results {
		if r.caught {
			caught++
		}
		if r.took > 0 {
			times[r.name] = r.took
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.name, r.breaks, r.caughtBy)
	}
	fmt.Fprintf(&b, "\nkill rate: %d/%d deviation switches caught (%.0f%%)\n", caught, len(devs), 100*float64(caught)/float64(max(len(devs), 1)))
	fmt.Fprintf(&b, "\nslowest verdicts (focused runs, timeouts %s, %d runs at once):\n%s", fastTimeouts, parallelRuns, slowest(times, 5))
	t.Log(b.String())
	if caught != len(devs) {
		t.Errorf("kill rate %d/%d: every deviation switch must be caught", caught, len(devs))
	}
}

// judge checks a deviation run: a non-zero exit, a failure report, and each catching spec
// failed with a violation of an expected rule (at the expected pointer).
func judge(t *testing.T, o outcome, c catch) (bool, string) {
	t.Helper()
	ok := true
	if o.code == 0 || o.report.Result != conformance.ResultFailure {
		t.Errorf("exit %d, result %s: the run must fail", o.code, o.report.Result)
		ok = false
	}
	var by []string
	for _, id := range c.specs {
		s, found := o.spec(id)
		if !found || s.State != conformance.StateFailed {
			t.Errorf("spec %s: %s (%s), want failed\n%s", id, s.State, firstLines(s.Reason, 8), tail(o.output))
			ok = false
			continue
		}
		var hit *conformance.Violation
		for i, v := range s.Violations {
			if slices.Contains(c.rules, string(v.Rule)) && strings.Contains(v.Pointer, c.pointer) {
				hit = &s.Violations[i]
				break
			}
		}
		if hit == nil {
			t.Errorf("spec %s failed, but no violation names rule %v at a pointer containing %q: %+v", id, c.rules, c.pointer, s.Violations)
			ok = false
			continue
		}
		if !strings.Contains(s.Reason, "["+string(hit.Rule)+"]") {
			t.Errorf("spec %s: the failure message does not name the rule %s: %s", id, hit.Rule, firstLines(s.Reason, 4))
			ok = false
		}
		at := ""
		if hit.Pointer != "" {
			at = " at " + hit.Pointer
		}
		by = append(by, fmt.Sprintf("%s: %s%s", id, hit.Rule, at))
	}
	return ok, strings.Join(by, "; ")
}

// unclaimedFeaturesAreNotSupported: a target claiming only bayeux passes, and every
// other spec is reported NOT_SUPPORTED (not skipped, not failed).
func (h harness) unclaimedFeaturesAreNotSupported(t *testing.T) {
	m := startMock(t, mockserver.Config{})
	o := h.run(t, m.url, "--features", "bayeux")
	st := o.report.Statistics
	if o.code != 0 || o.report.Result != conformance.ResultSuccess || st.Failed != 0 || st.Skipped != 0 || st.NotSupported == 0 || st.Passed+st.NotSupported != st.Total {
		t.Fatalf("exit %d, result %s, %+v\n%s", o.code, o.report.Result, st, tail(o.output))
	}
	for _, s := range o.report.Specs {
		own := slices.Contains(s.Features, conformance.FeatureBayeux) || slices.Equal(s.Features, []conformance.Feature{conformance.FeaturePullWorkitem})
		if own != (s.State == conformance.StatePassed) {
			t.Errorf("%s (%v): %s", s.ID, s.Features, s.State)
		}
	}
	if !slices.Contains(o.report.UnsupportedFeatures, conformance.FeatureCSRF) {
		t.Errorf("unsupported features %v", o.report.UnsupportedFeatures)
	}
}

// setupFailureIsReported: against a port nobody listens on, the run fails and still
// writes a report that says why.
func (h harness) setupFailureIsReported(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	o := h.run(t, url)
	if o.code == 0 || o.report.Result != conformance.ResultFailure || len(o.report.SetupFailures) == 0 {
		t.Fatalf("exit %d, result %s, setup failures %v", o.code, o.report.Result, o.report.SetupFailures)
	}
	if !strings.Contains(o.report.SetupFailures[0].Reason, "cannot reach the target") {
		t.Errorf("setup failure reason: %s", o.report.SetupFailures[0].Reason)
	}
}

// defaultUsers returns the agent's and agent2's user names and the agent's Agent workbin.
func defaultUsers(t *testing.T) (agent, agent2, workbin string, set *fixtures.Set) {
	t.Helper()
	o, err := conformance.DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	set, err = fixtures.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range set.Workbins {
		if w.Type == spec.WorkbinAgent && w.Owner == o.Users.Agent.User {
			workbin = w.ID
		}
	}
	return o.Users.Agent.User, o.Users.Agent2.User, workbin, set
}

// mockAccountsYAML is the config-file form of the mock's default users and group
// workbins: a run with --config gets no defaults for them.
func mockAccountsYAML(t *testing.T) string {
	t.Helper()
	o, err := conformance.DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	u, w := o.Users, o.Workbins
	return fmt.Sprintf("users:\n  agent: {user: %q, password: %q}\n  agent2: {user: %q, password: %q}\n"+
		"  supervisor: {user: %q, password: %q}\n  noMultimedia: {user: %q, password: %q}\n"+
		"workbins:\n  agentGroup: {group: %q, workbin: %q}\n  placeGroup: {group: %q, workbin: %q}\n",
		u.Agent.User, u.Agent.Password, u.Agent2.User, u.Agent2.Password, u.Supervisor.User, u.Supervisor.Password,
		u.NoMultimedia.User, u.NoMultimedia.Password, w.AgentGroup.Group, w.AgentGroup.Workbin, w.PlaceGroup.Group, w.PlaceGroup.Workbin)
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// listProvisioning: interactions placed beforehand and listed in the config are
// consumed one per spec. A list shorter than the run needs stops it at set-up, saying how
// many ids to add, before any spec runs; the full list lets every spec pass.
func (h harness) listProvisioning(t *testing.T) {
	m := startMock(t, mockserver.Config{})
	_, _, workbin, _ := defaultUsers(t)
	var ids []string
	for range 3 {
		body := fmt.Sprintf(`{"%s":%q,"%s":"workitem"}`, spec.AdminFieldWorkbinID, workbin, spec.AdminFieldMedia)
		resp, err := http.Post(m.url+spec.AdminBasePath+spec.AdminPathInteractions, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var placed struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&placed)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated || placed.ID == "" {
			t.Fatalf("placing an interaction: HTTP %d %v", resp.StatusCode, err)
		}
		ids = append(ids, placed.ID)
	}
	config := func(ids []string) string {
		cfg := mockAccountsYAML(t) + "provisioning:\n  mode: list\n  interactions:\n"
		for _, id := range ids {
			cfg += fmt.Sprintf("    - {id: %s, media: workitem, workbin: %s}\n", id, workbin)
		}
		return cfg + "features: [pull-workitem]\n"
	}
	focus := []string{"pull-workitem.workbins-url", "pull-workitem.me-url", "pull-workitem.pull-interaction"}

	short := h.run(t, m.url, "--config", writeFile(t, "short.yaml", config(ids[:2])), "-ginkgo.label-filter="+labelFilter(focus))
	want := fmt.Sprintf("list provisioning: workbin %s has 2 workitem ids; this run needs 3 (1 process): add 1", workbin)
	if short.code == 0 || short.report.Result != conformance.ResultFailure || len(short.report.SetupFailures) == 0 ||
		!strings.Contains(short.report.SetupFailures[0].Reason, want) || short.report.Statistics.Passed+short.report.Statistics.Failed != 0 {
		t.Fatalf("a short list: exit %d, result %s, setup failures %+v; want the set-up to stop with %q\n%s",
			short.code, short.report.Result, short.report.SetupFailures, want, tail(short.output))
	}

	o := h.run(t, m.url, "--config", writeFile(t, "list.yaml", config(ids)), "-ginkgo.label-filter="+labelFilter(focus))
	for _, id := range focus {
		if s, _ := o.spec(id); s.State != conformance.StatePassed {
			t.Errorf("%s: %s %s", id, s.State, s.Reason)
		}
	}
	if o.code != 0 || o.report.Result == conformance.ResultFailure {
		t.Fatalf("exit %d, result %s\n%s", o.code, o.report.Result, tail(o.output))
	}
}

// labelFilter selects specs by id.
func labelFilter(ids []string) string {
	f := make([]string, len(ids))
	for i, id := range ids {
		f[i] = "id:" + id
	}
	return strings.Join(f, " || ")
}

// apiProvisioning: interactions the users own are added with the Add operations, reused
// once pulled back, and given back to their owners when a spec ends, so that a second run
// against the same server passes too. The fixtures give each owner one interaction per
// media, so an interaction not given back fails the later specs that need it. In the first
// run the mock accepts a pull without CSRF token (csrf-not-enforced): that spec fails after
// a pull the suite did not expect, and its interaction must come back all the same; the
// supervisor's pull leaves agent2's workitem with the supervisor until it is given back.
func (h harness) apiProvisioning(t *testing.T) {
	m := startMock(t, mockserver.Config{})
	agent, agent2, _, set := defaultUsers(t)
	cfg := mockAccountsYAML(t) + "provisioning:\n  mode: api\n  owned:\n"
	for user, role := range map[string]string{agent: "agent", agent2: "agent2"} {
		for _, x := range set.OwnedBy(user) {
			cfg += fmt.Sprintf("    - {id: %s, media: %s, owner: %s}\n", x.ID, x.Media, role)
		}
	}
	config := writeFile(t, "api.yaml", cfg)
	focus := []string{"pull-workitem.workbins-url", "pull-workitem.me-url", "pull-chat.pull-chat", "pull-email.pull-email",
		"add-to-workbin.add-by-id", "workbin-subscriptions.supervisor", "csrf.post-without-token"}
	const unseen = "csrf.post-without-token"
	setDeviations(t, m, "csrf-not-enforced")
	for run := 1; run <= 2; run++ {
		o := h.run(t, m.url, "--config", config, "-ginkgo.label-filter="+labelFilter(focus))
		for _, id := range focus {
			s, _ := o.spec(id)
			want := conformance.StatePassed
			if run == 1 && id == unseen {
				want = conformance.StateFailed
			}
			if s.State != want {
				t.Errorf("run %d: %s: %s, want %s: %s", run, id, s.State, want, firstLines(s.Reason, 10))
			}
		}
		if strings.Contains(o.output, "was not given back") {
			t.Errorf("run %d: an interaction was not given back:\n%s", run, tail(o.output))
		}
		if t.Failed() {
			t.Fatalf("run %d: exit %d, %+v\n%s", run, o.code, o.report.Statistics, tail(o.output))
		}
		setDeviations(t, m)
	}
}

// setDeviations switches exactly these deviations of m on, through its admin API.
func setDeviations(t *testing.T, m *mock, names ...string) {
	t.Helper()
	body, err := json.Marshal(map[string][]string{"on": append([]string{}, names...)})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPut, m.url+spec.AdminBasePath+spec.AdminPathDeviations, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT deviations %v: HTTP %d", names, resp.StatusCode)
	}
}

// parallelRun runs the whole suite with the Ginkgo CLI on two processes: process 1's
// setup reaches both, and the report merges every spec.
func (h harness) parallelRun(t *testing.T) {
	// The CLI at the version of go.mod, as make conform runs it.
	ginkgo := filepath.Join(t.TempDir(), "ginkgo")
	if out, err := exec.Command(goTool(), "build", "-o", ginkgo, "github.com/onsi/ginkgo/v2/ginkgo").CombinedOutput(); err != nil {
		t.Fatalf("building the ginkgo CLI: %v\n%s", err, out)
	}
	m := startMock(t, mockserver.Config{})
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ginkgo, "-p", "--procs=2", "--no-color", "--junit-report="+filepath.Join(dir, "junit.xml"), h.bin, "--",
		"--target", m.url, "--timeouts", fastTimeouts, "--report-json", jsonPath, "--report-markdown", "")
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ginkgo -p: %v\n%s", err, tail(string(out)))
	}
	var o outcome
	b, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(b, &o.report) != nil {
		t.Fatalf("report: %v", err)
	}
	o.took, o.output = time.Since(start), string(out)
	requireAllPassed(t, o, m)
	if _, err := os.Stat(filepath.Join(dir, "junit.xml")); err != nil {
		t.Errorf("no JUnit report: %v", err)
	}
	t.Logf("full run on 2 processes: %d specs passed in %s", o.report.Statistics.Passed, o.took.Round(10*time.Millisecond))
}

// undocumented4xx: a server that refuses a second pull with 409 (a 4xx the contract does
// not list) and the error envelope passes by default and fails under --strict, naming the
// status. The server is the mock behind a proxy that turns every 400 into a 409.
func (h harness) undocumented4xx(t *testing.T) {
	m := startMock(t, mockserver.Config{})
	u, err := url.Parse(m.url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1 // CometD long polls pass straight through
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.StatusCode == http.StatusBadRequest {
			r.StatusCode, r.Status = http.StatusConflict, "409 Conflict"
		}
		return nil
	}
	ts := httptest.NewServer(proxy)
	t.Cleanup(ts.Close)
	focus := "-ginkgo.label-filter=" + labelFilter([]string{"pull-workitem.second-pull"})
	if o := h.run(t, ts.URL, focus); o.code != 0 || o.report.Statistics.Passed != 1 {
		s, _ := o.spec("pull-workitem.second-pull")
		t.Errorf("tolerant: exit %d, %+v: %s", o.code, o.report.Statistics, firstLines(s.Reason, 10))
	}
	o := h.run(t, ts.URL, focus, "--strict")
	s, _ := o.spec("pull-workitem.second-pull")
	if o.code == 0 || s.State != conformance.StateFailed || !strings.Contains(s.Reason, "[contract]") || !strings.Contains(s.Reason, "does not document this status") {
		t.Errorf("--strict: exit %d, %s: %s", o.code, s.State, firstLines(s.Reason, 10))
	}
}

// goTestDeadline: a run that go test's -timeout would kill still ends cleanly, shortly
// before the deadline, and writes its report. The target never answers (the request
// timeout is far longer than the deadline), so only the suite timeout can end the run.
func (h harness) goTestDeadline(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) }) // runs before ts.Close
	const deadline = 12 * time.Second
	o := h.run(t, ts.URL, "-test.timeout="+deadline.String(), "--timeouts", "request=10m")
	if o.took >= deadline {
		t.Errorf("the run took %s; go test would have killed it at %s", o.took, deadline)
	}
	if o.code == 0 || o.report.Result != conformance.ResultFailure {
		t.Errorf("exit %d, result %s: a run cut short must not pass\n%s", o.code, o.report.Result, tail(o.output))
	}
}
