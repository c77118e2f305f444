package bayeux

import (
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
)

// Helpers for protocol tests in the style of CometD's own: POST raw JSON arrays, read raw
// replies.

const srvWaitLimit = 10 * time.Second // bound for every wait in these tests

// srvHarness is a Server mounted on /cometd and /cometd/ of a loopback httptest server.
type srvHarness struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	url    string
	client *http.Client

	clock   *srvWatchClock // the server's clock, watched: see waitFor
	mu      sync.Mutex
	journal []WireEvent
}

func newSrvHarness(t *testing.T, opts Options) *srvHarness {
	t.Helper()
	h := &srvHarness{t: t, clock: newSrvWatchClock(opts.Clock)}
	opts.Clock = h.clock
	user := opts.OnMessage
	opts.OnMessage = func(ev WireEvent) {
		h.mu.Lock()
		h.journal = append(h.journal, ev)
		h.mu.Unlock()
		h.clock.changes.notify()
		if user != nil {
			user(ev)
		}
	}
	h.srv = NewServer(opts)
	mux := http.NewServeMux()
	mux.Handle("/cometd", h.srv)
	mux.Handle("/cometd/", h.srv)
	h.ts = httptest.NewServer(mux)
	h.url = h.ts.URL + "/cometd"
	h.client = srvHTTPClient(t, false)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), srvWaitLimit)
		defer cancel()
		if err := h.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		h.ts.Close()
	})
	return h
}

// srvHTTPClient returns an HTTP client with its own connections and, if jar, a cookie jar.
func srvHTTPClient(t *testing.T, jar bool) *http.Client {
	t.Helper()
	c := &http.Client{Timeout: srvWaitLimit, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if jar {
		j, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Jar = j
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// post sends body as application/json and returns the status and, for 200, the replies.
func srvPost(t *testing.T, c *http.Client, url, body string) (status int, replies []map[string]any) {
	t.Helper()
	status, replies, err := srvTryPost(context.Background(), c, url, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return status, replies
}

// srvTryPost is post for goroutines: it returns its error instead of failing the test.
func srvTryPost(ctx context.Context, c *http.Client, url, contentType, body string) (int, []map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, nil
	}
	var replies []map[string]any
	if err := json.Unmarshal(b, &replies); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reply %s: %w", b, err)
	}
	return resp.StatusCode, replies, nil
}

func (h *srvHarness) post(body string) []map[string]any {
	h.t.Helper()
	status, replies := srvPost(h.t, h.client, h.url, body)
	if status != http.StatusOK {
		h.t.Fatalf("POST %s: status %d", body, status)
	}
	return replies
}

const srvHandshakeJSON = `[{"channel":"/meta/handshake","version":"1.0","minimumVersion":"1.0","supportedConnectionTypes":["long-polling","callback-polling"],"id":"1"}]`

// srvHandshake handshakes through c and returns the clientId.
func srvHandshake(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	status, replies := srvPost(t, c, url+"/handshake", srvHandshakeJSON)
	if status != http.StatusOK || len(replies) != 1 || replies[0]["successful"] != true {
		t.Fatalf("handshake: status %d, replies %v", status, replies)
	}
	id, _ := replies[0]["clientId"].(string)
	if id == "" {
		t.Fatalf("handshake: no clientId in %v", replies[0])
	}
	return id
}

func (h *srvHarness) handshake() string {
	h.t.Helper()
	return srvHandshake(h.t, h.client, h.url)
}

func (h *srvHarness) subscribe(id string, channels ...string) {
	h.t.Helper()
	sub, _ := json.Marshal(channels)
	r := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":%s}]`, id, sub))
	if r[0]["successful"] != true {
		h.t.Fatalf("subscribe %v: %v", channels, r[0])
	}
}

func srvConnectJSON(id string) string {
	return fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","id":"c"}]`, id)
}

func srvConnect0JSON(id string) string {
	return fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","advice":{"timeout":0}}]`, id)
}

type srvResult struct {
	status  int
	replies []map[string]any
	err     error
}

// srvPostAsync posts from a goroutine; read the srvResult with await.
func srvPostAsync(ctx context.Context, c *http.Client, url, body string) <-chan srvResult {
	ch := make(chan srvResult, 1)
	go func() {
		st, r, err := srvTryPost(ctx, c, url, "application/json", body)
		ch <- srvResult{st, r, err}
	}()
	return ch
}

func srvAwait(t *testing.T, ch <-chan srvResult) srvResult {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(srvWaitLimit):
		t.Fatal("no reply within the wait limit")
	}
	return srvResult{}
}

// srvChanges wakes every waiter when something may have changed: a broadcast.
type srvChanges struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSrvChanges() *srvChanges { return &srvChanges{ch: make(chan struct{})} }

// next returns a channel closed at the next notify.
func (c *srvChanges) next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch
}

func (c *srvChanges) notify() {
	c.mu.Lock()
	close(c.ch)
	c.ch = make(chan struct{})
	c.mu.Unlock()
}

// waitOn checks cond after every change, failing after srvWaitLimit.
func (c *srvChanges) waitOn(t *testing.T, what string, cond func() bool) {
	t.Helper()
	limit := time.NewTimer(srvWaitLimit)
	defer limit.Stop()
	for {
		changed := c.next() // before cond: a change during cond closes it
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-limit.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// srvWatchClock is a server's clock that notifies changes whenever a timer is armed or
// stopped. That is when a connect's state changes: the server arms the timeout of a
// connect once it has marked it held (under the session's lock, so a waiter that looks
// sees it), and stops that timer once the connect has ended in any way.
type srvWatchClock struct {
	Clock
	changes *srvChanges
}

func newSrvWatchClock(c Clock) *srvWatchClock {
	if c == nil {
		c = RealClock{}
	}
	return &srvWatchClock{Clock: c, changes: newSrvChanges()}
}

func (c *srvWatchClock) AfterFunc(d time.Duration, f func()) Timer {
	t := c.Clock.AfterFunc(d, f)
	c.changes.notify()
	return srvWatchTimer{Timer: t, changes: c.changes}
}

type srvWatchTimer struct {
	Timer
	changes *srvChanges
}

func (t srvWatchTimer) Stop() bool {
	ok := t.Timer.Stop()
	t.changes.notify()
	return ok
}

// waitFor waits until cond holds, looking again whenever the server arms or stops a
// timer or a message crosses the wire; it fails after srvWaitLimit.
func (h *srvHarness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.clock.changes.waitOn(h.t, what, cond)
}

// srvPollFor polls cond until it holds, failing after srvWaitLimit. Only for what the
// server signals in no way: goroutines ending, the sweeper removing a session.
func srvPollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(srvWaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitHeld waits until session id holds a connect.
func (h *srvHarness) waitHeld(id string) {
	h.t.Helper()
	h.waitFor("a held connect of "+id, func() bool {
		si, ok := h.srv.Session(id)
		return ok && si.ConnectHeld
	})
}

// field reads a dotted path such as "advice.reconnect" from a reply.
func srvField(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func srvChannels(replies []map[string]any) []string {
	out := make([]string, len(replies))
	for i, r := range replies {
		out[i], _ = r["channel"].(string)
	}
	return out
}

func (h *srvHarness) events() []WireEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]WireEvent(nil), h.journal...)
}
