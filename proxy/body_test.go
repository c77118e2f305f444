package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/rawhttp"
	"github.com/workbinkit/workbinkit/proxy"
	"github.com/workbinkit/workbinkit/spec"
)

// rawPost sends a request announcing announced bytes of body (-1: chunked, a chunk
// announced 100 bytes longer than sent) and only sent of them, then waits for the reply:
// the status, the body, and whether the proxy closed the connection after it.
func rawPost(t *testing.T, addr string, announced int, sent string) (status int, body string, closed bool) {
	t.Helper()
	if announced < 0 {
		sent = fmt.Sprintf("%x\r\n%s", len(sent)+100, sent)
	}
	c := rawhttp.Send(t, addr, rawhttp.Head(http.MethodPost, "/api/v2/workbins/w1", announced)+sent, 30*time.Second)
	return rawhttp.Reply(t, c, true)
}

// A request body must arrive within the body deadline (as the mock's): a client that
// stalls is answered 408 in GWS's envelope and its connection closed, and nothing reaches
// the upstream. The deadline is short here; the default is DefaultBodyReadTimeout.
func TestProxyStalledBodyTimesOut(t *testing.T) {
	var reached atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		io.Copy(io.Discard, r.Body)
	}))
	defer up.Close()
	p, front, k := newProxy(t, up.URL, proxy.Config{BodyReadTimeout: 200 * time.Millisecond})
	addr := strings.TrimPrefix(front.URL, "http://")
	for _, tc := range []struct {
		name      string
		announced int
	}{{"Content-Length", 1000}, {"chunked", -1}} {
		status, body, closed := rawPost(t, addr, tc.announced, `{"operationName":`)
		if status != http.StatusRequestTimeout || !closed || !strings.Contains(body, fmt.Sprintf(`"statusCode":%d,`, spec.StatusInvalidInput)) || !strings.Contains(body, "within 200ms") {
			t.Errorf("%s: HTTP %d %.200q, closed %v; want 408 in the GWS envelope and the connection closed", tc.name, status, body, closed)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d stalled requests reached the upstream", n)
	}
	closeProxy(t, p, front)
	if res := k.Result(); res.Exchanges != 2 || res.NoResponse != 2 {
		t.Errorf("%d exchanges, %d without a response; want the 2 stalled ones, without", res.Exchanges, res.NoResponse)
	}
}

// The body deadline ends with the body: a reply that takes longer than the deadline after
// the body arrived (a held long poll) is forwarded, on a connection that serves on.
func TestProxyBodyDeadlineSparesSlowReplies(t *testing.T) {
	const deadline = 50 * time.Millisecond
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select { // held, as a long poll, well past the body deadline
		case <-time.After(6 * deadline):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"channel":"/meta/connect","successful":true}]`)
	}))
	defer up.Close()
	p, front, _ := newProxy(t, up.URL, proxy.Config{BodyReadTimeout: deadline})
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	for i := range 2 { // the second on the same connection
		resp, err := client.Post(front.URL+spec.CometDPath+"/connect", "application/json", strings.NewReader(`[{"channel":"/meta/connect","clientId":"c1","connectionType":"long-polling"}]`))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"successful":true`) {
			t.Fatalf("request %d: HTTP %d %q", i, resp.StatusCode, b)
		}
	}
	closeProxy(t, p, front)
}
