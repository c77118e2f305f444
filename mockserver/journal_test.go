package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

func withoutCSRF(c *Config) {
	o := DefaultOptions()
	o.EnableCsrfProtection = false
	c.Options = &o
}

// serveBasic serves a request of MaratTest (Basic credentials) through ServeHTTP: an
// exchange is journaled after its reply is sent, so a client could read the journal before
// the exchange is there; ServeHTTP returns after.
func serveBasic(m *mockT, method, path, body, ctype string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.SetBasicAuth("MaratTest", "MaratTest")
	rec := httptest.NewRecorder()
	m.srv.ServeHTTP(rec, req)
	return rec
}

// maxStoredBody is what a stored body may take: maxJournalBody of text, JSON-escaped (at
// most 6 bytes per byte), plus the quotes and the "…(truncated)" mark.
const maxStoredBody = 6*maxJournalBody + 64

// The journal stores what it shows: a request body near the 1 MiB limit, and a long reply,
// are cut when added, not kept whole until read.
func TestJournalStoresBoundedBodies(t *testing.T) {
	m := newMock(t, withoutCSRF)
	pad := strings.Repeat("x", spec.MaxBodyBytes-1024)
	if rec := serveBasic(m, http.MethodPost, "/api/v2/workbins/"+seedWorkbin, `{"operationName":"Subscribe","pad":"`+pad+`"}`, "application/json"); rec.Code != http.StatusOK {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	stored := lastHTTPRecord(t, m, http.MethodPost)
	if len(stored.reqBody) > maxStoredBody {
		t.Errorf("stored request body: %d bytes (want ≤ %d)", len(stored.reqBody), maxStoredBody)
	}
	if !strings.Contains(string(stored.reqBody), "…(truncated)") {
		t.Errorf("stored request body not marked as cut: %.100s", stored.reqBody)
	}
	for _, v := range stored.reqHeader["Authorization"] {
		if v != "Basic "+masked {
			t.Errorf("stored Authorization %q", v)
		}
	}

	// A reply body is bounded the same way.
	r := httptest.NewRequest(http.MethodGet, "/api/v2/workbins", nil)
	big := []byte(`{"statusCode":0,"pad":"` + strings.Repeat("y", 1<<20) + `"}`)
	m.srv.journalHTTP(&apiCall{r: r, received: r}, http.StatusOK, http.Header{}, big, time.Now())
	if rec := lastHTTPRecord(t, m, http.MethodGet); len(rec.respBody) > maxStoredBody {
		t.Errorf("stored reply body: %d bytes (want ≤ %d)", len(rec.respBody), maxStoredBody)
	}
}

// A CometD message is stored with its data and ext bounded too: a client may send up to
// 1 MiB in one message (a publish the mock refuses is journaled all the same).
func TestJournalStoresBoundedCometDMessages(t *testing.T) {
	m := newMock(t)
	big := json.RawMessage(`"` + strings.Repeat("z", 512<<10) + `"`)
	small := json.RawMessage(`{"a":1}`)
	m.srv.journalCometD(bayeux.WireEvent{Direction: bayeux.ToServer, Message: bayeux.Message{Channel: "/v2/me/workitems", Data: big, Ext: big}})
	m.srv.journalCometD(bayeux.WireEvent{Direction: bayeux.ToServer, Message: bayeux.Message{Channel: "/v2/me/workitems", Data: small}})
	j := m.srv.journal
	j.mu.Lock()
	var wires []*bayeux.WireEvent
	for _, r := range j.ring {
		if r.wire != nil {
			wires = append(wires, r.wire)
		}
	}
	j.mu.Unlock()
	if len(wires) != 2 {
		t.Fatalf("%d CometD records, want 2", len(wires))
	}
	for _, f := range []json.RawMessage{wires[0].Message.Data, wires[0].Message.Ext} {
		if len(f) > maxStoredBody || !strings.Contains(string(f), "not kept") {
			t.Errorf("stored member of %d bytes: %.80s", len(f), f)
		}
	}
	if string(wires[1].Message.Data) != string(small) {
		t.Errorf("small data stored as %s", wires[1].Message.Data)
	}
}

// lastHTTPRecord is the newest HTTP record of method ("": any) as the journal stores it.
func lastHTTPRecord(t *testing.T, m *mockT, method string) httpRecord {
	t.Helper()
	j := m.srv.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range len(j.ring) {
		r := j.ring[(j.next-1-i+len(j.ring))%len(j.ring)]
		if r.wire == nil && r.seq != 0 && (method == "" || r.http.method == method) {
			return r.http
		}
	}
	t.Fatalf("no %s HTTP record in the journal", method)
	return httpRecord{}
}

// Bodies the journal cannot mask (not JSON, or too long to decode) are not shown when they
// mention a secret word; other such bodies are shown as strings, cut to maxJournalBody.
func TestJournalBody(t *testing.T) {
	const hidden = "hidden"
	long := func(tail string) string {
		return `{"operationName":"Subscribe","pad":"` + strings.Repeat("x", maxJournalBody) + `"` + tail + `}`
	}
	for _, c := range []struct {
		name, body string
		want       string // the rendered body, or a prefix ending in "…"
	}{
		{"empty", "", ""},
		{"JSON", `{"operationName":"Subscribe"}`, `{"operationName":"Subscribe"}`},
		{"JSON with a password", `{"password":"hunter2","a":[{"apiToken":"t"}]}`, `{"a":[{"apiToken":"***"}],"password":"***"}`},
		{"form with a password", "user=a&password=hunter2", hidden},
		{"text with a token", "token=tok123", hidden},
		{"text without a secret", "hello", `"hello"`},
		{"truncated JSON with a secret", `{"Password":"hunter2"`, hidden},
		{"long JSON with a secret", long(`,"password":"hunter2"`), hidden},
		{"long JSON without a secret", long(""), `"{\"operationName\":\"Subscribe\",\"pad\":\"xxx…`},
	} {
		got := string(journalBody([]byte(c.body)))
		if c.want == hidden {
			c.want = fmt.Sprintf(`"<%d bytes, not shown: may hold a secret>"`, len(c.body))
		}
		if prefix, ok := strings.CutSuffix(c.want, "…"); ok {
			if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, `…(truncated)"`) || len(got) > maxStoredBody {
				t.Errorf("%s: %.80s… (%d bytes)", c.name, got, len(got))
			}
		} else if got != c.want {
			t.Errorf("%s: got %.200s, want %s", c.name, got, c.want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "tok123") {
			t.Errorf("%s: shows a secret: %.200s", c.name, got)
		}
		if got != "" && !json.Valid([]byte(got)) {
			t.Errorf("%s: not JSON: %.200s", c.name, got)
		}
	}
}

// Through the server: a non-JSON request body with a password is not shown.
func TestJournalHidesUnmaskableBodies(t *testing.T) {
	m := newMock(t, withoutCSRF)
	wb := "/api/v2/workbins/" + seedWorkbin
	if rec := serveBasic(m, http.MethodPost, wb, "operationName=Subscribe&password=hunter2", "application/x-www-form-urlencoded"); rec.Code != http.StatusBadRequest {
		t.Errorf("form body: %d %s", rec.Code, rec.Body)
	}
	long := `{"operationName":"Subscribe","pad":"` + strings.Repeat("x", maxJournalBody) + `","password":"hunter2"}`
	if rec := serveBasic(m, http.MethodPost, wb, long, "application/json"); rec.Code != http.StatusOK {
		t.Errorf("long body: %d %s", rec.Code, rec.Body)
	}
	raw := string(m.admin().do(http.MethodGet, "/_mock/journal", nil).raw)
	if strings.Contains(raw, "hunter2") {
		t.Errorf("the journal shows a password: %.2000s", raw)
	}
	if n := strings.Count(raw, "not shown: may hold a secret"); n != 2 {
		t.Errorf("%d bodies not shown, want 2", n)
	}
}

// TestMaskKeepsFlags: a member named like a secret is masked unless its value is a boolean
// or null, which hold none (GET /me's changePasswordOnFirstLogin).
func TestMaskKeepsFlags(t *testing.T) {
	got := string(maskJSON([]byte(`{"user":{"changePasswordOnFirstLogin":false,"password":"hunter2","passwordHint":null,"apiToken":12345,"secrets":{"a":true}}}`)))
	const want = `{"user":{"apiToken":"***","changePasswordOnFirstLogin":false,"password":"***","passwordHint":null,"secrets":"***"}}`
	if got != want {
		t.Errorf("masked\n%s\nwant\n%s", got, want)
	}
}
