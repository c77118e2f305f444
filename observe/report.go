package observe

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/docs"
)

// ReportInfo names an observation in its reports.
type ReportInfo struct {
	// Source is what was observed: "proxy in front of https://gws.example.com",
	// "capture.har".
	Source string
	Strict bool
	// Reproduce is the command line that gives the same report.
	Reproduce string
	// RulesURL is where docs/rules.md is published; empty: rules.md is written beside
	// the reports and the links are relative to it.
	RulesURL string
	Finished time.Time
}

// ReportPaths are the files WriteReports writes ("" skips one).
type ReportPaths struct {
	JSON, Markdown, JUnit string
}

// ReportKind is the kind of an observation's report; the shape is the suite's.
const ReportKind = "ObservationReport"

// maxListed bounds the violations a report lists per rule (all are counted).
const maxListed = 100

// Report builds the conformance report of an observation: one entry per rule the
// observation checks (failed when the traffic broke it, passed when the traffic exercised
// it cleanly, skipped when nothing in the traffic concerned it) and one per operation
// variant seen, counting exchanges.
func (r *Result) Report(info ReportInfo) *conformance.Report {
	mode := "tolerant"
	if info.Strict {
		mode = "strict"
	}
	rules := info.RulesURL
	if rules == "" {
		rules = docs.RulesFile
	}
	rep := &conformance.Report{
		APIVersion: conformance.ReportAPIVersion, Kind: ReportKind,
		Implementation: conformance.Implementation{Project: "the server behind the observed traffic"},
		Date:           info.Finished.UTC().Format(time.RFC3339), SuiteVersion: conformance.SuiteVersion,
		Target: info.Source, Mode: mode, Provisioning: "observed",
		DeclaredFeatures: []conformance.Feature{}, UnsupportedFeatures: []conformance.Feature{},
		Features: []conformance.FeatureResult{}, Operations: []conformance.VariantResult{},
		Reproduce: info.Reproduce, Rules: rules,
	}
	byRule := map[conformance.Rule][2][]conformance.Violation{}
	for _, f := range r.Findings {
		v := f.violation()
		v.RuleURL = rules + "#" + url.PathEscape(string(f.Rule))
		lists := byRule[f.Rule]
		i := 0
		if f.Level == LevelWarning {
			i = 1
		}
		if len(lists[i]) < maxListed {
			lists[i] = append(lists[i], v)
		}
		byRule[f.Rule] = lists
	}
	for _, or := range observedRules {
		t := r.Rules[or.rule]
		if t == nil {
			t = &RuleTally{}
		}
		s := conformance.SpecResult{ID: "observe." + string(or.rule), Text: or.text, Features: []conformance.Feature{},
			Violations: byRule[or.rule][0], Warnings: byRule[or.rule][1]}
		switch {
		case t.Errors > 0:
			s.State = conformance.StateFailed
			s.Reason = fmt.Sprintf("%d violations", t.Errors)
			if t.Errors > len(s.Violations) {
				s.Reason += fmt.Sprintf(" (the first %d listed)", len(s.Violations))
			}
			if len(s.Violations) > 0 {
				s.Reason += "; first: " + s.Violations[0].String()
			}
		case t.Checked > 0:
			s.State = conformance.StatePassed
		default:
			s.State = conformance.StateSkipped
			s.Reason = "not exercised: nothing in the traffic concerned this rule"
		}
		if t.Warnings > 0 && s.State != conformance.StateFailed {
			s.Reason = fmt.Sprintf("%d warnings (not failures without --strict)", t.Warnings)
		}
		rep.Specs = append(rep.Specs, s)
		addStat(&rep.Statistics, s.State)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Operations)) {
		t := r.Operations[name]
		v := conformance.VariantResult{Variant: name, Specs: []string{},
			Statistics: conformance.Statistics{Passed: t.Count - t.Failed, Failed: t.Failed, Total: t.Count}}
		v.Result = conformance.ResultSuccess
		if t.Failed > 0 {
			v.Result = conformance.ResultFailure
		}
		rep.Operations = append(rep.Operations, v)
	}
	st := rep.Statistics
	switch {
	case st.Failed > 0:
		rep.Result = conformance.ResultFailure
	case st.Skipped > 0:
		rep.Result = conformance.ResultPartial
	default:
		rep.Result = conformance.ResultSuccess
	}
	rep.Summary = fmt.Sprintf("%d rules held, %d broken, %d not exercised; %d errors, %d warnings in %d exchanges (%d REST, %d CometD carrying %d notifications), %d passed through unjudged",
		st.Passed, st.Failed, st.Skipped, r.Errors, r.Warnings, r.Exchanges, r.REST, r.CometD, r.Notifications, sum(r.PassedThrough))
	if r.Undecided > 0 {
		rep.Summary += fmt.Sprintf("; %d expectations undecided (the observation ended first)", r.Undecided)
	}
	return rep
}

func addStat(s *conformance.Statistics, state string) {
	s.Total++
	switch state {
	case conformance.StatePassed:
		s.Passed++
	case conformance.StateFailed:
		s.Failed++
	case conformance.StateSkipped:
		s.Skipped++
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Markdown renders the report as the suite does, with a section on the traffic.
func (r *Result) Markdown(rep *conformance.Report) string {
	md := rep.Markdown()
	md = strings.Replace(md, "# workbinkit conformance report", "# workbinkit observation report", 1)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("\n## Traffic\n\n| | |\n| --- | --- |\n")
	w("| Observed | %s to %s |\n", r.Start.UTC().Format(time.RFC3339Nano), r.End.UTC().Format(time.RFC3339Nano))
	w("| Exchanges | %d (%d REST, %d CometD) |\n", r.Exchanges, r.REST, r.CometD)
	w("| Bayeux messages | %d, of which %d notifications |\n", r.Messages, r.Notifications)
	w("| Without a response | %d |\n", r.NoResponse)
	w("| Bodies missing or cut (not judged) | %d |\n", r.Unjudged)
	w("| Requests the contract rejects, refused by the server | %d (the client's faults; the server did right) |\n", r.RefusedInvalid)
	w("| Expectations undecided | %d |\n", r.Undecided)
	if len(r.PassedThrough) > 0 {
		w("\n### Passed through, not judged\n\n| what | exchanges |\n| --- | --- |\n")
		for _, k := range slices.Sorted(maps.Keys(r.PassedThrough)) {
			w("| %s | %d |\n", mdCell(k), r.PassedThrough[k])
		}
	}
	if len(r.NotJudged) > 0 {
		w("\n### Expectations not set\n\nAn operation's notifications are awaited only when a CometD client of its user listened on their channel.\n\n| why | times |\n| --- | --- |\n")
		for _, k := range slices.Sorted(maps.Keys(r.NotJudged)) {
			w("| %s | %d |\n", mdCell(k), r.NotJudged[k])
		}
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		w("\n### %s\n\n", title)
		for _, s := range items {
			w("- %s\n", mdCell(s))
		}
	}
	list("Refused requests the contract rejects (first ones)", r.RefusedInvalidExamples)
	list("Undecided (first ones)", r.UndecidedExamples)
	w("\n### Rules traffic alone cannot judge\n\n")
	for _, k := range slices.Sorted(maps.Keys(notVisible)) {
		w("- `%s`: %s\n", k, notVisible[k])
	}
	if i := strings.LastIndex(md, "\n## Reproduce"); i >= 0 {
		return md[:i] + b.String() + md[i:]
	}
	return md + b.String()
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// JUnit renders the report as JUnit XML, one test case per rule, as the suite's JUnit has
// one per spec.
func (r *Result) JUnit(rep *conformance.Report) ([]byte, error) {
	const suite = "workbinkit observation"
	ts := reporters.JUnitTestSuite{Name: suite, Package: rep.Target, Timestamp: rep.Date,
		Time: r.End.Sub(r.Start).Seconds(),
		Properties: reporters.JUnitProperties{Properties: []reporters.JUnitProperty{
			{Name: "Source", Value: rep.Target}, {Name: "Mode", Value: rep.Mode}, {Name: "Result", Value: rep.Result}, {Name: "Summary", Value: rep.Summary},
		}}}
	for _, s := range rep.Specs {
		tc := reporters.JUnitTestCase{Name: "[It] " + s.ID + " " + s.Text, Classname: suite, Status: s.State}
		switch s.State {
		case conformance.StateFailed:
			ts.Failures++
			var lines []string
			for _, v := range s.Violations {
				lines = append(lines, v.String())
			}
			tc.Failure = &reporters.JUnitFailure{Message: s.Reason, Type: "failed", Description: strings.Join(lines, "\n")}
		case conformance.StateSkipped:
			ts.Skipped++
			tc.Skipped = &reporters.JUnitSkipped{Message: "skipped - " + s.Reason}
		}
		if len(s.Warnings) > 0 {
			var lines []string
			for _, v := range s.Warnings {
				lines = append(lines, "warning: "+v.String())
			}
			tc.SystemOut = strings.Join(lines, "\n")
		}
		ts.TestCases = append(ts.TestCases, tc)
		ts.Tests++
	}
	all := reporters.JUnitTestSuites{Tests: ts.Tests, Failures: ts.Failures, Time: ts.Time, TestSuites: []reporters.JUnitTestSuite{ts}}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return nil, fmt.Errorf("observe: junit: %w", err)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// WriteReports writes the JSON, Markdown and JUnit reports, and rules.md beside them when
// the rule links point there.
func WriteReports(r *Result, info ReportInfo, paths ReportPaths) error {
	rep := r.Report(info)
	if paths.JSON != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("observe: report: %w", err)
		}
		if err := writeFile(paths.JSON, append(b, '\n')); err != nil {
			return err
		}
	}
	if paths.Markdown != "" {
		if err := writeFile(paths.Markdown, []byte(r.Markdown(rep))); err != nil {
			return err
		}
	}
	if paths.JUnit != "" {
		b, err := r.JUnit(rep)
		if err != nil {
			return err
		}
		if err := writeFile(paths.JUnit, b); err != nil {
			return err
		}
	}
	if rep.Rules != docs.RulesFile {
		return nil
	}
	var dirs []string
	for _, p := range []string{paths.JSON, paths.Markdown, paths.JUnit} {
		if p != "" && !slices.Contains(dirs, filepath.Dir(p)) {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, d := range dirs {
		if err := writeFile(filepath.Join(d, docs.RulesFile), []byte(docs.Rules())); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes atomically (a temporary file renamed), creating the directory.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("observe: report: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".report-*")
	if err != nil {
		return fmt.Errorf("observe: report: %w", err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(0o644) // CreateTemp makes it private; a report is for sharing
	}
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("observe: report: %w", werr)
	}
	return nil
}
