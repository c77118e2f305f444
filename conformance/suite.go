package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/workbinkit/workbinkit/spec"
)

// TestingT is what RunConformance needs from its caller (*testing.T has it).
type TestingT interface {
	ginkgo.GinkgoTestingT
	Helper()
	Fatalf(format string, args ...any)
}

// RunConformance runs the suite against the target of opts with Ginkgo, the way Gateway
// API's RunConformance does: call it from a TestXxx function. It validates opts first
// (failing t on a bad option), declares every spec, runs them, and writes the conformance
// report. Ginkgo's own flags (-ginkgo.label-filter, -ginkgo.junit-report…) apply. It
// returns whether every spec that ran passed.
func RunConformance(t TestingT, opts Options, runOpts ...RunOption) bool {
	t.Helper()
	suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
	return RunConformanceWith(t, opts, suiteCfg, reporterCfg, runOpts...)
}

// RunConformanceWith is RunConformance with Ginkgo's configuration given rather than read
// from the -ginkgo.* flags of the test binary: `workbinkit conform` parses the same flags
// on its own flag set and runs the suite outside go test. Ginkgo runs one suite per
// process, so call it (or RunConformance) once.
func RunConformanceWith(t TestingT, opts Options, suiteCfg types.SuiteConfig, reporterCfg types.ReporterConfig, runOpts ...RunOption) bool {
	t.Helper()
	var ro runOptions
	for _, o := range runOpts {
		o(&ro)
	}
	s, err := NewSuite(opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	s.Register()
	gomega.RegisterFailHandler(ginkgo.Fail)
	var goTestRemaining time.Duration
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			goTestRemaining = time.Until(deadline)
		}
	}
	ginkgoTimeout := suiteCfg.Timeout
	if ginkgoTimeout == types.NewDefaultSuiteConfig().Timeout {
		ginkgoTimeout = 0 // Ginkgo's default (1h), not a choice: --deadline governs, above it too
	}
	s.limit = runLimit(s.opts.Deadline.D(), ginkgoTimeout, goTestRemaining)
	suiteCfg.Timeout = s.limit.timeout
	// A run that selects no spec at all (a mistyped -ginkgo.label-filter) must not pass.
	suiteCfg.FailOnEmpty = true
	// Ginkgo renders its own error texts ("SynchronizedBeforeSuite failed on Ginkgo
	// parallel process #1") with this formatter, in colour whatever -ginkgo.no-color says,
	// and they land in Failure.Message, hence in every report file. The console reporter
	// has its own formatter and keeps its colours.
	formatter.SingletonFormatter.ColorMode = formatter.ColorModeNone
	// Which signal stopped the run, and when, for the reports (Ginkgo stops the run).
	s.signals = ro.signals
	if s.signals == nil {
		s.signals = WatchSignals()
	}
	defer s.signals.Stop()
	if sig, _ := s.signals.first(); sig != nil {
		// Stopped before Ginkgo could hear it: run cut short at once, so that every spec
		// is reported not run and the reports are written.
		suiteCfg.Timeout = time.Nanosecond
	}
	return ginkgo.RunSpecs(t, suiteDescription, suiteCfg, reporterCfg)
}

// RunOption adjusts how RunConformance runs.
type RunOption func(*runOptions)

type runOptions struct {
	signals *SignalWatch
}

// WithSignals hands RunConformance a SignalWatch started early (in TestMain): a signal
// that comes before Ginkgo listens then still ends the run with its reports.
func WithSignals(w *SignalWatch) RunOption {
	return func(o *runOptions) { o.signals = w }
}

// limit is the suite timeout of a run and where it comes from, for the report.
type limit struct {
	timeout time.Duration
	source  string
}

// suiteDescription is the Ginkgo suite's description, part of the text --focus matches.
const suiteDescription = "workbinkit conformance"

// Sources of the run's limit.
const (
	limitDeadline      = "--deadline"
	limitGinkgoTimeout = "-ginkgo.timeout"
	limitGoTest        = "go test -timeout"
)

// runLimit is the Ginkgo suite timeout of a run: the shortest of --deadline, Ginkgo's own
// (-ginkgo.timeout, or the ginkgo CLI's --timeout) and, under go test, what go test's
// -timeout leaves (see suiteTimeout): go test kills the binary at its deadline without
// running ReportAfterSuite, so every report would be lost.
func runLimit(deadline, ginkgoTimeout, goTestRemaining time.Duration) limit {
	l := limit{timeout: deadline, source: limitDeadline}
	if ginkgoTimeout > 0 && ginkgoTimeout < l.timeout {
		l = limit{timeout: ginkgoTimeout, source: limitGinkgoTimeout}
	}
	if goTestRemaining > 0 {
		if t := suiteTimeout(goTestRemaining, l.timeout); t < l.timeout {
			l = limit{timeout: t, source: limitGoTest}
		}
	}
	return l
}

// Bounds of the margin suiteTimeout leaves before go test's deadline.
const (
	minDeadlineMargin     = 30 * time.Second
	deadlineMarginPercent = 5
)

// suiteTimeout is the Ginkgo suite timeout for a test binary that go test kills after
// remaining: remaining minus a margin for the reports (30 s or 5 %, whichever is larger),
// but at least half of remaining, and never more than configured (-ginkgo.timeout).
func suiteTimeout(remaining, configured time.Duration) time.Duration {
	if remaining <= 0 {
		return configured
	}
	margin := max(minDeadlineMargin, remaining*deadlineMarginPercent/100)
	return min(configured, max(remaining-margin, remaining/2))
}

// Suite is one run of the suite: the options, the compiled contract, the target, and,
// after the suite's setup, what was discovered about the target and the provisioner. It
// holds no package-level state: each process of a parallel run builds its own.
type Suite struct {
	opts     Options
	mask     *Masker
	tg       *target
	defs     []specDef
	byID     map[string]specDef
	info     TargetInfo
	prov     provisioner
	setupLog *exchangeLog
	// limit is the run's suite timeout (RunConformance), for the report.
	limit limit
	// found is what this process learned about the target's notifications (probe.go).
	found findings
	// signals records the signal that stopped the run, for the report.
	signals *SignalWatch
}

// NewSuite validates opts and prepares a suite (no request is sent yet).
func NewSuite(opts Options) (*Suite, error) {
	opts.Features = normalizeFeatures(opts.Features) // the core is on even if a caller left Features empty
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	contract, err := spec.Load()
	if err != nil {
		return nil, fmt.Errorf("conformance: loading the contract: %w", err)
	}
	mask := maskerFor(&opts)
	tg, err := newTarget(&opts, contract, mask)
	if err != nil {
		return nil, err
	}
	s := &Suite{opts: opts, mask: mask, tg: tg, setupLog: &exchangeLog{}}
	s.defs = allSpecs()
	s.byID = map[string]specDef{}
	for _, d := range s.defs {
		s.byID[d.id] = d
	}
	return s, nil
}

// Options returns the suite's options.
func (s *Suite) Options() Options { return s.opts }

// Register declares the suite's nodes with Ginkgo: the setup, the feature guard, one
// container per feature set with its specs, and the report. Call it once, before RunSpecs.
func (s *Suite) Register() {
	ginkgo.SynchronizedBeforeSuite(s.discoverOnce, s.setUp, ginkgo.NodeTimeout(4*s.opts.Timeouts.Request.D()+time.Minute))

	// One guard for every spec: an unclaimed feature skips it (never fails it). The report
	// decides NOT_SUPPORTED from labels, not from this message.
	ginkgo.BeforeEach(ginkgo.OncePerOrdered, func() {
		var missing []Feature
		for _, f := range featuresOf(ginkgo.CurrentSpecReport().Labels()) {
			if !s.opts.Supports(f) {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			ginkgo.Skip("NOT_SUPPORTED: the target does not declare " + featureNames(missing))
		}
	})

	for _, group := range groupByFeatures(s.defs) {
		labels := make([]string, len(group.features))
		for i, f := range group.features {
			labels[i] = FeatureLabel(f)
		}
		defs := group.defs
		ginkgo.Describe(group.title, ginkgo.Label(labels...), func() {
			for _, d := range defs {
				args := []any{ginkgo.Label(idLabelPrefix + d.id), ginkgo.SpecTimeout(s.opts.Timeouts.Spec.D())}
				if d.serial {
					args = append(args, ginkgo.Serial)
				}
				args = append(args, func(ctx ginkgo.SpecContext) {
					t := s.newT(ctx, d.id)
					d.body(t)
					t.checkNeedsUsed() // reached only when the body ran to its end
				})
				ginkgo.It(d.text, args...)
			}
		})
	}

	ginkgo.ReportAfterSuite("workbinkit conformance report", s.report)
}

type specGroup struct {
	title    string
	features []Feature
	defs     []specDef
}

// groupByFeatures puts specs with the same feature set into one container, in order of
// first appearance.
func groupByFeatures(defs []specDef) []specGroup {
	var out []specGroup
	index := map[string]int{}
	for _, d := range defs {
		key := featureNames(d.features)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, specGroup{title: "[" + key + "]", features: d.features})
		}
		out[i].defs = append(out[i].defs, d)
	}
	return out
}

// ---- setup ----

// TargetInfo is what the suite's setup learns about the target, handed from process 1 to
// every process of a parallel run.
type TargetInfo struct {
	Users map[Role]UserInfo `json:"users"`
	// Problems says why a role cannot be used (its specs fail with it).
	Problems map[Role]string `json:"problems"`
	// Workbins by name: agent, agentPlace, agent2, agentGroup, placeGroup.
	Workbins map[string]WorkbinRef `json:"workbins"`
	// Probe is what the first probe found (probe.go).
	Probe ProbeReport `json:"probe"`
}

// UserInfo is a user as GET /api/v2/me gave it.
type UserInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (i *TargetInfo) userID(r Role) string { return i.Users[r].ID }

// Names of TargetInfo.Workbins.
const (
	wbAgent      = "agent"
	wbAgentPlace = "agentPlace"
	wbAgent2     = "agent2"
	wbAgentGroup = "agentGroup"
	wbPlaceGroup = "placeGroup"
)

// workbin returns a discovered workbin (an empty ID when there is none).
func (i *TargetInfo) workbin(name string) WorkbinRef { return i.Workbins[name] }

// discoverOnce runs on process 1: it logs every needed user in and finds the workbins.
func (s *Suite) discoverOnce(ctx ginkgo.SpecContext) []byte {
	info, err := s.discover(ctx)
	if err != nil {
		ginkgo.AddReportEntry("HTTP exchanges (masked)", s.setupLog.dump(s.mask), ginkgo.ReportEntryVisibilityFailureOrVerbose)
		ginkgo.Fail(s.mask.String(err.Error()))
	}
	if s.opts.Provisioning.Mode == ProvisionList {
		// A short list stops the run here, saying what to add, rather than leaving specs
		// skipped one by one as the ids run out.
		if err := s.listPlan(&info).check(s.opts.Provisioning.Interactions); err != nil {
			ginkgo.AddReportEntry(violationEntry, Violation{Rule: RuleSetup, Where: "provisioning.interactions", Message: err.Error()})
			ginkgo.Fail(err.Error())
		}
	}
	info.Probe = s.probeTarget(ctx, &info)
	b, err := json.Marshal(info)
	if err != nil {
		ginkgo.Fail("conformance: encoding the target info: " + err.Error())
	}
	return b
}

// listPlan plans list provisioning for this run: the specs its features, label filter,
// focus and skip strings select, on info's workbins, over its parallel processes.
func (s *Suite) listPlan(info *TargetInfo) listPlan {
	cfg, _ := ginkgo.GinkgoConfiguration()
	return planList(s.defs, &s.opts, info, specSelector(s.defs, cfg), cfg.ParallelTotal)
}

// setUp runs on every process with process 1's findings.
func (s *Suite) setUp(_ ginkgo.SpecContext, data []byte) {
	if err := json.Unmarshal(data, &s.info); err != nil {
		ginkgo.Fail("conformance: decoding the target info: " + err.Error())
	}
	cfg, _ := ginkgo.GinkgoConfiguration()
	total := max(cfg.ParallelTotal, 1)
	s.prov = newProvisioner(&s.opts, s.listPlan(&s.info), ginkgo.GinkgoParallelProcess())
	ginkgo.AddReportEntry("target", fmt.Sprintf("%s (%s mode, %s provisioning, process %d of %d)", s.mask.String(s.opts.Target), s.opts.Mode(), s.opts.Provisioning.Mode, ginkgo.GinkgoParallelProcess(), total), ginkgo.ReportEntryVisibilityNever)
}

func (s *Suite) neededRoles() []Role {
	roles := []Role{RoleAgent, RoleAgent2}
	if s.opts.Supports(FeatureSupervisor) {
		roles = append(roles, RoleSupervisor)
	}
	if s.opts.Supports(FeatureMultimediaGate) {
		roles = append(roles, RoleNoMultimedia)
	}
	return roles
}

// discover logs every needed user in and finds the agents' workbins. The calls of each
// step run at once, and the first that cannot reach the target at all (connection
// refused, no answer within timeouts.request, an answer that is not HTTP) cancels the
// others: a dead or hung target is reported after one request timeout, as an
// *UnreachableError, not after one per user.
func (s *Suite) discover(ctx context.Context) (TargetInfo, error) {
	info := TargetInfo{Users: map[Role]UserInfo{}, Problems: map[Role]string{}, Workbins: map[string]WorkbinRef{}}
	ua := fmt.Sprintf("workbinkit-conformance/%s setup", SuiteVersion)
	roles := s.neededRoles()
	type login struct {
		sess *Session
		ex   *Exchange
		user map[string]any
	}
	logins := make([]login, len(roles))
	err := allAtOnce(ctx, len(roles), func(ctx context.Context, i int) error {
		sess := s.tg.newSession(roles[i], *s.opts.Users.Credentials(roles[i]), ua, s.setupLog)
		ex, user := sess.Login(ctx)
		logins[i] = login{sess, ex, user}
		return s.unreachable(ctx, ex)
	})
	if err != nil {
		return info, err
	}
	sessions := map[Role]*Session{}
	for i, r := range roles {
		l := logins[i]
		switch {
		case l.ex.Status != http.StatusOK || l.user == nil:
			info.Problems[r] = loginProblem(r, s.opts.Users.Credentials(r).User, l.ex.Status)
		default:
			name, _ := l.user["userName"].(string)
			info.Users[r] = UserInfo{ID: l.sess.UserID(), Name: name}
			sessions[r] = l.sess
		}
	}
	if p := info.Problems[RoleAgent]; p != "" {
		return info, fmt.Errorf("conformance: %s", p)
	}
	lookups := []struct {
		role          Role
		configured    string
		agent, place  string
		label         string
		discoverPlace bool
	}{
		{RoleAgent, s.opts.Workbins.Agent, wbAgent, wbAgentPlace, "agent's workbin", true},
		{RoleAgent2, s.opts.Workbins.Agent2, wbAgent2, "", "agent2's workbin", false},
	}
	type found struct {
		agent, place string
		err          error
	}
	results := make([]found, len(lookups))
	err = allAtOnce(ctx, len(lookups), func(ctx context.Context, i int) error {
		sess := sessions[lookups[i].role]
		if sess == nil {
			return nil
		}
		var ex *Exchange
		results[i].agent, results[i].place, ex, results[i].err = s.findWorkbins(ctx, sess)
		return s.unreachable(ctx, ex)
	})
	if err != nil {
		return info, err
	}
	for i, o := range lookups {
		if sessions[o.role] == nil {
			continue
		}
		agentWB, placeWB, err := results[i].agent, results[i].place, results[i].err
		if err != nil && o.configured == "" {
			if o.role == RoleAgent {
				return info, err
			}
			info.Problems[o.role] = err.Error()
			continue
		}
		id := o.configured
		if id == "" {
			id = agentWB
		}
		if id == "" && o.role == RoleAgent {
			return info, fmt.Errorf("conformance: GET /api/v2/me/workbins?fields=* lists no workbin of type Agent for %s; set workbins.agent", o.role)
		}
		info.Workbins[o.agent] = WorkbinRef{ID: id, Owner: o.role, Label: o.label + " " + id}
		if o.discoverPlace {
			if s.opts.Workbins.AgentPlace != "" {
				placeWB = s.opts.Workbins.AgentPlace
			}
			if placeWB != "" {
				info.Workbins[o.place] = WorkbinRef{ID: placeWB, Owner: o.role, Label: string(o.role) + "'s place workbin " + placeWB}
			}
		}
	}
	if g := s.opts.Workbins.AgentGroup; g.Workbin != "" {
		info.Workbins[wbAgentGroup] = WorkbinRef{ID: g.Workbin, Owner: RoleAgent, Param: spec.ParamAgentGroup, Group: g.Group, Label: "AgentGroup workbin " + g.Workbin + " of " + g.Group}
	}
	if g := s.opts.Workbins.PlaceGroup; g.Workbin != "" {
		info.Workbins[wbPlaceGroup] = WorkbinRef{ID: g.Workbin, Owner: RoleAgent, Param: spec.ParamPlaceGroup, Group: g.Group, Label: "PlaceGroup workbin " + g.Workbin + " of " + g.Group}
	}
	return info, nil
}

// loginProblem says why GET /api/v2/me failed for role, blaming the credentials only when
// the target did (401, 403).
func loginProblem(r Role, user string, status int) string {
	msg := fmt.Sprintf("GET %s/me as %s (user %s) answered HTTP %d", spec.BasePath, r, user, status)
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return msg + ": check the user name and password of users." + string(r)
	case http.StatusNotFound:
		return msg + ": check --target, the server's base URL without " + spec.BasePath + " (e.g. https://gws.example:8443)"
	case http.StatusOK:
		return msg + " without a user resource: is --target a GWS-compatible server?"
	}
	return msg + ": the server could not serve the login; check --target and the server's logs"
}

// findWorkbins returns the first Agent and Place workbins GET /api/v2/me/workbins?fields=*
// lists for the session's user, and the exchange.
func (s *Suite) findWorkbins(ctx context.Context, sess *Session) (agent, place string, ex *Exchange, err error) {
	ex = sess.Do(ctx, http.MethodGet, spec.MyWorkbinsPath(), nil, withQuery(spec.FieldsQuery("*")))
	if ex.Err != nil {
		return "", "", ex, fmt.Errorf("conformance: listing the workbins of %s: %w", sess.role, ex.Err)
	}
	if ex.Status != http.StatusOK {
		return "", "", ex, fmt.Errorf("conformance: GET /api/v2/me/workbins?fields=* as %s answered HTTP %d", sess.role, ex.Status)
	}
	list, _ := ex.JSON()[spec.FieldWorkbins].([]any)
	for _, x := range list {
		wb, _ := x.(map[string]any)
		id, _ := wb[spec.FieldID].(string)
		switch typ, _ := wb["type"].(string); {
		case typ == spec.WorkbinAgent && agent == "":
			agent = id
		case typ == spec.WorkbinPlace && place == "":
			place = id
		}
	}
	return agent, place, ex, nil
}

// UnreachableError says the target did not answer HTTP at all during set-up: the
// connection was refused, no answer came within timeouts.request, or the answer was not
// HTTP. The run stops at once with it.
type UnreachableError struct {
	Target  string // masked
	Where   string // "GET /api/v2/me (agent)"
	Timeout time.Duration
	Err     error
}

func (e *UnreachableError) Error() string {
	cause := e.Err.Error()
	if errors.Is(e.Err, context.DeadlineExceeded) {
		// Every request would wait as long: say so, not just "deadline exceeded".
		cause = fmt.Sprintf("got no response within %s, timeouts.request: the target accepts connections but does not answer", e.Timeout)
	}
	return fmt.Sprintf("conformance: target unreachable: %s: %s; cannot reach the target %s: is the server up, and is --target its base URL?", e.Where, cause, e.Target)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable turns a transport failure of a set-up exchange into an *UnreachableError;
// nil when the target answered, or when ctx was cancelled already (another call's
// failure, or the run's end, is then the reason).
func (s *Suite) unreachable(ctx context.Context, ex *Exchange) error {
	if ex == nil || ex.Err == nil || ex.Status != 0 || ctx.Err() != nil {
		return nil // no failure, or an HTTP answer (judged by the caller), or not the first
	}
	return &UnreachableError{Target: s.mask.String(s.opts.Target), Where: ex.Where(), Timeout: s.opts.Timeouts.Request.D(), Err: ex.Err}
}

// allAtOnce runs call(ctx, i) for i in [0, n) concurrently and waits for all. The first
// error cancels the ctx the others got and is returned; so is the cause of a cancelled
// parent ctx.
func allAtOnce(ctx context.Context, n int, call func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := call(ctx, i); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// ---- the report ----

// report writes every report file. It runs on process 1 after every process has finished
// or stopped (Ginkgo runs ReportAfterSuite on an interrupt and at the suite timeout too),
// so the files exist before the process exits.
func (s *Suite) report(r ginkgo.Report) {
	sig, sigAt := s.signals.first()
	in := reportInput{
		opts: &s.opts, mask: s.mask, meta: s.metaByID(), specs: r.SpecReports,
		seed: r.SuiteConfig.RandomSeed, filter: r.SuiteConfig.LabelFilter, finished: r.EndTime,
		interrupted: interruptionOf(r, s.limit, sig, sigAt),
		selected:    selectedBy(r.SuiteConfig, r.SuiteDescription),
	}
	rep := buildReport(in)
	// Every file is attempted; the first error fails the node after.
	err := rep.Write(s.opts.Reports)
	if gerr := writeGinkgoReports(r, &in, rep, s.opts.Reports); err == nil {
		err = gerr
	}
	if err != nil {
		ginkgo.Fail(err.Error())
	}
	var written []string
	for _, p := range []string{s.opts.Reports.JSON, s.opts.Reports.Markdown, s.opts.Reports.JUnit, s.opts.Reports.GinkgoJSON} {
		if p != "" {
			written = append(written, p)
		}
	}
	if len(written) > 0 {
		fmt.Fprintf(ginkgo.GinkgoWriter, "conformance report: %s: %s\n", rep.Result, slices.Concat(written))
	}
	// A claimed feature whose specs could not be provisioned was not checked: the gate must
	// not pass it (a hook that answers {"skip"}, a list or an owned set too short).
	if n := skippedClaimed(rep); n > 0 && rep.Interrupted == nil {
		ginkgo.Fail(fmt.Sprintf("%d specs of the claimed features were skipped (they could not be provisioned: see the report's specs): a feature that was not checked does not pass; give the provisioning what they need, or do not claim the feature", n))
	}
	if n := streamErrors(rep.UnattributedMessages); n > 0 && s.opts.Strict {
		ginkgo.Fail(fmt.Sprintf("--strict: %d contract errors on CometD messages no spec caused (the report's \"Messages no spec caused\")", n))
	}
}

func (s *Suite) metaByID() map[string]specMeta {
	out := make(map[string]specMeta, len(s.defs))
	for _, d := range s.defs {
		out[d.id] = specMeta{ID: d.id, Text: d.text, Features: d.features, Variant: d.variant}
	}
	return out
}

// reportOf is for tests: classification without Ginkgo's run.
func reportOf(o *Options, specs types.SpecReports) *Report {
	return buildReport(reportInput{opts: o, mask: maskerFor(o), meta: map[string]specMeta{}, specs: specs, finished: time.Unix(0, 0)})
}
