package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/workbinkit/workbinkit/spec"
)

// rawDo sends one request with a client that follows no redirect and keeps no cookie, and
// decodes the reply.
func (m *mockT) rawDo(t testing.TB, req *http.Request) reply {
	t.Helper()
	c := &http.Client{Timeout: waitLimit, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&r.body)
	return r
}

// A path that is not canonical (dot segments, plain or encoded, an encoded slash that makes
// one, an empty segment) is answered 400 / statusCode 10 naming it: never the redirect to
// the cleaned path that http.ServeMux gives, which led /api/v2/workbins/../../../_mock/reset
// to the control plane.
func TestNonCanonicalPathsAreRefused(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), http.StatusOK, 0)
	before := snapshotJSON(t, m)
	for _, p := range []string{
		"/api/v2/workbins/../../../_mock/reset",
		"/api/v2/workbins/%2e%2e/%2e%2e/%2e%2e/_mock/reset",
		"/api/v2/workbins/%2E%2E/%2E%2E/%2E%2E/_mock/reset",
		"/api/v2/workbins/..%2f..%2f..%2f_mock/reset",
		"/api/v2/workbins/..%2F..%2F..%2F_mock/reset",
		"/api/v2/notifications/../../../_mock/reset",
		"/_mock/../_mock/reset",
		"/_mock/./reset",
		"/api/v2//me",
		"/api/v2/./me",
	} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			req, err := http.NewRequest(method, m.url(p), strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("MaratTest", "MaratTest")
			req.Header.Set(spec.HeaderCSRFToken, marat.csrf)
			req.Header.Set("Content-Type", "application/json")
			r := m.rawDo(t, req)
			msg, _ := r.body[spec.FieldStatusMessage].(string)
			if r.status != http.StatusBadRequest || r.code() != int(spec.StatusInvalidInput) || !strings.Contains(msg, p) {
				t.Errorf("%s %s: %s (want 400 / statusCode 10 naming the path)", method, p, r)
			}
			if loc := r.header.Get("Location"); loc != "" {
				t.Errorf("%s %s: redirected to %s", method, p, loc)
			}
		}
	}
	if snapshotJSON(t, m) != before {
		t.Error("a non-canonical path reached the control plane: the state was reset")
	}
	// Canonical paths still work, a trailing slash included (the API answers it).
	expect(t, marat.get("/api/v2/me"), http.StatusOK, 0)
	if r := marat.get("/api/v2/workbins/"); r.status == http.StatusBadRequest && strings.Contains(string(r.raw), "dot segments") {
		t.Errorf("trailing slash refused as non-canonical: %s", r)
	}
}

// DNS rebinding: a page whose name resolves to 127.0.0.1 is same-origin with the mock, so
// only the Host header tells its requests apart. Every control-plane path (the catch-all
// included) answers only a loopback Host, a configured one (allowedHosts), or a request with
// the admin token; others get 403 naming the Host and the flag, and change nothing. The
// REST API does not look at the Host.
func TestAdminRefusesForeignHosts(t *testing.T) {
	m := newMock(t)
	port := m.ts.Listener.Addr().(*net.TCPAddr).Port
	at := func(host string) string {
		if host == "" || strings.HasSuffix(host, "]") || !strings.Contains(host, ":") {
			return host + ":" + strconv.Itoa(port)
		}
		return host
	}
	call := func(method, path, host string, hdr ...string) reply {
		t.Helper()
		var body io.Reader
		if method != http.MethodGet {
			body = strings.NewReader(`{}`)
		}
		req, err := http.NewRequest(method, m.url(path), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return m.rawDo(t, req)
	}
	paths := []struct{ method, path string }{
		{http.MethodGet, "/_mock/state"}, {http.MethodGet, "/_mock/journal"}, {http.MethodGet, "/_mock/options"},
		{http.MethodGet, "/_mock/ui/"}, {http.MethodGet, "/_mock/openapi.yaml"}, {http.MethodPost, "/_mock/reset"},
		{http.MethodPut, "/_mock/deviations"},
	}
	marat := m.login("MaratTest")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), http.StatusOK, 0)
	before := snapshotJSON(t, m)
	for _, host := range []string{"evil.example", "evil.example:" + strconv.Itoa(port), "localhost.evil.example", "127.0.0.1.evil.example", "10.0.0.1", "[::2]", "localhostx"} {
		for _, p := range paths {
			r := call(p.method, p.path, host)
			msg, _ := r.body["error"].(string)
			if r.status != http.StatusForbidden || !strings.Contains(msg, strconv.Quote(host)) || !strings.Contains(msg, "--allowed-host") {
				t.Errorf("%s %s with Host %s: %s (want 403 naming the Host and --allowed-host)", p.method, p.path, host, r)
			}
			if strings.Contains(string(r.raw), "MaratTest") {
				t.Errorf("%s %s with Host %s leaked the state", p.method, p.path, host)
			}
		}
	}
	if snapshotJSON(t, m) != before {
		t.Error("a request with a foreign Host changed the state")
	}
	for _, host := range []string{"localhost", "LOCALHOST", "localhost.", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]", "localhost:1", "127.0.0.1:65535"} {
		if r := call(http.MethodGet, "/_mock/options", at(host)); r.status != http.StatusOK {
			t.Errorf("Host %s: %s", at(host), r)
		}
	}
	// The REST API does not look at the Host (its replies name it in uris, fact 13).
	if r := call(http.MethodGet, "/api/v2/me", "evil.example", "Authorization", "Basic TWFyYXRUZXN0Ok1hcmF0VGVzdA=="); r.status != http.StatusOK {
		t.Errorf("REST with another Host: %s", r)
	}

	// Configured hosts: a name (any port), a name with a port, subdomains.
	o := m.srv.Options()
	o.AllowedHosts = []string{"mock.internal", "gw.example:8090", "*.lab.example"}
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	for host, ok := range map[string]bool{
		"mock.internal": true, "MOCK.INTERNAL:1234": true, "gw.example:8090": true, "gw.example:8091": false,
		"gw.example": false, "a.lab.example": true, "a.b.lab.example:1": true, "lab.example": false, "evil.example": false,
	} {
		if r := call(http.MethodGet, "/_mock/options", host); (r.status == http.StatusOK) != ok {
			t.Errorf("allowedHosts %v, Host %s: %s", o.AllowedHosts, host, r)
		}
	}
	for _, bad := range [][]string{{"http://x"}, {"x/y"}, {""}, {"x:port"}, {"a*b"}} {
		o.AllowedHosts = bad
		if err := m.srv.SetOptions(o); err == nil {
			t.Errorf("allowedHosts %q accepted", bad)
		}
	}

	// With an admin token, a request that carries it passes whatever its Host.
	mt := newMock(t, func(c *Config) { c.AdminToken = "s3cret" })
	req, _ := http.NewRequest(http.MethodGet, mt.url("/_mock/state"), nil)
	req.Host = "evil.example"
	if r := mt.rawDo(t, req); r.status != http.StatusForbidden {
		t.Errorf("token set, none sent, foreign Host: %s", r)
	}
	req.Header.Set("Authorization", "Bearer wrong")
	if r := mt.rawDo(t, req); r.status != http.StatusForbidden {
		t.Errorf("wrong token, foreign Host: %s", r)
	}
	req.Header.Set("Authorization", "Bearer s3cret")
	if r := mt.rawDo(t, req); r.status != http.StatusOK {
		t.Errorf("right token, foreign Host: %s", r)
	}
}

// Issue 11: GET /_mock/journal is valid UTF-8 whatever the requests carried: bytes that are
// not UTF-8 (in a JSON body's strings, a non-JSON body, the path, the query, a header, a
// CometD message's ext) are shown as U+FFFD and the entry is flagged "invalidUTF8": true;
// entries without such bytes are not flagged.
func TestJournalIsValidUTF8(t *testing.T) {
	m := newMock(t, func(c *Config) { c.Options.EnableCsrfProtection = false }) // Basic requests get their bodies read
	send := func(method, path, body string, hdr ...string) {
		t.Helper()
		req, err := http.NewRequest(method, m.url(path), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("MaratTest", "MaratTest")
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		m.rawDo(t, req)
	}
	wb := "/api/v2/workbins/" + seedWorkbin
	send(http.MethodPost, wb, "{\"operationName\":\"Pull\xffWorkitem\",\"id\":\"x\xc3\"}")
	send(http.MethodPost, wb, "not json \xfe\xff")
	send(http.MethodGet, "/api/v2/me/%ff", "")
	send(http.MethodGet, "/api/v2/me?x=%ff\xfe", "")
	send(http.MethodGet, "/api/v2/me", "", "X-Note", "caf\xe9")
	cometd := `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"ext":{"note":"` + "\xff\xfe" + `"}}]`
	send(http.MethodPost, spec.CometDPath, cometd)
	// A message with a secret word is masked: the flag is still set (computed before the mask).
	secret := `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"ext":{"password":"p","note":"` + "\xff\xfe" + `"}}]`
	send(http.MethodPost, spec.CometDPath, secret)
	send(http.MethodGet, "/api/v2/me", "") // clean

	res, err := http.Get(m.url("/_mock/journal"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !utf8.Valid(raw) {
		i := 0
		for i < len(raw) {
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		t.Fatalf("the journal is not UTF-8: %q", raw[max(0, i-80):min(len(raw), i+20)])
	}
	var doc struct{ Entries []JournalEntry }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var flagged, clean int
	for _, e := range doc.Entries {
		all, _ := json.Marshal(e)
		hasFFFD := strings.Contains(string(all), "\ufffd") || strings.Contains(string(all), `\ufffd`)
		switch {
		case e.InvalidUTF8 && !hasFFFD:
			t.Errorf("entry %d flagged without U+FFFD: %s", e.Seq, all)
		case e.InvalidUTF8:
			flagged++
		default:
			clean++
			if hasFFFD {
				t.Errorf("entry %d shows U+FFFD without the flag: %s", e.Seq, all)
			}
		}
	}
	// Five REST requests and the two CometD handshakes' messages as received.
	if flagged < 7 || clean < 2 {
		t.Errorf("%d entries flagged, %d clean; want at least 7 and 2:\n%s", flagged, clean, raw)
	}
}

// Issue 11: a kill during a state save leaves its temporary file; RemoveStaleStateTemps
// (run at the mock's start) removes exactly those of this state file, whatever random
// suffix os.CreateTemp gave them, and nothing else.
func TestRemoveStaleStateTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "st[a]te.json") // a glob metacharacter in the name
	write := func(name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("st[a]te.json")
	real, err := os.CreateTemp(dir, stateTempPattern("st[a]te.json")) // as a save makes it
	if err != nil {
		t.Fatal(err)
	}
	real.Close()
	stale := []string{real.Name(), write(".st[a]te.json.tmp123")}
	kept := []string{write("st[a]te.json"), write(".other.json.tmp1"), write(".st[a]te.json.tmpx"), write("st[a]te.json.tmp1"), write(".sta.json.tmp1"), write(".st[a]te.json.tmp")}
	if err := os.Mkdir(filepath.Join(dir, ".st[a]te.json.tmp9"), 0o700); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, filepath.Join(dir, ".st[a]te.json.tmp9"))
	removed, err := RemoveStaleStateTemps(path)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	slices.Sort(stale)
	if !slices.Equal(removed, stale) {
		t.Errorf("removed %q, want %q", removed, stale)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there: %v", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if removed, err := RemoveStaleStateTemps(filepath.Join(dir, "none", "s.json")); err == nil || removed != nil {
		t.Errorf("missing directory: %q %v", removed, err)
	}
}

// Issue 11: a query parameter with malformed percent-encoding is 400 / statusCode 10
// naming the parameter, not taken for absent ("missing agentGroup") nor ignored; a user
// without api-multimedia still gets 404 / statusCode 6 (D7).
func TestMalformedQueryIsNamed(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	const agentGroupWorkbin = "0b7e4c1d-5a9f-4e2b-8c3d-7f6a5b4c3d21"
	for _, tc := range []struct{ path, param string }{
		{"/api/v2/me/workbins/" + agentGroupWorkbin + "?agentGroup=%zz", "agentGroup"},
		{"/api/v2/me/workbins/" + agentGroupWorkbin + "?agentGroup=%4", "agentGroup"},
		{"/api/v2/workbins?agentGroup=%zz", "agentGroup"},
		{"/api/v2/me/workbins/" + agentGroupWorkbin + "?agentGroup=MyAgentGroup&subresources=%g1", "subresources"},
	} {
		r := marat.get(tc.path)
		msg, _ := r.body[spec.FieldStatusMessage].(string)
		if r.status != http.StatusBadRequest || r.code() != int(spec.StatusInvalidInput) || !strings.Contains(msg, tc.param) ||
			!strings.Contains(msg, "percent-encoding") || strings.Contains(strings.ToLower(msg), "missing") {
			t.Errorf("GET %s: %s; want 400 / statusCode 10 naming %s and the percent-encoding", tc.path, r, tc.param)
		}
	}
	expect(t, marat.get("/api/v2/me/workbins/"+agentGroupWorkbin+"?agentGroup=MyAgentGroup"), http.StatusOK, 0)
	expect(t, m.login("voiceonly").get("/api/v2/workbins?agentGroup=%zz"), http.StatusNotFound, int(spec.StatusNotFound))
}

// Issue 11: a JSON body declared in another charset than UTF-8 is refused, 400 /
// statusCode 10 naming the charset, and changes nothing; utf-8 is served.
func TestNonUTF8CharsetIsRefused(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	wb := "/api/v2/workbins/" + seedWorkbin
	before := snapshotJSON(t, m)
	for _, cs := range []string{"utf-16", "UTF-16LE", "iso-8859-1"} {
		r := marat.do(http.MethodPost, wb, pullBody(spec.PullWorkitem, seedWorkitem), "Content-Type", "application/json; charset="+cs)
		msg, _ := r.body[spec.FieldStatusMessage].(string)
		if r.status != http.StatusBadRequest || r.code() != int(spec.StatusInvalidInput) || !strings.Contains(msg, strconv.Quote(cs)) {
			t.Errorf("charset %s: %s; want 400 / statusCode 10 naming the charset", cs, r)
		}
	}
	if snapshotJSON(t, m) != before {
		t.Fatal("a body in another charset was applied")
	}
	expect(t, marat.do(http.MethodPost, wb, pullBody(spec.PullWorkitem, seedWorkitem), "Content-Type", "application/json; charset=UTF-8"), http.StatusOK, 0)
}

// Issue 11, D7: to a user without api-multimedia a workbin URL answers 404 / statusCode 6
// whatever the method, with no Allow header: not 405 listing the methods it takes. A user
// with the feature still gets 405 with Allow, and /me (not a workbin URL) too.
func TestD7ForEveryMethod(t *testing.T) {
	m := newMock(t)
	voice, marat := m.login("voiceonly"), m.login("MaratTest")
	paths := []string{"/api/v2/workbins", "/api/v2/workbins/" + seedWorkbin, "/api/v2/me/workbins", "/api/v2/users/" + seedWorkbin + "/workbins",
		"/api/v2/workbins/" + seedWorkbin + "/workitems"}
	for _, p := range paths {
		for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
			r := voice.do(method, p, map[string]string{})
			if r.status != http.StatusNotFound || r.code() != int(spec.StatusNotFound) || r.header.Get("Allow") != "" {
				t.Errorf("%s %s without api-multimedia: %s (Allow %q); want 404 / statusCode 6, no Allow", method, p, r, r.header.Get("Allow"))
			}
			if r := marat.do(method, p, map[string]string{}); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
				t.Errorf("%s %s with api-multimedia: %s; want 405 with Allow", method, p, r)
			}
		}
	}
	if r := voice.do(http.MethodPut, "/api/v2/me", map[string]string{}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /api/v2/me without api-multimedia: %s; want 405 (not a workbin URL)", r)
	}
}

// Issue 11: a mistyped operationName is answered with the names this URL takes.
func TestMistypedOperationNameListsTheNames(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	for path, op := range map[string]string{"/api/v2/workbins/" + seedWorkbin: spec.OpPostWorkbin, "/api/v2/workbins": spec.OpPostWorkbins} {
		r := marat.post(path, map[string]string{spec.FieldOperationName: "Pul", "id": seedWorkitem})
		msg, _ := r.body[spec.FieldStatusMessage].(string)
		want := `operationName "Pul" is not one of: ` + strings.Join(contractT(t).OperationNames(op), ", ")
		if r.status != http.StatusBadRequest || r.code() != int(spec.StatusInvalidParameter) || !strings.Contains(msg, want) {
			t.Errorf("POST %s with operationName Pul: %s; want 400 / statusCode 2 saying %q", path, r, want)
		}
	}
}

// Issue 11: the mock answers no path under /api/v2 or /_mock with a redirect (a client
// that follows redirects must never be led elsewhere, least of all to the control plane),
// whatever the method and the shape of the path: the prefixes alone, trailing and doubled
// slashes, dot segments plain and encoded, sub-paths of every endpoint.
func TestNoRedirects(t *testing.T) {
	m := newMock(t)
	m.expectViol = true // odd requests; only the status matters here
	var paths []string
	for _, prefix := range []string{"/api/v2", "/_mock"} {
		for _, tail := range []string{"", "/", "//", "/.", "/./", "/..", "/x/..", "/x/../", "/%2e", "/%2e%2e/", "/x//y", "/x/", "?a=1", "/?a=1",
			"/notifications", "/notifications/", "/notifications//x", "/notifications/x/", "/me", "/me/", "/me//workbins", "/workbins", "/workbins/",
			"/workbins/" + seedWorkbin + "/", "/users/u/workbins/", "/ui", "/ui/", "/ui/index.html", "/ui/index.html/", "/ui/api.js/", "/ui/nofile", "/state", "/state/", "/journal/", "/openapi.yaml/", "/cometd/sessions/", "/faults/"} {
			paths = append(paths, prefix+tail)
		}
	}
	paths = append(paths, "/api", "/api/", "/api/v2.", "/_mock.", "/_moc", "/", "//_mock/state", "/api/v2/../..", "/%2e%2e/_mock/state")
	c := &http.Client{Timeout: waitLimit, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range paths {
		for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			for _, auth := range []bool{false, true} {
				req, err := http.NewRequest(method, m.url(p), nil)
				if err != nil {
					t.Fatal(err)
				}
				if auth {
					req.SetBasicAuth("MaratTest", "MaratTest")
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode >= 300 && res.StatusCode < 400 {
					t.Errorf("%s %s (credentials %v): HTTP %d to %q", method, p, auth, res.StatusCode, res.Header.Get("Location"))
				}
			}
		}
	}
}
