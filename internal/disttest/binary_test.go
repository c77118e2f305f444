package disttest

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of the steps: a cold build cache makes the first `make` slow; the rest is quick.
const (
	makeTimeout    = 10 * time.Minute
	commandTimeout = 30 * time.Second
	conformTimeout = 5 * time.Minute
	mockStart      = 30 * time.Second
	mockStop       = 15 * time.Second
)

// repoRoot is the module root: two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root %s: %v", root, err)
	}
	return root
}

// gitVersion is what the Makefile links in: `git describe --tags --always --dirty`, or
// "devel" outside a git checkout.
func gitVersion(t *testing.T, root string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "devel"
	}
	return strings.TrimSpace(string(out))
}

// runMake runs make TARGET VARS... at the module root, as a user would, without what an
// enclosing make (make test) passes down: its MAKEFLAGS would carry that make's command-line
// variables (a VERSION=… there would hide the git-describe default this test checks).
func runMake(t *testing.T, root string, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds release binaries with make: not under -short")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to build what the project ships: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), makeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", root}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL" || name == "MAKEOVERRIDES"
	})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// run runs the binary with args in dir and returns its stdout, stderr and exit status.
func run(t *testing.T, bin, dir string, env []string, timeout time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", bin, strings.Join(args, " "), timeout, &o, &e)
	}
	return o.String(), e.String(), code
}

// checkVersion: `workbinkit version` names the version the Makefile linked in.
func checkVersion(t *testing.T, bin, want string) {
	t.Helper()
	out, errOut, code := run(t, bin, t.TempDir(), nil, commandTimeout, "version")
	first, _, _ := strings.Cut(out, "\n")
	if code != 0 || first != "workbinkit "+want {
		t.Errorf("version: exit %d, first line %q, want %q\n%s%s", code, first, "workbinkit "+want, out, errOut)
	}
}

// checkStatic: the binary was built as the Makefile promises (no cgo, -trimpath) and, on
// Linux, needs no dynamic loader. (The go command records no -ldflags under -trimpath, so
// the linked version is checked by checkVersion.)
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings: CGO_ENABLED=%q -trimpath=%q, want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}
	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s asks for a dynamic loader: not a static binary", bin)
		}
	}
}

// watcher collects a process's output and reports the first line holding a marker.
type watcher struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	line   chan string
	once   sync.Once
}

func newWatcher(marker string) *watcher {
	return &watcher{marker: marker, line: make(chan string, 1)}
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.marker != "" {
		sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
		for sc.Scan() {
			if strings.Contains(sc.Text(), w.marker) {
				l := sc.Text()
				w.once.Do(func() { w.line <- l })
				w.marker = ""
				break
			}
		}
	}
	return len(p), nil
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// mock is a running `workbinkit mock`.
type mock struct {
	Base string // http://127.0.0.1:PORT
	REST string // Base plus the API's base path, as the banner prints it
}

// startMock starts `BIN mock --addr 127.0.0.1:0 ARGS...` and reads where it listens from its
// banner ("REST API     http://127.0.0.1:PORT/api/v2"). The mock is stopped with SIGINT at
// the test's end and must then exit 0.
func startMock(t *testing.T, bin string, env []string, args ...string) mock {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"mock", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir, cmd.Env = t.TempDir(), append(os.Environ(), env...)
	stdout, stderr := newWatcher("REST API"), newWatcher("")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if stopped {
			return
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil { // Windows: no SIGINT
			_ = cmd.Process.Kill()
		}
		select {
		case err := <-exited:
			if err != nil && runtime.GOOS != "windows" {
				t.Errorf("the mock did not stop cleanly on SIGINT: %v\n%s", err, stderr)
			}
		case <-time.After(mockStop):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("the mock did not stop within %s of SIGINT", mockStop)
		}
	})
	var line string
	select {
	case line = <-stdout.line:
	case err := <-exited:
		stopped = true
		t.Fatalf("the mock exited before listening: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	case <-time.After(mockStart):
		t.Fatalf("the mock printed no REST API line within %s\nstdout:\n%s\nstderr:\n%s", mockStart, stdout, stderr)
	}
	fields := strings.Fields(line)
	rest := fields[len(fields)-1]
	u, err := url.Parse(rest)
	if err != nil || u.Host == "" {
		t.Fatalf("the banner's REST API line %q holds no URL: %v", line, err)
	}
	return mock{Base: u.Scheme + "://" + u.Host, REST: rest}
}

// get returns the status of GET url with the headers given as name, value pairs.
func get(t *testing.T, u string, header ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// checkMockAnswers: a user logs in with the built-in fixtures and the control plane answers
// (given the control-plane headers, name and value pairs: the admin token's).
func checkMockAnswers(t *testing.T, m mock, control ...string) {
	t.Helper()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("MaratTest:MaratTest"))
	if code := get(t, m.REST+"/me", "Authorization", basic); code != http.StatusOK {
		t.Errorf("GET %s/me as MaratTest: %d, want 200", m.REST, code)
	}
	if code := get(t, m.Base+"/_mock/options", control...); code != http.StatusOK {
		t.Errorf("GET /_mock/options: %d, want 200", code)
	}
}

// checkConform runs `BIN conform` against the mock, as a vendor runs it against their server,
// in a fresh directory: it must pass and write the JUnit report and the conformance reports.
func checkConform(t *testing.T, bin string, m mock, args ...string) {
	t.Helper()
	dir := t.TempDir()
	args = append([]string{"conform", "--target", m.Base, "--junit-report", "junit.xml"}, args...)
	out, errOut, code := run(t, bin, dir, nil, conformTimeout, args...)
	if code != 0 {
		t.Fatalf("conform --target %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", m.Base, code, tail(out, 60), tail(errOut, 60))
	}
	for _, name := range []string{"junit.xml", "conformance-report.json", "conformance-report.md"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("conform wrote no %s: %v", name, err)
		}
	}
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
