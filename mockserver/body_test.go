package mockserver

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/rawhttp"
	"github.com/workbinkit/workbinkit/spec"
)

// rawRequest writes to the mock a request head (with the extra header lines hdr)
// announcing contentLength bytes (-1: chunked, sent as one chunk), then sent, and leaves
// the connection open: the client stalls.
func (m *mockT) rawRequest(t testing.TB, method, path string, contentLength int, sent string, hdr ...string) net.Conn {
	t.Helper()
	if contentLength < 0 {
		sent = rawhttp.Chunk(sent)
	}
	return rawhttp.Send(t, m.ts.URL, rawhttp.Head(method, path, contentLength, hdr...)+sent, waitLimit)
}

// Issue 11: a body the mock does not want is not read at all, and not waited for: a client
// that announces a body and stalls gets its answer at once, and its connection is closed
// (net/http would otherwise read up to 256 KiB of the unread body before reusing the
// connection, with no deadline, holding the connection as long as the client stalls).
// Nothing needs the body deadline here: each reply comes without waiting for it.
func TestUnwantedBodiesAreNotWaitedFor(t *testing.T) {
	m := newMock(t, func(c *Config) { c.BodyReadTimeout = -1 }) // no deadline to save the day
	marat := basicHeader("MaratTest", "MaratTest")
	wb := "/api/v2/workbins/" + seedWorkbin
	for _, tc := range []struct {
		name, method, path string
		announced          int
		hdr                []string
		status             int
	}{
		{"REST without credentials, 100 KiB", http.MethodPost, wb, 100 << 10, nil, http.StatusUnauthorized},
		{"REST without credentials, 1 MiB", http.MethodPost, wb, 1 << 20, nil, http.StatusUnauthorized},
		{"REST without credentials, chunked", http.MethodPost, wb, -1, nil, http.StatusUnauthorized},
		{"REST PUT without credentials", http.MethodPut, wb, 100 << 10, nil, http.StatusUnauthorized},
		{"REST wrong password", http.MethodPost, wb, 100 << 10, []string{"Authorization: " + basicHeader("MaratTest", "x")}, http.StatusUnauthorized},
		{"REST without the CSRF token", http.MethodPost, wb, 100 << 10, []string{"Authorization: " + marat}, http.StatusForbidden},
		{"REST over 1 MiB", http.MethodPost, wb, 2 << 20, []string{"Authorization: " + marat, spec.HeaderCSRFToken + ": x"}, http.StatusForbidden},
		{"REST GET with a body", http.MethodGet, "/api/v2/me", 100 << 10, []string{"Authorization: " + marat}, http.StatusOK},
		{"control plane, foreign Host", http.MethodPost, "/_mock/fixtures", 100 << 10, []string{"Host: evil.example"}, http.StatusForbidden},
		{"control plane, foreign Origin", http.MethodPost, "/_mock/fixtures", 100 << 10, []string{"Origin: http://evil.example"}, http.StatusForbidden},
		{"control plane over 32 MiB", http.MethodPost, "/_mock/fixtures", 33 << 20, nil, http.StatusRequestEntityTooLarge},
		{"outside the API", http.MethodPost, "/nowhere", 100 << 10, nil, http.StatusNotFound},
		{"non-canonical path", http.MethodPost, "/api/v2/../_mock/reset", 100 << 10, nil, http.StatusBadRequest},
	} {
		c := m.rawRequest(t, tc.method, tc.path, tc.announced, "[", tc.hdr...)
		status, body, closed := rawhttp.Reply(t, c, true)
		c.Close()
		if status != tc.status || !closed {
			t.Errorf("%s: HTTP %d %.200q, closed %v; want %d at once and the connection closed", tc.name, status, body, closed, tc.status)
		}
	}
	// The 2 MiB case was refused for its CSRF token first; with CSRF off, 413 for its size.
	o := m.srv.Options()
	o.EnableCsrfProtection = false
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	c := m.rawRequest(t, http.MethodPost, wb, 2<<20, "[", "Authorization: "+marat)
	if status, body, closed := rawhttp.Reply(t, c, true); status != http.StatusRequestEntityTooLarge || !closed || !strings.Contains(body, `"statusCode":10`) {
		t.Errorf("REST 2 MiB announced: HTTP %d %q, closed %v; want 413 / statusCode 10 at once, closed", status, body, closed)
	}
}

// Issue 11: a body the mock reads (an authenticated REST request, an admitted control-plane
// request, an authenticated CometD request) must arrive within the body deadline: a client
// that stalls is answered 408 and its connection closed. The deadline is short here; the
// default is DefaultBodyReadTimeout.
func TestStalledBodiesTimeOut(t *testing.T) {
	m := newMock(t, func(c *Config) {
		c.BodyReadTimeout = 200 * time.Millisecond
		c.Options.EnableCsrfProtection = false
	})
	marat := "Authorization: " + basicHeader("MaratTest", "MaratTest")
	for _, tc := range []struct {
		name, method, path string
		announced          int
		hdr                []string
		want               string
	}{
		{"REST POST", http.MethodPost, "/api/v2/workbins/" + seedWorkbin, 1000, []string{marat}, `"statusCode":10`},
		{"REST POST, chunked", http.MethodPost, "/api/v2/workbins/" + seedWorkbin, -1, []string{marat}, `"statusCode":10`},
		{"control plane", http.MethodPost, "/_mock/fixtures", 1000, nil, `"error"`},
		{"control plane, chunked", http.MethodPut, "/_mock/options", -1, nil, `"error"`},
		{"CometD", http.MethodPost, spec.CometDPath, 1000, []string{marat}, ""},
	} {
		c := m.rawRequest(t, tc.method, tc.path, tc.announced, "[", tc.hdr...)
		status, body, closed := rawhttp.Reply(t, c, true)
		c.Close()
		if status != http.StatusRequestTimeout || !closed || !strings.Contains(body, tc.want) {
			t.Errorf("%s: HTTP %d %.200q, closed %v; want 408 and the connection closed", tc.name, status, body, closed)
		}
	}
	// The mock serves on, and a body that arrives in time is read whole.
	u := m.login("MaratTest")
	expect(t, u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), http.StatusOK, 0)
}

// The body deadline ends with the body: a CometD connect held longer than the deadline
// after its body arrived is answered normally (a read deadline left on the connection
// would end the request's context, and the held connect with it).
func TestBodyDeadlineSparesHeldConnects(t *testing.T) {
	m := newMock(t, func(c *Config) {
		c.BodyReadTimeout = 50 * time.Millisecond
		c.Options.CometD.Timeout = Millis(500 * time.Millisecond)
	})
	u := m.login("MaratTest")
	post := func(msg string) []map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, m.url(spec.CometDPath), strings.NewReader(msg))
		req.Header.Set("Content-Type", "application/json")
		res, err := u.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || len(out) == 0 {
			t.Fatalf("%s: HTTP %d %v %v", msg, res.StatusCode, out, err)
		}
		return out
	}
	hs := post(`[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`)
	id, _ := hs[0]["clientId"].(string)
	connect := fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling"}]`, id)
	post(connect) // the first connect is answered at once
	start := time.Now()
	out := post(connect) // held for the CometD timeout, 10 times the body deadline
	if ok, _ := out[0]["successful"].(bool); !ok {
		t.Errorf("held connect: %v", out)
	}
	if held := time.Since(start); held < 400*time.Millisecond {
		t.Logf("the connect was held only %s (want it held past the body deadline for this test to mean anything)", held)
	}
}

// BenchmarkStalledRESTBodies is the reproduction on the REST API and the control
// plane: 100 clients without credentials (REST) or with a foreign Host (control plane) each
// announce a 1 MiB body, send 64 KiB of it and stall. Each is answered at once, nothing of
// the body read, and its connection closed. Reported: heap in use and RSS (Linux) once
// every client has its answer.
func BenchmarkStalledRESTBodies(b *testing.B) {
	m := newMock(b)
	sent := "[" + strings.Repeat(" ", 64<<10)
	var heap, rss float64
	for b.Loop() {
		conns := make([]net.Conn, 100)
		for i := range conns {
			if i%2 == 0 {
				conns[i] = m.rawRequest(b, http.MethodPost, "/api/v2/workbins/"+seedWorkbin, 1<<20, sent)
			} else {
				conns[i] = m.rawRequest(b, http.MethodPut, "/_mock/state", 1<<20, sent, "Host: evil.example")
			}
		}
		for i, c := range conns {
			want := http.StatusUnauthorized
			if i%2 == 1 {
				want = http.StatusForbidden
			}
			if status, body, _ := rawhttp.Reply(b, c, false); status != want {
				b.Fatalf("HTTP %d %q, want %d", status, body, want)
			}
		}
		runtime.GC()
		heap, rss = heapMiB(), rssMiB()
		for _, c := range conns {
			c.Close()
		}
	}
	b.ReportMetric(heap, "heap-MiB")
	b.ReportMetric(rss, "rss-MiB")
}

// With bad-operation-body-accepted on, whose hook rewrites the body, a request without
// credentials or without the CSRF token is still answered at once, its body unread: the
// hook sees the body only after readBody (authentication, CSRF, the size limit, the
// deadline).
func TestBodyRewriteReadsNoBodyEarly(t *testing.T) {
	m := newMock(t, func(c *Config) {
		c.BodyReadTimeout = -1 // no deadline to save the day
		c.Deviations = []Deviation{DevBadOperationBody}
	})
	marat := "Authorization: " + basicHeader("MaratTest", "MaratTest")
	wi := "/api/v2/me/workitems/" + seedWorkitem
	for _, tc := range []struct {
		name   string
		hdr    []string
		status int
	}{
		{"without credentials", nil, http.StatusUnauthorized},
		{"without the CSRF token", []string{marat}, http.StatusForbidden},
	} {
		c := m.rawRequest(t, http.MethodPost, wi, 100<<10, `{"operationName":"AttachUserData"`, tc.hdr...)
		status, body, closed := rawhttp.Reply(t, c, true)
		c.Close()
		if status != tc.status || !closed {
			t.Errorf("%s: HTTP %d %.200q, closed %v; want %d at once and the connection closed", tc.name, status, body, closed, tc.status)
		}
	}
}
