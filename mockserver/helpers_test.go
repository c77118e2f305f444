package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// waitLimit bounds every wait of the tests; nothing waits on a sleep.
const waitLimit = 10 * time.Second

// Fixture facts the tests use (fixtures/builtin).
const (
	seedWorkbin  = "3434543fafwe987" // MaratTest's testWorkbin
	seedWorkitem = "02F0ASAK8EAFA00W"
	agentGroupWB = "0b7e4c1d-5a9f-4e2b-8c3d-7f6a5b4c3d21" // Workbin_AgentGroup (MyAgentGroup)
	agent2WB     = "a15862be-2445-4735-aad2-69694a0f50ff"
	agent2ID     = "c9f0f895fb98ab9159f51fd0297e236d"
	seedChat     = "0001BaBFVPR20036"
	seedEmail    = "00001aEMAIL00001"
)

// mockT is a mock server on 127.0.0.1 for one test. Unexpected self-check violations fail
// the test.
type mockT struct {
	t   testing.TB
	srv *Server
	ts  *httptest.Server

	mu         sync.Mutex
	violations []Violation
	expectViol bool
}

func newMock(t testing.TB, edit ...func(*Config)) *mockT {
	t.Helper()
	m := &mockT{t: t}
	cfg := Config{
		Contract: contractT(t),
		OnViolation: func(v Violation) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.violations = append(m.violations, v)
			if !m.expectViol {
				t.Errorf("self-check violation: %s %s: %v", v.Kind, v.Subject, v.Issues)
			}
		},
	}
	opts := DefaultOptions()
	opts.CometD.Timeout = Millis(5 * time.Second) // held connects end soon after a test
	cfg.Options = &opts
	for _, e := range edit {
		e(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.srv = srv
	m.ts = httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_ = srv.Shutdown(ctx)
		m.ts.Close()
	})
	return m
}

var (
	contractOnce sync.Once
	contractVal  *spec.Contract
	contractErr  error
)

// contractT compiles the contract once per test binary (tests only: no package state in
// the package itself).
func contractT(t testing.TB) *spec.Contract {
	t.Helper()
	contractOnce.Do(func() { contractVal, contractErr = spec.Load() })
	if contractErr != nil {
		t.Fatal(contractErr)
	}
	return contractVal
}

func (m *mockT) url(path string) string { return m.ts.URL + path }

// user is an HTTP client of the mock with its own cookie jar and the CSRF token of its
// session.
type user struct {
	m    *mockT
	name string
	http *http.Client
	csrf string
}

// anonymous is a client without credentials.
func (m *mockT) anonymous() *user {
	jar, _ := cookiejar.New(nil)
	return &user{m: m, http: &http.Client{Jar: jar, Timeout: waitLimit}}
}

// login does GET /api/v2/me with Basic credentials (password = user name) and keeps the
// session cookie and the CSRF token.
func (m *mockT) login(name string) *user {
	m.t.Helper()
	u := m.anonymous()
	u.name = name
	req, _ := http.NewRequest(http.MethodGet, m.url("/api/v2/me"), nil)
	req.SetBasicAuth(name, name)
	res, err := u.http.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		m.t.Fatalf("login %s: %d %s", name, res.StatusCode, body)
	}
	u.csrf = res.Header.Get(spec.HeaderCSRFToken)
	return u
}

// reply is a decoded HTTP reply.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r reply) code() int {
	if v, ok := r.body[spec.FieldStatusCode].(json.Number); ok {
		n, _ := v.Int64()
		return int(n)
	}
	return -1
}

func (r reply) ref() int64 {
	if v, ok := r.body[spec.FieldReferenceID].(json.Number); ok {
		n, _ := v.Int64()
		return n
	}
	return -1
}

func (r reply) String() string { return fmt.Sprintf("HTTP %d %s", r.status, r.raw) }

func (u *user) do(method, path string, body any, hdr ...string) reply {
	u.m.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, u.m.url(path), rd)
	if err != nil {
		u.m.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u.csrf != "" && method != http.MethodGet {
		req.Header.Set(spec.HeaderCSRFToken, u.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := u.http.Do(req)
	if err != nil {
		u.m.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&r.body)
	return r
}

func (u *user) get(path string) reply { return u.do(http.MethodGet, path, nil) }

func (u *user) post(path string, body any) reply { return u.do(http.MethodPost, path, body) }

func pullBody(op, id string) map[string]string {
	return map[string]string{"operationName": op, "id": id}
}

// expect checks a reply's HTTP status and statusCode.
func expect(t testing.TB, r reply, status, code int) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("got %s, want HTTP %d statusCode %d", r, status, code)
	}
}

// listener is a Bayeux client of the mock in the user's session, subscribed to channels.
type listener struct {
	c      *bayeux.Client
	rec    *bayeux.Recorder
	events <-chan bayeux.Message
}

// waitSubscribed waits until the client has had n successful /meta/subscribe replies in
// all (a re-handshake subscribes again).
func (l *listener) waitSubscribed(t testing.TB, n int) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		changed := l.rec.Changed()
		got := 0
		for _, m := range l.rec.Messages() {
			if m.Direction == bayeux.FromServer && m.Message.Channel == bayeux.MetaSubscribe && m.Message.Successful != nil && *m.Message.Successful {
				got++
			}
		}
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("%d successful subscriptions within %s, want %d", got, waitLimit, n)
		}
	}
}

// cometd handshakes in the user's HTTP session, subscribes and runs the connect loop
// until the test ends.
func (u *user) cometd(channels ...string) *listener {
	u.m.t.Helper()
	rec := bayeux.NewRecorder(bayeux.Redaction{})
	c := bayeux.NewClient(u.m.url(spec.CometDPath), bayeux.ClientOptions{HTTPClient: u.http, Recorder: rec})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.Handshake(ctx); err != nil {
		u.m.t.Fatalf("handshake as %s: %v", u.name, err)
	}
	events, stop := c.Listen("/**")
	if len(channels) > 0 {
		if err := c.Subscribe(ctx, channels...); err != nil {
			u.m.t.Fatalf("subscribe %v as %s: %v", channels, u.name, err)
		}
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(runCtx)
	}()
	u.m.t.Cleanup(func() {
		stop()
		stopRun()
		<-done
	})
	return &listener{c: c, rec: rec, events: events}
}

// next returns the next event that satisfies pred, or fails after waitLimit.
func (l *listener) next(t testing.TB, what string, pred func(bayeux.Message) bool) bayeux.Message {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		select {
		case m := <-l.events:
			if pred == nil || pred(m) {
				return m
			}
		case <-timer.C:
			t.Fatalf("no %s within %s", what, waitLimit)
		}
	}
}

// data decodes an event's GWS payload.
func data(t testing.TB, m bayeux.Message) map[string]any {
	t.Helper()
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(m.Data))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("event data %s: %v", m.Data, err)
	}
	return d
}

func num(v any) int64 {
	if n, ok := v.(json.Number); ok {
		i, _ := n.Int64()
		return i
	}
	return -1
}

// onChannel matches an event of a channel and messageType.
func onChannel(channel, messageType string) func(bayeux.Message) bool {
	return func(m bayeux.Message) bool {
		if m.Channel != channel {
			return false
		}
		var d struct {
			MessageType string `json:"messageType"`
		}
		_ = json.Unmarshal(m.Data, &d)
		return d.MessageType == messageType
	}
}
