package observe

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/spec"
)

// Options configure a Checker. The zero value is the tolerant default.
type Options struct {
	// Strict makes values beyond the ones the contract knows errors (they are warnings
	// otherwise), as the suite's --strict.
	Strict bool
	// NotificationWindow is how long after an accepted operation its notifications may
	// take (default 10 s, the suite's notification timeout).
	NotificationWindow time.Duration
	// Settle is how long after an operation a read may still show the state before it
	// (eventual consistency; default 1 s).
	Settle time.Duration
	// ImmediateConnect is how long a /meta/connect asking advice.timeout 0 may take before
	// it counts as held (default 2 s).
	ImmediateConnect time.Duration
	// Mask hides secrets in messages and excerpts (default: the structural patterns).
	Mask *conformance.Masker
	// OnFinding is called for each finding, in order, while Observe holds the checker: it
	// must not call the checker back.
	OnFinding func(Finding)
	// MaxKept bounds the findings kept in full for the report (default 10,000); the rest
	// are counted.
	MaxKept int
}

func (o *Options) fill() {
	if o.NotificationWindow <= 0 {
		o.NotificationWindow = 10 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = time.Second
	}
	if o.ImmediateConnect <= 0 {
		o.ImmediateConnect = 2 * time.Second
	}
	if o.Mask == nil {
		o.Mask = conformance.NewMasker(nil)
	}
	if o.MaxKept <= 0 {
		o.MaxKept = 10000
	}
}

// Checker judges a stream of exchanges against the contract and against what the suite
// checks that traffic alone can show. Exchanges must come in the order their responses
// ended (ReadHAR reorders a capture; the proxy feeds them as they end). A Checker is safe
// for concurrent use; Observe calls are serialised.
//
// Memory is bounded: sessions, clients, interactions and workbins are kept up to fixed
// limits (the least recently seen go first), a session remembers its last referenceIds
// only, and findings beyond MaxKept are counted, not kept.
type Checker struct {
	c  *spec.Contract
	o  Options
	mu sync.Mutex

	ids   *identities
	model *model
	exp   *expectations
	res   Result
	now   time.Time
	csrf  tristate // the server's CSRF protection, as far as the traffic shows
}

// tristate is unknown, on or off.
type tristate int

const (
	unknown tristate = iota
	on
	off
)

// New makes a checker for contract c.
func New(c *spec.Contract, o Options) *Checker {
	o.fill()
	k := &Checker{c: c, o: o, ids: newIdentities(), model: newModel()}
	k.exp = newExpectations(k)
	k.res.init()
	return k
}

// Observe judges one exchange.
func (k *Checker) Observe(ex *Exchange) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.observe(context.Background(), ex)
}

func (k *Checker) observe(ctx context.Context, ex *Exchange) {
	end := ex.End()
	if end.After(k.now) {
		k.now = end
	}
	k.res.note(ex)
	switch classify(ex) {
	case kindREST:
		k.rest(ctx, ex)
	case kindCometD:
		k.cometd(ex)
	case kindAdmin:
		k.res.pass("mock control plane " + passName(ex))
		k.admin(ex)
	default:
		k.res.pass(passName(ex))
	}
}

// Finish decides what the traffic so far can decide: an expectation whose window closed
// is missed when a CometD client of its party was seen after the window; the others stay
// undecided (the capture ended too early to tell). at is the end of the observation.
func (k *Checker) Finish(at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if at.After(k.now) {
		k.now = at
	}
	k.exp.finish()
	for _, p := range k.model.stats {
		if p.count != p.before {
			k.reportStats(p, fmt.Sprintf("Count %d, but workbin %s listed %d interactions in the last read before it (and no read came after)", p.count, p.workbin, p.before))
		}
	}
	k.model.stats = nil
}

// observedEnd is when the last response observed ended.
func (k *Checker) observedEnd() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.res.End
}

// Result returns what was found so far (a copy).
func (k *Checker) Result() *Result {
	k.mu.Lock()
	defer k.mu.Unlock()
	r := k.res.clone()
	r.Pending = k.exp.pending()
	return &r
}

// checked counts one evaluation of a rule.
func (k *Checker) checked(r conformance.Rule) { k.res.tally(r).Checked++ }

// report records a finding.
func (k *Checker) report(f Finding) {
	if f.Level == "" {
		f.Level = LevelError
	}
	f.Message = k.o.Mask.String(f.Message)
	f.Where = k.o.Mask.String(f.Where)
	k.res.add(f, k.o.MaxKept)
	if k.o.OnFinding != nil {
		k.o.OnFinding(f)
	}
}

// specOptions are the validation options of the contract checks; warnings land in *w.
func (k *Checker) specOptions(w *[]spec.Issue) []spec.Option {
	if k.o.Strict {
		return []spec.Option{spec.Strict()}
	}
	return []spec.Option{spec.CollectWarnings(w)}
}

// Result is what a Checker found.
type Result struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Findings are the first Options.MaxKept findings, in order.
	Findings []Finding `json:"findings"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	// Rules counts, per rule, how often it was checked and broken.
	Rules map[conformance.Rule]*RuleTally `json:"rules"`
	// Traffic counts what was seen.
	Exchanges     int `json:"exchanges"`
	REST          int `json:"rest"`
	CometD        int `json:"cometd"`
	Messages      int `json:"bayeuxMessages"`
	Notifications int `json:"notifications"`
	// NoResponse counts exchanges without a response, Unjudged those whose bodies were
	// missing or cut.
	NoResponse int `json:"noResponse"`
	Unjudged   int `json:"unjudged"`
	// Operations counts REST exchanges per operation variant.
	Operations map[string]*OpTally `json:"operations"`
	// PassedThrough counts the exchanges outside the contract, by name.
	PassedThrough map[string]int `json:"passedThrough"`
	// RefusedInvalid counts requests the contract rejects that the server refused, as it
	// should: the client's faults, not the server's. Examples holds the first few.
	RefusedInvalid         int      `json:"refusedInvalid"`
	RefusedInvalidExamples []string `json:"refusedInvalidExamples,omitempty"`
	// NotJudged counts expectations not set, by reason (no CometD client listened…).
	NotJudged map[string]int `json:"notJudged,omitempty"`
	// Undecided counts expectations the observation ended too early to decide.
	Undecided         int      `json:"undecided"`
	UndecidedExamples []string `json:"undecidedExamples,omitempty"`
	// Pending counts expectations still open.
	Pending int `json:"pending"`
}

// RuleTally counts the checks of one rule.
type RuleTally struct {
	Checked  int `json:"checked"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// OpTally counts the exchanges of one operation variant and those with findings.
type OpTally struct {
	Count  int `json:"count"`
	Failed int `json:"failed"`
}

// maxExamples bounds each example list of a Result.
const maxExamples = 20

func (r *Result) init() {
	r.Rules = map[conformance.Rule]*RuleTally{}
	r.Operations = map[string]*OpTally{}
	r.PassedThrough = map[string]int{}
	r.NotJudged = map[string]int{}
}

func (r *Result) note(ex *Exchange) {
	r.Exchanges++
	if r.Start.IsZero() || ex.Start.Before(r.Start) {
		r.Start = ex.Start
	}
	if end := ex.End(); end.After(r.End) {
		r.End = end
	}
	if ex.Status == 0 {
		r.NoResponse++
	}
}

// maxPassNames bounds the names of passed-through traffic; the rest is counted together.
const maxPassNames = 500

func (r *Result) pass(name string) {
	if _, ok := r.PassedThrough[name]; !ok && len(r.PassedThrough) >= maxPassNames {
		name = "(other paths)"
	}
	r.PassedThrough[name]++
}

func (r *Result) tally(rule conformance.Rule) *RuleTally {
	t := r.Rules[rule]
	if t == nil {
		t = &RuleTally{}
		r.Rules[rule] = t
	}
	return t
}

func (r *Result) add(f Finding, maxKept int) {
	t := r.tally(f.Rule)
	if f.Level == LevelWarning {
		r.Warnings++
		t.Warnings++
	} else {
		r.Errors++
		t.Errors++
	}
	if len(r.Findings) < maxKept {
		r.Findings = append(r.Findings, f)
	}
}

func (r *Result) example(list *[]string, s string) {
	if len(*list) < maxExamples {
		*list = append(*list, s)
	}
}

func (r Result) clone() Result {
	out := r
	out.Findings = slices.Clone(r.Findings)
	out.Rules = map[conformance.Rule]*RuleTally{}
	for k, v := range r.Rules {
		c := *v
		out.Rules[k] = &c
	}
	out.Operations = map[string]*OpTally{}
	for k, v := range r.Operations {
		c := *v
		out.Operations[k] = &c
	}
	out.PassedThrough = maps.Clone(r.PassedThrough)
	out.NotJudged = maps.Clone(r.NotJudged)
	out.RefusedInvalidExamples = slices.Clone(r.RefusedInvalidExamples)
	out.UndecidedExamples = slices.Clone(r.UndecidedExamples)
	return out
}

// Failed reports whether the traffic broke the contract (errors; warnings under Strict
// are errors already).
func (r *Result) Failed() bool { return r.Errors > 0 }
