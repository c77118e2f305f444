package main

import (
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/conformance"
)

// A gate cannot go green by mistake: a hook that answers {"skip"} for everything leaves
// the claimed features unchecked, and the run fails (exit 1) saying why, its report
// "partial"; the filters' own leaving-out is not such a skip.
func TestConformSkippedClaimedSpecsFail(t *testing.T) {
	r, _ := conformWithHook(t, "features: []\n", func(string) string {
		return `[sh, -c, 'echo {\"skip\": \"no routing here\"}']`
	}, "--timeouts", conformTimeouts)
	st := r.report.Statistics
	if r.code != 1 || st.Skipped == 0 || r.report.Result != conformance.ResultPartial || !strings.Contains(r.output, "specs of the claimed features were skipped") {
		t.Fatalf("exit %d, result %s, %+v; want exit 1, partial, skips named\n%s", r.code, r.report.Result, st, tailLines(r.output, 30))
	}

	// Filtered out is not skipped: one spec selected, passed, exit 0.
	r = conform(t, nil, "--target", startConformMock(t), "--timeouts", conformTimeouts, "-ginkgo.label-filter=id:pull-workitem.second-pull")
	if r.code != 0 || r.report.Statistics.Passed != 1 {
		t.Fatalf("filtered run: exit %d, %+v; want 0 and one passed\n%s", r.code, r.report.Statistics, tailLines(r.output, 30))
	}
}
