package observe

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/spec"
)

// A scripted session: MaratTest's HTTP session "s1" and CometD client "c1", talking to a
// server that the test plays. t0 is the start; each exchange says when it starts and how
// long it takes.

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type script struct {
	t   *testing.T
	k   *Checker
	seq int64
}

func newScript(t *testing.T, o Options) *script {
	t.Helper()
	c, err := fuzzContract()
	if err != nil {
		t.Fatal(err)
	}
	if o.NotificationWindow == 0 {
		o.NotificationWindow = 2 * time.Second
	}
	return &script{t: t, k: New(c, o)}
}

func basic(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+user))
}

// rest makes a REST exchange of MaratTest's session.
func (s *script) rest(at, took time.Duration, method, path, body string, status int, resp string) *Exchange {
	s.seq++
	u, _ := url.Parse("http://gws.example" + path)
	h := http.Header{"Authorization": {basic("MaratTest")}, "Cookie": {"JSESSIONID=s1"}}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return &Exchange{Seq: s.seq, Start: t0.Add(at), Duration: took, Method: method, URL: u, RequestHeader: h, RequestBody: []byte(body),
		Status: status, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: []byte(resp)}
}

// bayeux makes a long-polling exchange of MaratTest's session.
func (s *script) bayeux(at, took time.Duration, req, resp string) *Exchange {
	s.seq++
	u, _ := url.Parse("http://gws.example" + spec.CometDPath)
	return &Exchange{Seq: s.seq, Start: t0.Add(at), Duration: took, Method: http.MethodPost, URL: u,
		RequestHeader: http.Header{"Cookie": {"JSESSIONID=s1"}, "Content-Type": {"application/json"}}, RequestBody: []byte(req),
		Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: []byte(resp)}
}

func (s *script) observe(exs ...*Exchange) {
	for _, ex := range exs {
		s.k.Observe(ex)
	}
}

// listen opens client c1 subscribed to /v2/me/** (at 0..20 ms).
func (s *script) listen() {
	s.observe(
		s.bayeux(0, 5*time.Millisecond, `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`,
			`[{"channel":"/meta/handshake","successful":true,"clientId":"c1","version":"1.0","supportedConnectionTypes":["long-polling"],"advice":{"timeout":30000}}]`),
		s.bayeux(10*time.Millisecond, 5*time.Millisecond, `[{"channel":"/meta/subscribe","clientId":"c1","subscription":"/v2/me/**"}]`,
			`[{"channel":"/meta/subscribe","successful":true,"subscription":"/v2/me/**"}]`),
	)
}

const (
	pullBody  = `{"operationName":"PullWorkitem","id":"x1"}`
	pullReply = `{"statusCode":0,"referenceId":7}`
	pulled    = `{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","notificationType":"StatusChange","referenceId":7,
		"workitem":{"id":"x1","state":"Processing","capabilities":["Transfer","AttachUserData","UpdateUserData","DeleteUserData","SetInFocus","Complete"],"workitemType":"Inbound","receivedDate":"2016-04-08 15:01:05.000+0300","userData":{}}}}`
)

func connect(events ...string) string {
	return `[{"channel":"/meta/connect","successful":true}` + strings.Join(append([]string{""}, events...), ",") + `]`
}

const connectReq = `[{"channel":"/meta/connect","clientId":"c1","connectionType":"long-polling"}]`

func (s *script) rules() map[conformance.Rule]int {
	out := map[conformance.Rule]int{}
	for _, f := range s.k.Result().Findings {
		if f.Level == LevelError {
			out[f.Rule]++
		}
	}
	return out
}

// TestPullAnnounced: an accepted pull followed by its StatusChange, in either order of
// arrival, breaks nothing; the checks ran.
func TestPullAnnounced(t *testing.T) {
	for _, order := range []string{"reply first", "event first"} {
		t.Run(order, func(t *testing.T) {
			s := newScript(t, Options{})
			s.listen()
			pull := s.rest(100*time.Millisecond, 20*time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply)
			held := s.bayeux(30*time.Millisecond, 100*time.Millisecond, connectReq, connect(pulled))
			if order == "reply first" {
				held.Duration = 200 * time.Millisecond
				s.observe(pull, held)
			} else {
				s.observe(held, pull)
			}
			s.k.Finish(t0.Add(time.Minute))
			res := s.k.Result()
			if res.Errors != 0 || res.Undecided != 0 || res.Pending != 0 {
				t.Fatalf("%d errors, %d undecided: %+v", res.Errors, res.Undecided, res.Findings)
			}
			for _, r := range []conformance.Rule{conformance.RuleNotification, conformance.RuleState, conformance.RuleCapabilities, conformance.RuleReferenceEcho, conformance.RuleReferenceID} {
				if res.Rules[r] == nil || res.Rules[r].Checked == 0 {
					t.Errorf("%s was not checked", r)
				}
			}
		})
	}
}

// TestMissedAndUndecided: a pull whose notification never comes is missed once a connect of
// the listening client ends after the window, and undecided when the capture ends first.
func TestMissedAndUndecided(t *testing.T) {
	s := newScript(t, Options{})
	s.listen()
	s.observe(s.rest(100*time.Millisecond, 20*time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply))
	s.observe(s.bayeux(30*time.Millisecond, time.Second, `[{"channel":"/meta/connect","clientId":"c1","connectionType":"long-polling","advice":{"timeout":0}}]`, connect()))
	if got := s.rules(); len(got) != 0 {
		t.Fatalf("decided inside the window: %v", got)
	}
	s.k.Finish(t0.Add(time.Second))
	if res := s.k.Result(); res.Undecided != 1 || res.Errors != 0 {
		t.Fatalf("capture ended in the window: %d undecided, %d errors", res.Undecided, res.Errors)
	}

	s = newScript(t, Options{})
	s.listen()
	s.observe(s.rest(100*time.Millisecond, 20*time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply))
	s.observe(s.bayeux(30*time.Millisecond, 30*time.Second, connectReq, connect()))
	if got := s.rules(); got[conformance.RuleNotification] != 1 {
		t.Fatalf("missed notification: %v", s.k.Result().Findings)
	}
}

// TestNotListeningNotExpected: without a CometD client on the channel nothing is awaited.
func TestNotListeningNotExpected(t *testing.T) {
	s := newScript(t, Options{})
	s.observe(s.rest(100*time.Millisecond, 20*time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply))
	s.k.Finish(t0.Add(time.Hour))
	res := s.k.Result()
	if res.Errors != 0 || res.Undecided != 0 || len(res.NotJudged) == 0 {
		t.Fatalf("errors %d undecided %d notJudged %v", res.Errors, res.Undecided, res.NotJudged)
	}
}

// TestWrongPullAnnouncement: the state, the capabilities and the referenceId of the
// StatusChange are judged, each under its rule and pointer.
//
// The notification is judged whichever exchange ended first: seen after the pull's reply
// it meets the expectation at once; seen before, it was kept (compacted) and is read
// again when the reply comes.
func TestWrongPullAnnouncement(t *testing.T) {
	for _, noteFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("notification first %v", noteFirst), func(t *testing.T) {
			s := newScript(t, Options{})
			s.listen()
			bad := strings.NewReplacer(`"referenceId":7`, `"referenceId":8`, `"state":"Processing"`, `"state":"Invited"`).Replace(pulled)
			pull := s.rest(100*time.Millisecond, 20*time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply)
			note := s.bayeux(30*time.Millisecond, 200*time.Millisecond, connectReq, connect(bad))
			if noteFirst { // delivered at 130 ms, during the pull, before the reply was seen
				note.Duration = 100 * time.Millisecond
				s.observe(note, pull)
			} else {
				s.observe(pull, note)
			}
			got := map[string]bool{}
			for _, f := range s.k.Result().Findings {
				got[string(f.Rule)+" "+f.Pointer] = true
				if f.Rule == conformance.RuleState && !strings.Contains(f.Excerpt, "Invited") {
					t.Errorf("the state finding's excerpt %q does not show the state", f.Excerpt)
				}
			}
			for _, want := range []string{"D4.referenceId-echo /data/referenceId", "D5.state /data/workitem/state"} {
				if !got[want] {
					t.Errorf("no finding %q in %v", want, got)
				}
			}
		})
	}
}

// TestRefusedInvalidRequest: a request the contract rejects is the client's fault when the
// server refuses it, and the server's when it accepts it.
func TestRefusedInvalidRequest(t *testing.T) {
	s := newScript(t, Options{})
	s.observe(s.rest(0, time.Millisecond, "POST", "/api/v2/workbins/w1", `{"operationName":"PullWorkitem"}`, 400, `{"statusCode":1,"statusMessage":"id is missing"}`))
	if res := s.k.Result(); res.Errors != 0 || res.RefusedInvalid != 1 {
		t.Fatalf("refused: %d errors, %d refused invalid: %+v", res.Errors, res.RefusedInvalid, res.Findings)
	}
	s.observe(s.rest(time.Second, time.Millisecond, "POST", "/api/v2/me/workbins/w1?agentGroup=a&placeGroup=b", pullBody, 200, pullReply))
	if got := s.rules(); got[conformance.RuleGroupParams] != 1 {
		t.Fatalf("accepted with both group parameters: %v", s.k.Result().Findings)
	}
}

// TestWarningsAndStrict: a value beyond the known ones is a warning, an error under Strict.
func TestWarningsAndStrict(t *testing.T) {
	me := `{"statusCode":0,"user":{"id":"u1","userName":"MaratTest","roles":["ROLE_AGENT"],"favouriteColour":"blue"}}`
	for _, strict := range []bool{false, true} {
		s := newScript(t, Options{Strict: strict})
		s.observe(s.rest(0, time.Millisecond, "GET", "/api/v2/me", "", 200, me))
		res := s.k.Result()
		if strict && (res.Errors != 1 || res.Warnings != 0) || !strict && (res.Errors != 0 || res.Warnings != 1) {
			t.Errorf("strict %v: %d errors %d warnings", strict, res.Errors, res.Warnings)
		}
		if res.Findings[0].Pointer != "/user/favouriteColour" {
			t.Errorf("pointer %q", res.Findings[0].Pointer)
		}
	}
}

// TestSecondPullAndContent: a second accepted pull, and a read still listing the pulled
// interaction after the settle time, are violations; a read right after the pull is not.
func TestSecondPullAndContent(t *testing.T) {
	s := newScript(t, Options{Settle: time.Second})
	listing := `{"statusCode":0,"workbin":{"id":"w1","workitems":[{"id":"x1","state":"InWorkbin","capabilities":[]}],"chats":[],"emails":[]}}`
	s.observe(
		s.rest(0, time.Millisecond, "GET", "/api/v2/workbins/w1?subresources=*", "", 200, listing),
		s.rest(100*time.Millisecond, time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply),
		s.rest(200*time.Millisecond, time.Millisecond, "GET", "/api/v2/workbins/w1?subresources=*", "", 200, listing),
	)
	if got := s.rules(); len(got) != 0 {
		t.Fatalf("inside the settle time: %v", got)
	}
	s.observe(
		s.rest(3*time.Second, time.Millisecond, "GET", "/api/v2/workbins/w1?subresources=*", "", 200, listing),
		s.rest(4*time.Second, time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, `{"statusCode":0,"referenceId":8}`),
	)
	if got := s.rules(); got[conformance.RuleContent] != 1 || got[conformance.RuleSecondPull] != 1 {
		t.Fatalf("%v: %+v", got, s.k.Result().Findings)
	}
}

// TestBayeuxRules: a handshake without credentials, and a connect asking timeout 0 that
// was held, are D9.bayeux violations.
func TestBayeuxRules(t *testing.T) {
	s := newScript(t, Options{})
	hs := s.bayeux(0, time.Millisecond, `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`,
		`[{"channel":"/meta/handshake","successful":true,"clientId":"c9","supportedConnectionTypes":["long-polling"]}]`)
	hs.RequestHeader.Del("Cookie")
	first := s.bayeux(time.Second, 5*time.Second, `[{"channel":"/meta/connect","clientId":"c9","connectionType":"long-polling","advice":{"timeout":0}}]`, connect())
	s.observe(hs, first)
	if got := s.rules(); got[conformance.RuleBayeux] != 2 {
		t.Fatalf("%v: %+v", got, s.k.Result().Findings)
	}
}

// TestReadHARReorders: a HAR lists entries by start, so the long poll that delivered a
// pull's notification comes before the pull; ReadHAR judges them in the order they ended.
func TestReadHARReorders(t *testing.T) {
	s := newScript(t, Options{})
	exs := []*Exchange{
		s.bayeux(0, 5*time.Millisecond, `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`,
			`[{"channel":"/meta/handshake","successful":true,"clientId":"c1","supportedConnectionTypes":["long-polling"]}]`),
		s.bayeux(10*time.Millisecond, 5*time.Millisecond, `[{"channel":"/meta/subscribe","clientId":"c1","subscription":"/v2/me/**"}]`,
			`[{"channel":"/meta/subscribe","successful":true,"subscription":"/v2/me/**"}]`),
		s.bayeux(30*time.Millisecond, 30*time.Second, connectReq, connect(pulled)), // ends last
		s.rest(100*time.Millisecond, 20*time.Millisecond, "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply),
	}
	exs[2].Duration = 200 * time.Millisecond
	var buf bytes.Buffer
	w, _ := har.NewWriter(&buf, har.Creator{Name: "t", Version: "1"})
	p := NewPseudonyms()
	for _, ex := range exs {
		w.Write(ToHAR(ex, p))
	}
	w.Close()
	k := New(s.k.c, Options{NotificationWindow: 2 * time.Second})
	n, err := ReadHAR(context.Background(), har.NewReader(&buf), k)
	if err != nil || n != 4 {
		t.Fatal(n, err)
	}
	res := k.Result()
	if res.Errors != 0 || res.Undecided != 0 || res.Rules[conformance.RuleState] == nil {
		t.Fatalf("errors %d undecided %d rules %v notjudged %v: %+v", res.Errors, res.Undecided, res.Rules, res.NotJudged, res.Findings)
	}
}

// TestFromHAR: cookies listed only in the cookies arrays are rebuilt, HTTP/2
// pseudo-headers dropped, a body the browser left out is unknown rather than empty.
func TestFromHAR(t *testing.T) {
	e := &har.Entry{StartedDateTime: "2026-03-01T10:00:00.000Z", Time: 12.5,
		Request: har.Request{Method: "get", URL: "http://gws.example/api/v2/me", Headers: []har.NameValue{{Name: ":authority", Value: "gws"}, {Name: "Accept", Value: "*/*"}},
			Cookies: []har.Cookie{{Name: "JSESSIONID", Value: "abc"}}},
		Response: har.Response{Status: 200, Cookies: []har.Cookie{{Name: "JSESSIONID", Value: "def", Path: "/"}},
			Content: har.Content{Size: -1, MimeType: "application/json"}}}
	ex, err := FromHAR(e, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Method != "GET" || ex.RequestHeader.Get(":authority") != "" || cookieValue(ex.RequestHeader, "JSESSIONID") != "abc" ||
		setCookieValue(ex.ResponseHeader, "JSESSIONID") != "def" || ex.Incomplete == "" || ex.Duration != 12500*time.Microsecond {
		t.Errorf("%+v", ex)
	}
}

// TestPseudonyms: a secret gets the same stand-in every time, the user name of Basic
// credentials stays, the password goes.
func TestPseudonyms(t *testing.T) {
	p := NewPseudonyms()
	h := p.Header(http.Header{"Authorization": {basic("MaratTest")}, "Cookie": {"JSESSIONID=abc; BAYEUX_BROWSER=xyz"},
		"Set-Cookie": {"JSESSIONID=abc; Path=/; HttpOnly"}, "X-Csrf-Token": {"tok"}, "Accept": {"x"}})
	if user, _ := basicUser(h); user != "MaratTest" || strings.Contains(h.Get("Authorization"), base64.StdEncoding.EncodeToString([]byte("MaratTest:MaratTest"))) {
		t.Errorf("Authorization %q", h.Get("Authorization"))
	}
	if cookieValue(h, "JSESSIONID") != setCookieValue(h, "JSESSIONID") || cookieValue(h, "JSESSIONID") == "abc" || !strings.HasSuffix(h.Get("Set-Cookie"), "Path=/; HttpOnly") {
		t.Errorf("cookies %q / %q", h.Get("Cookie"), h.Get("Set-Cookie"))
	}
	if h.Get("X-Csrf-Token") == "tok" || h.Get("Accept") != "x" {
		t.Errorf("%v", h)
	}
	if NewPseudonyms().of("abc") == p.of("abc") {
		t.Error("two recordings share stand-ins")
	}
}

// TestRefSetBounded: a session remembers its last refMemory referenceIds.
func TestRefSetBounded(t *testing.T) {
	var r refSet
	for i := range int64(refMemory + 10) {
		if !r.add(i, t0).IsZero() {
			t.Fatalf("%d reported twice", i)
		}
	}
	if len(r.set) != refMemory || !r.add(5, t0).IsZero() || r.add(refMemory+5, t0).IsZero() {
		t.Errorf("ring: %d remembered", len(r.set))
	}
}

// TestPullAnnouncedAmongManyNotes: a pull's StatusChange seen before its reply is found
// however many other notifications the party got in between (here more than the
// maxRecentNotes a party's list keeps): under heavy traffic the announcement is not
// reported missing.
func TestPullAnnouncedAmongManyNotes(t *testing.T) {
	s := newScript(t, Options{})
	s.listen()
	events := []string{pulled}
	for i := range maxRecentNotes + 10 {
		events = append(events, fmt.Sprintf(`{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","notificationType":"PropertiesUpdated","referenceId":%d,
		"workitem":{"id":"y%d","state":"Processing","capabilities":["Transfer","AttachUserData","UpdateUserData","DeleteUserData","SetInFocus","Complete"],"workitemType":"Inbound","receivedDate":"2016-04-08 15:01:05.000+0300","userData":{}}}}`, 100+i, i))
	}
	ms := func(d int) time.Duration { return time.Duration(d) * time.Millisecond }
	s.observe(
		s.bayeux(ms(30), ms(120), connectReq, connect(events...)), // the announcement, then many more
		s.rest(ms(100), ms(100), "POST", "/api/v2/workbins/w1", pullBody, 200, pullReply),
		s.bayeux(ms(150), 30*time.Second, connectReq, connect()), // the client, seen after the window
	)
	s.k.Finish(t0.Add(time.Minute))
	res := s.k.Result()
	if n := s.rules()[conformance.RuleNotification]; n != 0 || res.Undecided != 0 || res.Pending != 0 {
		t.Fatalf("%d %s findings, %d undecided, %d pending: %+v", n, conformance.RuleNotification, res.Undecided, res.Pending, res.Findings[:min(len(res.Findings), 3)])
	}
	if res.Rules[conformance.RuleState] == nil || res.Rules[conformance.RuleState].Checked == 0 {
		t.Errorf("the announcement was not judged")
	}
}
