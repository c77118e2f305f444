package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

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
