package conformance

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

func needSh(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the command hooks of these tests are sh scripts")
	}
}

var hookReq = HookRequest{Media: spec.MediaChat, Workbin: "wb1", Owner: "jdoe", OwnerRole: RoleAgent, OwnerID: "u1", Spec: "pull-chat.pull-chat", Target: "http://127.0.0.1:1"}

func commandHook(script string) *hookProvisioner {
	return &hookProvisioner{mode: ProvisionCommand, command: []string{"sh", "-c", script, "hook"}}
}

// A command hook gets the request on stdin and as WORKBINKIT_* variables, and its
// {"id"} is the placed id; extra members are ignored; {"skip"} is ErrCannotProvision.
func TestCommandHookProtocol(t *testing.T) {
	needSh(t)
	ctx := context.Background()
	stdin := filepath.Join(t.TempDir(), "stdin.json")
	p := &hookProvisioner{mode: ProvisionCommand, command: []string{"sh", "-c",
		`cat > "$1"; printf '{"id":"%s/%s/%s/%s","other":1}' "$WORKBINKIT_MEDIA" "$WORKBINKIT_WORKBIN" "$WORKBINKIT_OWNER_ROLE" "$WORKBINKIT_SPEC"`, "hook", stdin}}
	id, err := p.place(ctx, hookReq)
	if err != nil || id != "chat/wb1/agent/pull-chat.pull-chat" {
		t.Fatalf("place: %q, %v", id, err)
	}
	b, err := os.ReadFile(stdin)
	if err != nil {
		t.Fatal(err)
	}
	var got HookRequest
	if err := json.Unmarshal(b, &got); err != nil || got != hookReq {
		t.Errorf("stdin carried %s (%v), want %+v", b, err, hookReq)
	}
	_, err = commandHook(`echo '{"skip":"no chat routing in this lab"}'`).place(ctx, hookReq)
	if !errors.Is(err, ErrCannotProvision) || !strings.Contains(err.Error(), "no chat routing in this lab") {
		t.Errorf("skip: %v", err)
	}
}

// Every way a command hook can fail says which hook, what happened, and what it printed.
func TestCommandHookFailures(t *testing.T) {
	needSh(t)
	for _, tc := range []struct {
		name, script string
		want         []string
	}{
		{"exit status", `echo 'partial output'; echo 'no route to workbin' "$WORKBINKIT_WORKBIN" >&2; exit 3`,
			[]string{"provisioning hook sh -c", "exited with status 3", "stdout: partial output", "stderr: no route to workbin wb1"}},
		{"nothing printed", `true`, []string{"printed nothing", `{"id": "…"}`, "stdout: (empty)"}},
		{"not JSON", `echo placed it`, []string{"printed no JSON object", "stdout: placed it"}},
		{"no id", `echo '{"interaction":"i1"}'`, []string{"printed no id", `stdout: {"interaction":"i1"}`}},
		{"two values", `echo '{"id":"a"}{"id":"b"}'`, []string{"more than one JSON value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := commandHook(tc.script).place(context.Background(), hookReq)
			var he *HookError
			if !errors.As(err, &he) {
				t.Fatalf("want a *HookError, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
	_, err := (&hookProvisioner{mode: ProvisionCommand, command: []string{filepath.Join(t.TempDir(), "missing.sh")}}).place(context.Background(), hookReq)
	if err == nil || !strings.Contains(err.Error(), "could not be run") || !strings.Contains(err.Error(), "missing.sh") {
		t.Errorf("a missing program: %v", err)
	}
}

// expiring is a context whose deadline the test decides: it expires (Err is
// DeadlineExceeded, as at timeouts.provision) when expire is called, so a test waits for
// what it needs (the hook's output) instead of guessing how long that takes.
type expiring struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiring() *expiring {
	return &expiring{Context: context.Background(), done: make(chan struct{})}
}

func (c *expiring) Done() <-chan struct{} { return c.done }
func (c *expiring) expire()               { c.once.Do(func() { close(c.done) }) }
func (c *expiring) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// fileWritten waits, bounded, until the hook has written a line to path, and returns it.
func fileWritten(path string) (string, bool) {
	for range 2000 { // 20 s at most
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b)), true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "", false
}

// waitFile is fileWritten, failing the test when the hook never wrote path.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	s, ok := fileWritten(path)
	if !ok {
		t.Fatalf("the hook did not write %s", path)
	}
	return s
}

// waitGone waits, bounded, until process pid has ended.
func waitGone(t *testing.T, what string, pid int) {
	t.Helper()
	for range 500 { // 5 s at most
		if processGone(pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s (pid %d) is still running after the hook call returned", what, pid)
}

// A hook past timeouts.provision is stopped, also when a child it started keeps its output
// open, and the error says so; what it printed before is kept, and a flood of output is cut.
func TestCommandHookTimeoutAndBounds(t *testing.T) {
	needSh(t)
	for _, script := range []string{`echo started; echo >"$1"; exec sleep 60`, `echo started; echo >"$1"; sleep 60; echo never`} {
		ready := filepath.Join(t.TempDir(), "ready")
		ctx := newExpiring()
		done := make(chan error, 1)
		go func() {
			_, err := (&hookProvisioner{mode: ProvisionCommand, command: []string{"sh", "-c", script, "hook", ready}}).place(ctx, hookReq)
			done <- err
		}()
		waitFile(t, ready)
		ctx.expire()
		err := <-done
		if err == nil || !strings.Contains(err.Error(), "no answer within") || !strings.Contains(err.Error(), "timeouts.provision") || !strings.Contains(err.Error(), "stdout: started") {
			t.Errorf("%s: %v", script, err)
		}
	}
	// 1 MiB on each stream, then an exit status: the error keeps the first part only.
	_, err := commandHook(`head -c 1048576 /dev/zero | tr '\0' a; head -c 1048576 /dev/zero | tr '\0' b >&2; exit 1`).place(context.Background(), hookReq)
	var he *HookError
	if !errors.As(err, &he) || len(he.Stdout) > hookOutputLimit+100 || len(he.Stderr) > hookOutputLimit+100 || !strings.Contains(he.Stdout, "cut at") {
		t.Fatalf("unbounded output: %d/%d bytes kept, %v", len(he.Stdout), len(he.Stderr), err != nil)
	}
	if len(err.Error()) > 3*hookShownLimit+500 {
		t.Errorf("the message quotes %d bytes", len(err.Error()))
	}
}

// At timeouts.provision the hook's children go with it: a command hook runs in a process
// group of its own, and the whole group is killed.
func TestCommandHookTimeoutKillsChildren(t *testing.T) {
	needSh(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx := newExpiring()
	done := make(chan error, 1)
	go func() {
		_, err := (&hookProvisioner{mode: ProvisionCommand, command: []string{"sh", "-c", `sleep 60 & echo $! >"$1"; wait`, "hook", pidFile}}).place(ctx, hookReq)
		done <- err
	}()
	pid, err := strconv.Atoi(waitFile(t, pidFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx.expire()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("the timeout: %v", err)
	}
	waitGone(t, "the hook's child", pid)
}

// A hook that answered and exited 0 has answered, even if a child it left behind holds its
// output open (Wait ends with exec.ErrWaitDelay), and even if timeouts.provision expires
// while the suite waits for that output; the child is stopped.
func TestCommandHookAnsweredWithChildLeft(t *testing.T) {
	needSh(t)
	for _, tc := range []struct {
		name   string
		expire bool
	}{{"a child holds the output", false}, {"the timeout expires meanwhile", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile, exited := filepath.Join(dir, "child.pid"), filepath.Join(dir, "hook.pid")
			// The child keeps stdout open; the hook answers and exits 0 at once, its last
			// act writing its own pid.
			p := &hookProvisioner{mode: ProvisionCommand, waitDelay: 500 * time.Millisecond,
				command: []string{"sh", "-c", `sleep 60 & echo $! >"$1"; echo '{"id":"placed-2"}'; echo $$ >"$2"`, "hook", pidFile, exited}}
			ctx := newExpiring()
			if tc.expire {
				// Expire once the hook has exited, while the suite waits for its output.
				p.waitDelay = 3 * time.Second
				go func() {
					defer ctx.expire()
					s, _ := fileWritten(exited)
					pid, err := strconv.Atoi(s)
					if err != nil {
						return
					}
					for range 2000 {
						if processGone(pid) {
							return
						}
						time.Sleep(10 * time.Millisecond)
					}
				}()
			}
			id, err := p.place(ctx, hookReq)
			ctx.expire()
			if err != nil || id != "placed-2" {
				t.Errorf("place: %q, %v; want placed-2", id, err)
			}
			pid, err := strconv.Atoi(waitFile(t, pidFile))
			if err != nil {
				t.Fatal(err)
			}
			waitGone(t, "the child the hook left", pid)
		})
	}
}

// A webhook gets the request as a JSON POST with the configured headers and bearer token,
// and answers with {"id"}; a refusal, a wrong reply and a hang are errors naming it.
func TestWebhookHook(t *testing.T) {
	var got HookRequest
	var gotHeader http.Header
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ok", func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"placed-1","state":"Queued"}`)
	})
	mux.HandleFunc("POST /refuse", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"routing down","token":"s3cr3t-value"}`, http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /empty", func(http.ResponseWriter, *http.Request) {})
	release := make(chan struct{})
	mux.HandleFunc("POST /hang", func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	var once sync.Once
	stop := func() { once.Do(func() { close(release) }) }
	defer stop() // before ts.Close

	// A password in the URL and a query value (?code=, as function hosts take their key)
	// are secrets, as are the bearer token and the value of an API key header; X-Lab is not.
	base := strings.Replace(ts.URL, "http://", "http://hookuser:pw-secret@", 1)
	redacted := strings.Replace(ts.URL, "http://", "http://hookuser:"+Masked+"@", 1)
	const query = "?code=qs-secret-789"
	o := BaseOptions()
	o.Provisioning = Provisioning{Mode: ProvisionWebhook, Webhook: Webhook{URL: base + "/ok" + query,
		Headers: map[string]string{"X-Lab": "conformance", "X-Api-Key": "key-456"}, BearerTokenEnv: "HOOK_TOKEN"}}
	if err := o.resolveHook(func(string) string { return "tok-123" }); err != nil {
		t.Fatal(err)
	}
	p := newHookProvisioner(&o)
	id, err := p.place(context.Background(), hookReq)
	if err != nil || id != "placed-1" || got != hookReq {
		t.Fatalf("place: %q %v; the hook got %+v", id, err, got)
	}
	if gotHeader.Get("Authorization") != "Bearer tok-123" || gotHeader.Get("X-Lab") != "conformance" || gotHeader.Get("X-Api-Key") != "key-456" || gotHeader.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", gotHeader)
	}
	m := maskerFor(&o)
	for in, want := range map[string]string{
		"tok-123, key-456 and conformance; User-Agent: workbinkit-conformance/1": Masked + ", " + Masked + " and conformance; User-Agent: workbinkit-conformance/1",
		"POST " + o.Provisioning.Webhook.URL + " failed":                         "POST " + redacted + "/ok?code=" + Masked + " failed",
	} {
		if got := m.String(in); got != want {
			t.Errorf("masked %q\n  as %q\nwant %q", in, got, want)
		}
	}
	secretsShown := func(where, s string) {
		for _, secret := range []string{"pw-secret", "qs-secret-789"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s shows %s: %s", where, secret, s)
			}
		}
	}
	for path, want := range map[string][]string{
		"/refuse": {"POST " + redacted + "/refuse?code=" + Masked, "answered HTTP 503", "routing down"},
		"/empty":  {"printed nothing", "reply: (empty)"},
		"/hang":   {"no answer within", "timeouts.provision"},
		"/none":   {"answered HTTP 404", "reply: 404 page not found"},
	} {
		p.webhook.URL = base + path + query
		// Only the hanging call needs a short timeout; the others answer.
		timeout := 10 * time.Second
		if path == "/hang" {
			timeout = 300 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, err := p.place(ctx, hookReq)
		cancel()
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v does not say %q", path, err, w)
			}
		}
		if err != nil {
			secretsShown(path, err.Error())
		}
	}
	stop()
	ts.Close()
	p.webhook.URL = base + "/ok" + query
	if _, err := p.place(context.Background(), hookReq); err == nil || !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("a closed server: %v", err)
	} else {
		secretsShown("a transport error", err.Error())
	}
	if err := o.resolveHook(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "HOOK_TOKEN is empty or unset") {
		t.Errorf("an unset token variable: %v", err)
	}
}

// The config file: command and webhook modes need their hook; a relative program path is
// relative to the file, a bare name is left for PATH.
func TestHookConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "vendor.yaml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := "target: http://127.0.0.1:1\nusers: {agent: {user: a, password: pa}, agent2: {user: b, password: pb}}\nfeatures: [pull-workitem]\n"
	for text, want := range map[string]string{
		base + "provisioning: {mode: command}\n":                            "provisioning.command: command mode needs the program",
		base + "provisioning: {mode: command, command: []}\n":               "provisioning.command: command mode needs the program",
		base + "provisioning: {mode: webhook}\n":                            "provisioning.webhook.url \"\": webhook mode needs",
		base + "provisioning: {mode: webhook, webhook: {url: 'ftp://x'}}\n": "provisioning.webhook.url \"ftp://x\"",
		base + "provisioning: {mode: carrier-pigeon}\n":                     "want admin, list, api, command or webhook",
	} {
		o := BaseOptions()
		if err := o.LoadConfigFile(write(text)); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
	for cmd, want := range map[string]string{
		"[./hooks/place.sh, --lab]": filepath.Join(dir, "hooks", "place.sh"),
		"[python3, place.py]":       "python3",
	} {
		o := BaseOptions()
		if err := o.LoadConfigFile(write(base + "provisioning: {mode: command, command: " + cmd + "}\n")); err != nil {
			t.Fatal(err)
		}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		if o.Provisioning.Command[0] != want {
			t.Errorf("%s: program %q, want %q", cmd, o.Provisioning.Command[0], want)
		}
	}
}

// Which webhook headers carry secrets: their values are masked, others stay readable.
func TestSecretHeaderName(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "X-Api-Key": true, "X-Auth-Token": true,
		"X-Client-Secret": true, "X-Password": true, "X-Hub-Signature-256": true, "X-Session-Id": true, "Ocp-Apim-Subscription-Key": true,
		"X-Lab": false, "User-Agent": false, "X-Tenant": false, "Accept": false,
	} {
		if secretHeaderName(name) != want {
			t.Errorf("secretHeaderName(%q) = %v", name, !want)
		}
	}
	for raw, want := range map[string]string{
		"https://h/p":                      "https://h/p",
		"https://u:pw@h/p?code=abc&x=&y=1": "https://u:" + Masked + "@h/p?code=" + Masked + "&x=&y=" + Masked,
		"https://u@h/p?flag":               "https://u@h/p?flag",
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// A webhook's TLS configuration is built when the suite is created: a CA file that holds
// no certificate is an invalid option (Validate and NewSuite fail, the CLI exits 2), not a
// client quietly built without it; a provisioner built anyway fails its calls saying why.
func TestWebhookTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "lab-ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "vendor.yaml")
	if err := os.WriteFile(cfg, []byte("target: http://127.0.0.1:1\nusers: {agent: {user: a, password: pa}, agent2: {user: b, password: pb}}\n"+
		"features: [pull-workitem]\ntls: {caFile: lab-ca.pem}\nprovisioning: {mode: webhook, webhook: {url: 'https://127.0.0.1:1/place'}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := BaseOptions()
	if err := o.LoadConfigFile(cfg); err != nil {
		t.Fatal(err)
	}
	const want = "no PEM certificate found"
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "tls.caFile") || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate: %v, want it to say %q", err, want)
	}
	if _, err := NewSuite(o); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("NewSuite: %v, want it to say %q", err, want)
	}
	if _, err := newHookProvisioner(&o).place(context.Background(), hookReq); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("place: %v, want it to say %q", err, want)
	}
	writeTestCA(t, ca)
	if err := o.Validate(); err != nil {
		t.Errorf("a CA file with a certificate: %v", err)
	}
}

// writeTestCA writes a self-signed CA certificate to path, PEM-encoded, as tls.caFile wants.
func writeTestCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "workbinkit test lab CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
