package conformance

import (
	"strings"
	"testing"
	"time"
)

func TestSuiteTimeout(t *testing.T) {
	const hour = time.Hour
	for _, c := range []struct {
		remaining, configured, want time.Duration
	}{
		{10 * time.Minute, hour, 10*time.Minute - 30*time.Second}, // go test's default: 30 s margin
		{2 * hour, 3 * hour, 2*hour - 6*time.Minute},              // 5 % of a long deadline
		{40 * time.Second, hour, 20 * time.Second},                // at least half the time
		{12 * time.Second, hour, 6 * time.Second},                 // same, bounded below
		{10 * time.Minute, 2 * time.Minute, 2 * time.Minute},      // -ginkgo.timeout is shorter
		{-time.Second, hour, hour},                                // deadline passed: nothing to gain
	} {
		if got := suiteTimeout(c.remaining, c.configured); got != c.want {
			t.Errorf("suiteTimeout(%s, %s) = %s, want %s", c.remaining, c.configured, got, c.want)
		}
	}
}

func TestLoginProblem(t *testing.T) {
	for _, c := range []struct {
		status      int
		want, avoid string
	}{
		{401, "password of users.agent2", "--target"},
		{403, "password of users.agent2", "--target"},
		{404, "check --target, the server's base URL without /api/v2", "password"},
		{500, "server's logs", "password"},
	} {
		got := loginProblem(RoleAgent2, "cf_agent2", c.status)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.avoid) {
			t.Errorf("HTTP %d: %q; want %q, not %q", c.status, got, c.want, c.avoid)
		}
	}
}
