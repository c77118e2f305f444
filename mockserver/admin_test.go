package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

// adminClient calls the control plane and checks every request and reply against
// spec/mock-admin.yaml.
type adminClient struct {
	t      testing.TB
	m      *mockT
	token  string
	router routers.Router
}

func (m *mockT) admin() *adminClient {
	m.t.Helper()
	doc, err := spec.LoadAdmin()
	if err != nil {
		m.t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		m.t.Fatal(err)
	}
	return &adminClient{t: m.t, m: m, router: router}
}

func (a *adminClient) do(method, path string, body any) reply {
	a.t.Helper()
	var raw []byte
	if body != nil {
		if s, ok := body.(string); ok {
			raw = []byte(s)
		} else {
			raw, _ = json.Marshal(body)
		}
	}
	req, _ := http.NewRequest(method, a.m.url(path), bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, raw: out}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	_ = dec.Decode(&r.body)

	// The reply must be what mock-admin.yaml documents.
	vreq, _ := http.NewRequest(method, "/_mock"+strings.TrimPrefix(path, "/_mock"), bytes.NewReader(raw))
	vreq.Header = req.Header.Clone()
	route, params, err := a.router.FindRoute(vreq)
	if err != nil {
		a.t.Errorf("%s %s is not in mock-admin.yaml: %v", method, path, err)
		return r
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if r.status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			a.t.Errorf("%s %s: the request breaks mock-admin.yaml: %v", method, path, err)
		}
	}
	ropts := opts
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		o := *opts
		o.ExcludeResponseBody = true // kin-openapi decodes JSON bodies only
		ropts = &o
	}
	vres := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: res.Header, Options: ropts}
	vres.SetBodyBytes(out)
	if err := openapi3filter.ValidateResponse(context.Background(), vres); err != nil {
		a.t.Errorf("%s %s: the reply %d %s breaks mock-admin.yaml: %v", method, path, r.status, out, err)
	}
	return r
}

// Every operation of mock-admin.yaml is served (none falls through to the catch-all).
func TestAdminServesItsContract(t *testing.T) {
	m := newMock(t)
	doc, err := spec.LoadAdmin()
	if err != nil {
		t.Fatal(err)
	}
	for p, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			req, _ := http.NewRequest(method, m.url("/_mock"+p), strings.NewReader("{"))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(body), "no control-plane endpoint") || res.StatusCode == http.StatusMethodNotAllowed {
				t.Errorf("%s /_mock%s is documented but not served: %d %s", method, p, res.StatusCode, body)
			}
		}
	}
}

func TestAdminStateResetAndRestore(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	marat := m.login("MaratTest")
	before := a.do("GET", "/_mock/state", nil)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	after := a.do("GET", "/_mock/state", nil)
	if string(before.raw) == string(after.raw) || !strings.Contains(string(after.raw), `"owner":"MaratTest"`) {
		t.Error("GET /_mock/state does not show the pull")
	}
	// Restore the state from before the pull.
	if r := a.do("PUT", "/_mock/state", string(before.raw)); r.status != 200 {
		t.Fatalf("restore: %s", r)
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	// Reset.
	if r := a.do("POST", "/_mock/reset", nil); r.status != 200 {
		t.Fatalf("reset: %s", r)
	}
	if x, _ := m.srv.Store().Interaction(seedWorkitem); x.Workbin != seedWorkbin {
		t.Errorf("after reset the seed workitem is at %+v", x)
	}
	// A broken state is refused and changes nothing.
	snap := snapshotJSON(t, m)
	if r := a.do("PUT", "/_mock/state", `{"state":{"users":[],"workbins":[{"id":""}],"interactions":[],"subscriptions":[]}}`); r.status != 400 {
		t.Errorf("broken state: %s", r)
	}
	// So is a state whose resource breaks its schema.
	bad := strings.Replace(string(before.raw), `"workitemType":"Inbound"`, `"workitemType":5`, 1)
	if bad == string(before.raw) {
		t.Fatal("no workitemType in the state")
	}
	if r := a.do("PUT", "/_mock/state", bad); r.status != 400 || !strings.Contains(r.body["error"].(string), "workitemType") {
		t.Errorf("state with a resource breaking its schema: %s", r)
	}
	if snapshotJSON(t, m) != snap {
		t.Error("a refused restore changed the state")
	}
	// Reset with sessions forgets the HTTP sessions and the CometD sessions.
	marat.cometd(spec.ChannelWorkbins)
	if r := a.do("POST", "/_mock/reset", map[string]bool{"sessions": true}); r.status != 200 {
		t.Fatal(r)
	}
	expect(t, marat.get("/api/v2/me"), 401, 20)
	if n := len(m.srv.cometd.Sessions()); n != 0 {
		t.Errorf("%d CometD sessions after reset with sessions", n)
	}
}

func TestAdminWarnsAboutDeviations(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	r := a.do("GET", "/_mock/state", nil)
	if len(r.body["warnings"].([]any)) != 0 {
		t.Errorf("warnings without deviations: %s", r.raw)
	}
	r = a.do("PUT", "/_mock/deviations", map[string][]string{"on": {"wrong-reference-id"}})
	if r.status != 200 || len(r.body["on"].([]any)) != 1 || len(r.body["all"].([]any)) != len(Deviations()) {
		t.Fatalf("PUT deviations: %s", r)
	}
	r = a.do("GET", "/_mock/state", nil)
	if w := r.body["warnings"].([]any); len(w) != 1 || !strings.Contains(w[0].(string), "wrong-reference-id") {
		t.Errorf("warnings %v", w)
	}
	if r := a.do("PUT", "/_mock/deviations", map[string][]string{"on": {"nope"}}); r.status != 400 {
		t.Errorf("unknown deviation: %s", r)
	}
	if r := a.do("GET", "/_mock/deviations", nil); len(r.body["on"].([]any)) != 1 {
		t.Errorf("a refused PUT changed the deviations: %s", r.raw)
	}
	a.do("PUT", "/_mock/deviations", map[string][]string{"on": {}})
	if len(m.srv.ActiveDeviations()) != 0 {
		t.Error("deviations still on")
	}
}

func TestAdminFixtures(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	// A bundle: the built-in set without agent2's workbin content, plus a new workitem.
	files := map[string]json.RawMessage{}
	src := fixtures.BuiltinFiles()
	for _, dir := range []string{fixtures.UsersDir, fixtures.WorkbinsDir, fixtures.InteractionsDir} {
		entries, _ := fs.ReadDir(src, dir)
		for _, e := range entries {
			name := e.Name()
			b, err := fs.ReadFile(src, dir+"/"+name)
			if err != nil {
				t.Fatal(err)
			}
			if name == "agent2Workbin.json" && dir == fixtures.InteractionsDir {
				continue
			}
			files[dir+"/"+name] = b
		}
	}
	if r := a.do("POST", "/_mock/fixtures", map[string]any{"files": files}); r.status != 200 {
		t.Fatalf("bundle: %s", r)
	}
	if _, ok := m.srv.Store().Interaction("02F0ASAK8EAFA10W"); ok {
		t.Error("the loaded set still has agent2's workitem")
	}
	// Reset returns to the loaded set, not to the built-in one.
	a.do("POST", "/_mock/reset", nil)
	if _, ok := m.srv.Store().Interaction("02F0ASAK8EAFA10W"); ok {
		t.Error("reset went back to the built-in set")
	}
	// A directory on disk.
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := a.do("POST", "/_mock/fixtures", map[string]string{"dir": dir}); r.status != 200 {
		t.Fatalf("dir: %s", r)
	}
	// Broken sets are refused with the fault named, and nothing changes.
	snap := snapshotJSON(t, m)
	for _, body := range []any{
		map[string]any{"files": map[string]any{"users/x.json": map[string]any{"password": "x"}}},
		map[string]string{"dir": filepath.Join(dir, "nosuch")},
		map[string]any{"files": map[string]any{"../users/x.json": map[string]any{}}},
		map[string]any{},
	} {
		if r := a.do("POST", "/_mock/fixtures", body); r.status != 400 || r.body["error"] == "" {
			t.Errorf("%v: %s", body, r)
		}
	}
	if snapshotJSON(t, m) != snap {
		t.Error("a refused fixture load changed the state")
	}
}

func TestAdminPlaceInteraction(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	marat, agent := m.login("MaratTest"), m.login("agent2")
	lm := marat.cometd(spec.ChannelWorkbins)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	lm.next(t, "Subscribed", nil)
	r := a.do("POST", "/_mock/interactions", map[string]any{
		"workbinId": seedWorkbin, "media": "workitem", "id": "ROUTED0001",
		"receivedDate": "2016-04-08 15:05:57.000+0300", "userData": map[string]any{"Subject": "Call back", "Priority": 3},
	})
	if r.status != 201 || r.body["id"] != "ROUTED0001" {
		t.Fatalf("place: %s", r)
	}
	d := data(t, lm.next(t, "ItemAdded", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)))
	if d[spec.FieldAction] != spec.ActionItemAdded || d[spec.FieldReferenceID] != nil || !strings.Contains(string(mustJSON(d)), "Call back") {
		t.Errorf("ItemAdded of a placed interaction %v", d)
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, "ROUTED0001")), 200, 0)
	for _, body := range []map[string]any{
		{"workbinId": seedWorkbin, "media": "fax"},
		{"workbinId": seedWorkbin, "media": "workitem", "id": "ROUTED0001"},
		{"workbinId": seedWorkbin, "media": "workitem", "receivedDate": "yesterday"},
		{"media": "workitem"},
		{"workbinId": seedWorkbin, "media": "workitem", "userData": map[string]any{"x": map[string]any{}}},
	} {
		if r := a.do("POST", "/_mock/interactions", body); r.status != 400 {
			t.Errorf("%v: %s", body, r)
		}
	}
	if r := a.do("POST", "/_mock/interactions", map[string]any{"workbinId": "nosuch", "media": "chat"}); r.status != 404 {
		t.Errorf("unknown workbin: %s", r)
	}
	// A bad receivedDate is explained in a form people read, not in Go's layout.
	r = a.do("POST", "/_mock/interactions", map[string]any{"workbinId": seedWorkbin, "media": "workitem", "receivedDate": "2016-04-08T15:05:57Z"})
	if msg, _ := r.body["error"].(string); r.status != 400 || !strings.Contains(msg, "YYYY-MM-DD HH:MM:SS.sss±hhmm") ||
		!strings.Contains(msg, "2016-04-08 15:05:57.000+0300") || strings.Contains(msg, "2006-01-02") {
		t.Errorf("bad receivedDate: %s", r)
	}
	_ = agent
}

func mustParse(t testing.TB, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestAdminOptions(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	r := a.do("GET", "/_mock/options", nil)
	if r.body["enableCsrfProtection"] != true {
		t.Fatalf("options %s", r.raw)
	}
	r = a.do("PATCH", "/_mock/options", map[string]any{"enableCsrfProtection": false, "cometd": map[string]any{"timeout": "2s"}})
	if r.status != 200 || r.body["enableCsrfProtection"] != false || r.body["enableJoinOnPullChat"] != true {
		t.Fatalf("PATCH: %s", r)
	}
	if o := m.srv.Options(); o.EnableCsrfProtection || time.Duration(o.CometD.Timeout) != 2*time.Second || time.Duration(o.CometD.MaxInterval) != 10*time.Second {
		t.Errorf("after PATCH %+v", o)
	}
	if to, _, _ := m.srv.cometd.Timings(); to != 2*time.Second {
		t.Errorf("CometD timeout %s after PATCH", to)
	}
	r = a.do("PUT", "/_mock/options", map[string]any{"enableJoinOnPullChat": false})
	if o := m.srv.Options(); !o.EnableCsrfProtection || o.EnableJoinOnPullChat || time.Duration(o.CometD.Timeout) != 30*time.Second {
		t.Errorf("after PUT %+v (%s)", o, r.raw)
	}
	if r := a.do("PATCH", "/_mock/options", map[string]any{"corsAllowedOrigins": []string{}}); r.status != 200 || string(mustJSON(r.body["corsAllowedOrigins"])) != "[]" {
		t.Errorf("no origins: %s", r)
	}
	for _, bad := range []string{`{"enableCsrf":true}`, `{"cometd":{"timeout":-1}}`, `{"cometd":{"timeout":0}}`, `{"corsAllowedOrigins":["ftp://x"]}`, `[`} {
		if r := a.do("PATCH", "/_mock/options", bad); r.status != 400 {
			t.Errorf("%s: %s", bad, r)
		}
	}
}

func TestAdminFaults(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	marat := m.login("MaratTest")
	r := a.do("POST", "/_mock/faults", map[string]any{"method": "POST", "path": "/api/v2/workbins/*", "operationName": "PullWorkitem", "count": 2, "statusCode": 4})
	if r.status != 201 || num(r.body["httpStatus"]) != 500 {
		t.Fatalf("add fault: %s", r)
	}
	// Another operation on the same path is not faulted.
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	snap := snapshotJSON(t, m)
	for range 2 {
		expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 500, 4)
	}
	if snapshotJSON(t, m) != snap {
		t.Error("a faulted request changed the state")
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)

	// A delay, then a custom HTTP status on a GET (matched by operationId).
	a.do("POST", "/_mock/faults", map[string]any{"path": "/api/v2/**", "operationName": "getMe", "delay": 150, "statusCode": 6, "httpStatus": 418})
	if r := a.do("GET", "/_mock/faults", nil); len(r.body["faults"].([]any)) != 1 {
		t.Errorf("faults %s", r.raw)
	}
	start := time.Now()
	r = marat.get("/api/v2/me")
	if r.status != 418 || r.code() != 6 || time.Since(start) < 150*time.Millisecond {
		t.Errorf("delayed fault: %s after %s", r, time.Since(start))
	}
	a.do("POST", "/_mock/faults", map[string]any{"statusCode": 5, "count": 100})
	a.do("DELETE", "/_mock/faults", nil)
	expect(t, marat.get("/api/v2/me"), 200, 0)
	for _, bad := range []map[string]any{{}, {"statusCode": 0}, {"statusCode": 21}, {"statusCode": 7}, {"statusCode": 4, "httpStatus": 99}, {"path": "[", "delay": 5}, {"delay": "soon"}, {"delay": "11m"}} {
		if r := a.do("POST", "/_mock/faults", bad); r.status != 400 {
			t.Errorf("fault %v: %s", bad, r)
		}
	}
}

func TestAdminCometDFaults(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	marat := m.login("MaratTest")
	l := marat.cometd(spec.ChannelWorkbins)
	sub := map[string]string{"operationName": spec.Subscribe}
	if r := a.do("POST", "/_mock/cometd/drop", map[string]any{"user": "MaratTest", "count": 1}); r.status != 200 {
		t.Fatal(r)
	}
	r1 := marat.post("/api/v2/workbins/"+seedWorkbin, sub) // its event is dropped
	r2 := marat.post("/api/v2/workbins/"+seedWorkbin, sub)
	d := data(t, l.next(t, "the second Subscribed", nil))
	if num(d[spec.FieldReferenceID]) != r2.ref() {
		t.Errorf("first event after the drop has referenceId %v; want %d (the one of %d dropped)", d[spec.FieldReferenceID], r2.ref(), r1.ref())
	}
	a.do("POST", "/_mock/cometd/delay", map[string]any{"user": "MaratTest", "delay": "200ms"})
	start := time.Now()
	marat.post("/api/v2/workbins/"+seedWorkbin, sub)
	l.next(t, "the delayed Subscribed", nil)
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("the delayed event came after %s", time.Since(start))
	}
	if r := a.do("GET", "/_mock/cometd/sessions", nil); len(r.body["sessions"].([]any)) != 1 || !strings.Contains(string(r.raw), `"user":"MaratTest"`) {
		t.Errorf("sessions %s", r.raw)
	}
	a.do("POST", "/_mock/cometd/drop", map[string]any{"user": "MaratTest", "count": 5})
	a.do("DELETE", "/_mock/cometd/faults", nil)
	r := a.do("POST", "/_mock/cometd/expire", map[string]string{"user": "MaratTest"})
	if num(r.body["expired"]) != 1 {
		t.Errorf("expire: %s", r.raw)
	}
	// The Go client handshakes again and re-subscribes; events flow again.
	l.waitSubscribed(t, 2)
	r3 := marat.post("/api/v2/workbins/"+seedWorkbin, sub)
	got := l.next(t, "an event after the expiry", func(msg bayeux.Message) bool {
		return num(data(t, msg)[spec.FieldReferenceID]) == r3.ref()
	})
	_ = got
	for _, bad := range []any{map[string]any{"count": 1}, map[string]any{"user": "x", "count": -1}, map[string]any{"user": "x"}, map[string]any{"user": "x", "delay": "2h"}} {
		if r := a.do("POST", "/_mock/cometd/delay", bad); r.status != 400 {
			t.Errorf("delay %v: %s", bad, r)
		}
	}
	if r := a.do("POST", "/_mock/cometd/drop", map[string]any{"user": "x", "delay": 5}); r.status != 400 {
		t.Errorf("drop with delay: %s", r)
	}
}

// The journal keeps HTTP exchanges and CometD messages, newest last, with secrets masked.
func TestAdminJournalMasksSecrets(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	marat := m.login("MaratTest")
	marat.cometd(spec.ChannelWorkbins)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	// A fixture bundle with passwords goes through the admin API (not journaled) — and a
	// REST body with a password-like member is masked.
	marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe, "password": "hunter2", "apiToken": "tok123"})
	r := a.do("GET", "/_mock/journal", nil)
	raw := string(r.raw)
	var sess string
	for _, c := range marat.http.Jar.Cookies(mustParse(t, m.ts.URL)) {
		if c.Name == spec.SessionCookie {
			sess = c.Value
		}
	}
	for _, secret := range []string{"TWFyYXRUZXN0Ok1hcmF0VGVzdA==", marat.csrf, sess, "hunter2", "tok123"} {
		if secret == "" || strings.Contains(raw, secret) {
			t.Errorf("the journal shows a secret %q", secret)
		}
	}
	entries := r.body["entries"].([]any)
	kinds := map[string]int{}
	var last float64
	for _, e := range entries {
		em := e.(map[string]any)
		kinds[em["kind"].(string)]++
		seq, _ := em["seq"].(json.Number).Float64()
		if seq <= last {
			t.Errorf("journal not in order at seq %v", seq)
		}
		last = seq
	}
	if kinds["http"] < 3 || kinds["cometd"] < 4 {
		t.Errorf("journal kinds %v", kinds)
	}
	if !strings.Contains(raw, `"Authorization":["Basic ***"]`) || !strings.Contains(raw, "JSESSIONID=***") {
		t.Errorf("masked values not shown as ***: %.2000s", raw)
	}
	if r := a.do("GET", "/_mock/journal?limit=2", nil); len(r.body["entries"].([]any)) != 2 {
		t.Errorf("limit=2 gave %s", r.raw)
	}
	if r := a.do("GET", "/_mock/journal?limit=x", nil); r.status != 400 {
		t.Errorf("limit=x: %s", r)
	}
	// DELETE forgets every entry. The CometD listener keeps polling, so entries newer than
	// the DELETE may appear; none as old as the newest one before it may remain.
	newest := a.do("GET", "/_mock/journal?limit=1", nil).body["entries"].([]any)[0].(map[string]any)["seq"].(json.Number)
	before, _ := newest.Int64()
	a.do("DELETE", "/_mock/journal", nil)
	r = a.do("GET", "/_mock/journal", nil)
	for _, e := range r.body["entries"].([]any) {
		if seq, _ := e.(map[string]any)["seq"].(json.Number).Int64(); seq <= before {
			t.Errorf("journal after DELETE still has seq %d (≤ %d): %.1000s", seq, before, r.raw)
		}
	}
}

// The journal is bounded: the oldest entries go first.
func TestJournalRing(t *testing.T) {
	j := newJournal(3)
	for i := range 5 {
		j.add(journalRecord{http: httpRecord{status: 200 + i}})
	}
	got := j.entries(0)
	if len(got) != 3 || got[0].Status != 202 || got[2].Status != 204 || got[2].Seq != 5 {
		t.Errorf("ring %+v", got)
	}
	if got := j.entries(1); len(got) != 1 || got[0].Status != 204 {
		t.Errorf("limit 1: %+v", got)
	}
}

func TestAdminToken(t *testing.T) {
	m := newMock(t, func(c *Config) { c.AdminToken = "s3cret" })
	a := m.admin()
	r := a.do("GET", "/_mock/state", nil)
	if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %s", r)
	}
	a.token = "wrong"
	if r := a.do("GET", "/_mock/state", nil); r.status != 401 {
		t.Errorf("wrong token: %s", r)
	}
	a.token = "s3cret"
	if r := a.do("GET", "/_mock/state", nil); r.status != 200 {
		t.Errorf("right token: %s", r)
	}
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8090", "", true}, {"localhost:8090", "", true}, {"[::1]:0", "", true},
		{"0.0.0.0:8090", "", false}, {":8090", "", false}, {"192.168.1.5:80", "", false}, {"0.0.0.0:8090", "t", true},
	} {
		if err := CheckExposure(c.addr, c.token); (err == nil) != c.ok {
			t.Errorf("CheckExposure(%q, %q) = %v", c.addr, c.token, err)
		}
	}
}

func TestAdminViolations(t *testing.T) {
	m := newMock(t)
	a := m.admin()
	m.mu.Lock()
	m.expectViol = true
	m.mu.Unlock()
	m.srv.viol.report(Violation{Kind: ViolationResponse, Subject: "test", Issues: []spec.Issue{{Where: "x", Rule: "y", Message: "z"}}})
	r := a.do("GET", "/_mock/violations", nil)
	if num(r.body["count"]) != 1 || len(r.body["recent"].([]any)) != 1 {
		t.Errorf("violations %s", r.raw)
	}
	a.do("DELETE", "/_mock/violations", nil)
	if r := a.do("GET", "/_mock/violations", nil); num(r.body["count"]) != 0 {
		t.Errorf("after DELETE %s", r.raw)
	}
	if r := a.do("GET", "/_mock/openapi.yaml", nil); r.status != 200 || !strings.Contains(string(r.raw), "openapi: 3.0.3") {
		t.Errorf("openapi.yaml: %d", r.status)
	}
}

// A page of another site cannot drive the control plane through a browser: a "simple"
// cross-site request (text/plain, no preflight) with a foreign Origin is refused with 403
// and changes nothing; a localhost origin (the default corsAllowedOrigins) and a request
// without Origin (curl) work.
func TestAdminRefusesCrossSiteRequests(t *testing.T) {
	m := newMock(t)
	post := func(path, body, origin string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, m.url(path), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/plain")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(raw)
	}
	place := func(id string) string {
		return `{"workbinId":"` + seedWorkbin + `","media":"workitem","id":"` + id + `"}`
	}
	fixtureDir := t.TempDir()
	if err := os.CopyFS(fixtureDir, fixtures.BuiltinFiles()); err != nil {
		t.Fatal(err)
	}
	calls := []struct{ path, body string }{
		{"/_mock/interactions", place("CROSSSITE1")},
		{"/_mock/reset", ""},
		{"/_mock/fixtures", `{"dir":` + string(mustJSON(fixtureDir)) + `}`},
		{"/_mock/faults", `{"method":"POST","count":1,"statusCode":4}`},
		{"/_mock/cometd/expire", `{"user":"MaratTest"}`},
	}
	for _, origin := range []string{"https://evil.example", "http://localhost.evil.example", "null"} {
		snap, set := snapshotJSON(t, m), m.srv.Fixtures()
		for _, c := range calls {
			status, body := post(c.path, c.body, origin)
			if status != http.StatusForbidden || !strings.Contains(body, "cross-site request refused") {
				t.Errorf("%s from %s: %d %s", c.path, origin, status, body)
			}
		}
		if snapshotJSON(t, m) != snap || m.srv.Fixtures() != set || len(m.srv.faults.list()) != 0 {
			t.Errorf("cross-site requests from %s changed the mock", origin)
		}
	}
	if status, body := post("/_mock/interactions", place("CROSSSITE2"), "http://localhost:5173"); status != http.StatusCreated {
		t.Errorf("from a localhost origin: %d %s", status, body)
	}
	if status, body := post("/_mock/interactions", place("CROSSSITE3"), ""); status != http.StatusCreated {
		t.Errorf("without Origin: %d %s", status, body)
	}
	for _, id := range []string{"CROSSSITE2", "CROSSSITE3"} {
		if _, ok := m.srv.Store().Interaction(id); !ok {
			t.Errorf("%s was not placed", id)
		}
	}
	// Configured origins replace the defaults here too.
	o := m.srv.Options()
	o.CORSAllowedOrigins = []string{"https://app.example.com"}
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	if status, _ := post("/_mock/reset", "", "https://app.example.com"); status != http.StatusOK {
		t.Errorf("from a configured origin: %d", status)
	}
	if status, _ := post("/_mock/reset", "", "http://localhost:5173"); status != http.StatusForbidden {
		t.Errorf("from localhost once it is not configured: %d", status)
	}
}

// POST /_mock/fixtures {"dir"} checks the files against the server's compiled contract, not
// a fresh copy of the embedded one (which it compiled again on every call): with a contract
// stricter than the embedded one, a directory the embedded one accepts is refused, naming
// the file and the pointer.
func TestAdminFixturesDirUsesTheServersContract(t *testing.T) {
	c := brokenContract(t, [3]string{"schemas/user.json", `"firstName": { "type": "string" }`, `"firstName": { "type": "string", "maxLength": 20 }`})
	m := newMock(t, func(cfg *Config) { cfg.Contract = c })

	dir := t.TempDir()
	if err := os.CopyFS(dir, fixtures.BuiltinFiles()); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "users", "agent2.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A", 30)
	if err := os.WriteFile(p, bytes.Replace(data, []byte(`"firstName": "Agent"`), []byte(`"firstName": "`+long+`"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fixtures.LoadDir(dir); err != nil {
		t.Fatalf("the embedded contract refuses the directory: %v", err)
	}
	set := m.srv.Fixtures()
	r := m.admin().do("POST", "/_mock/fixtures", map[string]string{"dir": dir})
	msg, _ := r.body["error"].(string)
	if r.status != http.StatusBadRequest || !strings.Contains(msg, "users/agent2.json") || !strings.Contains(msg, "/user/firstName") {
		t.Errorf("a directory the server's contract refuses: %s", r)
	}
	if m.srv.Fixtures() != set {
		t.Error("the refused directory replaced the fixtures")
	}
}
