package proxy_test

import (
	"strings"
	"testing"
	"time"
)

// TestSuiteThroughProxy: the whole conformance suite, run through the proxy in front of
// the mock with no deviation on, passes, and the proxy finds no violation in its traffic.
func TestSuiteThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the conformance suite")
	}
	r := startRig(t, rigOptions{})
	start := time.Now()
	run := runSuite(t, r.front.URL)
	res := r.stop(t)
	if run.code != 0 {
		var failed []string
		for _, s := range run.report.Specs {
			if s.State == "failed" {
				failed = append(failed, s.ID+": "+firstLine(s.Reason))
			}
		}
		t.Errorf("the suite failed through the proxy (exit %d): %s\n%s", run.code, strings.Join(failed, "\n"), tail(run.output, 20))
	}
	if res.Errors > 0 {
		t.Errorf("the proxy found %d violations in a clean run:\n%s", res.Errors, strings.Join(r.lines, "\n"))
	}
	t.Logf("suite through the proxy in %s: %d specs; proxy: %d exchanges (%d REST, %d CometD, %d notifications), %d errors, %d warnings, %d undecided, passed through %v",
		time.Since(start).Round(time.Millisecond), run.report.Statistics.Total, res.Exchanges, res.REST, res.CometD, res.Notifications, res.Errors, res.Warnings, res.Undecided, res.PassedThrough)
	for rule, tally := range res.Rules {
		t.Logf("  %-22s checked %d", rule, tally.Checked)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
