package mockserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/docs"
	"github.com/workbinkit/workbinkit/spec"
)

// sseEvent is one server-sent event of GET /_mock/events.
type sseEvent struct {
	name string
	data json.RawMessage
	at   time.Time
}

// openEvents opens GET /_mock/events and returns its events as they come; the stream ends
// with the test.
func openEvents(t *testing.T, m *mockT, header ...string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.url("/_mock/events"), nil)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		body, _ := io.ReadAll(res.Body)
		cancel()
		t.Fatalf("GET /_mock/events: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	out := make(chan sseEvent, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 16<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ev.at = time.Now()
					select {
					case out <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = json.RawMessage(line[len("data: "):])
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return out
}

// nextEvent waits (bounded) for the first event named name for which ok holds.
func nextEvent[T any](t *testing.T, events <-chan sseEvent, name string, ok func(T) bool) (T, time.Time) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case ev, open := <-events:
			if !open {
				t.Fatalf("the event stream ended while waiting for %q", name)
			}
			if ev.name != name {
				continue
			}
			var v T
			if err := json.Unmarshal(ev.data, &v); err != nil {
				t.Fatalf("event %s: %v: %s", name, err, ev.data)
			}
			if ok == nil || ok(v) {
				return v, ev.at
			}
		case <-timeout:
			var zero T
			t.Fatalf("no %q event within %s", name, waitLimit)
			return zero, time.Time{}
		}
	}
}

func workbinHolds(st dashState, workbin, id string) bool {
	for _, wb := range st.Workbins {
		if wb.ID == workbin {
			return slices.ContainsFunc(wb.Items, func(x dashItem) bool { return x.ID == id })
		}
	}
	return false
}

// TestDashboardEvents: the stream says hello first, then the status, the state and the
// sessions; a pull takes the item out of its workbin in the next state event and comes in
// a journal event with its CometD event; the same pull again comes refused, explained by
// D11.second-pull and its title; a deviation switched on by any client comes in a status
// event.
func TestDashboardEvents(t *testing.T) {
	m := newMock(t)
	agent := m.login("MaratTest")
	events := openEvents(t, m)

	hello, _ := nextEvent[dashHello](t, events, "hello", nil)
	if hello.Instance == "" || !slices.Contains(hello.Media, spec.MediaWorkitem) || hello.Rules["D11.second-pull"] != "a second pull is refused" ||
		len(hello.Deviations) == 0 || hello.JournalSize != DefaultJournalSize {
		t.Errorf("hello: %+v", hello)
	}
	st, _ := nextEvent[dashState](t, events, "state", nil)
	if !workbinHolds(st, seedWorkbin, seedWorkitem) {
		t.Fatalf("the first state event lacks %s in %s", seedWorkitem, seedWorkbin)
	}
	if r := agent.do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, map[string]any{"operationName": "Subscribe"}); r.status != 200 {
		t.Fatalf("subscribe: %s", r)
	}
	agent.cometd(spec.ChannelWorkitems)

	pulled := agent.do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, map[string]any{"operationName": "PullWorkitem", "id": seedWorkitem})
	if pulled.status != 200 {
		t.Fatalf("pull: %s", pulled)
	}
	// The state event, the pull's journal entry and its CometD event come in any order (the
	// mock publishes the state change before it journals the request, and the stream may
	// send either first): one bounded loop takes them all.
	start := time.Now()
	timeout := time.After(waitLimit)
	var left, sawPull, sawEvent bool
	var leftAt, eventAt time.Time
	for !left || !sawPull || !sawEvent {
		var ev sseEvent
		select {
		case e, open := <-events:
			if !open {
				t.Fatal("the event stream ended while waiting for the pull")
			}
			ev = e
		case <-timeout:
			t.Fatalf("within %s: out of the workbin in a state event %v, the pull's journal entry %v, its CometD event %v", waitLimit, left, sawPull, sawEvent)
		}
		switch ev.name {
		case "state":
			var st dashState
			if err := json.Unmarshal(ev.data, &st); err != nil {
				t.Fatalf("state event: %v: %s", err, ev.data)
			}
			if !left && !workbinHolds(st, seedWorkbin, seedWorkitem) {
				left, leftAt = true, ev.at
			}
		case "journal":
			var batch dashJournal
			if err := json.Unmarshal(ev.data, &batch); err != nil {
				t.Fatalf("journal event: %v: %s", err, ev.data)
			}
			for _, e := range batch.Entries {
				switch {
				case e.Kind == "http" && strings.Contains(e.Operation, "PullWorkitem"):
					if e.Status != 200 || e.Refusal != nil || e.User != "MaratTest" {
						t.Errorf("the pull's entry: %+v", e)
					}
					sawPull = true
				case e.Kind == "cometd" && strings.Contains(string(e.Message), seedWorkitem):
					if e.Direction != "fromServer" || e.Principal != "MaratTest" || e.SessionID != "" ||
						!strings.Contains(string(e.Message), `"referenceId":`+itoa(int(pulled.ref()))) {
						t.Errorf("the pull's CometD event: %+v %s", e, e.Message)
					}
					sawEvent, eventAt = true, ev.at
				case e.Kind == "cometd" && strings.Contains(string(e.Message), `"/meta/`):
					t.Errorf("a meta message in the stream: %s", e.Message)
				}
			}
		}
	}
	t.Logf("after the pull's reply: out of the workbin in the stream after %s, its event after %s", leftAt.Sub(start), eventAt.Sub(start))

	again := agent.do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, map[string]any{"operationName": "PullWorkitem", "id": seedWorkitem})
	if again.status != 400 || again.code() != 2 {
		t.Fatalf("second pull: %s", again)
	}
	batch, _ := nextEvent(t, events, "journal", func(b dashJournal) bool {
		return slices.ContainsFunc(b.Entries, func(e dashEntry) bool { return e.Refusal != nil })
	})
	for _, e := range batch.Entries {
		if e.Refusal == nil {
			continue
		}
		if e.Refusal.Rule != "D11.second-pull" || e.RuleTitle != "a second pull is refused" || e.Refusal.StatusCode == nil || *e.Refusal.StatusCode != 2 || e.Refusal.Message == "" {
			t.Errorf("the refusal: %+v %+v", e.Refusal, e)
		}
	}

	// Any client's change shows: here curl's.
	req, _ := http.NewRequest(http.MethodPut, m.url("/_mock/deviations"), strings.NewReader(`{"on":["wrong-reference-id"]}`))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("PUT /_mock/deviations: %v %v", res, err)
	}
	status, _ := nextEvent(t, events, "status", func(s dashStatus) bool { return len(s.Deviations) > 0 })
	if !slices.Equal(status.Deviations, []string{"wrong-reference-id"}) || len(status.Warnings) == 0 {
		t.Errorf("status after the deviation: %+v", status)
	}
}

// TestDashboardEventsAccept: a client that does not ask for an event stream is told so (406),
// instead of waiting on a stream that never ends.
func TestDashboardEventsAccept(t *testing.T) {
	m := newMock(t)
	res, err := http.Get(m.url("/_mock/events"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotAcceptable || !strings.Contains(string(body), "text/event-stream") {
		t.Errorf("GET /_mock/events without Accept: %d %s", res.StatusCode, body)
	}
}

// TestDashboardStreamsEndOnShutdown: Server.Shutdown ends the open streams, so that the HTTP
// server's shutdown does not wait on them.
func TestDashboardStreamsEndOnShutdown(t *testing.T) {
	m := newMock(t)
	events := openEvents(t, m)
	nextEvent[dashHello](t, events, "hello", nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(waitLimit)
	for {
		select {
		case _, open := <-events:
			if !open {
				return
			}
		case <-timeout:
			t.Fatal("the stream is still open after Shutdown")
		}
	}
}

func adminRequest(t *testing.T, m *mockT, method, path, host string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, m.url(path), nil)
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(body)
}

// TestDashboardFiles: the page and its modules come from the binary, with a policy that
// keeps every request on the mock's origin; docs/rules.md is served beside them.
func TestDashboardFiles(t *testing.T) {
	m := newMock(t)
	status, h, body := adminRequest(t, m, http.MethodGet, DashboardPath, "")
	if status != 200 || !strings.Contains(body, `<script type="module" src="app.js">`) || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s %.200s", DashboardPath, status, h.Get("Content-Type"), body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", h)
	}
	// Every file the page names is there, and no file names anything beyond the origin.
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|\burl\(\s*["']?(https?:)?//|\bimport\s[^;]*["'](https?:)?//`)
	for _, f := range []string{"", "app.js", "api.js", "banner.js", "dom.js", "feed.js", "steer.js", "tabs.js", "users.js", "workbins.js", "style.css", "rules.html", "rules.js", "favicon.svg"} {
		status, h, body := adminRequest(t, m, http.MethodGet, DashboardPath+f, "")
		if status != 200 {
			t.Errorf("GET %s%s: %d", DashboardPath, f, status)
		}
		if strings.HasSuffix(f, ".js") && !strings.Contains(h.Get("Content-Type"), "javascript") {
			t.Errorf("%s served as %s: a module needs a JavaScript type", f, h.Get("Content-Type"))
		}
		if loc := external.FindString(body); loc != "" {
			t.Errorf("%s refers to another origin: %q", f, loc)
		}
	}
	status, _, body = adminRequest(t, m, http.MethodGet, DashboardPath+docs.RulesFile, "")
	if status != 200 || body != docs.Rules() {
		t.Errorf("GET %s%s: %d, %d bytes", DashboardPath, docs.RulesFile, status, len(body))
	}
	if status, _, _ := adminRequest(t, m, http.MethodGet, DashboardPath+"nothing.js", ""); status != 404 {
		t.Errorf("a file the dashboard lacks: %d", status)
	}
}

// TestDashboardProtections: the dashboard sits behind the control plane's guard. A page of
// another site gets neither the page nor the stream nor the steering; the dashboard's own
// calls (same origin, on a loopback Host) pass; a same-origin call under another Host (DNS
// rebinding) does not, unless it carries the admin token. The dashboard's origin need not be
// in corsAllowedOrigins (here it holds only the app's). With a token the page's files
// (which hold no data) load without it, but the stream and every call need it.
func TestDashboardProtections(t *testing.T) {
	appOnly := func(c *Config) { c.Options.CORSAllowedOrigins = []string{"http://app.example"} }
	m := newMock(t, appOnly)
	self := m.ts.URL // http://127.0.0.1:port
	host := strings.TrimPrefix(self, "http://")
	port := host[strings.LastIndex(host, ":"):]
	cases := []struct {
		name, method, path, host string
		header                   []string
		want                     int
	}{
		{"another site's page", http.MethodGet, DashboardPath, "", []string{"Origin", "https://evil.example"}, 403},
		{"another site's stream", http.MethodGet, "/_mock/events", "", []string{"Origin", "https://evil.example", "Accept", "text/event-stream"}, 403},
		{"another site steers", http.MethodPost, "/_mock/reset", "", []string{"Origin", "https://evil.example"}, 403},
		{"the app's origin", http.MethodPost, "/_mock/reset", "", []string{"Origin", "http://app.example"}, 200},
		{"the dashboard steers", http.MethodPost, "/_mock/reset", "", []string{"Origin", self}, 200},
		{"the dashboard by localhost", http.MethodPost, "/_mock/reset", "localhost" + host[strings.LastIndex(host, ":"):], []string{"Origin", "http://localhost" + host[strings.LastIndex(host, ":"):]}, 200},
		{"the dashboard by a localhost subdomain", http.MethodPost, "/_mock/reset", "app.localhost" + port, []string{"Origin", "http://app.localhost" + port}, 200},
		{"the dashboard by localhost with a trailing dot", http.MethodPost, "/_mock/reset", "localhost." + port, []string{"Origin", "http://localhost." + port}, 200},
		{"the dashboard by an upper-case name", http.MethodPost, "/_mock/reset", "LocalHost" + port, []string{"Origin", "http://LocalHost" + port}, 200},
		{"a name that merely ends in localhost", http.MethodPost, "/_mock/reset", "evillocalhost" + port, []string{"Origin", "http://evillocalhost" + port}, 403},
		{"the same origin under a rebound name", http.MethodPost, "/_mock/reset", "evil.example", []string{"Origin", "http://evil.example"}, 403},
		{"the same origin, another scheme", http.MethodPost, "/_mock/reset", "", []string{"Origin", "https://" + host}, 403},
	}
	for _, c := range cases {
		if status, _, body := adminRequest(t, m, c.method, c.path, c.host, c.header...); status != c.want {
			t.Errorf("%s: %s %s: %d %s, want %d", c.name, c.method, c.path, status, body, c.want)
		}
	}

	const token = "dash-token"
	mt := newMock(t, appOnly, func(c *Config) { c.AdminToken = token })
	bearer := "Bearer " + token
	tcases := []struct {
		name, method, path, host string
		header                   []string
		want                     int
	}{
		{"the page without the token", http.MethodGet, DashboardPath, "", nil, 200},
		{"a module without the token", http.MethodGet, DashboardPath + "api.js", "", nil, 200},
		{"a path with a dot segment is refused before any check", http.MethodGet, DashboardPath + "..%2fstate", "", nil, 400},
		{"the stream without the token", http.MethodGet, "/_mock/events", "", []string{"Accept", "text/event-stream"}, 401},
		{"steering without the token", http.MethodPost, "/_mock/reset", "", nil, 401},
		{"a rebound name with the token", http.MethodPost, "/_mock/reset", "evil.example", []string{"Origin", "http://evil.example", "Authorization", bearer}, 200},
		{"a rebound name without it", http.MethodPost, "/_mock/reset", "evil.example", []string{"Origin", "http://evil.example"}, 403},
	}
	for _, c := range tcases {
		if status, _, body := adminRequest(t, mt, c.method, c.path, c.host, c.header...); status != c.want {
			t.Errorf("with a token, %s: %s %s: %d %s, want %d", c.name, c.method, c.path, status, body, c.want)
		}
	}
}

// TestJournalAfter: what a stream reads after its cursor: the newest max records it keeps,
// oldest first; records gone from the ring or beyond max are counted as skipped.
func TestJournalAfter(t *testing.T) {
	j := newJournal(4)
	all := func(*journalRecord) bool { return true }
	add := func(method string) { j.add(journalRecord{http: httpRecord{method: method}}) }
	seqs := func(recs []journalRecord) (out []uint64) {
		for _, r := range recs {
			out = append(out, r.seq)
		}
		return out
	}
	if recs, last, skipped := j.after(0, 10, all); recs != nil || last != 0 || skipped != 0 {
		t.Errorf("empty journal: %v %d %d", recs, last, skipped)
	}
	for _, m := range []string{"A", "B", "C"} {
		add(m)
	}
	if recs, last, skipped := j.after(1, 10, all); !slices.Equal(seqs(recs), []uint64{2, 3}) || last != 3 || skipped != 0 {
		t.Errorf("after 1: %v %d %d", seqs(recs), last, skipped)
	}
	if recs, _, skipped := j.after(0, 2, all); !slices.Equal(seqs(recs), []uint64{2, 3}) || skipped != 1 {
		t.Errorf("after 0, max 2: %v skipped %d", seqs(recs), skipped)
	}
	for _, m := range []string{"D", "E", "F", "G"} { // the ring (4) now holds 4..7
		add(m)
	}
	if recs, last, skipped := j.after(1, 10, all); !slices.Equal(seqs(recs), []uint64{4, 5, 6, 7}) || last != 7 || skipped != 2 {
		t.Errorf("after 1, wrapped: %v %d skipped %d (2 and 3 left the ring)", seqs(recs), last, skipped)
	}
	odd := func(r *journalRecord) bool { return r.seq%2 == 1 }
	if recs, _, _ := j.after(4, 10, odd); !slices.Equal(seqs(recs), []uint64{5, 7}) {
		t.Errorf("after 4, odd only: %v", seqs(recs))
	}
	if recs, last, _ := j.after(7, 10, all); recs != nil || last != 7 {
		t.Errorf("after the newest: %v %d", seqs(recs), last)
	}
	if got := j.lastSeq(2); got != 5 {
		t.Errorf("lastSeq(2) = %d, want 5", got)
	}
}

// TestDashboardPacing: a stream waits dashMinGap between flushes, longer when its flushes
// take long (dashCostFactor times as long), and never more than dashMaxGap.
func TestDashboardPacing(t *testing.T) {
	for _, c := range []struct{ cost, want time.Duration }{
		{0, dashMinGap},
		{time.Millisecond, dashMinGap},
		{50 * time.Millisecond, dashCostFactor * 50 * time.Millisecond},
		{time.Second, dashMaxGap},
	} {
		cur := dashCursor{cost: c.cost}
		if got := cur.gap(); got != c.want {
			t.Errorf("a flush of %s: gap %s, want %s", c.cost, got, c.want)
		}
	}
}

// TestDashboardFileNames: the page answers under / and /index.html alike (no redirect from
// one to the other); a file name with a trailing slash, or no file, is 404.
func TestDashboardFileNames(t *testing.T) {
	m := newMock(t)
	_, _, page := adminRequest(t, m, http.MethodGet, DashboardPath, "")
	status, h, index := adminRequest(t, m, http.MethodGet, DashboardPath+"index.html", "")
	if status != http.StatusOK || index != page || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("GET %sindex.html: %d %q, want 200 text/html and the page", DashboardPath, status, h.Get("Content-Type"))
	}
	for _, p := range []string{"api.js/", "index.html/", "nofile", "static/api.js"} {
		if status, _, body := adminRequest(t, m, http.MethodGet, DashboardPath+p, ""); status != http.StatusNotFound {
			t.Errorf("GET %s%s: %d %s, want 404", DashboardPath, p, status, body)
		}
	}
}
