package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/nodetest"
)

func TestPercentile(t *testing.T) {
	xs := []int64{9, 1, 8, 2, 7, 3, 6, 4, 5, 10}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.99, 10}, {0.1, 1}, {0, 1}, {1, 10}} {
		if got := percentile(xs, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
}

func TestParseFlags(t *testing.T) {
	if r, err := parseRates(" 2000, 10000,"); err != nil || len(r) != 2 || r[0] != 2000 || r[1] != 10000 {
		t.Errorf("parseRates = %v, %v", r, err)
	}
	for _, bad := range []string{"x", "-5", "0", "1.5"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("parseRates(%q): no error", bad)
		}
	}
	if s, err := parseServers("faye, bayeux,faye"); err != nil || strings.Join(s, ",") != "faye,bayeux" {
		t.Errorf("parseServers = %v, %v", s, err)
	}
	for _, bad := range []string{"", "cometd", ","} {
		if _, err := parseServers(bad); err == nil {
			t.Errorf("parseServers(%q): no error", bad)
		}
	}
}

// smallConfig is a run small enough for a unit test.
func smallConfig(loadgen string) config {
	return config{
		sessions: 20, rates: []int{400}, warmup: 50 * time.Millisecond, duration: 300 * time.Millisecond,
		drain: 20 * time.Second, publishers: 4, rampStart: 400, rampLimit: 400, rampWarmup: 50 * time.Millisecond,
		rampFor: 200 * time.Millisecond, rampBudget: time.Minute, maxP99: 2 * time.Second, payload: 16, hold: 5 * time.Second,
		servers: []string{serverBayeux}, loadgen: loadgen, fayeMode: "engine",
	}
}

// checkResult checks what every run must give, whatever the speed of the machine (no
// rate or latency is asserted: speed is for make bench-bayeux): every mode ran, every
// event offered in a window arrived, events did arrive, the figures are consistent, and
// the max mode agrees with the ramp.
func checkResult(t *testing.T, r serverResult, rate int, modes ...string) {
	t.Helper()
	samples := 0
	for _, mode := range modes {
		p, ok := r.phase(mode)
		if !ok {
			t.Errorf("no %s mode in %+v", mode, r.phases)
			continue
		}
		samples += p.samples
		if p.lost > 0 || p.p50 > p.p99 || p.samples > 0 && p.p50 <= 0 || p.delivered < 0 || p.srvCPU < 0 {
			t.Errorf("%s: %+v", mode, p)
		}
	}
	if samples == 0 {
		t.Error("no event arrived in any mode")
	}
	// One ramp rate (ramp-limit = ramp-start), tried again if it failed: the max mode is
	// that rate exactly when the last try passed.
	if len(r.ramp) == 0 || len(r.ramp) > 2 {
		t.Fatalf("ramp %+v: want 1 or 2 tries", r.ramp)
	}
	last := r.ramp[len(r.ramp)-1]
	if max, _ := r.phase("max"); last.rate != rate || (last.why == "") != (max.rate == rate) ||
		len(r.ramp) == 2 && r.ramp[0].why == "" {
		t.Errorf("max %+v, ramp %+v", max, r.ramp)
	}
}

// The whole measurement against the Go server in this process, with each load generator;
// every session is gone afterwards.
func TestBenchAgainstGoServer(t *testing.T) {
	t.Parallel()
	for _, lg := range []string{loadRaw, loadHTTP, loadClient} {
		t.Run(lg, func(t *testing.T) {
			t.Parallel()
			srv, h := newBenchServer(5*time.Second, "")
			ts := httptest.NewServer(h)
			defer ts.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			r, err := benchServer(ctx, smallConfig(lg), serverBayeux, ts.URL, 400)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r, 400, "400/s", "max", atFayeMax)
			if at, _ := r.phase(atFayeMax); at.rate != 400 {
				t.Errorf("%s: %+v", atFayeMax, at)
			}
			if n := len(srv.Sessions()); n != 0 {
				t.Errorf("%d sessions left after the run", n)
			}
		})
	}
}

// The faye script speaks the same control protocol, and exits when its stdin closes.
func TestBenchAgainstFaye(t *testing.T) {
	t.Parallel()
	script := filepath.Join("..", "..", "testdata", "faye-bench.mjs")
	node := nodetest.Require(t, "faye")
	c, err := startChild(serverFaye, node, "--expose-gc", script, "5", "engine")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	r, err := benchServer(ctx, smallConfig(loadRaw), serverFaye, c.base, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, 400, "400/s", "max")
	if _, ok := r.phase(atFayeMax); ok {
		t.Errorf("faye measured at its own max: %+v", r.phases)
	}
	g := newLoadgen(smallConfig(loadRaw), c.base)
	var st serverStats
	if err := g.getJSON(ctx, "/stats", &st); err != nil || st.Sessions != 0 || st.CPUMicros <= 0 {
		t.Errorf("faye stats %+v (%v): want no session left, some CPU used", st, err)
	}
	var hs heapStats
	if err := g.getJSON(ctx, "/heap", &hs); err != nil || hs.Heap <= 0 || hs.RSS <= 0 {
		t.Errorf("faye heap %+v (%v)", hs, err)
	}
}

func TestUnsustained(t *testing.T) {
	g := &loadgen{cfg: config{maxP99: 100 * time.Millisecond}}
	ok := phaseResult{offered: 1000, delivered: 990, p99: 50 * time.Millisecond}
	if why := g.unsustained(ok, 1000); why != "" {
		t.Errorf("sustained rate refused: %s", why)
	}
	for want, p := range map[string]phaseResult{
		"3 lost":               {offered: 1000, delivered: 1000, lost: 3},
		"only 900/s offered":   {offered: 900, delivered: 900},
		"only 960/s delivered": {offered: 1000, delivered: 960},
		"p99 101.0ms":          {offered: 1000, delivered: 1000, p99: 101 * time.Millisecond},
	} {
		if why := g.unsustained(p, 1000); why != want {
			t.Errorf("unsustained(%+v) = %q, want %q", p, why, want)
		}
	}
}

func TestReport(t *testing.T) {
	ph := func(mode string, rate int, delivered float64, p99 time.Duration) phaseResult {
		return phaseResult{mode: mode, rate: rate, offered: float64(rate), delivered: delivered, p50: p99 / 4, p99: p99,
			srvCPU: delivered / 40000}
	}
	results := []serverResult{
		{name: serverBayeux, heapPerIdle: 16 << 10, phases: []phaseResult{ph("2000/s", 2000, 2000, time.Millisecond),
			ph("max", 40000, 40000, 80*time.Millisecond), ph(atFayeMax, 15000, 15000, 9*time.Millisecond)},
			ramp: []rampStep{{rate: 5000}, {rate: 80000, why: "p99 120.0ms"}}},
		{name: serverFaye, heapPerIdle: 8 << 10, phases: []phaseResult{ph("2000/s", 2000, 2000, 4*time.Millisecond),
			ph("max", 15000, 15000, 40*time.Millisecond)}},
	}
	var out bytes.Buffer
	cfg := smallConfig(loadRaw)
	if err := writeReport(&out, cfg, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"2000/s       bayeux  2000",
		"at faye max  bayeux  15000",
		"ratio (bayeux/faye): 2000/s: delivered ×1.00, p99 ×0.25, CPU/event ×1.00; max: delivered ×2.67, p99 ×2.00, CPU/event ×1.00; heap/idle-session ×2.00",
		"25µs",
		"): met (×2.67; p99 at 15000/s: 9.00ms vs 40.0ms)",
		"bayeux ramp: 5000 ✓ (p99 –); 80000 ✗ (p99 120.0ms);",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	results[0].phases[2].p99 = 50 * time.Millisecond // worse than faye at faye's max
	out.Reset()
	if err := writeReport(&out, cfg, results); err != nil || !strings.Contains(out.String(), "): missed (") {
		t.Errorf("report with a worse p99 at faye's max:\n%s", out.String())
	}
}

// The ramp starts no try once its time budget is spent.
func TestRampBudget(t *testing.T) {
	cfg := smallConfig(loadRaw)
	cfg.rampBudget = -time.Second              // spent before the ramp starts
	g := newLoadgen(cfg, "http://127.0.0.1:1") // never contacted
	best, steps, cut, err := g.ramp(t.Context())
	if err != nil || !cut || len(steps) != 0 || best.rate != 0 {
		t.Errorf("ramp = %+v, %+v, cut %v, %v; want cut before any step", best, steps, cut, err)
	}
}
