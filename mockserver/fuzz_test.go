package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions}

// FuzzRequest feeds arbitrary method, path, body and headers to the whole handler. The
// properties: no panic and no hang; a status below 600; on the REST API every body is a GWS
// envelope (an error being exactly statusCode and statusMessage) or the CSRF text; and a
// refused request changes nothing.
func FuzzRequest(f *testing.F) {
	seeds := []struct {
		method     byte
		path       string
		body       string
		ctype      string
		auth, csrf byte
	}{
		{1, "/api/v2/workbins/" + seedWorkbin, `{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`, "application/json", 1, 1},
		{1, "/api/v2/workbins/" + seedWorkbin, `{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`, "application/json", 2, 1},
		{1, "/api/v2/workbins/" + seedWorkbin, `{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`, "application/json", 1, 0},
		{1, "/api/v2/me/workbins/" + agentGroupWB + "?agentGroup=MyAgentGroup&placeGroup=x", `{"operationName":"PullChat","id":"x"}`, "application/json", 1, 1},
		{1, "/api/v2/workbins/" + seedWorkbin, `{"operationName":`, "application/json", 1, 1},
		{1, "/api/v2/workbins/" + seedWorkbin, strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "application/json", 1, 1},
		{1, "/api/v2/workbins/" + seedWorkbin, `{"operationName":"PullWorkitem","id":"` + strings.Repeat("é", 300) + `"}`, "application/json", 1, 1},
		{1, "/api/v2/workbins/\x00\x01%00", `{"operationName":"PullWorkitem","id":"\u0000\u0001"}`, "application/json", 1, 1},
		{1, "/api/v2/workbins/%E2%80%AE%F0%9F%92%A9", `{"operationName":"AddWorkitem","uri":"::::"}`, "application/json; charset=utf-16", 1, 1},
		{1, "/api/v2/workbins", `{"operationName":"RequestAgentStats","workbinType":"AgentGroup","workbinOwner":"MyAgentGroup"}`, "application/json", 1, 1},
		{1, "/api/v2/workbins?workbinIds=,,," + seedWorkbin, `{"operationName":"Subscribe"}`, "application/json", 1, 1},
		{1, "/api/v2/users/" + agent2ID + "/workbins/" + agent2WB, `{"operationName":"PullInteraction","id":"02F0ASAK8EAFA10W"}`, "application/json", 3, 1},
		{0, "/api/v2/workbins/" + seedWorkbin + "/chats?subresources=*&fields=*", ``, "", 1, 0},
		{0, "/api/v2/workbins?fields=*", ``, "", 2, 0},
		{0, "/api/v2/../../etc/passwd", ``, "", 1, 0},
		{0, "/api/v2/me?subresources=" + strings.Repeat("a,", 5000), ``, "", 1, 0},
		{1, "/api/v2/notifications/handshake", `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`, "application/json", 1, 0},
		{1, "/api/v2/notifications/connect", `[{"channel":"/meta/connect","clientId":"x","connectionType":"long-polling"}]`, "application/json", 0, 0},
		{6, "/api/v2/workbins", ``, "", 0, 0},
		{5, "/api/v2/me", ``, "", 1, 0},
		{2, "/api/v2/me", `{}`, "application/json", 1, 1},
		{1, "/_mock/reset", `{}`, "application/json", 0, 0},
		{1, "/api/v2/me/workitems/02F0ASAK8EAFA90W", `{"operationName":"AttachUserData","userData":{"UserData1":"DATA1","UserData2":123456789}}`, "application/json", 1, 1},
		{1, "/api/v2/me/workitems/02F0ASAK8EAFA90W", `{"operationName":"DeleteUserData","keys":"UserData1"}`, "application/json", 1, 1},
		{1, "/api/v2/me/chats/0001BaBFVPR20090", `{"operationName":"Invite","targetUri":"http://h/api/v2/users/` + agent2ID + `"}`, "application/json", 1, 1},
		{1, "/api/v2/me/chats/0001BaBFVPR20090", `{"operationName":"Transfer","targetUri":"%zz"}`, "application/json", 1, 1},
		{1, "/api/v2/me/emails/00001aEMAIL00090", `{"operationName":"Reply","userData":{"k":[1]}}`, "application/json", 1, 1},
		{1, "/api/v2/me", `{"operationName":"StartContactCenterSession","channels":["chat",""]}`, "application/json", 1, 1},
		{1, "/_mock/chats/0001BaBFVPR20090/customer", `{"action":"message","text":"hi"}`, "application/json", 0, 0},
		{1, "/api/v2/workbins/" + seedWorkbin, `{"operationName":"PullWorkitem","id":"x","pad":"` + strings.Repeat("x", spec.MaxBodyBytes) + `"}`, "application/json", 1, 1},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, []byte(s.body), s.ctype, s.auth, s.csrf)
	}
	opts := DefaultOptions()
	opts.CometD.Timeout = Millis(time.Millisecond) // a held connect must not stall the fuzzer
	opts.Strict = true                             // exercise the strict path too (its reports are not failures)
	var violations atomic.Int64                    // self-check violations (strict-mode reports aside)
	srv, err := New(Config{Contract: contractT(f), Options: &opts, AdminToken: "fuzz-only", OnViolation: func(v Violation) {
		if v.Kind != ViolationRequestField {
			violations.Add(1)
		}
	}})
	if err != nil {
		f.Fatal(err)
	}
	// One session of MaratTest, one of supervisor1, for cookie-authenticated requests.
	login := func(name string) (cookie, csrf string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v2/me", nil)
		req.SetBasicAuth(name, name)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == spec.SessionCookie {
				cookie = c.Value
			}
		}
		return cookie, rec.Header().Get(spec.HeaderCSRFToken)
	}
	maratCookie, maratCSRF := login("MaratTest")
	supCookie, supCSRF := login("supervisor1")
	if maratCookie == "" || supCookie == "" {
		f.Fatal("no session")
	}
	initial := fuzzSnapshot(f, srv)

	f.Fuzz(func(t *testing.T, method byte, path string, body []byte, ctype string, auth, csrf byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/api/v2/" + path
		}
		req, err := http.NewRequest(fuzzMethods[int(method)%len(fuzzMethods)], "http://127.0.0.1"+path, bytes.NewReader(body))
		if err != nil {
			t.Skip() // not a request a client could send
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		token := maratCSRF
		switch auth % 4 {
		case 1:
			req.AddCookie(&http.Cookie{Name: spec.SessionCookie, Value: maratCookie})
		case 2:
			req.SetBasicAuth("MaratTest", "MaratTest")
		case 3:
			req.AddCookie(&http.Cookie{Name: spec.SessionCookie, Value: supCookie})
			token = supCSRF
		}
		switch csrf % 3 {
		case 1:
			req.Header.Set(spec.HeaderCSRFToken, token)
		case 2:
			req.Header.Set(spec.HeaderCSRFToken, "wrong")
		}
		before := fuzzSnapshot(t, srv)
		violationsBefore := violations.Load()
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Fatalf("%s %s did not return within %s", req.Method, path, waitLimit)
		}
		status := rec.Code
		if violations.Load() != violationsBefore {
			_, recent := srv.Violations()
			t.Fatalf("%s %s: the mock broke its own contract: %+v", req.Method, path, recent[len(recent)-1])
		}
		if status < 100 || status >= 600 {
			t.Fatalf("status %d", status)
		}
		onAPI := strings.HasPrefix(req.URL.Path, spec.BasePath+"/") && !strings.HasPrefix(req.URL.Path, spec.CometDPath)
		if onAPI && req.Method != http.MethodOptions && (status < 300 || status >= 400) {
			checkEnvelope(t, status, rec.Body.Bytes())
		}
		after := fuzzSnapshot(t, srv)
		if status != http.StatusOK && after != before {
			t.Fatalf("%s %s answered %d and changed the state", req.Method, path, status)
		}
		if after != initial {
			if err := srv.Reset(); err != nil { // keep the seed state for the next input
				t.Fatal(err)
			}
		}
	})
}

func fuzzSnapshot(t testing.TB, s *Server) string {
	b, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkEnvelope: the CSRF text, or a JSON object with an integer statusCode; errors have
// exactly statusCode and statusMessage.
func checkEnvelope(t *testing.T, status int, body []byte) {
	t.Helper()
	if status == http.StatusForbidden && string(body) == spec.CSRFRejection {
		return
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("HTTP %d body is no JSON object: %q", status, body)
	}
	var code int
	if err := json.Unmarshal(env[spec.FieldStatusCode], &code); err != nil {
		t.Fatalf("HTTP %d body has no integer statusCode: %s", status, body)
	}
	if code != 0 {
		var msg string
		if len(env) != 2 || json.Unmarshal(env[spec.FieldStatusMessage], &msg) != nil || msg == "" {
			t.Fatalf("error envelope is not exactly {statusCode, statusMessage}: %s", body)
		}
		if status == http.StatusOK {
			t.Fatalf("error statusCode %d with HTTP 200", code)
		}
	} else if status != http.StatusOK {
		t.Fatalf("statusCode 0 with HTTP %d", status)
	}
}
