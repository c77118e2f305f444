package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/observe"
	"github.com/workbinkit/workbinkit/proxy"
)

func newProxy(t *testing.T, upstream string, cfg proxy.Config) (*proxy.Proxy, *httptest.Server, *observe.Checker) {
	t.Helper()
	u, _ := url.Parse(upstream)
	cfg.Upstream = u
	if cfg.Checker == nil {
		cfg.Checker = observe.New(contract(t), observe.Options{})
	}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	return p, front, cfg.Checker
}

func closeProxy(t *testing.T, p *proxy.Proxy, front *httptest.Server) {
	t.Helper()
	front.CloseClientConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestProxyNew refuses what cannot be a proxy.
func TestProxyNew(t *testing.T) {
	c := observe.New(contract(t), observe.Options{})
	for _, raw := range []string{"", "localhost:8090", "ftp://host/", "http://"} {
		u, _ := url.Parse(raw)
		if _, err := proxy.New(proxy.Config{Upstream: u, Checker: c}); err == nil {
			t.Errorf("upstream %q accepted", raw)
		}
	}
	u, _ := url.Parse("http://127.0.0.1:1")
	if _, err := proxy.New(proxy.Config{Upstream: u}); err == nil {
		t.Error("no checker accepted")
	}
}

// TestProxyUpstreamDown: a request the upstream does not answer gets a GWS error envelope
// (502) and is counted without a response.
func TestProxyUpstreamDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p, front, k := newProxy(t, dead.URL, proxy.Config{})
	resp, err := http.Get(front.URL + "/api/v2/me")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || env["statusCode"] != float64(4) || !strings.Contains(env["statusMessage"].(string), "could not reach the upstream") {
		t.Errorf("%d %v", resp.StatusCode, env)
	}
	closeProxy(t, p, front)
	if res := k.Result(); res.NoResponse != 1 || res.Errors != 0 {
		t.Errorf("no response %d, errors %d", res.NoResponse, res.Errors)
	}
}

// TestProxyCookiesAndBodies: cookies lose the upstream's Domain (and Secure over plain
// HTTP) so a browser on the proxy's origin keeps them; bodies pass whole both ways, also
// beyond the judged bound (then unjudged); the path, query and headers reach the upstream.
func TestProxyCookiesAndBodies(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 3000)
	var gotPath, gotQuery, gotCSRF string
	var gotBody []byte
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery, gotCSRF = r.URL.Path, r.URL.RawQuery, r.Header.Get("X-CSRF-TOKEN")
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Add("Set-Cookie", "JSESSIONID=abc; Domain=gws.example.com; Path=/; Secure; HttpOnly; SameSite=None")
		w.Header().Set("Content-Type", "application/json")
		w.Write(big)
	}))
	defer up.Close()
	p, front, k := newProxy(t, up.URL+"/base", proxy.Config{MaxBody: 1000})
	req, _ := http.NewRequest(http.MethodPost, front.URL+"/api/v2/workbins/w%2F1?x=1", bytes.NewReader(big))
	req.Header.Set("X-CSRF-TOKEN", "tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, big) || !bytes.Equal(gotBody, big) {
		t.Errorf("bodies cut: %d sent back, %d received upstream", len(body), len(gotBody))
	}
	if gotPath != "/base/api/v2/workbins/w/1" || gotQuery != "x=1" || gotCSRF != "tok" {
		t.Errorf("upstream saw %q ?%q csrf %q", gotPath, gotQuery, gotCSRF)
	}
	sc := resp.Header.Get("Set-Cookie")
	if strings.Contains(sc, "Domain") || strings.Contains(sc, "Secure") || !strings.Contains(sc, "SameSite=Lax") || !strings.HasPrefix(sc, "JSESSIONID=abc") || !strings.Contains(sc, "HttpOnly") {
		t.Errorf("Set-Cookie %q", sc)
	}
	closeProxy(t, p, front)
	if res := k.Result(); res.Unjudged != 1 {
		t.Errorf("unjudged %d, want 1 (bodies over the bound)", res.Unjudged)
	}
}

// TestProxyReportEndpoint: /_proxy/report in each format; other paths below /_proxy/ and
// other methods are refused in GWS's envelope; after Close new requests get 503.
func TestProxyReportEndpoint(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"statusCode":0,"user":{"id":"u","userName":"a","roles":["ROLE_AGENT"]},"extra":1}`)
	}))
	defer up.Close()
	p, front, _ := newProxy(t, up.URL, proxy.Config{})
	resp, _ := http.Get(front.URL + "/api/v2/me")
	resp.Body.Close()
	p.Drain(context.Background())
	for format, want := range map[string]string{"": `"errors": 1`, "json": `"findings"`, "report": `"kind": "ObservationReport"`,
		"markdown": "# workbinkit observation report", "junit": "<testsuites"} {
		r, err := http.Get(front.URL + proxy.ReportPath + "?format=" + format)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("format %q: %d, want %q in:\n%.300s", format, r.StatusCode, want, b)
		}
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{{"GET", proxy.ReportPath + "?format=pdf", 400}, {"GET", "/_proxy/other", 404}, {"POST", proxy.ReportPath, 405}} {
		req, _ := http.NewRequest(c.method, front.URL+c.path, nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]any
		json.NewDecoder(r.Body).Decode(&env)
		r.Body.Close()
		if r.StatusCode != c.status || env["statusMessage"] == nil {
			t.Errorf("%s %s: %d %v", c.method, c.path, r.StatusCode, env)
		}
	}
	closeProxy(t, p, front)
	r, err := http.Get(front.URL + "/api/v2/me")
	if err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("after Close: %d, want 503", r.StatusCode)
		}
	}
}

// TestLocalOrigin: only this machine's origins get CORS answers by default.
func TestLocalOrigin(t *testing.T) {
	for origin, want := range map[string]bool{"http://localhost:3000": true, "https://127.0.0.1": true, "http://[::1]:8080": true,
		"http://localhost.evil.example": false, "https://gws.example.com": false, "null": false, "http://localhost:3000/path": false} {
		if got := proxy.LocalOrigin(origin); got != want {
			t.Errorf("%s: %v", origin, got)
		}
	}
}
