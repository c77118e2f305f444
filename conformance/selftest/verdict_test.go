package selftest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/spec"
)

// Time to a verdict. The suite must not wait out a timeout for what it already knows:
// a notification that came wrong is reported at once, and what the first probe found
// (no notification at all, a /meta/connect or REST that does not answer) fails the specs
// that depend on it at once. These runs check the verdicts; their times are printed, not
// asserted (a loaded machine must not fail the build).

// defaultTimeouts replaces the self-test's fast timeouts with the suite's defaults (a
// later --timeouts replaces an earlier one; poll=20ms is the default).
var defaultTimeouts = []string{"--timeouts", "poll=20ms"}

// slowest formats the n slowest verdicts of times, slowest first.
func slowest(times map[string]time.Duration, n int) string {
	names := make([]string, 0, len(times))
	for name := range times {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if times[names[i]] != times[names[j]] {
			return times[names[i]] > times[names[j]]
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	for i, name := range names[:min(n, len(names))] {
		fmt.Fprintf(&b, "%d. %s %.1f s\n", i+1, name, times[name].Seconds())
	}
	return b.String()
}

// wrongNotificationsFailFast: a notification about the spec's own interaction that came
// wrong (another referenceId, channel or messageType) fails the spec at once, naming the
// field. The runs give the notification timeout 10 minutes and the spec 20 s: a suite that
// waited for a right message to come would end in the spec timeout, with no rule named.
func (h harness) wrongNotificationsFailFast(t *testing.T) {
	table := catches()
	for _, name := range []string{"wrong-reference-id", "wrong-channel", "wrong-message-type", "reference-id-to-other-subscribers"} {
		t.Run(name, func(t *testing.T) {
			c := table[name]
			m := startMock(t, mockserver.Config{Deviations: []mockserver.Deviation{mockserver.Deviation(name)}})
			o := h.run(t, m.url, "-ginkgo.label-filter="+labelFilter(c.specs), "--timeouts", fastTimeouts+",notification=10m,spec=20s")
			caught, by := judge(t, o, c)
			if caught {
				t.Logf("%s: %s, in %.1f s", name, by, o.took.Seconds())
			}
		})
	}
}

// hangingServer accepts connections and never answers: every request is held until the
// client gives up or the test ends.
func hangingServer(t *testing.T) string {
	return hangingProxy(t, "", func(*http.Request, []byte) bool { return true })
}

// hangingProxy puts upstream (the mock) behind a reverse proxy that never answers the
// requests hang picks (by request and body); the rest go through.
func hangingProxy(t *testing.T, upstream string, hang func(r *http.Request, body []byte) bool) string {
	t.Helper()
	var proxy *httputil.ReverseProxy
	if upstream != "" {
		u, err := url.Parse(upstream)
		if err != nil {
			t.Fatal(err)
		}
		proxy = httputil.NewSingleHostReverseProxy(u)
		proxy.FlushInterval = -1 // held CometD connects pass straight through
		// The suite gives up on held requests; that is the point, not worth a log line.
		proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	}
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if proxy == nil || hang(r, body) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) }) // runs before ts.Close, which waits for the handlers
	return ts.URL
}

// isConnect picks the Bayeux requests that carry a /meta/connect.
func isConnect(r *http.Request, body []byte) bool {
	return r.URL.Path == spec.CometDPath && bytes.Contains(body, []byte(`"/meta/connect"`))
}

// isAPIPost picks the POSTs of the REST API (not CometD, not the mock's control plane).
func isAPIPost(r *http.Request, _ []byte) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, spec.BasePath+"/") && r.URL.Path != spec.CometDPath
}

// failedWith reports whether spec id failed with a reason containing every one of want.
func failedWith(o outcome, id string, want ...string) (conformance.SpecResult, bool) {
	s, ok := o.spec(id)
	return s, ok && s.State == conformance.StateFailed && !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(s.Reason, w) })
}

// hangingTargets: against a target whose /meta/connect never returns, whose REST POSTs
// never return, or that never answers at all, the run ends in a failure that names the
// finding (the first probe's, or the login's), with the suite's default timeouts, instead
// of every spec waiting out its own. The times are logged.
func (h harness) hangingTargets(t *testing.T) {
	type target struct {
		name  string
		url   func(t *testing.T) string
		check func(t *testing.T, o outcome)
	}
	targets := []target{
		{"connect-hangs", func(t *testing.T) string {
			return hangingProxy(t, startMock(t, mockserver.Config{}).url, isConnect)
		}, func(t *testing.T, o outcome) {
			if s, ok := failedWith(o, "pull-workitem.workbins-url", "the target delivered no CometD notification in the first probe", "/meta/connect"); !ok {
				t.Errorf("pull-workitem.workbins-url: %s, want failed with the first probe's finding: %s", s.State, firstLines(s.Reason, 6))
			}
			if s, ok := failedWith(o, "bayeux.first-connect", "the first probe found that the target does not answer a first /meta/connect at once"); !ok {
				t.Errorf("bayeux.first-connect: %s, want failed with the first probe's finding: %s", s.State, firstLines(s.Reason, 6))
			}
		}},
		{"rest-post-hangs", func(t *testing.T) string {
			return hangingProxy(t, startMock(t, mockserver.Config{}).url, isAPIPost)
		}, func(t *testing.T, o outcome) {
			if s, ok := failedWith(o, "pull-workitem.workbins-url", "the first probe found that the target does not answer POST requests"); !ok {
				t.Errorf("pull-workitem.workbins-url: %s, want failed with the first probe's finding: %s", s.State, firstLines(s.Reason, 6))
			}
		}},
		{"rest-hangs", hangingServer, func(t *testing.T, o outcome) {
			if len(o.report.SetupFailures) == 0 || !strings.Contains(o.report.SetupFailures[0].Reason, "got no response within 10s, timeouts.request: the target accepts connections but does not answer") {
				t.Errorf("setup failures %+v: want the login's finding", o.report.SetupFailures)
			}
		}},
	}
	var (
		mu    sync.Mutex
		times = map[string]time.Duration{}
	)
	sem := make(chan struct{}, parallelRuns)
	t.Run("each", func(t *testing.T) {
		for _, tg := range targets {
			t.Run(tg.name, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				o := h.run(t, tg.url(t), defaultTimeouts...)
				if o.code == 0 || o.report.Result != conformance.ResultFailure {
					t.Errorf("exit %d, result %s: a target that does not answer must fail\n%s", o.code, o.report.Result, tail(o.output))
				}
				tg.check(t, o)
				mu.Lock()
				times[tg.name] = o.took
				mu.Unlock()
			})
		}
	})
	t.Logf("time to verdict with the default timeouts (%d runs at once):\n%s", parallelRuns, slowest(times, len(times)))
}
