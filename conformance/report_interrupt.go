// An interrupted run: the deadline elapsed or a signal came before every spec ran. The
// reports are still written, by the suite's ReportAfterSuite on process 1, before the
// process exits; they say why and when the run stopped and list the specs it did not
// reach as not run.

package conformance

import (
	"maps"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// Interruption says why and when a run stopped before its end.
type Interruption struct {
	// Cause is InterruptDeadline or InterruptSignal.
	Cause string `json:"cause"`
	// Reason says it in words: "the run's deadline of 10m0s (--deadline) elapsed".
	Reason string `json:"reason"`
	// At is when the run was stopped (RFC 3339, UTC).
	At string `json:"at"`
}

// Causes of an interruption.
const (
	InterruptDeadline = "deadline"
	InterruptSignal   = "signal"
)

// Ginkgo's texts (v2.34.0) for a stopped run, in Report.SpecialSuiteFailureReasons and in
// the failure of the node that was running.
const (
	ginkgoSuiteTimeout     = "Suite Timeout Elapsed"
	ginkgoSuiteTimeoutNode = "A suite timeout occurred"
	ginkgoInterruptedUser  = "Interrupted by User"
	ginkgoInterruptedOther = "Interrupted by Other Ginkgo Process"
)

// SignalWatch records the first SIGINT or SIGTERM of a run, for the report. Ginkgo's own
// handler still gets every signal (signal.Notify delivers to each channel) and stops
// the run; this one only remembers which signal and when. Started early (TestMain,
// WithSignals), it also keeps a signal that comes before Ginkgo has its handler from
// killing the process without reports: RunConformance then runs the suite cut short at
// once, so that the reports are still written.
type SignalWatch struct {
	c        chan os.Signal
	done     chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	sig      os.Signal
	at       time.Time
}

// WatchSignals starts a SignalWatch; Stop ends it.
func WatchSignals() *SignalWatch { return watchSignals(time.Now) }

func watchSignals(now func() time.Time) *SignalWatch {
	w := &SignalWatch{c: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(w.c, os.Interrupt, syscall.SIGTERM)
	go func() {
		for {
			select {
			case sig := <-w.c:
				w.mu.Lock()
				if w.sig == nil {
					w.sig, w.at = sig, now()
				}
				w.mu.Unlock()
			case <-w.done:
				return
			}
		}
	}()
	return w
}

// Stop ends the watch; the recorded signal stays readable. Stopping twice is harmless.
func (w *SignalWatch) Stop() {
	if w == nil {
		return
	}
	w.stopOnce.Do(func() {
		signal.Stop(w.c)
		close(w.done)
	})
}

// first returns the first signal and when it came (nil when none came).
func (w *SignalWatch) first() (os.Signal, time.Time) {
	if w == nil {
		return nil, time.Time{}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sig, w.at
}

// interruptionOf reads from Ginkgo's report whether the run stopped before its end, and
// words it with the run's limit (what set the deadline) and the signal seen.
func interruptionOf(r ginkgo.Report, l limit, sig os.Signal, sigAt time.Time) *Interruption {
	reasons := r.SpecialSuiteFailureReasons
	timedOut := slices.Contains(reasons, ginkgoSuiteTimeout)
	for _, s := range r.SpecReports {
		if s.State == types.SpecStateTimedout && strings.HasPrefix(s.Failure.Message, ginkgoSuiteTimeoutNode) {
			timedOut = true
		}
	}
	deadlineAt := r.EndTime
	if l.timeout > 0 && !r.StartTime.IsZero() {
		deadlineAt = r.StartTime.Add(l.timeout)
	}
	if sig != nil && !sigAt.After(deadlineAt) {
		timedOut = false // the signal came first (before the run started, even)
	}
	switch {
	case timedOut:
		return &Interruption{Cause: InterruptDeadline, At: deadlineAt.UTC().Format(time.RFC3339),
			Reason: "the run's deadline of " + l.timeout.String() + " (" + l.source + ") elapsed"}
	case slices.Contains(reasons, ginkgoInterruptedUser) || sig != nil:
		at, name := r.EndTime, "a signal"
		if sig != nil {
			at, name = sigAt, signalName(sig)
		}
		return &Interruption{Cause: InterruptSignal, At: at.UTC().Format(time.RFC3339), Reason: "interrupted by " + name}
	case slices.Contains(reasons, ginkgoInterruptedOther):
		return &Interruption{Cause: InterruptSignal, At: r.EndTime.UTC().Format(time.RFC3339),
			Reason: "interrupted: another process of the parallel run was stopped"}
	}
	return nil
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// stoppedByRun reports whether a spec was cut while it ran by the run's end (deadline or
// signal), rather than failing on its own.
func stoppedByRun(s types.SpecReport) bool {
	return s.State == types.SpecStateInterrupted ||
		(s.State == types.SpecStateTimedout && strings.HasPrefix(s.Failure.Message, ginkgoSuiteTimeoutNode))
}

// notRun reports whether an interrupted run did not bring spec s to its end: it was cut
// while running, or skipped without a word although the filters selected it (Ginkgo
// skips every spec after an interrupt that way, as it does filtered ones).
func notRun(s types.SpecReport, in *reportInput) bool {
	if in.interrupted == nil {
		return false
	}
	if stoppedByRun(s) {
		return true
	}
	return s.State == types.SpecStateSkipped && s.Failure.Message == "" && (in.selected == nil || in.selected(s))
}

// syntheticSpec is the report Ginkgo would have given for spec m had it reached it:
// Ginkgo reports no spec at all when the suite's setup fails or is interrupted.
func syntheticSpec(m specMeta) types.SpecReport {
	labels := make([]string, len(m.Features))
	for i, f := range m.Features {
		labels[i] = FeatureLabel(f)
	}
	return types.SpecReport{
		LeafNodeType:             types.NodeTypeIt,
		ContainerHierarchyTexts:  []string{"[" + featureNames(m.Features) + "]"},
		ContainerHierarchyLabels: [][]string{labels},
		LeafNodeText:             m.Text,
		LeafNodeLabels:           []string{idLabelPrefix + m.ID},
		State:                    types.SpecStateSkipped,
	}
}

// unreported classifies the specs of the suite that Ginkgo's report does not list (its
// setup failed or was interrupted): not supported, not selected by the filters, or not
// run, because the run stopped or its setup failed.
func unreported(r *Report, in reportInput) []SpecResult {
	seen := make(map[string]bool, len(r.Specs))
	for _, s := range r.Specs {
		seen[s.ID] = true
	}
	var out []SpecResult
	for _, id := range slices.Sorted(maps.Keys(in.meta)) {
		if seen[id] {
			continue
		}
		s := syntheticSpec(in.meta[id])
		sr := classify(s, in)
		if sr.State == StateSkipped && (in.selected == nil || in.selected(s)) {
			sr.State, sr.Reason = StateNotRun, "not run: the suite's setup failed (see Setup failures)"
		}
		out = append(out, sr)
	}
	return out
}

// selectedBy returns whether the run's filters (label filter, focus and skip strings)
// select a spec, as Ginkgo decides it (internal/focus.go, v2.34.0).
func selectedBy(cfg types.SuiteConfig, description string) func(types.SpecReport) bool {
	labels, err := types.ParseLabelFilter(cfg.LabelFilter)
	if err != nil {
		labels = nil // Ginkgo refused a bad filter before the run
	}
	var focus, skip *regexp.Regexp
	if len(cfg.FocusStrings) > 0 {
		focus, _ = regexp.Compile(strings.Join(cfg.FocusStrings, "|"))
	}
	if len(cfg.SkipStrings) > 0 {
		skip, _ = regexp.Compile(strings.Join(cfg.SkipStrings, "|"))
	}
	return func(s types.SpecReport) bool {
		if labels != nil && !labels(s.Labels()) {
			return false
		}
		text := description + " " + s.FullText()
		if focus != nil && !focus.MatchString(text) {
			return false
		}
		return skip == nil || !skip.MatchString(text)
	}
}

// Terminal escape sequences: CSI (colours, cursor), OSC (titles, links) and the
// two-byte escapes. A report is read in browsers, CI viewers and editors, not terminals.
var ansiEscape = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])`)

// stripANSI removes terminal escape sequences, and any lone ESC left.
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	return strings.ReplaceAll(ansiEscape.ReplaceAllString(s, ""), "\x1b", "")
}

// stripTerminalEscapes cleans every text of the report that came from Ginkgo or the
// target (failure texts, violation messages, excerpts of bodies).
func (r *Report) stripTerminalEscapes() {
	r.Summary = stripANSI(r.Summary)
	for _, list := range [][]SpecResult{r.SetupFailures, r.Specs} {
		for i := range list {
			s := &list[i]
			s.Reason = stripANSI(s.Reason)
			for _, vs := range [][]Violation{s.Violations, s.Warnings} {
				for j := range vs {
					vs[j].Message, vs[j].Where, vs[j].Pointer = stripANSI(vs[j].Message), stripANSI(vs[j].Where), stripANSI(vs[j].Pointer)
				}
			}
		}
	}
	for i := range r.UnattributedMessages {
		f := &r.UnattributedMessages[i]
		f.Where, f.Pointer, f.Problem, f.Payload = stripANSI(f.Where), stripANSI(f.Pointer), stripANSI(f.Problem), stripANSI(f.Payload)
	}
}
