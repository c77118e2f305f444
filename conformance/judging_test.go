package conformance

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// withEntry adds a report entry as Ginkgo hands it over from another process: JSON only.
func withEntry(t *testing.T, r types.SpecReport, name string, v any) types.SpecReport {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	r.ReportEntries = append(r.ReportEntries, types.ReportEntry{Name: name, Value: types.ReportEntryValue{AsJSON: string(b)}})
	return r
}

func TestReportWarningsAndStream(t *testing.T) {
	w := Violation{Rule: RuleReferenceEcho, Where: "CometD /v2/me/workbins WorkbinSubscriptionStateChangeMessage (agent)", Pointer: "/data/referenceId", Message: "no referenceId"}
	bad := StreamFinding{Level: LevelError, Rule: RuleContract, Where: "CometD /v2/me/workitems WorkitemStateChangeMessage", Pointer: "/data/metrics",
		Problem: "Additional property metrics is not allowed", Payload: `{"channel":"/v2/me/workitems","data":{}}`}
	seenBy := func(f StreamFinding, id string) StreamFinding { f.SeenBy = []string{id}; return f }
	specs := types.SpecReports{
		withEntry(t, specReport("workbin-subscriptions.a", []Feature{FeatureWorkbinSubscriptions, FeatureGroupWorkbins}, types.SpecStatePassed, ""), warningEntry, w),
		withEntry(t, specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, ""), streamEntry, seenBy(bad, "pull-workitem.a")),
		withEntry(t, specReport("pull-workitem.b", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, ""), streamEntry, seenBy(bad, "pull-workitem.b")),
	}
	o := testOptions(t, FeaturePullWorkitem, FeatureWorkbinSubscriptions, FeatureGroupWorkbins)
	r := reportOf(o, specs)
	if r.Result != ResultSuccess || r.Statistics.Passed != 3 {
		t.Fatalf("warnings and findings on messages no spec caused fail nothing by default: %s, %+v", r.Result, r.Statistics)
	}
	if len(r.UnattributedMessages) != 1 || strings.Join(r.UnattributedMessages[0].SeenBy, ",") != "pull-workitem.a,pull-workitem.b" {
		t.Fatalf("one finding per message, seen by both specs: %+v", r.UnattributedMessages)
	}
	for _, f := range r.Features {
		want := 0
		if f.Name == FeatureWorkbinSubscriptions || f.Name == FeatureGroupWorkbins {
			want = 1
		}
		if f.Warnings != want {
			t.Errorf("feature %s: %d warnings, want %d", f.Name, f.Warnings, want)
		}
	}
	var sr SpecResult
	for _, s := range r.Specs {
		if s.ID == "workbin-subscriptions.a" {
			sr = s
		}
	}
	wantW := w
	wantW.RuleURL = "rules.md#" + string(w.Rule) // set by the report (rulelinks.go)
	if len(sr.Warnings) != 1 || sr.Warnings[0] != wantW || len(sr.Violations) != 0 {
		t.Errorf("spec warnings: %+v", sr)
	}
	md := r.Markdown()
	for _, want := range []string{"## Warnings", "### workbin-subscriptions", "`workbin-subscriptions.a` | [D4.referenceId-echo](rules.md#D4.referenceId-echo)", "## Messages no spec caused", "`/data/metrics`", "pull-workitem.a, pull-workitem.b", "--strict"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(r.Summary, "1 warnings") || !strings.Contains(r.Summary, "1 contract errors on messages no spec caused") {
		t.Errorf("summary: %s", r.Summary)
	}

	o.Strict = true
	if r := reportOf(o, specs); r.Result != ResultFailure || !strings.Contains(r.Summary, "--strict") {
		t.Errorf("--strict: a contract error on a message no spec caused fails the run: %s (%s)", r.Result, r.Summary)
	}
	warnOnly := types.SpecReports{withEntry(t, specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStatePassed, ""), streamEntry,
		StreamFinding{Level: LevelWarning, Rule: RuleContract, Problem: "x", Payload: "{}"})}
	if r := reportOf(o, warnOnly); r.Result != ResultSuccess {
		t.Errorf("a stream-level warning alone fails nothing: %s", r.Result)
	}
}

func TestCaused(t *testing.T) {
	note := func(raw string) Notification {
		var n Notification
		n.Raw = json.RawMessage(raw)
		if err := decodeNumber(json.RawMessage(raw), &n.Data); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tt := &T{placed: map[string]placement{"0001A": {}}, accepted: map[Role]map[int64]bool{RoleAgent: {7: true}}, subscribed: map[string]bool{"wb1": true}}
	tests := []struct {
		name string
		raw  string
		role Role
		want bool
	}{
		{"by id", `{"messageType":"WorkitemStateChangeMessage","workitem":{"id":"0001A"}}`, RoleAgent, true},
		{"by chatPath", `{"messageType":"MessageLogUpdated","chatPath":"/chats/0001A","messages":[]}`, RoleAgent, true},
		{"by chatUri", `{"messageType":"MessageLogUpdated","chatUri":"http://h/api/v2/chats/0001A","messages":[]}`, RoleAgent, true},
		{"by referenceId", `{"messageType":"WorkbinStatsMessage","referenceId":7}`, RoleAgent, true},
		{"another session's referenceId", `{"messageType":"WorkbinStatsMessage","referenceId":7}`, RoleAgent2, false},
		{"a longer id", `{"messageType":"WorkitemStateChangeMessage","workitem":{"id":"0001AB"}}`, RoleAgent, false},
		{"another interaction", `{"messageType":"WorkitemStateChangeMessage","workitem":{"id":"0002"}}`, RoleAgent, false},
		{"its subscription", `{"messageType":"WorkbinSubscriptionStateChangeMessage","id":"wb1","stateResource":"Subscribed"}`, RoleAgent, true},
		{"another subscription", `{"messageType":"WorkbinSubscriptionStateChangeMessage","id":"wb2","stateResource":"Subscribed"}`, RoleAgent, false},
	}
	for _, tc := range tests {
		if got := tt.caused(tc.role, note(tc.raw)); got != tc.want {
			t.Errorf("%s: caused = %v, want %v", tc.name, got, tc.want)
		}
	}
}
