package proxy_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/observe"
)

// TestSuiteThroughProxy: the whole conformance suite, run through the proxy in front of
// the mock with no deviation on, passes, and the proxy finds no violation in its traffic.
func TestSuiteThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the conformance suite")
	}
	// A clean run waits for nothing, so its windows can be generous: on a loaded machine
	// (CI, -race) a notification may take seconds to travel mock → proxy → client, and a
	// short window would report that as missing. The window stays below the suite's wait.
	oo := observe.Options{NotificationWindow: 8 * time.Second, Settle: 500 * time.Millisecond}
	r := startRig(t, rigOptions{record: true, observe: oo})
	start := time.Now()
	run := runSuite(t, r.front.URL, "--timeouts", "request=10s,notification=10s,consistency=5s,provision=10s,immediate=10s,spec=60s")
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

	// The recording judges the same: every exchange is in it, long polls with their
	// timings, and it validates clean.
	k := observe.New(contract(t), oo)
	n, err := observe.ReadHAR(context.Background(), har.NewReader(bytes.NewReader(r.recBuf.Bytes())), k)
	if err != nil {
		t.Fatal(err)
	}
	again := k.Result()
	if n != res.Exchanges || again.Exchanges != res.Exchanges || again.Notifications != res.Notifications {
		t.Errorf("the recording holds %d entries (%d notifications); the proxy saw %d exchanges (%d notifications)", n, again.Notifications, res.Exchanges, res.Notifications)
	}
	if again.Errors > 0 {
		t.Errorf("the recording of a clean run has %d violations: %+v", again.Errors, again.Findings)
	}
	held := false
	hr := har.NewReader(bytes.NewReader(r.recBuf.Bytes()))
	for {
		e, err := hr.Next()
		if err != nil {
			break
		}
		if strings.HasSuffix(e.Request.URL, "/connect") || (e.Request.PostData != nil && strings.Contains(e.Request.PostData.Text, "/meta/connect")) {
			if e.Duration() > 100*time.Millisecond && e.Response.Status == 200 && strings.Contains(e.Response.Content.Text, "/meta/connect") {
				held = true
			}
		}
	}
	if !held {
		t.Error("no held long poll in the recording (a /meta/connect answered after its hold, with its reply)")
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
