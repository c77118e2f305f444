package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// ReportAPIVersion identifies the report format.
const ReportAPIVersion = "conformance.workbinkit.dev/v1"

// Report is the conformance report: what was tested, in which mode, and per feature and per
// operation variant what passed, failed, was skipped, or is not supported. Its shape follows
// the Gateway API conformance report. NOT_SUPPORTED is never counted as skipped: a feature the
// target does not claim is "not implemented", not "broken".
type Report struct {
	APIVersion          string         `json:"apiVersion"`
	Kind                string         `json:"kind"`
	Implementation      Implementation `json:"implementation"`
	Date                string         `json:"date"`
	SuiteVersion        string         `json:"suiteVersion"`
	Target              string         `json:"target"`
	Mode                string         `json:"mode"`
	Provisioning        string         `json:"provisioning"`
	DeclaredFeatures    []Feature      `json:"declaredFeatures"`
	UnsupportedFeatures []Feature      `json:"unsupportedFeatures"`
	LabelFilter         string         `json:"labelFilter,omitempty"`
	RandomSeed          int64          `json:"randomSeed"`
	// Result is success (everything run passed), partial (something claimed was skipped),
	// or failure (a claimed feature failed, the suite's setup did, or the run stopped
	// before its end: see Interrupted).
	Result string `json:"result"`
	// Interrupted says why and when the run stopped before its end (its deadline, a
	// signal); the specs it did not reach are in state not-run. Absent for a whole run.
	Interrupted   *Interruption   `json:"interrupted,omitempty"`
	Summary       string          `json:"summary"`
	Statistics    Statistics      `json:"statistics"`
	SetupFailures []SpecResult    `json:"setupFailures,omitempty"`
	Features      []FeatureResult `json:"features"`
	Operations    []VariantResult `json:"operations"`
	Specs         []SpecResult    `json:"specs"`
	// UnattributedMessages are the contract findings on messages no spec caused (judging.go).
	UnattributedMessages []StreamFinding `json:"unattributedMessages,omitempty"`
	Reproduce            string          `json:"reproduce"`
	// Rules is the rules document each violation's ruleUrl points into (rulelinks.go).
	Rules string `json:"rules"`
}

// Report results.
const (
	ResultSuccess      = "success"
	ResultPartial      = "partial"
	ResultFailure      = "failure"
	ResultNotSupported = "not-supported"
	ResultNotRun       = "not-run"
)

// Spec states in the report.
const (
	StatePassed       = "passed"
	StateFailed       = "failed"
	StateSkipped      = "skipped"
	StateNotSupported = "not-supported"
	// StateNotRun: the run stopped (deadline, signal) before the spec ran to its end. Not
	// skipped: a skip is a decision about the spec, this is about the run.
	StateNotRun = "not-run"
)

// Statistics counts specs. NotSupported and NotRun are separate from Skipped.
type Statistics struct {
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Skipped      int `json:"skipped"`
	NotSupported int `json:"notSupported"`
	NotRun       int `json:"notRun"`
	Total        int `json:"total"`
}

func (s *Statistics) add(state string) {
	s.Total++
	switch state {
	case StatePassed:
		s.Passed++
	case StateFailed:
		s.Failed++
	case StateSkipped:
		s.Skipped++
	case StateNotSupported:
		s.NotSupported++
	case StateNotRun:
		s.NotRun++
	}
}

// notSelected is the reason of a spec the run's filters left out.
const notSelected = "not selected (filtered out by --label-filter/--focus)"

// skippedClaimed counts the specs of r that the filters selected, of claimed features,
// and that were skipped all the same (they could not be provisioned).
func skippedClaimed(r *Report) int {
	n := 0
	for _, s := range r.Specs {
		if s.State == StateSkipped && s.Reason != notSelected {
			n++
		}
	}
	return n
}

func (s Statistics) result() string {
	switch {
	case s.Failed > 0:
		return ResultFailure
	case s.Skipped > 0 || s.NotRun > 0:
		return ResultPartial
	case s.Passed > 0:
		return ResultSuccess
	case s.NotSupported > 0:
		return ResultNotSupported
	}
	return ResultNotRun
}

// FeatureResult is the outcome of one feature's specs. A spec with several features
// counts in the Statistics of each of them, so the features' counts add up to more than
// Report.Statistics, which counts each spec once.
type FeatureResult struct {
	Name         Feature    `json:"name"`
	Core         bool       `json:"core"`
	Declared     bool       `json:"declared"`
	Description  string     `json:"description"`
	Result       string     `json:"result"`
	Statistics   Statistics `json:"statistics"`
	FailedSpecs  []string   `json:"failedSpecs,omitempty"`
	SkippedSpecs []string   `json:"skippedSpecs,omitempty"`
	// Warnings counts the warnings of the feature's specs (listed in each SpecResult).
	Warnings    int      `json:"warnings,omitempty"`
	WarnedSpecs []string `json:"warnedSpecs,omitempty"`
}

// VariantResult is the outcome of the specs of one operation variant
// ("PullWorkitem · POST /api/v2/workbins/{workbinId}").
type VariantResult struct {
	Variant    string     `json:"variant"`
	Result     string     `json:"result"`
	Statistics Statistics `json:"statistics"`
	Specs      []string   `json:"specs"`
}

// SpecResult is one spec in the report.
type SpecResult struct {
	ID       string    `json:"id"`
	Text     string    `json:"text"`
	Features []Feature `json:"features"`
	Variant  string    `json:"variant,omitempty"`
	State    string    `json:"state"`
	// Detail is Ginkgo's state when it says more than State (timedout, panicked…).
	Detail string `json:"detail,omitempty"`
	// Reason is the skip reason, or the failure message (masked, shortened).
	Reason     string      `json:"reason,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
	// Warnings do not fail the spec (--strict makes them violations).
	Warnings []Violation `json:"warnings,omitempty"`
	Seconds  float64     `json:"seconds"`
	Location string      `json:"location,omitempty"`
}

// specMeta is what a spec declares about itself besides labels.
type specMeta struct {
	ID       string
	Text     string
	Features []Feature
	Variant  string
}

// reportInput is everything buildReport needs from the run.
type reportInput struct {
	opts     *Options
	mask     *Masker
	meta     map[string]specMeta // by spec id
	specs    types.SpecReports
	seed     int64
	filter   string
	finished time.Time
	// interrupted, when the run stopped before its end; selected then tells a spec the
	// run did not reach (not-run) from one the filters left out (skipped).
	interrupted *Interruption
	selected    func(types.SpecReport) bool
}

// maxReasonLines bounds the failure text kept per spec; the whole text is in Ginkgo's reports.
const maxReasonLines = 60

// buildReport classifies every spec. A spec is NOT_SUPPORTED when one of its features is
// not declared, whatever Ginkgo's skip message says (filtered specs have none, later
// specs of an Ordered container a generic one).
func buildReport(in reportInput) *Report {
	o := in.opts
	r := &Report{
		APIVersion:       ReportAPIVersion,
		Kind:             "ConformanceReport",
		Implementation:   o.Implementation,
		Interrupted:      in.interrupted,
		Date:             in.finished.UTC().Format(time.RFC3339),
		SuiteVersion:     SuiteVersion,
		Target:           in.mask.String(o.Target),
		Mode:             o.Mode(),
		Provisioning:     string(o.Provisioning.Mode),
		DeclaredFeatures: slices.Clone(o.Features),
		LabelFilter:      in.filter,
		RandomSeed:       in.seed,
	}
	for _, f := range AllFeatures() {
		if !o.Supports(f) {
			r.UnsupportedFeatures = append(r.UnsupportedFeatures, f)
		}
	}
	for _, s := range in.specs {
		if s.LeafNodeType == types.NodeTypeIt {
			r.Specs = append(r.Specs, classify(s, in))
			continue
		}
		// Suite-level nodes: a failing BeforeSuite means nothing could be checked.
		if s.State.Is(types.SpecStateFailureStates) {
			sr := SpecResult{ID: "suite." + strings.ToLower(s.LeafNodeType.String()), Text: s.LeafNodeType.String(), State: StateFailed,
				Detail: s.State.String(), Reason: shorten(in.mask.String(stripANSI(s.Failure.Message))), Violations: violationsOf(s, in.mask),
				Location: s.Failure.Location.String()}
			if in.interrupted != nil && stoppedByRun(s) {
				// Cut by the run's end, not failed on its own.
				sr.State, sr.Reason = StateNotRun, "not run to its end: "+in.interrupted.Reason+"\n"+sr.Reason
			}
			r.SetupFailures = append(r.SetupFailures, sr)
		}
	}
	r.Specs = append(r.Specs, unreported(r, in)...)
	sort.Slice(r.Specs, func(i, j int) bool { return r.Specs[i].ID < r.Specs[j].ID })

	features := map[Feature]*FeatureResult{}
	for _, f := range AllFeatures() {
		features[f] = &FeatureResult{Name: f, Core: f.IsCore(), Declared: o.Supports(f), Description: f.Description()}
	}
	variants := map[string]*VariantResult{}
	for _, s := range r.Specs {
		r.Statistics.add(s.State)
		for _, f := range s.Features {
			fr := features[f]
			if fr == nil { // a label the suite does not know: report it rather than drop it
				fr = &FeatureResult{Name: f, Description: "unknown feature label"}
				features[f] = fr
			}
			fr.Statistics.add(s.State)
			if len(s.Warnings) > 0 {
				fr.Warnings += len(s.Warnings)
				fr.WarnedSpecs = append(fr.WarnedSpecs, s.ID)
			}
			switch s.State {
			case StateFailed:
				fr.FailedSpecs = append(fr.FailedSpecs, s.ID)
			case StateSkipped:
				fr.SkippedSpecs = append(fr.SkippedSpecs, s.ID)
			}
		}
		if s.Variant != "" {
			v := variants[s.Variant]
			if v == nil {
				v = &VariantResult{Variant: s.Variant}
				variants[s.Variant] = v
			}
			v.Statistics.add(s.State)
			v.Specs = append(v.Specs, s.ID)
		}
	}
	for _, f := range sortedFeatureKeys(features) {
		fr := features[f]
		fr.Result = fr.Statistics.result()
		if !fr.Declared && fr.Statistics.Passed+fr.Statistics.Failed == 0 {
			fr.Result = ResultNotSupported
		}
		r.Features = append(r.Features, *fr)
	}
	for _, k := range slices.Sorted(maps.Keys(variants)) {
		v := variants[k]
		v.Result = v.Statistics.result()
		r.Operations = append(r.Operations, *v)
	}
	r.Result = r.Statistics.result()
	r.UnattributedMessages = streamFindings(in.specs)
	if len(r.SetupFailures) > 0 || (o.Strict && streamErrors(r.UnattributedMessages) > 0) {
		r.Result = ResultFailure
	}
	if r.Result == ResultNotSupported || r.Result == ResultNotRun {
		// Nothing claimed ran: not a failure, but not a success either.
		r.Result = ResultPartial
	}
	if r.Interrupted != nil {
		r.Result = ResultFailure // whatever ran, a run cut short must not pass a gate
	}
	r.Summary = summary(r)
	r.stripTerminalEscapes()
	r.linkRules(o.Reports.RulesURL)
	r.Reproduce = reproduce(o, in.mask, in.seed, in.filter)
	return r
}

func classify(s types.SpecReport, in reportInput) SpecResult {
	labels := s.Labels()
	id := specIDOf(labels)
	if id == "" {
		id = s.FullText()
	}
	meta := in.meta[id]
	sr := SpecResult{
		ID:       id,
		Text:     strings.TrimSpace(strings.Join(append(slices.Clone(s.ContainerHierarchyTexts), s.LeafNodeText), " ")),
		Features: featuresOf(labels),
		Variant:  meta.Variant,
		Seconds:  s.RunTime.Seconds(),
		Warnings: warningsOf(s, in.mask),
	}
	var missing []Feature
	for _, f := range sr.Features {
		if !in.opts.Supports(f) {
			missing = append(missing, f)
		}
	}
	switch {
	case len(missing) > 0 && !s.State.Is(types.SpecStatePassed|types.SpecStateFailureStates):
		sr.State = StateNotSupported
		sr.Reason = "NOT_SUPPORTED: the target does not declare " + featureNames(missing)
	case s.State == types.SpecStatePassed:
		sr.State = StatePassed
	case notRun(s, &in):
		sr.State = StateNotRun
		sr.Reason = "not run: " + in.interrupted.Reason
		if stoppedByRun(s) { // cut while it ran: no verdict on the target either
			sr.Detail = s.State.String()
			sr.Reason = "not run to its end: " + in.interrupted.Reason
			sr.Location = s.Failure.Location.String()
		}
	case s.State.Is(types.SpecStateFailureStates):
		sr.State = StateFailed
		if s.State != types.SpecStateFailed {
			sr.Detail = s.State.String()
		}
		sr.Reason = shorten(in.mask.String(stripANSI(s.Failure.Message)))
		sr.Violations = violationsOf(s, in.mask)
		sr.Location = s.Failure.Location.String()
	default: // skipped or pending
		sr.State = StateSkipped
		sr.Reason = in.mask.String(stripANSI(s.Failure.Message))
		if sr.Reason == "" {
			sr.Reason = notSelected
		}
	}
	return sr
}

// violationsOf reads the Violation report entries of a spec. Across parallel processes
// the value arrives as JSON only.
func violationsOf(s types.SpecReport, m *Masker) []Violation {
	var out []Violation
	for _, e := range s.ReportEntries {
		if e.Name != violationEntry {
			continue
		}
		var v Violation
		switch raw := e.Value.GetRawValue().(type) {
		case Violation:
			v = raw
		default:
			js := e.Value.AsJSON
			if js == "" {
				b, err := json.Marshal(raw)
				if err != nil {
					continue
				}
				js = string(b)
			}
			if json.Unmarshal([]byte(js), &v) != nil {
				continue
			}
		}
		v.Message = m.String(v.Message)
		v.Where = m.String(v.Where)
		out = append(out, v)
	}
	return out
}

func shorten(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= maxReasonLines {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:maxReasonLines], "\n") + fmt.Sprintf("\n… (%d more lines in the Ginkgo report)", len(lines)-maxReasonLines)
}

func summary(r *Report) string {
	s := r.Statistics
	text := fmt.Sprintf("%d passed, %d failed, %d skipped, %d not supported", s.Passed, s.Failed, s.Skipped, s.NotSupported)
	if s.NotRun > 0 {
		text += fmt.Sprintf(", %d not run", s.NotRun)
	}
	text += fmt.Sprintf(" (of %d specs)", s.Total)
	for _, f := range r.SetupFailures {
		if f.State == StateFailed {
			text = "suite setup failed; " + text
			break
		}
	}
	if r.Interrupted != nil {
		text = "interrupted: " + r.Interrupted.Reason + "; " + text
	}
	var failed []string
	for _, f := range r.Features {
		if f.Result == ResultFailure {
			failed = append(failed, string(f.Name))
		}
	}
	if len(failed) > 0 {
		text += "; failing features: " + strings.Join(failed, ", ")
	}
	text += judgingSummary(r)
	if slices.Equal(r.DeclaredFeatures, CoreFeatures()) {
		text += "; only the core (" + featureNames(r.DeclaredFeatures) + ") was declared"
	}
	return text
}

// reproduce gives a command line for the same run (credentials stay in the config file;
// a password in the target's userinfo is masked like everywhere else).
func reproduce(o *Options, mask *Masker, seed int64, filter string) string {
	names := make([]string, len(o.Features))
	for i, f := range o.Features {
		names[i] = string(f)
	}
	var b strings.Builder
	// workbinkit conform takes the test binary's flags too, and needs no Go toolchain.
	fmt.Fprintf(&b, "workbinkit conform --config YOUR-CONFIG.yaml --target %s --features %s --provisioning %s",
		mask.String(o.Target), strings.Join(names, ","), o.Provisioning.Mode)
	if o.Strict {
		b.WriteString(" --strict")
	}
	fmt.Fprintf(&b, " -ginkgo.seed=%d", seed)
	if filter != "" {
		fmt.Fprintf(&b, " -ginkgo.label-filter=%q", filter)
	}
	return b.String()
}

// Write writes the report as JSON and Markdown to the paths of o.Reports ("" skips one).
func (r *Report) Write(paths Reports) error {
	if paths.JSON != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("conformance: report: %w", err)
		}
		if err := writeFile(paths.JSON, append(b, '\n')); err != nil {
			return err
		}
	}
	if paths.Markdown != "" {
		if err := writeFile(paths.Markdown, []byte(r.Markdown())); err != nil {
			return err
		}
	}
	return r.writeRulesBeside(paths)
}

// reportFileMode is the mode of every report file.
const reportFileMode = 0o644

// writeFile writes atomically (temp file + rename), creating the directory.
func writeFile(path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("conformance: report: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("conformance: report: %w", err)
	}
	// CreateTemp makes 0600; every report file is 0644, as Ginkgo's own JUnit file is,
	// so a CI job's artefact step (often another user) can read them all.
	if err := tmp.Chmod(reportFileMode); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("conformance: report: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("conformance: report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("conformance: report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("conformance: report: %w", err)
	}
	return nil
}

// Markdown renders the report for humans (CI artifacts, pull requests).
func (r *Report) Markdown() string {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# workbinkit conformance report\n\n")
	w("| | |\n| --- | --- |\n")
	w("| Implementation | %s |\n", mdCell(r.implementationText()))
	w("| Target | `%s` |\n", r.Target)
	w("| Date | %s |\n", r.Date)
	w("| Mode | %s |\n", r.Mode)
	w("| Provisioning | %s |\n", r.Provisioning)
	w("| Suite | workbinkit conformance %s |\n", r.SuiteVersion)
	if r.Rules != "" {
		w("| Rules | [%s](%s), each rule id below links to its section |\n", mdCell(r.Rules), r.Rules)
	}
	w("| Declared features | %s |\n", mdCell(featureNames(r.DeclaredFeatures)))
	if r.Interrupted != nil {
		w("| Interrupted | %s, at %s |\n", mdCell(r.Interrupted.Reason), r.Interrupted.At)
	}
	w("| Result | **%s**: %s |\n\n", r.Result, mdCell(r.Summary))

	s := r.Statistics
	w("## Features\n\nA spec counts once for each of its features: the rows add up to more than the %d distinct specs when a spec has several features.\n\n", s.Total)
	w("| feature | declared | result | passed | failed | skipped | not supported | not run |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, f := range r.Features {
		name := string(f.Name)
		if f.Core {
			name += " (core)"
		}
		w("| %s | %s | %s | %d | %d | %d | %d | %d |\n", name, yesNo(f.Declared), f.Result,
			f.Statistics.Passed, f.Statistics.Failed, f.Statistics.Skipped, f.Statistics.NotSupported, f.Statistics.NotRun)
	}
	w("| **distinct specs** | | %s | %d | %d | %d | %d | %d |\n", r.Result, s.Passed, s.Failed, s.Skipped, s.NotSupported, s.NotRun)
	w("\n## Operation variants\n\n| variant | result | passed | failed | skipped | not supported | not run |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, v := range r.Operations {
		w("| %s | %s | %d | %d | %d | %d | %d |\n", mdCell(v.Variant), v.Result,
			v.Statistics.Passed, v.Statistics.Failed, v.Statistics.Skipped, v.Statistics.NotSupported, v.Statistics.NotRun)
	}
	if len(r.SetupFailures) > 0 {
		w("\n## Setup failures\n\n")
		for _, s := range r.SetupFailures {
			writeFailure(&b, s)
		}
	}
	var failed, skipped, notRun []SpecResult
	for _, s := range r.Specs {
		switch s.State {
		case StateFailed:
			failed = append(failed, s)
		case StateSkipped:
			skipped = append(skipped, s)
		case StateNotRun:
			notRun = append(notRun, s)
		}
	}
	if len(failed) > 0 {
		w("\n## Failures\n\n")
		for _, s := range failed {
			writeFailure(&b, s)
		}
	}
	if len(notRun) > 0 {
		w("\n## Not run (the run stopped, or the setup failed, before them)\n\n")
		for _, s := range notRun {
			w("- `%s` %s: %s\n", s.ID, mdCell(s.Text), mdCell(firstLine(s.Reason)))
		}
	}
	if len(skipped) > 0 {
		w("\n## Skipped (claimed, but not run)\n\n")
		for _, s := range skipped {
			w("- `%s` %s: %s\n", s.ID, mdCell(s.Text), mdCell(firstLine(s.Reason)))
		}
	}
	if len(r.UnsupportedFeatures) > 0 {
		w("\n## Not supported (not claimed by the target)\n\n")
		for _, f := range r.UnsupportedFeatures {
			w("- %s: %s\n", f, f.Description())
		}
	}
	writeWarnings(&b, r)
	writeStream(&b, r)
	w("\n## Reproduce\n\n```sh\n%s\n```\n", r.Reproduce)
	return b.String()
}

func writeFailure(b *bytes.Buffer, s SpecResult) {
	fmt.Fprintf(b, "### `%s`: %s\n\n", s.ID, mdCell(s.Text))
	if s.Variant != "" {
		fmt.Fprintf(b, "Variant: %s. ", mdCell(s.Variant))
	}
	if len(s.Features) > 0 {
		fmt.Fprintf(b, "Features: %s.", featureNames(s.Features))
	}
	b.WriteString("\n\n")
	if len(s.Violations) > 0 {
		b.WriteString("| rule | where | pointer | message |\n| --- | --- | --- | --- |\n")
		for _, v := range s.Violations {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", ruleLink(v), mdCell(v.Where), mdCode(v.Pointer), mdCell(v.Message))
		}
		b.WriteString("\n")
	}
	if s.Reason != "" {
		fmt.Fprintf(b, "```text\n%s\n```\n\n", strings.ReplaceAll(s.Reason, "```", "'''"))
	}
}

// implementationText names the implementation: from the options (implementation: in the
// config file, --implementation-*), else by the target's address, never by a guess.
func (r *Report) implementationText() string {
	i := r.Implementation
	impl := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{i.Organization, i.Project, i.Version}, func(s string) bool { return strings.TrimSpace(s) == "" }), " "))
	switch {
	case impl == "" && i.URL != "":
		impl = i.URL
	case i.URL != "":
		impl += " (" + i.URL + ")"
	}
	if impl == "" {
		impl = "the server at " + r.Target + " (not named: set implementation: in the config file, or --implementation-project)"
	}
	return impl
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func mdCode(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func sortedFeatureKeys(m map[Feature]*FeatureResult) []Feature {
	out := make([]Feature, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	order := map[Feature]int{}
	for i, f := range AllFeatures() {
		order[f] = i
	}
	sort.Slice(out, func(i, j int) bool {
		oi, iok := order[out[i]]
		oj, jok := order[out[j]]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		}
		return out[i] < out[j]
	})
	return out
}
