package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
)

// gateTimeout bounds one run of the suite binary in these tests.
const gateTimeout = 2 * time.Minute

// TestGate builds the suite binary (as make conformance-binary does) and checks the gate:
// no target is a usage error (exit 2) for the binary and for go test given the suite's
// flags; go test without them runs the unit tests; an interrupted or timed-out run
// still writes complete reports, marked interrupted, before it exits.
func TestGate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the suite binary")
	}
	bin := filepath.Join(t.TempDir(), "conformance.test")
	if out, err := exec.Command(goTool(), "test", "-c", "-o", bin, "github.com/workbinkit/workbinkit/conformance").CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"binary without target", nil, 2, "no target: give --target"},
		{"binary with a ginkgo flag only", []string{"-ginkgo.no-color", "--report-json=r.json"}, 2, "no target"},
		{"empty target (an unset CI variable)", []string{"--target="}, 2, "--target is empty"},
		{"empty config", []string{"--config="}, 2, "--config is empty"},
		{"go test with a suite flag but no target", []string{"-test.paniconexit0", "--features=all"}, 2, "no target"},
		{"go test -run TestConformance without target", []string{"-test.paniconexit0", "-test.run=^TestConformance$"}, 2, "no target"},
		{"go test without suite flags runs the unit tests", []string{"-test.paniconexit0", "-test.run=^TestRunLimit$"}, 0, "PASS"},
		{"binary selecting unit tests", []string{"-test.run=^TestRunLimit$", "-test.v"}, 0, "--- PASS: TestRunLimit"},
		{"list-needs needs no target", []string{"--list-needs"}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := runBin(t, bin, t.TempDir(), c.args...)
			if o.code != c.code || !strings.Contains(o.out, c.say) {
				t.Errorf("exit %d, want %d with %q:\n%s", o.code, c.code, c.say, o.out)
			}
			if c.code == 2 && strings.Contains(o.out, "PASS") {
				t.Errorf("a usage error says PASS:\n%s", o.out)
			}
		})
	}
	t.Run("make conform without TARGET", func(t *testing.T) {
		if _, err := exec.LookPath("make"); err != nil {
			t.Skip("no make")
		}
		cmd := exec.Command("make", "-s", "-C", "..", "conform", "TARGET=")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage: make conform TARGET=") {
			t.Errorf("make conform TARGET=: %v\n%s", err, out)
		}
	})
	for _, sig := range []struct {
		name string
		sig  os.Signal
	}{{"SIGINT", os.Interrupt}, {"SIGTERM", syscall.SIGTERM}} {
		t.Run(sig.name+" writes reports marked interrupted", func(t *testing.T) {
			if runtime.GOOS == "windows" {
				t.Skip("no signals to a process on Windows")
			}
			h := startHangingTarget(t)
			dir := t.TempDir()
			cmd, out := startBin(t, bin, dir, append(reportArgs(dir), "--target", h.url, "--timeouts", "request=1h,spec=1h")...)
			r := waitInBackground(cmd)
			h.waitConn(t, r, out)
			if err := cmd.Process.Signal(sig.sig); err != nil {
				t.Fatal(err)
			}
			code := exitCode(t, r.wait(), out)
			rep := checkReports(t, dir, code, out)
			if rep.Interrupted.Cause != conformance.InterruptSignal || rep.Interrupted.Reason != "interrupted by "+sig.name {
				t.Errorf("interruption %+v", rep.Interrupted)
			}
		})
	}
	t.Run("deadline writes reports marked interrupted", func(t *testing.T) {
		h := startHangingTarget(t)
		dir := t.TempDir()
		cmd, out := startBin(t, bin, dir, append(reportArgs(dir), "--target", h.url, "--timeouts", "request=1h,spec=1h", "--deadline", "2s")...)
		code := exitCode(t, cmd.Wait(), out)
		rep := checkReports(t, dir, code, out)
		if rep.Interrupted.Cause != conformance.InterruptDeadline || !strings.Contains(rep.Interrupted.Reason, "2s (--deadline)") {
			t.Errorf("interruption %+v", rep.Interrupted)
		}
	})
}

func reportArgs(dir string) []string {
	return []string{"-ginkgo.no-color",
		"--report-json", filepath.Join(dir, "r.json"), "--report-markdown", filepath.Join(dir, "r.md"),
		"--report-junit", filepath.Join(dir, "junit.xml"), "--report-ginkgo-json", filepath.Join(dir, "ginkgo.json")}
}

// checkReports reads the four reports of an interrupted run: all there, 0644, marked
// interrupted, the specs not run as such, nothing skipped for it.
func checkReports(t *testing.T, dir string, code int, out *syncBuffer) conformance.Report {
	t.Helper()
	if code != 1 {
		t.Errorf("an interrupted run exits %d, want 1:\n%s", code, out)
	}
	for _, f := range []string{"r.json", "r.md", "junit.xml", "ginkgo.json"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s not written before the process exited: %v\n%s", f, err, out)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", f, st.Mode().Perm())
		}
	}
	var rep conformance.Report
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("r.json: %v", err)
	}
	if rep.Interrupted == nil || rep.Result != conformance.ResultFailure {
		t.Fatalf("not marked interrupted: result %s, %+v", rep.Result, rep.Interrupted)
	}
	if strings.Contains(rep.Summary, "suite setup failed") || len(rep.SetupFailures) != 1 || rep.SetupFailures[0].State != conformance.StateNotRun {
		t.Errorf("a setup cut by the interruption is not a failed setup: %s, %+v", rep.Summary, rep.SetupFailures)
	}
	if rep.Statistics.NotRun == 0 || rep.Statistics.Skipped != 0 || rep.Statistics.Passed != 0 {
		t.Errorf("statistics %+v: every claimed spec is not run, none skipped", rep.Statistics)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "r.md"))
	if !bytes.Contains(md, []byte("| Interrupted | ")) || !bytes.Contains(md, []byte("## Not run")) {
		t.Errorf("Markdown not marked interrupted:\n%s", md)
	}
	junit, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if !bytes.Contains(junit, []byte("not run: ")) || !bytes.Contains(junit, []byte("interrupted at ")) {
		t.Errorf("JUnit not marked interrupted:\n%.2000s", junit)
	}
	return rep
}

// hangingTarget accepts connections and never answers: a server whose REST hangs.
type hangingTarget struct {
	url   string
	conns chan struct{}
}

func startHangingTarget(t *testing.T) *hangingTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingTarget{url: "http://" + ln.Addr().String(), conns: make(chan struct{}, 1)}
	var mu sync.Mutex
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			select {
			case h.conns <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return h
}

// waitConn waits until the run has connected (it is in its set-up, waiting for answers).
// waitConn waits until the suite connects to h. A suite that ends first (it did not
// build, say) fails the test at once, with its output, rather than at gateTimeout.
func (h *hangingTarget) waitConn(t *testing.T, r *running, out *syncBuffer) {
	t.Helper()
	select {
	case <-h.conns:
	case <-r.done:
		t.Fatalf("the suite ended (%v) before it connected to the target:\n%s", r.err, out)
	case <-time.After(gateTimeout):
		t.Fatalf("the suite never connected to the target:\n%s", out)
	}
}

// running is a started command whose end is awaited in the background, so that a wait
// for something else can stop when the command ends first.
type running struct {
	done chan struct{}
	err  error
}

func waitInBackground(cmd *exec.Cmd) *running {
	r := &running{done: make(chan struct{})}
	go func() { r.err = cmd.Wait(); close(r.done) }()
	return r
}

func (r *running) wait() error {
	<-r.done
	return r.err
}

type outcome struct {
	code int
	out  string
}

func runBin(t *testing.T, bin, dir string, args ...string) outcome {
	t.Helper()
	cmd, out := startBin(t, bin, dir, args...)
	code := exitCode(t, cmd.Wait(), out)
	return outcome{code: code, out: out.String()}
}

func startBin(t *testing.T, bin, dir string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gateTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

func exitCode(t *testing.T, err error, out *syncBuffer) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode()
	}
	t.Fatalf("the suite binary: %v\n%s", err, out)
	return -1
}

// syncBuffer is a bytes.Buffer safe for the writes of a child's stdout and stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}
