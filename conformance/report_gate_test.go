package conformance

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// writeAll writes every report of r (and Ginkgo's, from specs) into dir and returns the
// paths.
func writeAll(t *testing.T, dir string, r *Report, specs types.SpecReports, in *reportInput) Reports {
	t.Helper()
	paths := Reports{
		JSON: filepath.Join(dir, "r.json"), Markdown: filepath.Join(dir, "r.md"),
		JUnit: filepath.Join(dir, "junit.xml"), GinkgoJSON: filepath.Join(dir, "ginkgo.json"),
	}
	if err := r.Write(paths); err != nil {
		t.Fatal(err)
	}
	gr := ginkgo.Report{SuiteDescription: "workbinkit conformance", SpecReports: specs}
	if err := writeGinkgoReports(gr, in, r, paths); err != nil {
		t.Fatal(err)
	}
	return paths
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReportsHaveNoTerminalEscapes: colour codes in a failure (Ginkgo's own texts, a
// target's body) reach none of the four report files, raw or JSON-escaped.
func TestReportsHaveNoTerminalEscapes(t *testing.T) {
	o := testOptions(t)
	v := Violation{Rule: RuleReferenceEcho, Where: "CometD \x1b[31m/v2/me/workitems\x1b[0m", Message: "got \x1b]0;title\x07\x1b[1mred\x1b[0m"}
	specs := types.SpecReports{
		specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStateFailed, "\x1b[1m\x1b[38;5;9mSynchronizedBeforeSuite failed\x1b[0m", v),
		{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "\x1b[91msetup\x1b[0m"}},
	}
	specs[0].CapturedGinkgoWriterOutput = "\x1b[32mlog\x1b[0m"
	in := reportInput{opts: o, mask: maskerFor(o), meta: map[string]specMeta{}, specs: specs, finished: time.Unix(0, 0)}
	paths := writeAll(t, t.TempDir(), buildReport(in), specs, &in)
	for _, p := range []string{paths.JSON, paths.Markdown, paths.JUnit, paths.GinkgoJSON} {
		text := readFile(t, p)
		if strings.Contains(text, "\x1b") || strings.Contains(strings.ToLower(text), `\u001b`) || strings.Contains(text, "\ufffd") {
			t.Errorf("%s carries a terminal escape:\n%s", filepath.Base(p), text)
		}
		if !strings.Contains(text, "SynchronizedBeforeSuite failed") {
			t.Errorf("%s lost the text around the escapes", filepath.Base(p))
		}
	}
	if got := stripANSI("a\x1b[1;31mb\x1b[0m\x1b(Bc\x1b"); got != "abc" {
		t.Errorf("stripANSI: %q", got)
	}
}

// TestReportImplementation: the report names the implementation from the options, else
// by the target; never "workbinkit mock" for a target that was not named so.
func TestReportImplementation(t *testing.T) {
	o := testOptions(t)
	o.Target = "https://gws.example:8443"
	md := reportOf(o, nil).Markdown()
	if strings.Contains(md, "workbinkit mock") || !strings.Contains(md, "| Implementation | the server at https://gws.example:8443 (not named") {
		t.Errorf("unnamed implementation:\n%s", firstLines(md, 6))
	}
	o.Implementation = Implementation{Organization: "Acme", Project: "GWS", Version: "9.1", URL: "https://acme.example/gws"}
	if md := reportOf(o, nil).Markdown(); !strings.Contains(md, "| Implementation | Acme GWS 9.1 (https://acme.example/gws) |") {
		t.Errorf("named implementation:\n%s", firstLines(md, 6))
	}
	d, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	if i := d.Implementation; i.Organization+i.Project+i.URL+i.Version != "" || len(i.Contact) > 0 {
		t.Errorf("the defaults name an implementation: %+v", d.Implementation)
	}
}

// TestReportFeatureCounts: a spec with two features counts in both rows, and the
// Markdown says so and gives the count of distinct specs.
func TestReportFeatureCounts(t *testing.T) {
	o := testOptions(t, FeaturePullChat, FeatureSupervisor)
	specs := types.SpecReports{
		specReport("supervisor.chat", []Feature{FeatureSupervisor, FeaturePullChat}, types.SpecStatePassed, ""),
		specReport("pull-chat.a", []Feature{FeaturePullChat}, types.SpecStateFailed, "x"),
	}
	r := reportOf(o, specs)
	rows := 0
	for _, f := range r.Features {
		rows += f.Statistics.Total
	}
	if rows != 3 || r.Statistics.Total != 2 {
		t.Fatalf("feature rows count %d, distinct %d; want 3 and 2", rows, r.Statistics.Total)
	}
	md := r.Markdown()
	for _, want := range []string{"A spec counts once for each of its features", "2 distinct specs", "| **distinct specs** | | failure | 1 | 1 | 0 | 0 | 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestReportFileModes: every report file is 0644, whatever wrote it.
func TestReportFileModes(t *testing.T) {
	o := testOptions(t)
	specs := types.SpecReports{specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, "")}
	in := reportInput{opts: o, mask: maskerFor(o), meta: map[string]specMeta{}, specs: specs, finished: time.Unix(0, 0)}
	dir := t.TempDir()
	paths := writeAll(t, dir, buildReport(in), specs, &in)
	for _, p := range []string{paths.JSON, paths.Markdown, paths.JUnit, paths.GinkgoJSON, filepath.Join(dir, "rules.md")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", filepath.Base(p), st.Mode().Perm())
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".report-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestMaskerKeepsChallenges: a WWW-Authenticate challenge's words stay readable; the
// credentials around it are still masked.
func TestMaskerKeepsChallenges(t *testing.T) {
	m := NewMasker(nil)
	for _, keep := range []string{
		`Basic realm="workbinkit mock"`,
		`WWW-Authenticate: Basic realm="workbinkit mock", charset="UTF-8"`,
		`Bearer realm="example", error="invalid_token"`,
		`Bearer error=invalid_token`,
		`{"www-authenticate":"Basic realm=\"GWS\""}`,
	} {
		if got := m.String(keep); got != keep {
			t.Errorf("%s\n became %s", keep, got)
		}
	}
	if got := m.Header(http.Header{"Www-Authenticate": {`Basic realm="workbinkit mock"`}}).Get("Www-Authenticate"); got != `Basic realm="workbinkit mock"` {
		t.Errorf("header: %s", got)
	}
	for in, want := range map[string]string{
		`{"sent":"Basic YWxpY2U6cHc="}`:              `{"sent":"Basic ` + Masked + `"}`,
		`"Basic YWxpY2U6cHc=\"x"`:                    `"Basic ` + Masked + `\"x"`,
		`curl -H 'Authorization:Basic dXNlcjpwYXNz'`: `curl -H 'Authorization:Basic ` + Masked + `'`,
		`map[Authorization:[Bearer abc.def.ghi]]`:    `map[Authorization:[Bearer ` + Masked + `]]`,
		`sent Basic YWxpY2U6aHVudGVyMiE= again`:      `sent Basic ` + Masked + ` again`,
	} {
		if got := m.String(in); got != want {
			t.Errorf("%s\n got %s\nwant %s", in, got, want)
		}
	}
}

// TestInterruptedReport: a run stopped by its deadline lists the specs it did not reach
// as not run (not skipped), a spec cut while running too, and says why and when; a spec
// the label filter left out stays skipped. JUnit shows the not-run specs as errors.
func TestInterruptedReport(t *testing.T) {
	o := testOptions(t)
	start := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	cut := specReport("pull-workitem.cut", []Feature{FeaturePullWorkitem}, types.SpecStateTimedout, ginkgoSuiteTimeoutNode)
	specs := types.SpecReports{
		specReport("pull-workitem.ran", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, ""),
		cut,
		specReport("pull-workitem.later", []Feature{FeaturePullWorkitem}, types.SpecStateSkipped, ""),
		specReport("bad-input.filtered", []Feature{FeatureBadInput}, types.SpecStateSkipped, ""),
	}
	cfg := types.SuiteConfig{LabelFilter: "feature:pull-workitem"}
	gr := ginkgo.Report{SuiteDescription: "workbinkit conformance", SpecReports: specs, StartTime: start, EndTime: start.Add(3 * time.Minute),
		SpecialSuiteFailureReasons: []string{ginkgoSuiteTimeout}, SuiteConfig: cfg}
	intr := interruptionOf(gr, limit{timeout: 2 * time.Minute, source: limitDeadline}, nil, time.Time{})
	if intr == nil || intr.Cause != InterruptDeadline || intr.At != "2026-12-05T06:02:00Z" || !strings.Contains(intr.Reason, "2m0s (--deadline)") {
		t.Fatalf("interruption %+v", intr)
	}
	in := reportInput{opts: o, mask: maskerFor(o), meta: map[string]specMeta{}, specs: specs, finished: gr.EndTime,
		interrupted: intr, selected: selectedBy(cfg, gr.SuiteDescription)}
	r := buildReport(in)
	if want := (Statistics{Passed: 1, Skipped: 1, NotRun: 2, Total: 4}); r.Statistics != want {
		t.Errorf("statistics %+v, want %+v", r.Statistics, want)
	}
	if r.Result != ResultFailure || r.Interrupted == nil || !strings.HasPrefix(r.Summary, "interrupted: the run's deadline") {
		t.Errorf("result %s, summary %q", r.Result, r.Summary)
	}
	for _, s := range r.Specs {
		if s.ID == "pull-workitem.cut" && (s.State != StateNotRun || !strings.Contains(s.Reason, "not run to its end")) {
			t.Errorf("cut spec: %+v", s)
		}
	}
	paths := writeAll(t, t.TempDir(), r, specs, &in)
	md := readFile(t, paths.Markdown)
	for _, want := range []string{"| Interrupted | the run's deadline of 2m0s (--deadline) elapsed, at 2026-12-05T06:02:00Z |", "## Not run (the run stopped, or the setup failed, before them)", "`pull-workitem.later`"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	var back Report
	if err := json.Unmarshal([]byte(readFile(t, paths.JSON)), &back); err != nil || back.Interrupted == nil || back.Interrupted.Cause != InterruptDeadline {
		t.Errorf("JSON: %v %+v", err, back.Interrupted)
	}
	junit := readFile(t, paths.JUnit)
	if strings.Count(junit, `type="interrupted"`) != 2 || !strings.Contains(junit, "not run: the run&#39;s deadline") || strings.Count(junit, "<skipped") != 1 {
		t.Errorf("JUnit:\n%s", junit)
	}

	// A signal: named, at the time it came.
	at := start.Add(time.Minute)
	gr.SpecialSuiteFailureReasons = []string{ginkgoInterruptedUser}
	gr.SpecReports = specs[:1]
	if i := interruptionOf(gr, limit{timeout: time.Hour, source: limitDeadline}, os.Interrupt, at); i == nil || i.Cause != InterruptSignal || i.Reason != "interrupted by SIGINT" || i.At != "2026-12-05T06:01:00Z" {
		t.Errorf("signal: %+v", i)
	}
	gr.SpecialSuiteFailureReasons = nil
	if i := interruptionOf(gr, limit{timeout: time.Hour}, nil, time.Time{}); i != nil {
		t.Errorf("a whole run is not interrupted: %+v", i)
	}
}

func TestRunLimit(t *testing.T) {
	for _, c := range []struct {
		deadline, ginkgo, goTest time.Duration
		want                     limit
	}{
		{10 * time.Minute, 0, 0, limit{10 * time.Minute, limitDeadline}},
		{10 * time.Minute, time.Minute, 0, limit{time.Minute, limitGinkgoTimeout}},
		{10 * time.Minute, time.Hour, 0, limit{10 * time.Minute, limitDeadline}},
		{10 * time.Minute, time.Hour, 5 * time.Minute, limit{5*time.Minute - 30*time.Second, limitGoTest}},
		{time.Minute, time.Hour, 10 * time.Minute, limit{time.Minute, limitDeadline}},
	} {
		if got := runLimit(c.deadline, c.ginkgo, c.goTest); got != c.want {
			t.Errorf("runLimit(%s, %s, %s) = %+v, want %+v", c.deadline, c.ginkgo, c.goTest, got, c.want)
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
