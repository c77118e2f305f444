package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

// brokenContract is the contract with edits (file → old → new), to make the mock's own
// output break it.
func brokenContract(t *testing.T, edits ...[3]string) *spec.Contract {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(spec.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(spec.Files(), p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		s := string(m[e[0]].Data)
		if !strings.Contains(s, e[1]) {
			t.Fatalf("%s does not contain %q", e[0], e[1])
		}
		m[e[0]] = &fstest.MapFile{Data: []byte(strings.Replace(s, e[1], e[2], 1))}
	}
	c, err := spec.LoadFS(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A reply the contract rejects is not sent: it becomes statusCode 4, the violation is
// reported (hook, count, log) with its pointer and rule. A notification the contract
// rejects is dropped and reported; the others still go out.
func TestSelfCheckViolations(t *testing.T) {
	c := brokenContract(t,
		// The mock adds content arrays to workbins (the fixtures have none, so the state accepts them).
		[3]string{"schemas/workbin.json", `"emails": { "type": "array",`, `"emails": { "type": "array", "maxItems": 0,`},
		// A value beyond the known ones is only a warning for others; the mock holds itself
		// to the strict level, so its StatusChange becomes its own violation.
		[3]string{"schemas/workitem-state-change-message.json", `"x-known": ["StatusChange", "PropertiesUpdated", "Error"]`, `"x-known": ["PropertiesUpdated", "Error"]`},
	)
	set, err := fixtures.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t, func(cfg *Config) { cfg.Contract, cfg.Fixtures = c, set })
	m.expectViol = true
	marat := m.login("MaratTest")
	l := marat.cometd("/v2/me/**")
	expect(t, marat.get("/api/v2/workbins/"+seedWorkbin+"?subresources=email"), 500, 4) // two emails
	expect(t, marat.get("/api/v2/workbins/"+seedWorkbin+"?subresources=chat"), 200, 0)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	// The ItemRemoved arrives; the WorkitemStateChangeMessage before it was dropped.
	got := l.next(t, "ItemRemoved", func(msg bayeux.Message) bool {
		return onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)(msg)
	})
	_ = got
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.violations) != 2 {
		t.Fatalf("violations %+v", m.violations)
	}
	resp, note := m.violations[0], m.violations[1]
	if resp.Kind != ViolationResponse || !hasIssue(resp, "/workbin/emails", spec.RuleMaxItems) {
		t.Errorf("response violation %+v", resp)
	}
	if note.Kind != ViolationNotification || !hasIssue(note, "/notificationType", spec.RuleKnown) || !strings.Contains(note.Subject, spec.ChannelWorkitems) {
		t.Errorf("notification violation %+v", note)
	}
	if n, recent := m.srv.Violations(); n != 2 || len(recent) != 2 {
		t.Errorf("Violations() = %d, %d", n, len(recent))
	}
	// The Subscribed and ItemRemoved events went out; no workitem one did.
	for _, e := range l.rec.Events() {
		if e.Message.Channel == spec.ChannelWorkitems {
			t.Errorf("a notification the contract rejects was sent: %s", e.Raw)
		}
	}
}

func hasIssue(v Violation, pointer, rule string) bool {
	for _, is := range v.Issues {
		if is.Pointer == pointer && is.Rule == rule {
			return true
		}
	}
	return false
}

// Strict mode reports unknown body members (without refusing the request), as a client
// fault: a warning in the log, not the mock's "self-check violation" error.
func TestStrictMode(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	m := newMock(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	m.expectViol = true
	marat := m.login("MaratTest")
	body := map[string]string{"operationName": spec.Subscribe, "colour": "blue"}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, body), 200, 0)
	if n, _ := m.srv.Violations(); n != 0 {
		t.Errorf("%d violations without strict mode", n)
	}
	o := m.srv.Options()
	o.Strict = true
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, body), 200, 0)
	_, recent := m.srv.Violations()
	if len(recent) != 1 || recent[0].Kind != ViolationRequestField || !hasIssue(recent[0], "/colour", spec.RuleAdditionalProperties) {
		t.Errorf("strict violations %+v", recent)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if strings.Contains(out, "self-check violation") || strings.Contains(out, "level=ERROR") ||
		!strings.Contains(out, "level=WARN") || !strings.Contains(out, "strict mode: the client sent a member") || !strings.Contains(out, "/colour") {
		t.Errorf("strict-mode log:\n%s", out)
	}
}

// lockedWriter serialises writes to a buffer the test reads.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The mock's notifications for the seed pull have the shapes of the golden messages
// (fixtures/builtin/notifications): every member of the golden is there with the same
// value, referenceId aside.
func TestGoldenNotifications(t *testing.T) {
	set, err := fixtures.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd("/v2/me/**")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	subscribed := l.next(t, "Subscribed", nil)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	pulled := l.next(t, "WorkitemStateChangeMessage", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))
	removed := l.next(t, "ItemRemoved", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange))
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]any{"operationName": spec.PullChat, "id": seedChat, "nickname": "Marat"}), 200, 0)
	chat := l.next(t, "ChatStateChangeMessage", onChannel(spec.ChannelChats, spec.MessageChatStateChange))
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullEmail, seedEmail)), 200, 0)
	email := l.next(t, "EmailStateChangeMessage", onChannel(spec.ChannelEmails, spec.MessageEmailStateChange))
	for name, got := range map[string]bayeux.Message{
		"workbin-subscribed": subscribed, "workitem-pulled": pulled, "workbin-item-removed": removed,
		"chat-pulled": chat, "email-pulled": email,
	} {
		g, ok := set.GoldenMessage(name)
		if !ok {
			t.Fatalf("no golden %s", name)
		}
		if got.Channel != g.Channel {
			t.Errorf("%s: channel %s, golden %s", name, got.Channel, g.Channel)
		}
		var want, have any
		_ = json.Unmarshal(g.Data, &want)
		// The goldens' uris name http://localhost:8090; the mock's, the host it was reached at.
		_ = json.Unmarshal([]byte(strings.ReplaceAll(string(got.Data), m.ts.URL+"/", "http://localhost:8090/")), &have)
		for _, diff := range subsetDiff("", want, have, map[string]bool{"/referenceId": true, "/chat/participants/0/participantId": true, "/chat/participants/1/participantId": true}) {
			t.Errorf("%s: %s", name, diff)
		}
	}
}

// subsetDiff lists where have lacks or differs from a member of want (objects: every member
// of want; other values: equal).
func subsetDiff(at string, want, have any, ignore map[string]bool) []string {
	if ignore[at] {
		return nil
	}
	wm, ok := want.(map[string]any)
	if !ok {
		if wa, ok := want.([]any); ok {
			ha, ok := have.([]any)
			if !ok || len(ha) != len(wa) {
				return []string{at + ": arrays differ"}
			}
			var out []string
			for i := range wa {
				out = append(out, subsetDiff(at+"/"+itoa(i), wa[i], ha[i], ignore)...)
			}
			return out
		}
		if !reflect.DeepEqual(want, have) {
			return []string{at + ": mock " + string(mustJSON(have)) + ", golden " + string(mustJSON(want))}
		}
		return nil
	}
	hm, ok := have.(map[string]any)
	if !ok {
		return []string{at + ": not an object"}
	}
	var out []string
	for k, v := range wm {
		hv, ok := hm[k]
		if !ok {
			if !ignore[at+"/"+k] {
				out = append(out, at+"/"+k+": missing")
			}
			continue
		}
		out = append(out, subsetDiff(at+"/"+k, v, hv, ignore)...)
	}
	return out
}

func itoa(i int) string { return strings.TrimSpace(string(mustJSON(i))) }

// D11: 50 agents pulling the same interaction at once over HTTP: exactly one 200.
func TestConcurrentPullsOneWinner(t *testing.T) {
	m := newMock(t)
	const n = 50
	users := make([]*user, n)
	for i := range users {
		users[i] = m.login("MaratTest") // 50 sessions
	}
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
			switch {
			case r.status == 200:
				wins.Add(1)
			case r.status == 400 && r.code() == 2:
				losses.Add(1)
			default:
				t.Errorf("unexpected %s", r)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != n-1 {
		t.Errorf("%d winners, %d refused; want 1 and %d", wins.Load(), losses.Load(), n-1)
	}
}

// CORS for a browser app on another localhost port: preflights for REST and CometD are
// answered before authentication; replies carry the origin, credentials and the CSRF headers.
func TestCORS(t *testing.T) {
	m := newMock(t)
	preflight := func(path, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, m.url(path), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, x-csrf-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, path := range []string{"/api/v2/workbins/" + seedWorkbin, spec.CometDPath + "/handshake", "/_mock/state"} {
		res := preflight(path, "http://localhost:3000")
		h := res.Header
		if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
			h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "x-csrf-token") {
			t.Errorf("preflight %s: %d %v", path, res.StatusCode, h)
		}
	}
	if res := preflight("/api/v2/me", "http://evil.example"); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin: %d %v", res.StatusCode, res.Header)
	}
	u := m.login("MaratTest")
	r := u.do(http.MethodGet, "/api/v2/me", nil, "Origin", "http://127.0.0.1:5173")
	h := r.header
	if h.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5173" || h.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), spec.HeaderCSRFToken) || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("CORS reply headers %v", h)
	}
	// Configured origins replace the defaults.
	o := m.srv.Options()
	o.CORSAllowedOrigins = []string{"https://app.example.com"}
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	if res := preflight("/api/v2/me", "http://localhost:3000"); res.StatusCode != http.StatusForbidden {
		t.Errorf("localhost after the change: %d", res.StatusCode)
	}
	if res := preflight("/api/v2/me", "https://app.example.com"); res.StatusCode != http.StatusNoContent {
		t.Errorf("configured origin: %d", res.StatusCode)
	}
}

func TestOriginPatterns(t *testing.T) {
	def := DefaultCORSOrigins()
	for origin, want := range map[string]bool{
		"http://localhost:3000": true, "http://localhost": true, "https://127.0.0.1:8443": true, "http://[::1]:80": true,
		"http://localhost.evil.com": false, "http://localhost:3000x": false, "http://evil.com": false, "null": false, "": false,
		"http://localhost:": false,
	} {
		if got := originAllowed(origin, def); got != want {
			t.Errorf("originAllowed(%q) = %v", origin, got)
		}
	}
	if !originAllowed("https://x.example", []string{"*"}) {
		t.Error(`"*" does not allow every origin`)
	}
}
