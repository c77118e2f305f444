package bayeux

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/rawhttp"
)

// srvRawExchange writes head and body (which may be short of its Content-Length: a
// stalled client) and reads the reply and whether the server closed the connection after
// it; all within srvWaitLimit.
func srvRawExchange(t *testing.T, url, head, body string) (status int, reply string, closed bool) {
	t.Helper()
	return rawhttp.Reply(t, rawhttp.Send(t, url, head+body, srvWaitLimit), true)
}

// Issue 11: a body over MaxUnidentifiedBodyBytes is read only from a request Identify
// accepts. An anonymous client announcing 1 MiB and sending none of it is answered 413 at
// once, and its connection closed (the server does not wait for, nor drain, the body); a
// chunked body is cut at the limit the same way. An identified one gets its large batch
// served.
func TestLargeBodyReadOnlyWhenIdentified(t *testing.T) {
	h := newSrvHarness(t, Options{
		Authenticate: func(r *http.Request, _ *Message) (string, error) { return srvUserOf(r) },
		Identify:     srvUserOf,
		BodyTimeout:  -1, // only the gate answers here
	})
	status, body, closed := srvRawExchange(t, h.ts.URL, rawhttp.Head(http.MethodPost, "/cometd", 1<<20), "[")
	if status != http.StatusRequestEntityTooLarge || !closed || !strings.Contains(body, "authenticated") {
		t.Errorf("anonymous 1 MiB: HTTP %d %q, closed %v; want 413 at once, closed", status, body, closed)
	}
	chunk := strings.Repeat(" ", 20<<10)
	status, body, closed = srvRawExchange(t, h.ts.URL, rawhttp.Head(http.MethodPost, "/cometd", -1), fmt.Sprintf("%x\r\n[%s\r\n", len(chunk)+1, chunk))
	if status != http.StatusRequestEntityTooLarge || !closed {
		t.Errorf("anonymous chunked 20 KiB: HTTP %d %q, closed %v; want 413, closed", status, body, closed)
	}
	// Small anonymous bodies are read as before: a handshake is refused by Authenticate.
	if r := h.post(srvHandshakeJSON); r[0]["error"] != "403::Handshake denied" {
		t.Errorf("anonymous handshake: %v", r)
	}
	// Identified: a 100 KiB batch is served.
	_, r, err := srvPostAs(t.Context(), h.client, h.url, "alice", srvHandshakeJSON)
	if err != nil || len(r) != 1 {
		t.Fatalf("handshake: %v %v", r, err)
	}
	id := r[0]["clientId"].(string)
	big := fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/a","ext":{"pad":%q}}]`, id, strings.Repeat("x", 100<<10))
	status, r, err = srvPostAs(t.Context(), h.client, h.url, "alice", big)
	if err != nil || status != http.StatusOK || r[0]["successful"] != true {
		t.Errorf("identified 100 KiB: HTTP %d %v %v", status, r, err)
	}
}

// Issue 11: a body is read under a deadline. A client that sends part of its body and
// stalls gets 408 and its connection closed when BodyTimeout has passed.
func TestStalledBodyTimesOut(t *testing.T) {
	h := newSrvHarness(t, Options{BodyTimeout: 100 * time.Millisecond})
	status, body, closed := srvRawExchange(t, h.ts.URL, rawhttp.Head(http.MethodPost, "/cometd", 1000), `[{"channel":`)
	if status != http.StatusRequestTimeout || !closed {
		t.Errorf("stalled body: HTTP %d %q, closed %v; want 408, closed", status, body, closed)
	}
}

// The body deadline is cleared once the body is read: a connect held past it is answered
// by the server's timeout with a normal reply (a deadline left on the connection would end
// net/http's background read, cancel the request's context and drop the reply).
func TestHeldConnectOutlivesBodyTimeout(t *testing.T) {
	h := newSrvHarness(t, Options{BodyTimeout: 20 * time.Millisecond, Timeout: 500 * time.Millisecond})
	id := h.handshake()
	r := h.post(srvConnectJSON(id))
	if len(r) != 1 || r[0]["channel"] != MetaConnect || r[0]["successful"] != true {
		t.Errorf("held connect: %v", r)
	}
}

// srvTrickleBody is a body that yields n bytes then fails, as a client that sent part of
// what it announced and went away.
type srvTrickleBody struct{ n int }

func (b *srvTrickleBody) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), b.n)
	for i := range k {
		p[i] = ' '
	}
	b.n -= k
	return k, nil
}

func (b *srvTrickleBody) Close() error { return nil }

// Issue 11: reading a body allocated its whole Content-Length up front, so 100 clients
// announcing 1 MiB and sending nothing made the server hold 100 MiB for as long as they
// stalled. The buffer now grows with the bytes that arrive.
func TestBodyBufferGrowsWithData(t *testing.T) {
	srv := NewServer(Options{})
	req := httptest.NewRequest(http.MethodPost, "/cometd", nil)
	req.Header.Set("Content-Type", "application/json")
	req.Body, req.ContentLength = &srvTrickleBody{n: 1000}, 1<<20
	w := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	srv.ServeHTTP(w, req)
	runtime.ReadMemStats(&after)
	if w.Code != http.StatusBadRequest {
		t.Errorf("truncated body: HTTP %d, want 400", w.Code)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 256<<10 {
		t.Errorf("1000 bytes received of 1 MiB announced: %d bytes allocated", got)
	}
}

// ReadBody puts the body back for the server, and answers a refused one itself.
func TestReadBodyForAHandlerInFront(t *testing.T) {
	srv := NewServer(Options{Identify: srvUserOf, MaxUnidentifiedBodyBytes: 10})
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/cometd", strings.NewReader(srvHandshakeJSON))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	if _, ok := srv.ReadBody(w, req); ok || w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("anonymous body over the limit: ok, HTTP %d", w.Code)
	}
	req = httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/cometd", strings.NewReader(srvHandshakeJSON))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User", "alice")
	w = httptest.NewRecorder()
	body, ok := srv.ReadBody(w, req)
	if !ok || string(body) != srvHandshakeJSON {
		t.Fatalf("ReadBody = %q, %v", body, ok)
	}
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"successful":true`) {
		t.Errorf("served after ReadBody: HTTP %d %s", w.Code, w.Body)
	}
}
