// Package clitest runs the workbinkit binary in tests as a user would: a command to its end,
// or the mock in the background, found by the address its banner prints.
package clitest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of the steps.
const (
	mockStart = 30 * time.Second
	mockStop  = 15 * time.Second
	// RequestTimeout bounds one HTTP request of Get.
	RequestTimeout = 30 * time.Second
)

// Run runs the binary with args in dir and returns its stdout, stderr and exit status.
func Run(t *testing.T, bin, dir string, env []string, timeout time.Duration, args ...string) (stdout, stderr string, code int) {
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

// Mock is a running `workbinkit mock`.
type Mock struct {
	Base string // http://127.0.0.1:PORT
	REST string // Base plus the API's base path, as the banner prints it
}

// StartMock starts `BIN mock --addr 127.0.0.1:0 ARGS...` and reads where it listens from its
// banner ("REST API     http://127.0.0.1:PORT/api/v2"). The mock is stopped with SIGINT at
// the test's end and must then exit 0.
func StartMock(t *testing.T, bin string, env []string, args ...string) Mock {
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
	return Mock{Base: u.Scheme + "://" + u.Host, REST: rest}
}

// Get returns the status of GET url with the headers given as name, value pairs.
func Get(t *testing.T, u string, header ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RequestTimeout)
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

// Tail keeps the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
