package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/observe"
	"github.com/workbinkit/workbinkit/proxy"
	"github.com/workbinkit/workbinkit/spec"
)

// The proofs of the proxy drive it with the conformance suite, built once per test binary.

var (
	suiteOnce sync.Once
	suiteBin  string
	suiteErr  error
	suiteDir  string
)

// suiteBinary builds the suite's test binary (go test -c ./conformance) once.
func suiteBinary(t *testing.T) string {
	t.Helper()
	suiteOnce.Do(func() {
		suiteDir, suiteErr = os.MkdirTemp("", "workbinkit-proxy-suite-")
		if suiteErr != nil {
			return
		}
		suiteBin = filepath.Join(suiteDir, "conformance.test")
		out, err := exec.Command(goTool(), "test", "-c", "-o", suiteBin, "github.com/workbinkit/workbinkit/conformance").CombinedOutput()
		if err != nil {
			suiteErr = errors.New("go test -c ./conformance: " + err.Error() + "\n" + string(out))
		}
	})
	if suiteErr != nil {
		t.Fatal(suiteErr)
	}
	return suiteBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if suiteDir != "" {
		os.RemoveAll(suiteDir)
	}
	os.Exit(code)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

var contractOnce = sync.OnceValues(spec.Load)

func contract(t testing.TB) *spec.Contract {
	t.Helper()
	c, err := contractOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fastTimeouts are the self-test's: nothing waits for them when the mock behaves.
const fastTimeouts = "request=5s,notification=4s,consistency=3s,provision=5s,immediate=5s,spec=30s"

// observeOptions suit the suite on loopback: the notification window is shorter than the
// suite's own wait, so a spec that waited in vain has kept its client long enough for the
// proxy to decide.
func observeOptions() observe.Options {
	return observe.Options{NotificationWindow: 2 * time.Second, Settle: 500 * time.Millisecond}
}

// rig is a mock, the proxy in front of it, and what the proxy found.
type rig struct {
	mock    *httptest.Server
	front   *httptest.Server
	proxy   *proxy.Proxy
	checker *observe.Checker
	rec     *har.Writer
	recBuf  *lockedBuffer
	mu      sync.Mutex
	lines   []string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

type rigOptions struct {
	deviations []mockserver.Deviation
	record     bool
	observe    observe.Options
}

func startRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	srv, err := mockserver.New(mockserver.Config{Deviations: o.deviations, Contract: contract(t)})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{mock: httptest.NewServer(srv)}
	oo := o.observe
	if oo.NotificationWindow == 0 {
		oo = observeOptions()
	}
	oo.OnFinding = func(f observe.Finding) {
		r.mu.Lock()
		r.lines = append(r.lines, f.Line())
		r.mu.Unlock()
	}
	r.checker = observe.New(contract(t), oo)
	up, _ := url.Parse(r.mock.URL)
	cfg := proxy.Config{Upstream: up, Checker: r.checker}
	if o.record {
		r.recBuf = &lockedBuffer{}
		r.rec, err = har.NewWriter(r.recBuf, har.Creator{Name: "workbinkit", Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Record, cfg.Pseudonyms = r.rec, observe.NewPseudonyms()
	}
	r.proxy, err = proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.front = httptest.NewServer(r.proxy)
	t.Cleanup(func() {
		r.front.CloseClientConnections()
		r.front.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		r.mock.Close()
	})
	return r
}

// stop ends the observation: client connections closed, every exchange judged, the
// expectations decided.
func (r *rig) stop(t *testing.T) *observe.Result {
	t.Helper()
	r.front.CloseClientConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.proxy.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r.checker.Finish(time.Now())
	if r.rec != nil {
		if err := r.rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return r.checker.Result()
}

// suiteRun is one run of the suite binary.
type suiteRun struct {
	code   int
	output string
	report conformance.Report
}

// runSuite runs the suite binary against target.
func runSuite(t *testing.T, target string, args ...string) suiteRun {
	t.Helper()
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "report.json")
	all := append([]string{"-test.run=^TestConformance$", "--target", target, "--timeouts", fastTimeouts,
		"--report-json", jsonPath, "--report-markdown", filepath.Join(dir, "report.md"),
		"-ginkgo.timeout=2m", "-ginkgo.no-color"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suiteBinary(t), all...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	run := suiteRun{output: out.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		run.code = ee.ExitCode()
	default:
		t.Fatalf("running the suite: %v\n%s", err, tail(run.output, 40))
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("the suite wrote no report (exit %d): %v\n%s", run.code, err, tail(run.output, 40))
	}
	if err := json.Unmarshal(b, &run.report); err != nil {
		t.Fatal(err)
	}
	return run
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// labelFilter selects specs by id.
func labelFilter(ids ...string) string {
	f := make([]string, len(ids))
	for i, id := range ids {
		f[i] = "id:" + id
	}
	return strings.Join(f, " || ")
}
