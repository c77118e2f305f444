package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/spec"
)

const mockWait = 10 * time.Second

var restLine = regexp.MustCompile(`REST API\s+(http://\S+)/api/v2`)

// baseFromBanner reads the banner from r until the REST API line and returns the base URL;
// the rest of r is drained in the background.
func baseFromBanner(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sent := false
		for sc.Scan() {
			if m := restLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case base, ok := <-found:
		if !ok {
			t.Fatal("the banner has no REST API line")
		}
		return base
	case <-time.After(mockWait):
		t.Fatal("no banner")
	}
	return ""
}

// mockSession logs in as MaratTest and returns a client with its cookie jar and the token.
func mockSession(t *testing.T, base string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: mockWait}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v2/me", nil)
	req.SetBasicAuth("MaratTest", "MaratTest")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /me: %d", res.StatusCode)
	}
	return c, res.Header.Get(spec.HeaderCSRFToken)
}

func mockPull(t *testing.T, c *http.Client, base, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v2/workbins/3434543fafwe987", strings.NewReader(`{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(spec.HeaderCSRFToken, token)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

// startRun runs `workbinkit mock args…` in-process until the returned stop is called.
func startRun(t *testing.T, getenv func(string) string, args ...string) (base string, stop func() error) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env := &environ{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: getenv}
	go func() {
		done <- run(ctx, append([]string{"mock"}, args...), env)
		pw.Close()
	}()
	base = baseFromBanner(t, pr)
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("run did not return within 5 s of the cancellation")
		}
		return nil
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

func noEnv(string) string { return "" }

// `workbinkit mock` end to end in-process: it serves, a cancellation stops it (held CometD
// connects answered), the state file keeps a pull across a restart.
func TestMockRunStateFileAcrossRestart(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "state.json")
	base, stop := startRun(t, noEnv, "--addr", "127.0.0.1:0", "--state-file", stateFile, "--log-level", "error")
	c, token := mockSession(t, base)
	if status, body := mockPull(t, c, base, token); status != 200 || body["referenceId"] != 1.0 {
		t.Fatalf("pull: %d %v", status, body)
	}
	// A held CometD connect is answered at the stop.
	bc := bayeux.NewClient(base+spec.CometDPath, bayeux.ClientOptions{HTTPClient: c})
	if err := bc.Handshake(t.Context()); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		_, _, err := bc.Send(context.Background(), bayeux.Message{Channel: bayeux.MetaConnect, ConnectionType: bayeux.ConnectionTypeLongPolling})
		held <- err
	}()
	waitHeld(t, base)
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	select {
	case err := <-held:
		if err != nil {
			t.Errorf("held connect: %v", err)
		}
	case <-time.After(mockWait):
		t.Error("the held connect was not answered")
	}
	t.Logf("stopped in %s", time.Since(start))
	if data, err := os.ReadFile(stateFile); err != nil || !strings.Contains(string(data), `"owner": "MaratTest"`) {
		t.Fatalf("state file after stop: %v\n%.500s", err, data)
	}
	// Restart from the file: the seed workitem is no longer in the workbin.
	base, _ = startRun(t, noEnv, "--addr", "127.0.0.1:0", "--state-file", stateFile, "--log-level", "error")
	c, token = mockSession(t, base)
	if status, body := mockPull(t, c, base, token); status != 400 || body["statusCode"] != 2.0 {
		t.Errorf("pull after restart: %d %v (the state was not kept)", status, body)
	}
}

// A request held by a fault delay is answered when the stop begins (its context ends), not
// cut off after the grace period.
func TestMockStopEndsFaultDelays(t *testing.T) {
	base, stop := startRun(t, noEnv, "--addr", "127.0.0.1:0", "--log-level", "error")
	c, token := mockSession(t, base)
	res, err := http.Post(base+"/_mock/faults", "application/json",
		strings.NewReader(`{"method":"POST","operationName":"PullWorkitem","count":1,"delay":"10m"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_mock/faults: %d", res.StatusCode)
	}
	type outcome struct {
		status int
		body   map[string]any
		err    error
	}
	held := make(chan outcome, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v2/workbins/3434543fafwe987", strings.NewReader(`{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(spec.HeaderCSRFToken, token)
		res, err := c.Do(req)
		if err != nil {
			held <- outcome{err: err}
			return
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		held <- outcome{status: res.StatusCode, body: body}
	}()
	waitFaultTaken(t, base)
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	select {
	case o := <-held:
		msg, _ := o.body["statusMessage"].(string)
		if o.err != nil || o.status != http.StatusInternalServerError || !strings.Contains(msg, "delayed by a fault") {
			t.Errorf("the delayed request: %d %v %v", o.status, o.body, o.err)
		}
	case <-time.After(mockWait):
		t.Error("the delayed request was not answered")
	}
}

// waitFaultTaken waits until a request took the only fault (GET /_mock/faults lists none):
// the server offers no event to wait on, so this polls, bounded in time.
func waitFaultTaken(t *testing.T, base string) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(mockWait)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/_mock/faults")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), `"faults":[]`) {
			return
		}
		<-tick.C
	}
	t.Fatal("the fault was not taken")
}

// waitHeld waits until the mock holds a CometD connect (GET /_mock/cometd/sessions): the
// server offers no event to wait on, so this polls, bounded in time.
func waitHeld(t *testing.T, base string) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(mockWait)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/_mock/cometd/sessions")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), `"connectHeld":true`) {
			return
		}
		<-tick.C
	}
	t.Fatal("no connect held")
}

// Flags win over the environment, which wins over the options file, which wins over the
// defaults.
func TestMockSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	yamlFile := filepath.Join(dir, "opts.yaml")
	if err := os.WriteFile(yamlFile, []byte("enableCsrfProtection: false\nenableJoinOnPullChat: false\nstrict: true\ncometd:\n  timeout: 20000\n  maxInterval: 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WORKBINKIT_OPTIONS": yamlFile, "WORKBINKIT_ENABLE_JOIN_ON_PULL_CHAT": "true", "WORKBINKIT_STRICT": "true", "WORKBINKIT_ADDR": "127.0.0.1:9999"}
	st, err := parseMockSettings([]string{"--strict=false", "--cometd-timeout", "7s", "--deviate", "wrong-channel"}, &environ{getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	o := st.opts
	switch {
	case o.EnableCsrfProtection: // file
		t.Error("the file did not turn CSRF off")
	case !o.EnableJoinOnPullChat: // env over file
		t.Error("the environment did not win over the file")
	case o.Strict: // flag over env
		t.Error("the flag did not win over the environment")
	case time.Duration(o.CometD.Timeout) != 7*time.Second: // flag over file
		t.Errorf("timeout %s", o.CometD.Timeout)
	case time.Duration(o.CometD.MaxInterval) != 5*time.Second: // file over default
		t.Errorf("maxInterval %s", o.CometD.MaxInterval)
	case !o.EnableNotificationOnPullChat: // default
		t.Error("default lost")
	case st.addr != "127.0.0.1:9999" || len(st.deviations) != 1:
		t.Errorf("addr %s deviations %v", st.addr, st.deviations)
	}
	jsonFile := filepath.Join(dir, "opts.json")
	os.WriteFile(jsonFile, []byte(`{"corsAllowedOrigins":["https://app.example.com"]}`), 0o644)
	st, err = parseMockSettings([]string{"--options", jsonFile}, &environ{getenv: noEnv})
	if err != nil || len(st.opts.CORSAllowedOrigins) != 1 {
		t.Errorf("JSON options file: %v %v", st, err)
	}
	// --allowed-host is repeatable and takes comma-separated lists; the flag replaces the variable.
	st, err = parseMockSettings([]string{"--allowed-host", "a.example", "--allowed-host", "b.example:8090,*.lab.example"},
		&environ{getenv: func(k string) string { return map[string]string{"WORKBINKIT_ALLOWED_HOSTS": "env.example"}[k] }})
	if err != nil || !slices.Equal(st.opts.AllowedHosts, []string{"a.example", "b.example:8090", "*.lab.example"}) {
		t.Errorf("--allowed-host twice: %v %v", st.opts.AllowedHosts, err)
	}
	for _, bad := range [][]string{
		{"--enable-csrf-protection=maybe"}, {"--cometd-timeout", "soon"}, {"--deviate", "nope"}, {"--log-level", "loud"},
		{"--options", filepath.Join(dir, "missing.yaml")}, {"extra"}, {"--cors-origins", "ftp://x"},
	} {
		if _, err := parseMockSettings(bad, &environ{getenv: noEnv}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	os.WriteFile(yamlFile, []byte("enableCSRFprotection: false\n"), 0o644)
	if _, err := parseMockSettings([]string{"--options", yamlFile}, &environ{getenv: noEnv}); err == nil {
		t.Error("a misspelt option in the file was accepted")
	}
}

func TestMockRefusesExposedControlPlane(t *testing.T) {
	_, _, err := runCLI(t, context.Background(), strings.NewReader(""), "mock", "--addr", "0.0.0.0:0")
	if !errors.Is(err, errUsage) || !errors.Is(err, mockserver.ErrAdminTokenRequired) && !strings.Contains(err.Error(), "admin-token") {
		t.Errorf("non-loopback without a token: %v", err)
	}
}

func TestMockHelp(t *testing.T) {
	out, _, err := runCLI(t, context.Background(), strings.NewReader(""), "mock", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range mockSettingsTable() {
		if !strings.Contains(out, "--"+st.name) || !strings.Contains(out, st.env) {
			t.Errorf("--help does not document --%s / %s", st.name, st.env)
		}
	}
}

// The banner: URLs, users with passwords, the two-line curl, warnings.
func TestMockBanner(t *testing.T) {
	base, _ := startRun(t, func(k string) string {
		if k == "WORKBINKIT_DEVIATE" {
			return "wrong-channel"
		}
		return ""
	}, "--addr", "127.0.0.1:0", "--admin-token", "tok", "--log-level", "error")
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base %s", base)
	}
	// The banner text itself, rendered the same way.
	var b strings.Builder
	srv, err := mockserver.New(mockserver.Config{Deviations: []mockserver.Deviation{mockserver.DevWrongChannel}})
	if err != nil {
		t.Fatal(err)
	}
	printBanner(&b, srv, &mockSettings{adminToken: "tok", opts: mockserver.DefaultOptions()}, &netAddr{"127.0.0.1:8090"}, "")
	out := b.String()
	for _, want := range []string{"http://127.0.0.1:8090/api/v2/notifications", "MaratTest    MaratTest", "voiceonly", "TOKEN=$(curl", `-H "X-CSRF-TOKEN: $TOKEN"`, "WARNING: the control plane requires", "WARNING: deviations are on", "wrong-channel",
		"dashboard    http://127.0.0.1:8090/_mock/ui/", "/_mock/ui/#token=<admin token>"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
}

type netAddr struct{ s string }

func (a *netAddr) Network() string { return "tcp" }
func (a *netAddr) String() string  { return a.s }

// The built binary stops within 5 s of SIGTERM with exit status 0 and saves its state. The
// time from process start to the first answered request is logged (the benchmark reports it
// too; no test asserts timings).
func TestMockBinarySIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "workbinkit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	stateFile := filepath.Join(t.TempDir(), "state.json")
	cmd := exec.Command(bin, "mock", "--addr", "127.0.0.1:0", "--state-file", stateFile, "--log-level", "error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := baseFromBanner(t, stdout)
	c, token := mockSession(t, base)
	t.Logf("process start to first answered request: %s", time.Since(start))
	if status, _ := mockPull(t, c, base, token); status != 200 {
		t.Fatalf("pull: %d", status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	sig := time.Now()
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit within 5 s of SIGTERM")
	}
	t.Logf("SIGTERM to exit: %s", time.Since(sig))
	if data, err := os.ReadFile(stateFile); err != nil || !strings.Contains(string(data), `"owner": "MaratTest"`) {
		t.Errorf("state file after SIGTERM: %v", err)
	}
}

func TestMockFixturesFlag(t *testing.T) {
	base, _ := startRun(t, noEnv, "--addr", "127.0.0.1:0", "--log-level", "error", "--fixtures", filepath.Join("..", "..", "fixtures", "builtin"))
	if _, token := mockSession(t, base); token == "" {
		t.Error("no CSRF token")
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "none"), "mock.go", t.TempDir()} {
		if _, _, err := runCLI(t, context.Background(), strings.NewReader(""), "mock", "--addr", "127.0.0.1:0", "--fixtures", dir); err == nil {
			t.Errorf("--fixtures %s accepted", dir)
		}
	}
}

// Issue 11: a temporary file a killed save left next to --state-file is removed when the
// mock starts, with a log line naming it.
func TestMockRemovesStaleStateTemps(t *testing.T) {
	dir := t.TempDir()
	stateFile := filepath.Join(dir, "state.json")
	stale := filepath.Join(dir, ".state.json.tmp4242")
	if err := os.WriteFile(stale, []byte(`{"version":1,"sta`), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env := &environ{stdin: strings.NewReader(""), stdout: pw, stderr: &stderr, getenv: noEnv}
	go func() {
		done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0", "--state-file", stateFile}, env)
		pw.Close()
	}()
	baseFromBanner(t, pr) // started
	go io.Copy(io.Discard, pr)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(mockWait):
		t.Fatal("the mock did not stop")
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", stale, err)
	}
	if log := stderr.String(); !strings.Contains(log, "temporary file") || !strings.Contains(log, stale) {
		t.Errorf("no log line names %s:\n%s", stale, log)
	}
}
