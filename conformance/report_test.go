package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// spec builds a SpecReport as Ginkgo hands them to ReportAfterSuite: the feature labels
// on the container, the id on the It.
func specReport(id string, fs []Feature, state types.SpecState, message string, violations ...Violation) types.SpecReport {
	var labels []string
	for _, f := range fs {
		labels = append(labels, FeatureLabel(f))
	}
	r := types.SpecReport{
		LeafNodeType:             types.NodeTypeIt,
		ContainerHierarchyTexts:  []string{"[" + featureNames(fs) + "]"},
		ContainerHierarchyLabels: [][]string{labels},
		LeafNodeText:             "does " + id,
		LeafNodeLabels:           []string{idLabelPrefix + id},
		State:                    state,
		Failure:                  types.Failure{Message: message},
		RunTime:                  15 * time.Millisecond,
	}
	for _, v := range violations {
		r.ReportEntries = append(r.ReportEntries, types.ReportEntry{Name: violationEntry, Value: types.WrapEntryValue(v)})
	}
	return r
}

func testOptions(t *testing.T, fs ...Feature) *Options {
	t.Helper()
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	o.Target = "http://127.0.0.1:8090"
	if fs != nil {
		o.Features = normalizeFeatures(fs)
	}
	return &o
}

func TestReportClassification(t *testing.T) {
	o := testOptions(t, FeaturePullChat, FeatureBadInput)
	v := Violation{Rule: RuleReferenceEcho, Where: "CometD /v2/me/workitems", Pointer: "/data/referenceId", Message: "referenceId 9; want 2"}
	specs := types.SpecReports{
		specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, ""),
		specReport("pull-workitem.b", []Feature{FeaturePullWorkitem}, types.SpecStateFailed, "[D4.referenceId-echo] …", v),
		specReport("pull-chat.a", []Feature{FeaturePullChat}, types.SpecStateSkipped, "cannot provision a chat in agent's workbin: used up"),
		specReport("pull-chat.b", []Feature{FeaturePullChat}, types.SpecStateSkipped, ""),
		// Not declared: skipped by the guard, or filtered (no message), or an Ordered
		// container's generic message: NOT_SUPPORTED in every case.
		specReport("supervisor.a", []Feature{FeatureSupervisor}, types.SpecStateSkipped, "NOT_SUPPORTED: the target does not declare supervisor"),
		specReport("supervisor.b", []Feature{FeatureSupervisor, FeaturePullChat}, types.SpecStateSkipped, ""),
		specReport("csrf.a", []Feature{FeatureCSRF}, types.SpecStateSkipped, "Skip() was called in BeforeEach"),
		specReport("bad-input.a", []Feature{FeatureBadInput}, types.SpecStateTimedout, "timed out"),
		{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed},
	}
	r := reportOf(o, specs)
	want := Statistics{Passed: 1, Failed: 2, Skipped: 2, NotSupported: 3, Total: 8}
	if r.Statistics != want {
		t.Errorf("statistics %+v, want %+v", r.Statistics, want)
	}
	if r.Result != ResultFailure {
		t.Errorf("result %s", r.Result)
	}
	states := map[string]SpecResult{}
	for _, s := range r.Specs {
		states[s.ID] = s
	}
	for id, st := range map[string]string{
		"pull-workitem.a": StatePassed, "pull-workitem.b": StateFailed, "pull-chat.a": StateSkipped, "pull-chat.b": StateSkipped,
		"supervisor.a": StateNotSupported, "supervisor.b": StateNotSupported, "csrf.a": StateNotSupported, "bad-input.a": StateFailed,
	} {
		if states[id].State != st {
			t.Errorf("%s: %s, want %s", id, states[id].State, st)
		}
	}
	wantV := v
	wantV.RuleURL = "rules.md#D4.referenceId-echo"
	if s := states["pull-workitem.b"]; len(s.Violations) != 1 || s.Violations[0] != wantV {
		t.Errorf("violations %+v", s.Violations)
	}
	if s := states["bad-input.a"]; s.Detail != "timedout" {
		t.Errorf("detail %q", s.Detail)
	}
	if !strings.Contains(states["pull-chat.b"].Reason, "filtered out") || !strings.Contains(states["pull-chat.a"].Reason, "cannot provision") {
		t.Errorf("skip reasons %q / %q", states["pull-chat.b"].Reason, states["pull-chat.a"].Reason)
	}
	features := map[Feature]FeatureResult{}
	for _, f := range r.Features {
		features[f.Name] = f
	}
	for f, res := range map[Feature]string{
		FeaturePullWorkitem: ResultFailure, FeaturePullChat: ResultPartial, FeatureSupervisor: ResultNotSupported,
		FeatureCSRF: ResultNotSupported, FeatureBadInput: ResultFailure, FeatureBayeux: ResultNotSupported,
	} {
		if features[f].Result != res {
			t.Errorf("feature %s: %s, want %s", f, features[f].Result, res)
		}
	}
	if got := features[FeaturePullChat].Statistics; got.NotSupported != 1 || got.Skipped != 2 {
		t.Errorf("pull-chat statistics %+v: supervisor.b counts as not supported for it, not skipped", got)
	}
}

func TestReportResults(t *testing.T) {
	o := testOptions(t, FeatureCSRF)
	only := func(specs ...types.SpecReport) string { return reportOf(o, specs).Result }
	pass := specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, "")
	unsupported := specReport("bayeux.a", []Feature{FeatureBayeux}, types.SpecStateSkipped, "")
	skipped := specReport("csrf.a", []Feature{FeatureCSRF}, types.SpecStateSkipped, "cannot provision")
	if got := only(pass, unsupported); got != ResultSuccess {
		t.Errorf("passed + not supported: %s, want success (NOT_SUPPORTED is not a skip)", got)
	}
	if got := only(pass, skipped); got != ResultPartial {
		t.Errorf("passed + claimed skip: %s, want partial", got)
	}
	setup := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "cannot reach the target"}}
	r := reportOf(o, types.SpecReports{setup, specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStateSkipped, "")})
	if r.Result != ResultFailure || len(r.SetupFailures) != 1 || !strings.Contains(r.Summary, "setup failed") {
		t.Errorf("setup failure: %s %+v %q", r.Result, r.SetupFailures, r.Summary)
	}
}

// TestReportJSONShape pins the serialized names (Gateway API's Statistics has no tags and
// prints Passed; ours must not).
func TestReportJSONShape(t *testing.T) {
	o := testOptions(t)
	r := reportOf(o, types.SpecReports{specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, "")})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"apiVersion", "kind", "implementation", "date", "mode", "declaredFeatures", "unsupportedFeatures", "result", "summary", "statistics", "features", "operations", "specs", "reproduce"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report JSON lacks %q", k)
		}
	}
	stats, _ := m["statistics"].(map[string]any)
	for _, k := range []string{"passed", "failed", "skipped", "notSupported", "total"} {
		if _, ok := stats[k]; !ok {
			t.Errorf("statistics lack %q: %v", k, stats)
		}
	}
}

// TestReportMasksSecrets feeds a report failures carrying a password, Basic credentials,
// a session cookie and a CSRF token, and checks neither written file shows them.
func TestReportMasksSecrets(t *testing.T) {
	o := testOptions(t)
	o.Users.Agent.Password = "Tr0ub4dor&3"
	secrets := []string{"Tr0ub4dor&3", "MaratTest:Tr0ub4dor", "TWFyYXRUZXN0OlRyMHViNGRvciYz", "ABCDEF0123456789", "2f1e7c1a-tok"}
	msg := strings.Join([]string{
		`[D8.auth] login failed for password "Tr0ub4dor&3"`,
		"    > Authorization: Basic TWFyYXRUZXN0OlRyMHViNGRvciYz",
		"    > Cookie: JSESSIONID=ABCDEF0123456789; BAYEUX_BROWSER=ABCDEF0123456789",
		"    > X-CSRF-TOKEN: 2f1e7c1a-tok",
		`    {"password":"Tr0ub4dor&3","user":"MaratTest"}`,
		"    Set-Cookie: JSESSIONID=ABCDEF0123456789; Path=/; HttpOnly",
	}, "\n")
	v := Violation{Rule: RuleAuth, Where: "GET /api/v2/me (agent) cookie JSESSIONID=ABCDEF0123456789", Message: "sent Basic TWFyYXRUZXN0OlRyMHViNGRvciYz"}
	r := reportOf(o, types.SpecReports{
		specReport("bad-input.a", []Feature{FeatureBadInput}, types.SpecStateFailed, msg, v),
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "cannot log in with Tr0ub4dor&3"}},
	})
	dir := t.TempDir()
	paths := Reports{JSON: filepath.Join(dir, "r.json"), Markdown: filepath.Join(dir, "sub", "r.md")}
	if err := r.Write(paths); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{paths.JSON, paths.Markdown} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s shows the secret %q", filepath.Base(p), s)
			}
		}
		for _, keep := range []string{"D8.auth", "JSESSIONID=" + Masked, "Path=/"} {
			if !strings.Contains(string(b), keep) {
				t.Errorf("%s lost %q (masking must keep the rest readable)", filepath.Base(p), keep)
			}
		}
	}
}

func TestReportMarkdown(t *testing.T) {
	o := testOptions(t, FeaturePullChat)
	o.Implementation = Implementation{Organization: "Example", Project: "gws | clone", Version: "2.0"}
	v := Violation{Rule: RuleCapabilities, Where: "CometD /v2/me/chats ChatStateChangeMessage", Pointer: "/data/chat/capabilities", Message: "missing Complete"}
	r := reportOf(o, types.SpecReports{
		specReport("pull-chat.a", []Feature{FeaturePullChat}, types.SpecStateFailed, "[D5.capabilities] missing Complete", v),
		specReport("bayeux.a", []Feature{FeatureBayeux}, types.SpecStateSkipped, ""),
	})
	md := r.Markdown()
	for _, want := range []string{"# workbinkit conformance report", "Example gws \\| clone 2.0", "| pull-chat | yes | failure | 0 | 1 | 0 | 0 |",
		"| bayeux | no | not-supported | 0 | 0 | 0 | 1 |", "### `pull-chat.a`", "| [D5.capabilities](rules.md#D5.capabilities) |", "`/data/chat/capabilities`", "## Not supported", "## Reproduce", "--features pull-chat,pull-workitem"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestReportMasksTargetUserinfo: a password in --target's userinfo shows nowhere in the
// written reports, the Reproduce command included.
func TestReportMasksTargetUserinfo(t *testing.T) {
	o := testOptions(t)
	o.Target = "http://vendor:TopSecret@127.0.0.1:8090"
	r := reportOf(o, types.SpecReports{specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, "")})
	if strings.Contains(r.Reproduce, "TopSecret") || !strings.Contains(r.Reproduce, "--target http://vendor:"+Masked+"@127.0.0.1:8090") {
		t.Errorf("reproduce: %s", r.Reproduce)
	}
	dir := t.TempDir()
	paths := Reports{JSON: filepath.Join(dir, "r.json"), Markdown: filepath.Join(dir, "r.md")}
	if err := r.Write(paths); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{paths.JSON, paths.Markdown} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "TopSecret") {
			t.Errorf("%s shows the target's password", filepath.Base(p))
		}
	}
}
