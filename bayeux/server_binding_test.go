package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// srvUserOf is the principal of a request in the binding tests: its X-User header.
func srvUserOf(r *http.Request) (string, error) {
	if u := r.Header.Get("X-User"); u != "" {
		return u, nil
	}
	return "", errors.New("no X-User")
}

// srvPostAs posts body with X-User: user (none when user is "") and returns the status
// and the replies.
func srvPostAs(ctx context.Context, c *http.Client, url, user, body string) (int, []map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("X-User", user)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, err
	}
	var replies []map[string]any
	if err := json.Unmarshal(b, &replies); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reply %s: %w", b, err)
	}
	return resp.StatusCode, replies, nil
}

// Issue 11: a clientId is bound to the principal that handshook. Every kind of message
// carrying alice's clientId, sent with no credentials or with bob's, is answered as for an
// unknown client (402, reconnect:"handshake", so the official client handshakes again with
// its own credentials) and changes nothing: alice's held connect stays held (a hijacking
// connect would otherwise end it with HTTP 500), keeps her subscriptions, and receives the
// next event; no message of alice's session is journaled for the intruder.
func TestClientIDBoundToPrincipal(t *testing.T) {
	h := newSrvHarness(t, Options{
		Authenticate: func(r *http.Request, _ *Message) (string, error) { return srvUserOf(r) },
		Identify:     srvUserOf,
	})
	post := func(user, body string) []map[string]any {
		t.Helper()
		status, r, err := srvPostAs(t.Context(), h.client, h.url, user, body)
		if err != nil || status != http.StatusOK {
			t.Fatalf("POST as %q: status %d, %v", user, status, err)
		}
		return r
	}
	r := post("alice", srvHandshakeJSON)
	alice, _ := r[0]["clientId"].(string)
	if alice == "" {
		t.Fatalf("handshake: %v", r)
	}
	if r := post("alice", fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/a"}]`, alice)); r[0]["successful"] != true {
		t.Fatalf("alice's subscribe: %v", r)
	}
	r = post("bob", srvHandshakeJSON)
	bob, _ := r[0]["clientId"].(string)
	if r := post("bob", fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/b"}]`, bob)); r[0]["successful"] != true {
		t.Fatalf("bob's subscribe: %v", r)
	}
	// Alice's long poll, held.
	held := make(chan srvResult, 1)
	go func() {
		st, r, err := srvPostAs(t.Context(), h.client, h.url, "alice", srvConnectJSON(alice))
		held <- srvResult{st, r, err}
	}()
	h.waitHeld(alice)

	hijacks := map[string]string{
		"connect":     srvConnectJSON(alice),
		"connect0":    srvConnect0JSON(alice),
		"subscribe":   fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/x","id":"s"}]`, alice),
		"unsubscribe": fmt.Sprintf(`[{"channel":"/meta/unsubscribe","clientId":%q,"subscription":"/a","id":"u"}]`, alice),
		"publish":     fmt.Sprintf(`[{"channel":"/a","clientId":%q,"data":"forged","id":"p"}]`, alice),
		"disconnect":  fmt.Sprintf(`[{"channel":"/meta/disconnect","clientId":%q,"id":"d"}]`, alice),
		// Bob's own message first: it is his, and alice's in the same request is not.
		"mixed batch": fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/b2"},{"channel":"/meta/disconnect","clientId":%q}]`, bob, alice),
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range hijacks {
			if !yield(k) {
				return
			}
		}
	})
	before := len(h.events())
	for _, as := range []string{"", "bob"} {
		for _, name := range names {
			r := post(as, hijacks[name])
			got := r[len(r)-1]
			if got["successful"] != false || got["error"] != "402::Unknown client" || srvField(got, "advice.reconnect") != "handshake" {
				t.Errorf("%s with alice's clientId as %q: %v, want 402::Unknown client, reconnect handshake", name, as, r)
			}
			if name == "mixed batch" && as == "bob" && r[0]["successful"] != true {
				t.Errorf("bob's own subscribe in the mixed batch: %v", r[0])
			}
		}
	}
	for _, ev := range h.events()[before:] {
		if ev.SessionID == alice || ev.Principal == "alice" {
			t.Errorf("journaled as alice's: %+v", ev.Message)
		}
	}
	si := srvMustSession(t, h.srv, alice)
	if !si.ConnectHeld || !slices.Equal(si.Subscriptions, []string{"/a"}) || si.QueueLen != 0 {
		t.Errorf("alice's session changed: %+v", si)
	}
	// The owner's long poll is still the one held, and gets the next event.
	if n, err := h.srv.Publish("/a", "for alice"); err != nil || n != 1 {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	res := srvAwait(t, held)
	if res.status != http.StatusOK || !slices.Equal(srvChannels(res.replies), []string{MetaConnect, "/a"}) ||
		res.replies[0]["successful"] != true || res.replies[1]["data"] != "for alice" {
		t.Errorf("alice's held connect: status %d %v", res.status, res.replies)
	}
	// And the owner still acts on it: unsubscribe, then disconnect.
	if r := post("alice", fmt.Sprintf(`[{"channel":"/meta/unsubscribe","clientId":%q,"subscription":"/a"}]`, alice)); r[0]["successful"] != true {
		t.Errorf("alice's unsubscribe: %v", r)
	}
	if r := post("alice", fmt.Sprintf(`[{"channel":"/meta/disconnect","clientId":%q}]`, alice)); r[0]["successful"] != true {
		t.Errorf("alice's disconnect: %v", r)
	}
	if _, ok := h.srv.Session(alice); ok {
		t.Error("alice's own disconnect left the session")
	}
}

// Without Options.Identify a clientId alone is enough, as the Bayeux spec has it.
func TestClientIDTrustedWithoutIdentify(t *testing.T) {
	h := newSrvHarness(t, Options{Authenticate: func(r *http.Request, _ *Message) (string, error) { return srvUserOf(r) }})
	_, r, err := srvPostAs(t.Context(), h.client, h.url, "alice", srvHandshakeJSON)
	if err != nil {
		t.Fatal(err)
	}
	alice := r[0]["clientId"].(string)
	if r := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/a"}]`, alice)); r[0]["successful"] != true {
		t.Errorf("subscribe without Identify: %v", r)
	}
}

// Issue 11: a batch of N subscribes was O(N²): every subscribe snapshotted the session for
// the hook, copying and sorting all its subscriptions. Measured without a clock: the bytes
// allocated by a batch of 4N subscribes must stay near 4 times those of N (they were about
// 16 times: the copies grow with the batch).
func TestSubscribeBatchAllocatesLinearly(t *testing.T) {
	allocated := func(n int) uint64 {
		srv := NewServer(Options{AuthorizeSubscribe: func(*SessionInfo, string) error { return nil }, MaxBodyBytes: 8 << 20})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, srvJSONRequest(srvHandshakeJSON))
		var hs []Message
		if err := json.Unmarshal(rec.Body.Bytes(), &hs); err != nil || len(hs) != 1 {
			t.Fatalf("handshake: %s", rec.Body.Bytes())
		}
		body := []byte{'['}
		for i := range n {
			if i > 0 {
				body = append(body, ',')
			}
			body = fmt.Appendf(body, `{"channel":"/meta/subscribe","clientId":%q,"subscription":"/x/%d"}`, hs[0].ClientID, i)
		}
		body = append(body, ']')
		req := srvJSONRequest(string(body))
		w := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		srv.ServeHTTP(w, req)
		runtime.ReadMemStats(&after)
		if si, _ := srv.Session(hs[0].ClientID); len(si.Subscriptions) != n {
			t.Fatalf("%d subscriptions, want %d (HTTP %d)", len(si.Subscriptions), n, w.Code)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := allocated(1000), allocated(4000)
	t.Logf("allocated: N=1000 %d bytes, N=4000 %d bytes (ratio %.1f)", small, large, float64(large)/float64(small))
	if large > 8*small {
		t.Errorf("4x the subscribes allocated %.1fx the bytes: quadratic", float64(large)/float64(small))
	}
}

func srvJSONRequest(body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/cometd", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Issue 11: session caps never let one principal remove another's session. Past his own
// cap a principal loses his least recently active session; past the global cap a
// principal with sessions loses his own, one without is refused (503, reconnect handshake).
func TestSessionCapsPerPrincipal(t *testing.T) {
	h := newSrvHarness(t, Options{
		Authenticate:            func(r *http.Request, _ *Message) (string, error) { return srvUserOf(r) },
		Identify:                srvUserOf,
		MaxSessionsPerPrincipal: 2,
		MaxSessions:             3,
	})
	handshake := func(user string) map[string]any {
		t.Helper()
		_, r, err := srvPostAs(t.Context(), h.client, h.url, user, srvHandshakeJSON)
		if err != nil || len(r) != 1 {
			t.Fatalf("handshake as %s: %v %v", user, r, err)
		}
		return r[0]
	}
	a1 := handshake("alice")["clientId"].(string)
	bob := handshake("bob")["clientId"].(string)
	a2 := handshake("alice")["clientId"].(string)
	// Bob's long poll is held while the others come and go.
	held := make(chan srvResult, 1)
	go func() {
		st, r, err := srvPostAs(t.Context(), h.client, h.url, "bob", srvConnectJSON(bob))
		held <- srvResult{st, r, err}
	}()
	h.waitHeld(bob)
	// The table is full (3): carol has no session to give up.
	if r := handshake("carol"); r["successful"] != false || r["error"] != "503::too_many_sessions" || srvField(r, "advice.reconnect") != "handshake" {
		t.Errorf("carol's handshake with the table full: %v", r)
	}
	// Alice, at her cap, loses her least recently active session (a1), not bob's.
	a3 := handshake("alice")["clientId"].(string)
	for id, want := range map[string]bool{a1: false, a2: true, a3: true, bob: true} {
		if _, ok := h.srv.Session(id); ok != want {
			t.Errorf("session %s present %v, want %v", id, ok, want)
		}
	}
	if si := srvMustSession(t, h.srv, bob); !si.ConnectHeld {
		t.Error("bob's held connect was disturbed")
	}
	// Bob gives up his session (disconnect): carol gets in.
	if _, r, _ := srvPostAs(t.Context(), h.client, h.url, "bob", fmt.Sprintf(`[{"channel":"/meta/disconnect","clientId":%q}]`, bob)); r[0]["successful"] != true {
		t.Fatalf("bob's disconnect: %v", r)
	}
	srvAwait(t, held)
	if r := handshake("carol"); r["successful"] != true {
		t.Errorf("carol's handshake after bob left: %v", r)
	}
}
