// Command bayeuxbench (make bench-bayeux) measures the bayeux long-polling server against
// faye 1.4.3 under the same load, in one run.
//
// Load: -sessions long-polling sessions on 127.0.0.1, each subscribed to its own channel
// and always holding a /meta/connect, and events published server-side through the same
// HTTP endpoint on both servers (POST /publish → bayeux.Server.Publish, or faye's engine),
// round-robin over the channels, each stamped with its publish time. Every rate is offered
// open-loop and evenly (a batch every 5 ms), as an application publishes whether or not
// the server keeps up. Modes:
//   - steady: each rate in -rates;
//   - max: a ramp (rates doubling from -ramp-start, then two bisection steps; a rate that
//     fails is tried once more) for the highest rate the server sustains: all of it
//     offered and delivered, nothing lost, p99 within -max-p99.
//
// For each it reports delivered events/s, p50/p99 delivery latency (publish request sent →
// event decoded by the session), the CPU the server process used, and, measured once with
// every session idle in a held connect, heap bytes per idle session: the server process's
// heap after a full GC (Go: runtime HeapAlloc; faye: V8 heapUsed after global.gc()) minus
// the same before the sessions existed, divided by the number of sessions. Both servers
// run as child processes, so the load generator's own heap is never counted.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// config is the command line.
type config struct {
	sessions   int
	rates      []int
	warmup     time.Duration
	duration   time.Duration
	drain      time.Duration
	publishers int
	rampStart  int
	rampLimit  int
	rampWarmup time.Duration
	rampFor    time.Duration
	rampBudget time.Duration
	maxP99     time.Duration
	payload    int
	hold       time.Duration
	servers    []string
	loadgen    string
	node       string
	fayeScript string
	fayeMode   string
	noMax      bool
	profile    string // the Go server's CPU profile
	memprofile string // the Go server's heap profile
}

const (
	serverBayeux = "bayeux"
	serverFaye   = "faye"
)

func main() {
	var cfg config
	var rates, servers string
	serveMode := flag.Bool("serve", false, "internal: run the Go server under test (child process)")
	flag.IntVar(&cfg.sessions, "sessions", 1000, "long-polling sessions, one channel each")
	flag.StringVar(&rates, "rates", "2000,10000", "steady offered rates, events/s in total, comma-separated")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "warm-up before each measurement")
	flag.DurationVar(&cfg.duration, "duration", 4*time.Second, "measurement window of each mode")
	flag.DurationVar(&cfg.drain, "drain", 3*time.Second, "longest wait for in-flight events after a mode")
	flag.IntVar(&cfg.publishers, "publishers", 32, "publish requests in flight at most (a batch that finds none free is not offered)")
	flag.IntVar(&cfg.rampStart, "ramp-start", 5000, "max mode: first rate of the ramp, events/s")
	flag.IntVar(&cfg.rampLimit, "ramp-limit", 160000, "max mode: the ramp stops doubling past this rate")
	flag.DurationVar(&cfg.rampWarmup, "ramp-warmup", 500*time.Millisecond, "max mode: warm-up of each step")
	flag.DurationVar(&cfg.rampFor, "ramp-duration", 2*time.Second, "max mode: measurement of each step")
	flag.DurationVar(&cfg.rampBudget, "ramp-budget", 25*time.Second, "max mode: no ramp step starts after this long")
	flag.DurationVar(&cfg.maxP99, "max-p99", 100*time.Millisecond, "max mode: the p99 latency a sustained rate may have")
	flag.IntVar(&cfg.payload, "payload", 64, "bytes of filler in each event's data")
	flag.DurationVar(&cfg.hold, "hold", 30*time.Second, "how long both servers hold a connect")
	flag.StringVar(&servers, "servers", "bayeux,faye", "servers to measure: bayeux, faye")
	flag.StringVar(&cfg.loadgen, "loadgen", loadRaw, "load generator: raw (own connection per session, HTTP written by hand), http (net/http client) or client (bayeux.Client)")
	flag.StringVar(&cfg.node, "node", "node", "Node.js binary for faye")
	flag.StringVar(&cfg.fayeScript, "faye-script", filepath.Join("bayeux", "testdata", "faye-bench.mjs"), "the faye server script")
	flag.StringVar(&cfg.fayeMode, "faye-publish", "engine", "faye's publish path: engine or client (getClient().publish)")
	flag.BoolVar(&cfg.noMax, "no-max", false, "skip the max mode (the ramp)")
	flag.StringVar(&cfg.profile, "server-cpuprofile", "", "write a CPU profile of the Go server process to this file")
	flag.StringVar(&cfg.memprofile, "server-memprofile", "", "write a heap profile of the Go server process, taken with every session idle, to this file")
	flag.Parse()

	if *serveMode {
		if err := serve(cfg.hold, cfg.profile, cfg.memprofile); err != nil {
			fmt.Fprintln(os.Stderr, "bayeuxbench -serve:", err)
			os.Exit(1)
		}
		return
	}
	var err error
	if cfg.rates, err = parseRates(rates); err == nil {
		cfg.servers, err = parseServers(servers)
	}
	if err == nil {
		err = cfg.check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-bayeux:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-bayeux:", err)
		os.Exit(1)
	}
}

func parseRates(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-rates: %q is not a positive number of events/s", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseServers(s string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		switch f = strings.TrimSpace(f); f {
		case serverBayeux, serverFaye:
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		case "":
		default:
			return nil, fmt.Errorf("-servers: unknown server %q (want bayeux, faye)", f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-servers: none given")
	}
	return out, nil
}

func (c config) check() error {
	switch {
	case c.sessions < 1:
		return fmt.Errorf("-sessions must be at least 1")
	case c.duration <= 0 || c.warmup < 0 || c.drain < 0:
		return fmt.Errorf("-duration must be positive, -warmup and -drain not negative")
	case c.rampStart < 1 || c.rampLimit < c.rampStart || c.rampFor <= 0 || c.rampWarmup < 0 || c.maxP99 <= 0 || c.rampBudget <= 0:
		return fmt.Errorf("-ramp-start, -ramp-limit (≥ -ramp-start), -ramp-duration, -ramp-budget and -max-p99 must be positive")
	case c.publishers < 1:
		return fmt.Errorf("-publishers must be at least 1")
	case c.payload < 0:
		return fmt.Errorf("-payload must not be negative")
	case c.loadgen != loadRaw && c.loadgen != loadHTTP && c.loadgen != loadClient:
		return fmt.Errorf("-loadgen: %q (want raw, http or client)", c.loadgen)
	case c.fayeMode != "engine" && c.fayeMode != "client":
		return fmt.Errorf("-faye-publish: %q (want engine or client)", c.fayeMode)
	case c.hold < time.Second:
		return fmt.Errorf("-hold must be at least 1s")
	}
	return nil
}

// run measures every server in turn and prints the table.
func run(ctx context.Context, cfg config, out io.Writer) error {
	// Each session is one socket in the generator and one in the server; plus spares.
	if err := raiseFDLimit(uint64(2*cfg.sessions + 512)); err != nil {
		return err
	}
	// faye runs first: the Go server is then also measured at faye's highest sustained
	// rate, so the two p99s can be compared at the same load.
	order := slices.Clone(cfg.servers)
	slices.SortStableFunc(order, func(a, b string) int {
		return cmp.Compare(boolInt(a != serverFaye), boolInt(b != serverFaye))
	})
	byName := map[string]serverResult{}
	fayeMax := 0
	for _, name := range order {
		fmt.Fprintf(os.Stderr, "bench-bayeux: measuring %s…\n", name)
		c, err := startServer(cfg, name)
		if err != nil {
			return err
		}
		extra := 0
		if name != serverFaye {
			extra = fayeMax
		}
		r, err := benchServer(ctx, cfg, name, c.base, extra)
		if serr := c.stop(); err == nil && serr != nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if name == serverFaye {
			fayeMax = r.maxRate
		}
		byName[name] = r
	}
	var results []serverResult
	for _, name := range cfg.servers {
		results = append(results, byName[name])
	}
	return writeReport(out, cfg, results)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func startServer(cfg config, name string) (*child, error) {
	if name == serverFaye {
		if _, err := os.Stat(cfg.fayeScript); err != nil {
			return nil, fmt.Errorf("faye script: %w (run from the repository root)", err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(cfg.fayeScript), "..", "..", "node_modules", "faye", "package.json")); err != nil {
			return nil, fmt.Errorf("faye is not installed: run `make deps` (npm ci) at the repository root: %w", err)
		}
		secs := strconv.Itoa(int(cfg.hold / time.Second))
		return startChild(serverFaye, cfg.node, "--expose-gc", cfg.fayeScript, secs, cfg.fayeMode)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to start the Go server: %w", err)
	}
	args := []string{self, "-serve", "-hold", cfg.hold.String()}
	for flag, file := range map[string]string{"-server-cpuprofile": cfg.profile, "-server-memprofile": cfg.memprofile} {
		if file == "" {
			continue
		}
		p, err := filepath.Abs(file)
		if err != nil {
			return nil, err
		}
		args = append(args, flag, p)
	}
	return startChild(serverBayeux, args...)
}

// serverResult is what was measured for one server.
type serverResult struct {
	name         string
	heapPerIdle  float64 // bytes
	rssPerIdle   float64 // bytes
	phases       []phaseResult
	errors       int64
	rehandshakes int64
	ramp         []rampStep
	rampCut      bool // the ramp stopped because its time budget was spent
	maxRate      int  // the highest rate sustained (0: none, or no ramp)
}

// atFayeMax labels the mode that offers faye's highest sustained rate to another server.
const atFayeMax = "at faye max"

// benchServer runs every mode against the server at base, and then offers extraRate (if
// not 0) as the mode atFayeMax.
func benchServer(ctx context.Context, cfg config, name, base string, extraRate int) (serverResult, error) {
	res := serverResult{name: name}
	g := newLoadgen(cfg, base)
	var h0, h1 heapStats
	if err := g.getJSON(ctx, "/heap", &h0); err != nil {
		return res, fmt.Errorf("baseline heap: %w", err)
	}
	err := g.start(ctx)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = g.stop(cctx)
	}()
	if err != nil {
		return res, fmt.Errorf("opening sessions: %w", err)
	}
	if err := g.waitHeld(ctx, 20*time.Second); err != nil {
		return res, err
	}
	if err := g.getJSON(ctx, "/heap", &h1); err != nil {
		return res, fmt.Errorf("idle heap: %w", err)
	}
	n := float64(cfg.sessions)
	res.heapPerIdle = float64(h1.Heap-h0.Heap) / n
	res.rssPerIdle = float64(h1.RSS-h0.RSS) / n

	for _, rate := range cfg.rates {
		p, err := g.runPhase(ctx, rate, cfg.warmup, cfg.duration)
		if err != nil {
			return res, err
		}
		p.mode = fmt.Sprintf("%d/s", rate)
		res.phases = append(res.phases, p)
	}
	if !cfg.noMax {
		best, steps, cut, err := g.ramp(ctx)
		if err != nil {
			return res, err
		}
		best.mode = "max"
		res.phases = append(res.phases, best)
		res.ramp, res.rampCut, res.maxRate = steps, cut, best.rate
	}
	if extraRate > 0 {
		p, err := g.runPhase(ctx, extraRate, cfg.warmup, cfg.duration)
		if err != nil {
			return res, err
		}
		p.mode = atFayeMax
		res.phases = append(res.phases, p)
	}
	res.errors, res.rehandshakes = g.errs.Load(), g.rehands.Load()
	return res, nil
}

// rampStep is one rate tried by the ramp.
type rampStep struct {
	rate int
	phaseResult
	why string // why the rate was not sustained; "" if it was
}

// ramp looks for the highest rate the server sustains: rates double from rampStart until
// one is not sustained or rampLimit is passed, then two bisection steps narrow the gap.
// best is the zero phaseResult if not even rampStart was sustained.
func (g *loadgen) ramp(ctx context.Context) (best phaseResult, steps []rampStep, cut bool, err error) {
	// A rate that fails is tried once more: one stall of a shared machine (the other
	// process, anything else running) should not end the ramp. No try starts once the
	// time budget is spent (cut), so a slow machine still finishes in bounded time.
	deadline := time.Now().Add(g.cfg.rampBudget)
	try := func(rate int) (bool, error) {
		for range 2 {
			if time.Now().After(deadline) {
				cut = true
				return false, nil
			}
			p, err := g.runPhase(ctx, rate, g.cfg.rampWarmup, g.cfg.rampFor)
			if err != nil {
				return false, err
			}
			st := rampStep{rate: rate, phaseResult: p, why: g.unsustained(p, rate)}
			steps = append(steps, st)
			if st.why == "" {
				if p.delivered > best.delivered {
					best = p
				}
				return true, nil
			}
		}
		return false, nil
	}
	good, bad := 0, 0
	for rate := g.cfg.rampStart; rate <= g.cfg.rampLimit; rate *= 2 {
		ok, err := try(rate)
		if err != nil || cut {
			return best, steps, cut, err
		}
		if !ok {
			bad = rate
			break
		}
		good = rate
	}
	for range 2 {
		mid := (good + bad) / 2 / 500 * 500
		if bad == 0 || mid <= good || mid >= bad {
			break
		}
		ok, err := try(mid)
		if err != nil || cut {
			return best, steps, cut, err
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	return best, steps, false, nil
}

// unsustained says why rate was not sustained in p, or "" if it was: at least 97% of it
// offered (the server took the publishes in time) and delivered, nothing lost, p99 within
// maxP99.
func (g *loadgen) unsustained(p phaseResult, rate int) string {
	switch r := float64(rate); {
	case p.lost > 0:
		return fmt.Sprintf("%d lost", p.lost)
	case p.offered < 0.97*r:
		return fmt.Sprintf("only %.0f/s offered", p.offered)
	case p.delivered < 0.97*r:
		return fmt.Sprintf("only %.0f/s delivered", p.delivered)
	case p.p99 > g.cfg.maxP99:
		return "p99 " + fmtDur(p.p99)
	}
	return ""
}

// phaseResult is one mode measured against one server.
type phaseResult struct {
	mode      string
	rate      int     // offered rate asked of the publisher, events/s
	offered   float64 // events/s published within the window
	delivered float64 // events/s received within the window
	p50, p99  time.Duration
	samples   int
	lost      int64   // published within the window, never received
	skipped   int64   // steady mode: events the publisher could not send in time
	srvCPU    float64 // server process CPU, in cores
	genCPU    float64 // load generator CPU, in cores
	otherCPU  float64 // CPU the rest of the machine used meanwhile, in cores
	polls     float64 // connect replies/s within the window
	pubP50    time.Duration
	pubP99    time.Duration
}

// runPhase offers rate events/s for warmup+duration, measures over the duration, then
// waits for in-flight events and computes the figures.
func (g *loadgen) runPhase(ctx context.Context, rate int, warmup, duration time.Duration) (phaseResult, error) {
	res := phaseResult{rate: rate}
	g.collect() // forget what earlier modes left
	start := time.Now()
	w := window{from: start.Add(warmup).UnixNano(), to: start.Add(warmup + duration).UnixNano()}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var offered, skipped atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.publishSteady(pctx, rate, w, &offered, &skipped)
	}()
	pause(ctx, time.Until(time.Unix(0, w.from)))
	var st0, st1 serverStats
	if err := g.getJSON(ctx, "/stats", &st0); err != nil {
		return res, err
	}
	gen0, polls0, busy0 := processCPUMicros(), g.polls.Load(), machineBusyMicros()
	g.pubMu.Lock()
	g.pubTimes = g.pubTimes[:0]
	g.pubMu.Unlock()
	pause(ctx, time.Until(time.Unix(0, w.to)))
	polls1 := g.polls.Load()
	g.pubMu.Lock()
	pubTimes := slices.Clone(g.pubTimes)
	g.pubMu.Unlock()
	if err := g.getJSON(ctx, "/stats", &st1); err != nil {
		return res, err
	}
	gen1, busy1 := processCPUMicros(), machineBusyMicros()
	stop()
	<-done
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	g.drain(ctx, g.cfg.drain)

	secs := duration.Seconds()
	res.srvCPU = float64(st1.CPUMicros-st0.CPUMicros) / 1e6 / secs
	res.genCPU = float64(gen1-gen0) / 1e6 / secs
	if busy0 > 0 && busy1 > 0 {
		res.otherCPU = max(float64(busy1-busy0)/1e6/secs-res.srvCPU-res.genCPU, 0)
	}
	var lat []int64
	delivered := 0
	for _, s := range g.collect() {
		if w.has(s.recv) {
			delivered++
		}
		if w.has(s.pub) {
			lat = append(lat, s.recv-s.pub)
		}
	}
	res.offered = float64(offered.Load()) / secs
	res.delivered = float64(delivered) / secs
	res.samples = len(lat)
	res.lost = max(offered.Load()-int64(len(lat)), 0)
	res.skipped = skipped.Load()
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	res.polls = float64(polls1-polls0) / secs
	res.pubP50, res.pubP99 = percentile(pubTimes, 0.50), percentile(pubTimes, 0.99)
	return res, nil
}

// percentile is the nearest-rank q-quantile of xs (ns); xs is sorted in place.
func percentile(xs []int64, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	if !slices.IsSorted(xs) {
		slices.Sort(xs)
	}
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return time.Duration(xs[min(max(i, 0), len(xs)-1)])
}

// cpus is what the report names as the machine.
func cpus() int { return runtime.NumCPU() }
