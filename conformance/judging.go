// Judging at two levels, and messages no spec caused.
//
// A spec fails on a violation and records a warning for what the evidence allows but the
// suite's decisions (or the contract's known values) do not: a warning never fails the spec
// unless --strict is given. A CometD message is judged once, for the spec whose actions
// caused it (match.go: caused); a message of a spec's listener that no action of that spec
// caused goes to the stream-level check here, which validates it against the contract and
// reports what breaks it in its own section of the report, never as a failure of the spec
// that happened to be listening.

package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/workbinkit/workbinkit/spec"
)

// Report entry names of warnings and of stream-level findings.
const (
	warningEntry = "warning"
	streamEntry  = "stream finding"
)

// Levels of a stream-level finding.
const (
	LevelError   = "error"
	LevelWarning = "warning"
)

// validateMessage checks a whole Bayeux message against the contract. issues are shape
// faults; warnings are values beyond the ones the contract knows (spec's two levels),
// which --strict turns into issues. err is set, without issues, when the message could
// not be checked at all.
func (s *Suite) validateMessage(raw []byte) (issues, warnings []spec.Issue, err error) {
	opt := spec.CollectWarnings(&warnings)
	if s.opts.Strict {
		opt = spec.Strict()
	}
	err = s.tg.contract.ValidateMessage(raw, opt)
	issues = spec.IssuesOf(err)
	if issues != nil {
		err = nil
	}
	return issues, warnings, err
}

// warn records a warning of the spec: the spec still passes; under --strict it fails.
func (t *T) warn(v Violation, details ...string) { t.warnAll([]Violation{v}, details...) }

// warnAll records warnings (see warn).
func (t *T) warnAll(vs []Violation, details ...string) {
	if len(vs) == 0 {
		return
	}
	if t.s.opts.Strict {
		for i := range vs {
			vs[i].Message += " (a warning; --strict makes it a failure)"
		}
		t.fail(vs, details...)
	}
	m := t.s.mask
	for _, v := range vs {
		v.Message, v.Where = m.String(v.Message), m.String(v.Where)
		ginkgo.AddReportEntry(warningEntry, v, ginkgo.ReportEntryVisibilityFailureOrVerbose)
	}
}

// StreamFinding is a contract error or warning on a CometD message that no action of the
// spec listening caused. Findings are reported apart, once per message and rule
// (SeenBy names the specs whose listeners received it).
type StreamFinding struct {
	Level   string `json:"level"`
	Rule    Rule   `json:"rule"`
	RuleURL string `json:"ruleUrl,omitempty"`
	Where   string `json:"where"`
	Pointer string `json:"pointer,omitempty"`
	Problem string `json:"message"`
	// Payload is the whole Bayeux message, masked.
	Payload string   `json:"payload"`
	SeenBy  []string `json:"seenBy,omitempty"`
}

func (f StreamFinding) key() string {
	return strings.Join([]string{f.Level, string(f.Rule), f.Pointer, f.Problem, f.Payload}, "\x00")
}

// streamCheck is the stream-level check of one message the spec did not cause.
func (t *T) streamCheck(l *Listener, n Notification) {
	if !isContractChannel(n.Channel) {
		return
	}
	issues, warnings, err := t.s.validateMessage(n.Raw)
	if err != nil {
		issues = append(issues, spec.Issue{Message: err.Error()})
	}
	m := t.s.mask
	add := func(level string, is spec.Issue) {
		f := StreamFinding{Level: level, Rule: RuleContract, Where: m.String(strings.TrimSpace(n.Describe() + " " + is.Where)),
			Pointer: is.Pointer, Problem: m.String(is.Message), Payload: m.String(string(n.Raw)), SeenBy: []string{t.id}}
		if is.Rule != "" {
			f.Problem += " [" + is.Rule + "]"
		}
		ginkgo.AddReportEntry(streamEntry, f, ginkgo.ReportEntryVisibilityNever)
	}
	for _, is := range issues {
		add(LevelError, is)
	}
	for _, is := range warnings {
		add(LevelWarning, is)
	}
}

// entriesOf decodes the report entries named name of a spec into T values. Across
// parallel processes the value arrives as JSON only.
func entriesOf[V any](s types.SpecReport, name string) []V {
	var out []V
	for _, e := range s.ReportEntries {
		if e.Name != name {
			continue
		}
		if v, ok := e.Value.GetRawValue().(V); ok {
			out = append(out, v)
			continue
		}
		js := e.Value.AsJSON
		if js == "" {
			b, err := json.Marshal(e.Value.GetRawValue())
			if err != nil {
				continue
			}
			js = string(b)
		}
		var v V
		if json.Unmarshal([]byte(js), &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// warningsOf reads a spec's warnings.
func warningsOf(s types.SpecReport, m *Masker) []Violation {
	out := entriesOf[Violation](s, warningEntry)
	for i := range out {
		out[i].Message, out[i].Where = m.String(out[i].Message), m.String(out[i].Where)
	}
	return out
}

// streamFindings collects the stream-level findings of every spec, one per message and
// rule: the same message reaches every listener of its user, on every process.
func streamFindings(specs types.SpecReports) []StreamFinding {
	byKey := map[string]*StreamFinding{}
	for _, s := range specs {
		for _, f := range entriesOf[StreamFinding](s, streamEntry) {
			k := f.key()
			if prev, ok := byKey[k]; ok {
				prev.SeenBy = append(prev.SeenBy, f.SeenBy...)
				continue
			}
			byKey[k] = &f
		}
	}
	out := make([]StreamFinding, 0, len(byKey))
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		f := byKey[k]
		slices.Sort(f.SeenBy)
		f.SeenBy = slices.Compact(f.SeenBy)
		out = append(out, *f)
	}
	return out
}

// streamErrors counts the findings of level error.
func streamErrors(fs []StreamFinding) int {
	n := 0
	for _, f := range fs {
		if f.Level == LevelError {
			n++
		}
	}
	return n
}

// streamText is what the report says about the stream-level check.
const streamText = "Messages that reached a spec's listener but that no action of that spec caused " +
	"(another spec's, possibly on another process; the target's own) are checked once against the contract " +
	"and listed here, never charged to the spec that was listening. They do not change the result, " +
	"since the spec that caused one judged it already when it ran in this process; under --strict a " +
	"contract error here fails the run."

// writeWarnings renders the warnings of the specs, per feature (a spec of two features
// under both, as the features' counts have it).
func writeWarnings(b *bytes.Buffer, r *Report) {
	if !slices.ContainsFunc(r.Specs, func(s SpecResult) bool { return len(s.Warnings) > 0 }) {
		return
	}
	b.WriteString("\n## Warnings\n\nWhat the evidence allows but the suite's decisions or the contract's known values do not. Warnings do not fail a spec; --strict makes them failures.\n")
	for _, f := range r.Features {
		if f.Warnings == 0 {
			continue
		}
		fmt.Fprintf(b, "\n### %s\n\n| spec | rule | where | pointer | message |\n| --- | --- | --- | --- | --- |\n", f.Name)
		for _, s := range r.Specs {
			if !slices.Contains(s.Features, f.Name) {
				continue
			}
			for _, v := range s.Warnings {
				fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", s.ID, ruleLink(v), mdCell(v.Where), mdCode(v.Pointer), mdCell(v.Message))
			}
		}
	}
}

// writeStream renders the stream-level findings.
func writeStream(b *bytes.Buffer, r *Report) {
	if len(r.UnattributedMessages) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Messages no spec caused\n\n%s\n\n| level | rule | where | pointer | message | seen by |\n| --- | --- | --- | --- | --- | --- |\n", streamText)
	for _, f := range r.UnattributedMessages {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", f.Level, ruleLink(Violation{Rule: f.Rule, RuleURL: f.RuleURL}), mdCell(f.Where), mdCode(f.Pointer), mdCell(f.Problem), mdCell(strings.Join(f.SeenBy, ", ")))
	}
	b.WriteString("\n")
	for i, f := range r.UnattributedMessages {
		fmt.Fprintf(b, "%d. ```%s```\n", i+1, strings.ReplaceAll(f.Payload, "```", "'''"))
	}
}

// judgingSummary is what the summary line adds about warnings and stream findings.
func judgingSummary(r *Report) string {
	var text string
	warned := 0
	for _, s := range r.Specs {
		warned += len(s.Warnings)
	}
	if warned > 0 {
		text += fmt.Sprintf("; %d warnings (not failures without --strict)", warned)
	}
	if n := streamErrors(r.UnattributedMessages); n > 0 {
		text += fmt.Sprintf("; %d contract errors on messages no spec caused", n)
		if r.Mode == "strict" {
			text += " (--strict: the run fails)"
		}
	}
	return text
}
