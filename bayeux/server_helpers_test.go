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

const waitLimit = 10 * time.Second // bound for every wait in these tests

// harness is a Server mounted on /cometd and /cometd/ of a loopback httptest server.
type harness struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	url    string
	client *http.Client

	mu      sync.Mutex
	journal []WireEvent
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t}
	user := opts.OnMessage
	opts.OnMessage = func(ev WireEvent) {
		h.mu.Lock()
		h.journal = append(h.journal, ev)
		h.mu.Unlock()
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
	h.client = newClient(t, false)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := h.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		h.ts.Close()
	})
	return h
}

// newClient returns an HTTP client with its own connections and, if jar, a cookie jar.
func newClient(t *testing.T, jar bool) *http.Client {
	t.Helper()
	c := &http.Client{Timeout: waitLimit, Transport: http.DefaultTransport.(*http.Transport).Clone()}
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
func post(t *testing.T, c *http.Client, url, body string) (status int, replies []map[string]any) {
	t.Helper()
	status, replies, err := tryPost(context.Background(), c, url, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return status, replies
}

// tryPost is post for goroutines: it returns its error instead of failing the test.
func tryPost(ctx context.Context, c *http.Client, url, contentType, body string) (int, []map[string]any, error) {
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

func (h *harness) post(body string) []map[string]any {
	h.t.Helper()
	status, replies := post(h.t, h.client, h.url, body)
	if status != http.StatusOK {
		h.t.Fatalf("POST %s: status %d", body, status)
	}
	return replies
}

const handshakeJSON = `[{"channel":"/meta/handshake","version":"1.0","minimumVersion":"1.0","supportedConnectionTypes":["long-polling","callback-polling"],"id":"1"}]`

// handshakeWith handshakes through c and returns the clientId.
func handshakeWith(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	status, replies := post(t, c, url+"/handshake", handshakeJSON)
	if status != http.StatusOK || len(replies) != 1 || replies[0]["successful"] != true {
		t.Fatalf("handshake: status %d, replies %v", status, replies)
	}
	id, _ := replies[0]["clientId"].(string)
	if id == "" {
		t.Fatalf("handshake: no clientId in %v", replies[0])
	}
	return id
}

func (h *harness) handshake() string {
	h.t.Helper()
	return handshakeWith(h.t, h.client, h.url)
}

func (h *harness) subscribe(id string, channels ...string) {
	h.t.Helper()
	sub, _ := json.Marshal(channels)
	r := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":%s}]`, id, sub))
	if r[0]["successful"] != true {
		h.t.Fatalf("subscribe %v: %v", channels, r[0])
	}
}

func connectJSON(id string) string {
	return fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","id":"c"}]`, id)
}

func connect0JSON(id string) string {
	return fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","advice":{"timeout":0}}]`, id)
}

type result struct {
	status  int
	replies []map[string]any
	err     error
}

// postAsync posts from a goroutine; read the result with await.
func postAsync(ctx context.Context, c *http.Client, url, body string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		st, r, err := tryPost(ctx, c, url, "application/json", body)
		ch <- result{st, r, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(waitLimit):
		t.Fatal("no reply within the wait limit")
	}
	return result{}
}

// waitFor polls cond until it holds, failing after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitHeld waits until session id holds a connect.
func (h *harness) waitHeld(id string) {
	h.t.Helper()
	waitFor(h.t, "a held connect of "+id, func() bool {
		si, ok := h.srv.Session(id)
		return ok && si.ConnectHeld
	})
}

// field reads a dotted path such as "advice.reconnect" from a reply.
func field(m map[string]any, path string) any {
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

func channels(replies []map[string]any) []string {
	out := make([]string, len(replies))
	for i, r := range replies {
		out[i], _ = r["channel"].(string)
	}
	return out
}

func (h *harness) events() []WireEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]WireEvent(nil), h.journal...)
}
