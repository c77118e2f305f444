package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/mockserver"
)

// lineLog collects the lines a command prints, and lets a test wait for one.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func newLineLog(r io.Reader) *lineLog {
	l := &lineLog{added: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
			select {
			case l.added <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

// wait returns the first line containing s, waiting up to mockWait for it.
func (l *lineLog) wait(t *testing.T, s string) string {
	t.Helper()
	deadline := time.After(mockWait)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, s) {
				l.mu.Unlock()
				return line
			}
		}
		l.mu.Unlock()
		select {
		case <-l.added:
		case <-deadline:
			t.Fatalf("no line with %q; got:\n%s", s, l.text())
		}
	}
}

func (l *lineLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestProxyCommand: the proxy in front of a mock that adds a member to success replies
// streams the violation, serves it at /_proxy/report, answers CORS for localhost, records
// the traffic, and on stop writes the reports and fails (0 with --exit-zero); the recording
// validates to the same violation.
func TestProxyCommand(t *testing.T) {
	srv, err := mockserver.New(mockserver.Config{Deviations: []mockserver.Deviation{mockserver.DevExtraSuccessField}})
	if err != nil {
		t.Fatal(err)
	}
	mock := httptest.NewServer(srv)
	defer mock.Close()
	for _, exitZero := range []bool{false, true} {
		dir := t.TempDir()
		record := filepath.Join(dir, "session.har")
		args := []string{"proxy", "--upstream", mock.URL, "--addr", "127.0.0.1:0", "--record", record, "--reports", dir}
		if exitZero {
			args = append(args, "--exit-zero")
		}
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		out := newLineLog(pr)
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, args, &environ{stdout: pw, stderr: io.Discard, stdin: strings.NewReader(""), getenv: func(string) string { return "" }})
			pw.Close()
		}()
		base := strings.Fields(strings.SplitN(out.wait(t, "REST API"), "REST API", 2)[1])[0]
		base = strings.TrimSuffix(base, "/api/v2")

		req, _ := http.NewRequest(http.MethodGet, base+"/api/v2/me", nil)
		req.SetBasicAuth("MaratTest", "MaratTest")
		req.Header.Set("Origin", "http://localhost:3000")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
			!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-CSRF-TOKEN") || len(resp.Cookies()) == 0 {
			t.Errorf("through the proxy: %d, CORS %q %q, cookies %v", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Expose-Headers"), resp.Cookies())
		}
		line := out.wait(t, "[contract]")
		if !strings.Contains(line, "/mockExtra") || !strings.Contains(line, "GET /api/v2/me") {
			t.Errorf("violation line: %s", line)
		}

		pre, _ := http.NewRequest(http.MethodOptions, base+"/api/v2/workbins/x", nil)
		pre.Header.Set("Origin", "http://127.0.0.1:5173")
		pre.Header.Set("Access-Control-Request-Method", "POST")
		pre.Header.Set("Access-Control-Request-Headers", "content-type, x-csrf-token")
		presp, err := http.DefaultClient.Do(pre)
		if err != nil {
			t.Fatal(err)
		}
		presp.Body.Close()
		if presp.StatusCode != http.StatusNoContent || presp.Header.Get("Access-Control-Allow-Headers") != "content-type, x-csrf-token" || presp.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight: %d %v", presp.StatusCode, presp.Header)
		}
		foreign, _ := http.NewRequest(http.MethodOptions, base+"/api/v2/workbins/x", nil)
		foreign.Header.Set("Origin", "https://evil.example")
		foreign.Header.Set("Access-Control-Request-Method", "POST")
		fresp, err := http.DefaultClient.Do(foreign)
		if err != nil {
			t.Fatal(err)
		}
		fresp.Body.Close()
		if fresp.Header.Get("Access-Control-Allow-Origin") == "https://evil.example" {
			t.Error("CORS answered for a foreign origin")
		}

		rresp, err := http.Get(base + "/_proxy/report")
		if err != nil {
			t.Fatal(err)
		}
		var so struct {
			Errors   int
			Findings []struct{ Rule, Pointer string }
		}
		json.NewDecoder(rresp.Body).Decode(&so)
		rresp.Body.Close()
		if so.Errors != 1 || len(so.Findings) != 1 || so.Findings[0].Pointer != "/mockExtra" {
			t.Errorf("/_proxy/report: %+v", so)
		}

		cancel()
		var runErr error
		select {
		case runErr = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the proxy did not stop")
		}
		switch {
		case exitZero && runErr != nil:
			t.Errorf("--exit-zero: %v", runErr)
		case !exitZero && !errors.Is(runErr, errViolations):
			t.Errorf("stop with violations: %v, want errViolations", runErr)
		}
		for _, f := range []string{"proxy-report.md", "proxy-junit.xml", "proxy-report.json", "rules.md"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("report %s: %v", f, err)
			}
		}
		md, _ := os.ReadFile(filepath.Join(dir, "proxy-report.md"))
		if !bytes.Contains(md, []byte("observe.contract")) || !bytes.Contains(md, []byte("/mockExtra")) {
			t.Errorf("the Markdown report does not name the violation:\n%s", md)
		}
		junit, _ := os.ReadFile(filepath.Join(dir, "proxy-junit.xml"))
		if !bytes.Contains(junit, []byte(`failures="1"`)) || !bytes.Contains(junit, []byte("<failure")) {
			t.Errorf("JUnit:\n%s", junit)
		}
		recorded, _ := os.ReadFile(record)
		if bytes.Contains(recorded, []byte("MaratTest:MaratTest")) || bytes.Contains(recorded, []byte("TWFyYXRUZXN0Ok1hcmF0VGVzdA==")) {
			t.Error("the recording holds the password")
		}
		var vout bytes.Buffer
		verr := run(context.Background(), []string{"validate", record}, &environ{stdout: &vout, stderr: io.Discard, getenv: func(string) string { return "" }})
		if !errors.Is(verr, errViolations) || !strings.Contains(vout.String(), "/mockExtra") {
			t.Errorf("validate of the recording: %v\n%s", verr, vout.String())
		}
	}
}

func writeHAR(t *testing.T, entries ...*har.Entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "capture.har")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := har.NewWriter(f, har.Creator{Name: "test", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func meEntry(body string) *har.Entry {
	return &har.Entry{StartedDateTime: "2026-03-01T10:00:00.000Z", Time: 5,
		Request: har.Request{Method: "GET", URL: "http://gws.example/api/v2/me", Headers: []har.NameValue{{Name: "Authorization", Value: "Basic TWFyYXRUZXN0OioqKg=="}}},
		Response: har.Response{Status: 200, Headers: []har.NameValue{{Name: "Content-Type", Value: "application/json"}},
			Content: har.Content{MimeType: "application/json", Text: body, Size: int64(len(body))}}}
}

// TestValidateExitCodes: 0 for a clean capture, 1 (errViolations) with the violation
// printed and the reports written for a broken one.
func TestValidateExitCodes(t *testing.T) {
	env := func(out *bytes.Buffer) *environ {
		return &environ{stdout: out, stderr: io.Discard, getenv: func(string) string { return "" }}
	}
	clean := writeHAR(t, meEntry(`{"statusCode":0,"user":{"id":"u1","userName":"MaratTest","roles":["ROLE_AGENT"]}}`))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"validate", clean}, env(&out)); err != nil {
		t.Fatalf("clean capture: %v\n%s", err, out.String())
	}
	broken := writeHAR(t, meEntry(`{"user":{"id":"u1","userName":"MaratTest","roles":["ROLE_AGENT"]}}`))
	dir := t.TempDir()
	out.Reset()
	err := run(context.Background(), []string{"validate", "--reports", dir, broken}, env(&out))
	if !errors.Is(err, errViolations) {
		t.Fatalf("broken capture: %v, want errViolations", err)
	}
	if !strings.Contains(out.String(), "error [contract] #1 GET /api/v2/me response body") || !strings.Contains(out.String(), "statusCode") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, f := range []string{"report.md", "junit.xml", "report.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if err := run(context.Background(), []string{"validate"}, env(&out)); !errors.Is(err, errUsage) {
		t.Errorf("no file: %v, want a usage error", err)
	}
	if err := run(context.Background(), []string{"validate", filepath.Join(dir, "missing.har")}, env(&out)); !errors.Is(err, errUsage) {
		t.Errorf("missing file: %v, want a usage error", err)
	}
}

// TestValidateNotAHAR: a file that is no HAR is a usage error (exit 2) naming the line and
// column.
func TestValidateNotAHAR(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.har")
	os.WriteFile(path, []byte("{\n  \"log\": {\"version\": \"1.2\",\n    \"entries\": [ {\"request\": oops} ]}}"), 0o644)
	var out bytes.Buffer
	err := run(context.Background(), []string{"validate", path}, &environ{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }})
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "line 3, column 30") || !strings.Contains(err.Error(), "not a HAR") {
		t.Fatalf("err = %v", err)
	}
}
