package bayeux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		in      string
		code    int
		args    []string
		message string
	}{
		{"401::No client ID", 401, nil, "No client ID"},
		{"402::Unknown client", 402, nil, "Unknown client"},
		{"402::session_unknown", 402, nil, "session_unknown"},
		{"401:abc123:Unknown client", 401, []string{"abc123"}, "Unknown client"},
		{"403:xj3s,/foo/bar:Subscription denied", 403, []string{"xj3s", "/foo/bar"}, "Subscription denied"},
		{"405:/foo/*:Invalid channel", 405, []string{"/foo/*"}, "Invalid channel"},
		{"500::a: message: with colons", 500, nil, "a: message: with colons"},
		{"403:,:", 403, []string{"", ""}, ""},
	}
	for _, tt := range tests {
		e, err := ParseError(tt.in)
		if err != nil {
			t.Errorf("ParseError(%q): %v", tt.in, err)
			continue
		}
		if e.Code != tt.code || !reflect.DeepEqual(e.Args, tt.args) || e.Message != tt.message {
			t.Errorf("ParseError(%q) = %d %q %q, want %d %q %q", tt.in, e.Code, e.Args, e.Message, tt.code, tt.args, tt.message)
		}
		if e.String() != tt.in {
			t.Errorf("ParseError(%q).String() = %q", tt.in, e.String())
		}
	}
	for _, bad := range []string{"", "Unknown client", "40::x", "4011::x", "40x::x", "401:no second colon", "000::x", ":::"} {
		if e, err := ParseError(bad); err == nil || !errors.Is(err, ErrBadErrorString) {
			t.Errorf("ParseError(%q) = %v, %v; want ErrBadErrorString", bad, e, err)
		}
	}
}

func TestErrorCodeAndText(t *testing.T) {
	e := clientReplyError(&Message{Channel: MetaConnect, Error: "402::Unknown client",
		Advice: &Advice{Reconnect: ReconnectHandshake}})
	wrapped := fmt.Errorf("run: %w", e)
	if got := ErrorCode(wrapped); got != 402 {
		t.Errorf("ErrorCode = %d, want 402", got)
	}
	if got := wrapped.Error(); !strings.Contains(got, "/meta/connect: 402::Unknown client (reconnect handshake)") {
		t.Errorf("text = %q", got)
	}
	if ErrorCode(errors.New("x")) != 0 {
		t.Error("ErrorCode of a plain error should be 0")
	}
	odd := clientReplyError(&Message{Channel: MetaSubscribe, Error: "denied"})
	if odd.Code != 0 || odd.Message != "denied" || odd.String() != "denied" {
		t.Errorf("unparsable error field: %+v", odd)
	}
}

func TestClientHandshakeSharesCookieJar(t *testing.T) {
	s := newClientScript(t)
	hc := clientTestJar(t)
	// A REST login on the same HTTP client sets JSESSIONID; the Bayeux handshake must carry it.
	resp, err := hc.Post(s.srv.URL+"/rest/login", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := NewClient(s.url(), ClientOptions{HTTPClient: hc, Header: http.Header{"Authorization": {"Basic dTpw"}}})

	res := clientTestAsync(func() error { return c.Handshake(t.Context()) })
	q := s.next(t, MetaHandshake)
	if ck := q.Header.Get("Cookie"); ck != "JSESSIONID=sess-123" {
		t.Errorf("handshake Cookie = %q, want the REST session cookie", ck)
	}
	if got := q.Header.Get("Authorization"); got != "Basic dTpw" {
		t.Errorf("Authorization = %q", got)
	}
	if ct := q.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	hs := q.Msgs[0]
	if len(q.Msgs) != 1 || hs.Version != "1.0" || hs.MinimumVersion != "1.0" || hs.ID == "" ||
		!slices.Equal(hs.SupportedConnectionTypes, []string{"long-polling"}) || hs.ClientID != "" {
		t.Errorf("handshake message = %+v", q.Msgs)
	}
	if hs.Advice == nil || *hs.Advice.Timeout != 60000 || *hs.Advice.Interval != 0 {
		t.Errorf("handshake advice = %+v", hs.Advice)
	}
	rep := clientTestHandshakeOK(hs, "cid1", clientTestAdvice(ReconnectRetry, 0, 30000))
	b, _ := json.Marshal([]Message{rep})
	q.respondWith(http.StatusOK, http.Header{"Set-Cookie": {"BAYEUX_BROWSER=bb1; Path=/; HttpOnly"}}, string(b))
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
	if c.ClientID() != "cid1" {
		t.Errorf("ClientID = %q", c.ClientID())
	}

	// Later messages carry both cookies and the clientId.
	res = clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	q = s.next(t, MetaSubscribe)
	ck := q.Header.Get("Cookie")
	if !strings.Contains(ck, "JSESSIONID=sess-123") || !strings.Contains(ck, "BAYEUX_BROWSER=bb1") {
		t.Errorf("subscribe Cookie = %q", ck)
	}
	if q.Msgs[0].ClientID != "cid1" {
		t.Errorf("subscribe clientId = %q", q.Msgs[0].ClientID)
	}
	clientTestOKAll(t, q)
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
}

func TestClientHandshakeFailures(t *testing.T) {
	tests := []struct {
		name  string
		reply func(q *clientScriptReq)
		check func(t *testing.T, err error)
	}{
		{"denied", func(q *clientScriptReq) {
			q.respond(t, clientTestFail(q.Msgs[0], "403::handshake_denied", &Advice{Reconnect: ReconnectNone}))
		}, func(t *testing.T, err error) {
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Code != 403 || e.Message != "handshake_denied" || e.Channel != MetaHandshake ||
				e.Advice == nil || e.Advice.Reconnect != ReconnectNone {
				t.Errorf("err = %#v", err)
			}
		}},
		{"no long-polling", func(q *clientScriptReq) {
			rep := clientTestHandshakeOK(q.Msgs[0], "cid", nil)
			rep.SupportedConnectionTypes = []string{"websocket"}
			q.respond(t, rep)
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrNoTransport) {
				t.Errorf("err = %v", err)
			}
		}},
		{"no clientId", func(q *clientScriptReq) {
			q.respond(t, clientTestHandshakeOK(q.Msgs[0], "", nil))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadReply) {
				t.Errorf("err = %v", err)
			}
		}},
		{"no reply", func(q *clientScriptReq) { q.respond(t) }, func(t *testing.T, err error) {
			if !errors.Is(err, ErrNoReply) {
				t.Errorf("err = %v", err)
			}
		}},
		{"HTTP 500", func(q *clientScriptReq) { q.respondWith(500, nil, "oops") }, func(t *testing.T, err error) {
			se, ok := errors.AsType[*StatusError](err)
			if !ok || se.Status != 500 || se.Body != "oops" {
				t.Errorf("err = %v", err)
			}
		}},
		{"not JSON", func(q *clientScriptReq) { q.respondWith(200, nil, "<html>") }, func(t *testing.T, err error) {
			if !errors.Is(err, ErrBadReply) || !errors.Is(err, ErrBadJSON) {
				t.Errorf("err = %v", err)
			}
		}},
		{"message without channel", func(q *clientScriptReq) { q.respondWith(200, nil, `[{"successful":true}]`) },
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrBadReply) {
					t.Errorf("err = %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientScript(t)
			c := NewClient(s.url(), ClientOptions{})
			res := clientTestAsync(func() error { return c.Handshake(t.Context()) })
			tt.reply(s.next(t, MetaHandshake))
			err := clientTestResult(t, res)
			if err == nil {
				t.Fatal("handshake succeeded")
			}
			tt.check(t, err)
			if c.ClientID() != "" {
				t.Errorf("ClientID = %q after a failed handshake", c.ClientID())
			}
		})
	}
}

func TestClientRunFollowsAdvice(t *testing.T) {
	s := newClientScript(t)
	clock := newClientFakeClock()
	rec := NewRecorder(Redaction{})
	c := NewClient(s.url(), ClientOptions{Clock: clock, Recorder: rec, NetworkDelay: 3 * time.Second})
	clientTestHandshake(t, s, c, "cid1", clientTestAdvice(ReconnectRetry, 250, 20000))
	lastTimeout := func() time.Duration {
		es := rec.Entries()
		return es[len(es)-1].Timeout
	}
	res, cancel := clientTestRun(t, c)

	// First connect: advice timeout 0 asks for an immediate reply; the HTTP timeout is
	// the server's timeout + NetworkDelay.
	q := s.next(t, MetaConnect)
	m := q.Msgs[0]
	if m.ClientID != "cid1" || m.ConnectionType != "long-polling" || m.ID == "" ||
		m.Advice == nil || m.Advice.Timeout == nil || *m.Advice.Timeout != 0 {
		t.Errorf("first connect = %+v (advice %+v)", m, m.Advice)
	}
	if got := lastTimeout(); got != 23*time.Second {
		t.Errorf("first connect HTTP timeout = %v, want 23s", got)
	}
	clock.noWait(t)
	q.respond(t, Message{Channel: MetaConnect, ID: m.ID, Successful: new(true), Advice: clientTestAdvice(ReconnectRetry, 250, 20000)})

	// retry after interval; later connects send no advice.
	q = s.next(t, MetaConnect)
	if d := clock.wait(t); d != 250*time.Millisecond {
		t.Errorf("wait = %v, want the 250ms interval", d)
	}
	if q.Msgs[0].Advice != nil {
		t.Errorf("second connect advice = %+v, want none", q.Msgs[0].Advice)
	}
	q.respond(t, Message{Channel: MetaConnect, ID: q.Msgs[0].ID, Successful: new(true)}) // no advice: keep the last

	q = s.next(t, MetaConnect)
	if d := clock.wait(t); d != 250*time.Millisecond {
		t.Errorf("wait after a reply without advice = %v, want the last interval 250ms", d)
	}
	// A new server timeout is honoured by the next connect's HTTP timeout.
	q.respond(t, Message{Channel: MetaConnect, ID: q.Msgs[0].ID, Successful: new(true), Advice: &Advice{Timeout: new(int64(5000))}})

	q = s.next(t, MetaConnect)
	clock.noWait(t) // advice without interval: interval back to its default, 0
	if got := lastTimeout(); got != 8*time.Second {
		t.Errorf("HTTP timeout = %v, want 5s + 3s", got)
	}
	if a := c.Advice(); a.Reconnect != ReconnectRetry || *a.Timeout != 5000 || *a.Interval != 0 {
		t.Errorf("Advice() = %+v", a)
	}
	cancel()
	if err := clientTestResult(t, res); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if !q.abandoned() {
		t.Error("the held connect was not abandoned on cancel")
	}
}

func TestClientRehandshakeResubscribes(t *testing.T) {
	s := newClientScript(t)
	clock := newClientFakeClock()
	c := NewClient(s.url(), ClientOptions{Clock: clock})
	clientTestHandshake(t, s, c, "cid1", clientTestAdvice(ReconnectRetry, 0, 30000))

	res := clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a", "/b/*") })
	q := s.next(t, MetaSubscribe)
	if len(q.Msgs) != 2 || q.Msgs[0].Subscription.Channels[0] != "/a" || q.Msgs[1].Subscription.Channels[0] != "/b/*" ||
		q.Msgs[1].ClientID != "cid1" {
		t.Fatalf("subscribe batch = %+v", q.Msgs)
	}
	clientTestOKAll(t, q)
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}

	run, _ := clientTestRun(t, c)
	q = s.next(t, MetaConnect)
	clientTestOKAll(t, q)
	q = s.next(t, MetaConnect)
	// The server forgot the session (CometD 3 wording, HTTP 200).
	q.respond(t, clientTestFail(q.Msgs[0], "402::Unknown client", &Advice{Reconnect: ReconnectHandshake, Interval: new(int64(0))}))

	q = s.next(t, MetaHandshake)
	clock.noWait(t)
	q.respond(t, clientTestHandshakeOK(q.Msgs[0], "cid2", clientTestAdvice(ReconnectRetry, 0, 30000)))
	q = s.next(t, MetaSubscribe)
	if got := clientTestSubs(q.Msgs); got != "cid2:/a,cid2:/b/*" {
		t.Errorf("resubscribe = %s", got)
	}
	clientTestOKAll(t, q)
	q = s.next(t, MetaConnect)
	if q.Msgs[0].ClientID != "cid2" || q.Msgs[0].Advice == nil || *q.Msgs[0].Advice.Timeout != 0 {
		t.Errorf("connect after re-handshake = %+v", q.Msgs[0])
	}
	if c.ClientID() != "cid2" || !slices.Equal(c.Subscriptions(), []string{"/a", "/b/*"}) {
		t.Errorf("state = %q %v", c.ClientID(), c.Subscriptions())
	}

	// Unsubscribe while the connect is held: /a is forgotten for the next re-handshake.
	res = clientTestAsync(func() error { return c.Unsubscribe(t.Context(), "/a") })
	uq := s.next(t, MetaUnsubscribe)
	clientTestOKAll(t, uq)
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
	q.respond(t, clientTestOK(q.Msgs[0]))
	q = s.next(t, MetaConnect)
	q.respond(t, clientTestFail(q.Msgs[0], "401:cid2:Unknown client", &Advice{Reconnect: ReconnectHandshake})) // faye wording
	q = s.next(t, MetaHandshake)
	q.respond(t, clientTestHandshakeOK(q.Msgs[0], "cid3", nil))
	q = s.next(t, MetaSubscribe)
	if got := clientTestSubs(q.Msgs); got != "cid3:/b/*" {
		t.Errorf("resubscribe after unsubscribe = %s", got)
	}
	clientTestOKAll(t, q)
	s.next(t, MetaConnect)
	select {
	case err := <-run:
		t.Fatalf("Run stopped: %v", err)
	default:
	}
}

func clientTestSubs(msgs []Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ClientID+":"+strings.Join(m.Subscription.Channels, "+"))
	}
	return strings.Join(out, ",")
}

func TestClientIgnoresConnectReplyOfAnEarlierSession(t *testing.T) {
	// Handshake while Run holds a connect of the old session: when that connect ends in a
	// late 402 (the server expired the old session), the new session must survive.
	s := newClientScript(t)
	c := NewClient(s.url(), ClientOptions{Clock: newClientFakeClock()})
	clientTestHandshake(t, s, c, "cid1", nil)
	run, _ := clientTestRun(t, c)
	clientTestOKAll(t, s.next(t, MetaConnect))
	held := s.next(t, MetaConnect)
	if held.Msgs[0].ClientID != "cid1" {
		t.Fatalf("held connect = %+v", held.Msgs[0])
	}

	clientTestHandshake(t, s, c, "cid2", nil)
	held.respond(t, clientTestFail(held.Msgs[0], "402::Unknown client", &Advice{Reconnect: ReconnectHandshake, Interval: new(int64(0))}))

	q := s.next(t, MetaConnect)
	if m := q.Msgs[0]; m.ClientID != "cid2" || m.Advice == nil || m.Advice.Timeout == nil || *m.Advice.Timeout != 0 {
		t.Errorf("connect after the stale 402 = %+v, want the first connect of cid2", m)
	}
	if id := c.ClientID(); id != "cid2" {
		t.Errorf("ClientID() = %q after a 402 for cid1, want cid2", id)
	}
	clientTestOKAll(t, q)
	s.next(t, MetaConnect)
	select {
	case err := <-run:
		t.Fatalf("Run stopped: %v", err)
	default:
	}
}

func TestClientRehandshakeBacksOffWhenNewSessionFails(t *testing.T) {
	// A server that refuses every new session at once must not be hammered.
	s := newClientScript(t)
	clock := newClientFakeClock()
	c := NewClient(s.url(), ClientOptions{Clock: clock, BackoffIncrement: time.Second})
	clientTestHandshake(t, s, c, "cid1", nil)
	clientTestRun(t, c)
	for i := 1; i <= 3; i++ {
		q := s.next(t, MetaConnect)
		q.respond(t, clientTestFail(q.Msgs[0], "402::Unknown client", &Advice{Reconnect: ReconnectHandshake}))
		q = s.next(t, MetaHandshake)
		if d := clock.wait(t); d != time.Duration(i)*time.Second {
			t.Errorf("wait before handshake %d = %v, want %ds", i, d, i)
		}
		q.respond(t, clientTestHandshakeOK(q.Msgs[0], fmt.Sprint("cid", i+1), nil))
	}
}

func TestClientAdviceNoneStops(t *testing.T) {
	tests := []struct {
		name  string
		reply func(req Message) Message
		code  int
	}{
		{"unsuccessful", func(req Message) Message {
			return clientTestFail(req, "403::denied", &Advice{Reconnect: ReconnectNone})
		}, 403},
		{"successful", func(req Message) Message {
			r := clientTestOK(req)
			r.Advice = &Advice{Reconnect: ReconnectNone}
			return r
		}, 0},
		{"negative interval", func(req Message) Message {
			r := clientTestOK(req)
			r.Advice = &Advice{Reconnect: ReconnectRetry, Interval: new(int64(-1))}
			return r
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientScript(t)
			c := NewClient(s.url(), ClientOptions{Clock: newClientFakeClock()})
			clientTestHandshake(t, s, c, "cid1", nil)
			run, _ := clientTestRun(t, c)
			q := s.next(t, MetaConnect)
			q.respond(t, tt.reply(q.Msgs[0]))
			err := clientTestResult(t, run)
			if !errors.Is(err, ErrReconnectNone) || ErrorCode(err) != tt.code {
				t.Errorf("Run = %v (code %d), want ErrReconnectNone with code %d", err, ErrorCode(err), tt.code)
			}
		})
	}
}

func TestClientBackoffAfterHTTPErrors(t *testing.T) {
	s := newClientScript(t)
	clock := newClientFakeClock()
	rec := NewRecorder(Redaction{})
	c := NewClient(s.url(), ClientOptions{Clock: clock, Recorder: rec,
		BackoffIncrement: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond})
	clientTestHandshake(t, s, c, "cid1", clientTestAdvice(ReconnectRetry, 50, 30000))
	clientTestRun(t, c)

	q := s.next(t, MetaConnect)
	q.respondWith(http.StatusInternalServerError, nil, "duplicate connect") // CometD's replaced connect
	steps := []struct {
		wait  time.Duration
		reply func(q *clientScriptReq)
	}{
		{150 * time.Millisecond, func(q *clientScriptReq) { q.respondWith(http.StatusBadGateway, nil, "") }},
		{250 * time.Millisecond, func(q *clientScriptReq) { q.respondWith(http.StatusOK, nil, "not json") }},
		{300 * time.Millisecond, func(q *clientScriptReq) { q.respond(t, clientTestFail(q.Msgs[0], "500::busy", nil)) }}, // capped
		{300 * time.Millisecond, func(q *clientScriptReq) { clientTestOKAll(t, q) }},
		{50 * time.Millisecond, func(q *clientScriptReq) { clientTestOKAll(t, q) }}, // success resets the backoff
	}
	for i, st := range steps {
		q = s.next(t, MetaConnect)
		if d := clock.wait(t); d != st.wait {
			t.Errorf("step %d: wait = %v, want %v", i, d, st.wait)
		}
		// Until a connect succeeds, each retry asks for an immediate reply again.
		if wantAdvice := i < 4; (q.Msgs[0].Advice != nil) != wantAdvice {
			t.Errorf("step %d: connect advice = %+v", i, q.Msgs[0].Advice)
		}
		st.reply(q)
	}
	s.next(t, MetaConnect)
	es := rec.Entries()
	if e := es[1]; e.Status != 500 || !strings.Contains(e.Err, "HTTP 500") || string(e.ResponseBody) != "duplicate connect" {
		t.Errorf("recorded 500 = %+v", e)
	}
}

func TestClientConnectHTTPTimeout(t *testing.T) {
	// The server advises timeout 0, so a connect may take NetworkDelay at most; a server
	// that holds it longer is treated as a network failure and the client connects again.
	s := newClientScript(t)
	rec := NewRecorder(Redaction{})
	c := NewClient(s.url(), ClientOptions{Recorder: rec, NetworkDelay: 50 * time.Millisecond,
		BackoffIncrement: time.Millisecond})
	clientTestHandshake(t, s, c, "cid1", clientTestAdvice(ReconnectRetry, 0, 0))
	clientTestRun(t, c)
	held := s.next(t, MetaConnect)
	if !held.abandoned() {
		t.Fatal("the client never gave up on the held connect")
	}
	s.next(t, MetaConnect)
	e := rec.Entries()[1]
	if e.Timeout != 50*time.Millisecond || !e.Done || !strings.Contains(e.Err, "deadline exceeded") {
		t.Errorf("timed-out entry = timeout %v done %v err %q", e.Timeout, e.Done, e.Err)
	}
}

func TestClientRunHandshakesAndRetries(t *testing.T) {
	s := newClientScript(t)
	clock := newClientFakeClock()
	c := NewClient(s.url(), ClientOptions{Clock: clock, BackoffIncrement: time.Second})
	run, _ := clientTestRun(t, c)
	q := s.next(t, MetaHandshake)
	q.respondWith(http.StatusServiceUnavailable, nil, "starting")
	q = s.next(t, MetaHandshake)
	if d := clock.wait(t); d != time.Second {
		t.Errorf("wait = %v", d)
	}
	q.respond(t, clientTestFail(q.Msgs[0], "500::try later", &Advice{Reconnect: ReconnectHandshake, Interval: new(int64(500))}))
	q = s.next(t, MetaHandshake)
	if d := clock.wait(t); d != 2500*time.Millisecond {
		t.Errorf("wait = %v, want interval 500ms + backoff 2s", d)
	}
	q.respond(t, clientTestFail(q.Msgs[0], "403::handshake_denied", &Advice{Reconnect: ReconnectNone}))
	err := clientTestResult(t, run)
	if !errors.Is(err, ErrReconnectNone) || ErrorCode(err) != 403 {
		t.Errorf("Run = %v", err)
	}
}

func TestClientEventsInAnyReply(t *testing.T) {
	s := newClientScript(t)
	var (
		mu  sync.Mutex
		got []string
	)
	c := NewClient(s.url(), ClientOptions{Clock: newClientFakeClock(), OnMessage: func(m Message) {
		mu.Lock()
		got = append(got, m.Channel+" "+string(m.Data))
		mu.Unlock()
	}})
	clientTestHandshake(t, s, c, "cid1", nil)
	xs, cancelX := c.Listen("/x/*")
	defer cancelX()
	ys, cancelY := c.Listen("/y")
	defer cancelY()

	// An event rides in the subscribe reply.
	res := clientTestAsync(func() error { return c.Subscribe(t.Context(), "/x/*") })
	q := s.next(t, MetaSubscribe)
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/x/1", `{"n":1}`))
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
	// Events ride in the publish reply; the publish reply itself is not an event.
	res = clientTestAsync(func() error { return c.Publish(t.Context(), "/y", map[string]int{"n": 2}) })
	q = s.next(t, "/y")
	if string(q.Msgs[0].Data) != `{"n":2}` || q.Msgs[0].ClientID != "cid1" {
		t.Errorf("publish = %+v", q.Msgs[0])
	}
	q.respond(t, Message{Channel: "/y", ID: q.Msgs[0].ID, Successful: new(true)},
		clientTestEvent("/y", `{"n":2}`), clientTestEvent("/x/2", `{"n":3}`))
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
	// And in connect replies; a /meta message with data is not an event.
	clientTestRun(t, c)
	q = s.next(t, MetaConnect)
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/x/3", `{"n":4}`),
		Message{Channel: "/meta/weird", Data: json.RawMessage(`{}`)}, clientTestEvent("/x/3/deep", `{"n":5}`))
	s.next(t, MetaConnect)

	want := []string{`/x/1 {"n":1}`, `/y {"n":2}`, `/x/2 {"n":3}`, `/x/3 {"n":4}`, `/x/3/deep {"n":5}`}
	for i, w := range want {
		select {
		case m := <-c.Messages():
			if g := m.Channel + " " + string(m.Data); g != w {
				t.Errorf("Messages()[%d] = %s, want %s", i, g, w)
			}
		case <-time.After(clientTestTimeout):
			t.Fatalf("Messages()[%d] missing", i)
		}
	}
	mu.Lock()
	if !slices.Equal(got, want) {
		t.Errorf("OnMessage got %q", got)
	}
	mu.Unlock()
	if g := clientTestDrain(xs); g != "/x/1,/x/2,/x/3" {
		t.Errorf("Listen(/x/*) = %s", g)
	}
	if g := clientTestDrain(ys); g != "/y" {
		t.Errorf("Listen(/y) = %s", g)
	}
	cancelY()
	if _, open := <-ys; open {
		t.Error("cancel did not close the Listen channel")
	}
}

// clientTestDrain returns the channels of what is buffered in ch.
func clientTestDrain(ch <-chan Message) string {
	var out []Message
	for {
		select {
		case m := <-ch:
			out = append(out, m)
		default:
			return clientTestChannels(out)
		}
	}
}

func TestClientOnMessageMayCallClient(t *testing.T) {
	// OnMessage runs on the connect loop; calling the client from it must not deadlock.
	s := newClientScript(t)
	var c *Client
	stopped := make(chan struct{})
	c = NewClient(s.url(), ClientOptions{Clock: newClientFakeClock(), OnMessage: func(m Message) {
		if m.Channel == "/ping" {
			_, stop := c.Listen("/x")
			stop()
			if err := c.Publish(t.Context(), "/pong", json.RawMessage(m.Data)); err != nil {
				t.Errorf("Publish from OnMessage: %v", err)
			}
			close(stopped)
		}
	}})
	clientTestHandshake(t, s, c, "cid1", nil)
	clientTestRun(t, c)
	q := s.next(t, MetaConnect)
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/ping", "7"))
	p := s.next(t, "/pong")
	if string(p.Msgs[0].Data) != "7" {
		t.Errorf("pong = %s", p.Msgs[0].Data)
	}
	clientTestOKAll(t, p)
	select {
	case <-stopped:
	case <-time.After(clientTestTimeout):
		t.Fatal("OnMessage did not finish")
	}
	s.next(t, MetaConnect)
}

// clientTestSubscribeFromOnMessage returns an OnMessage that, on the first event on
// trigger, subscribes c to channel and sends the result on the returned channel.
func clientTestSubscribeFromOnMessage(t *testing.T, c **Client, trigger, channel string) (func(Message), <-chan error) {
	res := make(chan error, 1)
	var once sync.Once
	return func(m Message) {
		if m.Channel != trigger {
			return
		}
		once.Do(func() { res <- (*c).Subscribe(t.Context(), channel) })
	}, res
}

func TestClientOnMessageMaySubscribeFromASubscribeReply(t *testing.T) {
	// The server piggybacks queued events on any reply: one that rides in a subscribe
	// reply reaches OnMessage, which may subscribe in turn.
	s := newClientScript(t)
	var c *Client
	onMessage, inner := clientTestSubscribeFromOnMessage(t, &c, "/a", "/from-callback")
	c = NewClient(s.url(), ClientOptions{Clock: newClientFakeClock(), OnMessage: onMessage})
	clientTestHandshake(t, s, c, "cid1", nil)

	outer := clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	q := s.next(t, MetaSubscribe)
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/a", "1"))
	q = s.next(t, MetaSubscribe)
	if got := clientTestSubs(q.Msgs); got != "cid1:/from-callback" {
		t.Errorf("subscribe from OnMessage = %s", got)
	}
	clientTestOKAll(t, q)
	if err := clientTestResult(t, inner); err != nil {
		t.Errorf("Subscribe from OnMessage: %v", err)
	}
	if err := clientTestResult(t, outer); err != nil {
		t.Errorf("Subscribe: %v", err)
	}
	if got := c.Subscriptions(); !slices.Equal(got, []string{"/a", "/from-callback"}) {
		t.Errorf("Subscriptions() = %v", got)
	}
}

func TestClientOnMessageMaySubscribeDuringRehandshake(t *testing.T) {
	// Run re-handshakes and re-subscribes; an event in the re-subscribe reply reaches
	// OnMessage, which subscribes to something new in the new session.
	s := newClientScript(t)
	var c *Client
	onMessage, inner := clientTestSubscribeFromOnMessage(t, &c, "/a", "/from-callback")
	c = NewClient(s.url(), ClientOptions{Clock: newClientFakeClock(), OnMessage: onMessage})
	clientTestHandshake(t, s, c, "cid1", nil)
	res := clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	clientTestOKAll(t, s.next(t, MetaSubscribe))
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}

	run, _ := clientTestRun(t, c)
	q := s.next(t, MetaConnect)
	q.respond(t, clientTestFail(q.Msgs[0], "402::Unknown client", &Advice{Reconnect: ReconnectHandshake, Interval: new(int64(0))}))
	q = s.next(t, MetaHandshake)
	q.respond(t, clientTestHandshakeOK(q.Msgs[0], "cid2", nil))
	q = s.next(t, MetaSubscribe)
	if got := clientTestSubs(q.Msgs); got != "cid2:/a" {
		t.Errorf("resubscribe = %s", got)
	}
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/a", "1"))
	q = s.next(t, MetaSubscribe)
	if got := clientTestSubs(q.Msgs); got != "cid2:/from-callback" {
		t.Errorf("subscribe from OnMessage = %s", got)
	}
	clientTestOKAll(t, q)
	if err := clientTestResult(t, inner); err != nil {
		t.Errorf("Subscribe from OnMessage: %v", err)
	}
	if q := s.next(t, MetaConnect); q.Msgs[0].ClientID != "cid2" {
		t.Errorf("connect after re-handshake = %+v", q.Msgs[0])
	}
	select {
	case err := <-run:
		t.Fatalf("Run stopped: %v", err)
	default:
	}
}

func TestClientSlowConsumerDoesNotBlock(t *testing.T) {
	s := newClientScript(t)
	c := NewClient(s.url(), ClientOptions{Clock: newClientFakeClock(), MessageBuffer: 2})
	clientTestHandshake(t, s, c, "cid1", nil)
	clientTestRun(t, c)
	q := s.next(t, MetaConnect)
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/e/1", "1"), clientTestEvent("/e/2", "2"),
		clientTestEvent("/e/3", "3"), clientTestEvent("/e/4", "4"), clientTestEvent("/e/5", "5"))
	s.next(t, MetaConnect) // the loop went on although nobody reads Messages()
	if d := c.Dropped(); d != 3 {
		t.Errorf("Dropped = %d, want 3", d)
	}
	if g := clientTestDrain(c.Messages()); g != "/e/1,/e/2" {
		t.Errorf("kept %s, want the first two", g)
	}
}

func TestClientSendRaw(t *testing.T) {
	s := newClientScript(t)
	c := NewClient(s.url(), ClientOptions{Ext: func(m *Message) { m.Ext = json.RawMessage(`{"k":1}`) }})
	clientTestHandshake(t, s, c, "cid1", nil)

	// A connect with an unknown clientId: the Bayeux error is in the replies, not in err.
	type result struct {
		replies []Message
		resp    *RawResponse
		err     error
	}
	send := func(f func() ([]Message, *RawResponse, error)) <-chan result {
		ch := make(chan result, 1)
		go func() { r, resp, err := f(); ch <- result{r, resp, err} }()
		return ch
	}
	wait := func(ch <-chan result) result {
		select {
		case r := <-ch:
			return r
		case <-time.After(clientTestTimeout):
			t.Fatal("no result")
			return result{}
		}
	}
	res := send(func() ([]Message, *RawResponse, error) {
		return c.Send(t.Context(), Message{Channel: MetaConnect, ClientID: "bogus", ConnectionType: ConnectionTypeLongPolling})
	})
	q := s.next(t, MetaConnect)
	if m := q.Msgs[0]; m.ClientID != "bogus" || string(m.Ext) != `{"k":1}` || m.ID != "" {
		t.Errorf("sent %+v", m)
	}
	q.respond(t, clientTestFail(q.Msgs[0], "402::Unknown client", &Advice{Reconnect: ReconnectHandshake}))
	r := wait(res)
	if r.err != nil || len(r.replies) != 1 || r.replies[0].IsSuccessful() || r.resp.Status != 200 {
		t.Fatalf("Send = %+v", r)
	}
	if e, err := ParseError(r.replies[0].Error); err != nil || e.Code != 402 {
		t.Errorf("reply error = %q", r.replies[0].Error)
	}

	// Send fills the session's clientId; an event in the reply of our own session is delivered.
	res = send(func() ([]Message, *RawResponse, error) {
		return c.Send(t.Context(), Message{Channel: MetaSubscribe, Subscription: NewSubscription("/s")})
	})
	q = s.next(t, MetaSubscribe)
	if q.Msgs[0].ClientID != "cid1" {
		t.Errorf("Send did not fill clientId: %+v", q.Msgs[0])
	}
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/s", `"hi"`))
	if r := wait(res); r.err != nil || len(r.replies) != 2 {
		t.Errorf("Send = %+v", r)
	}
	if g := clientTestDrain(c.Messages()); g != "/s" {
		t.Errorf("delivered %q", g)
	}

	// SendAsIs changes nothing.
	res = send(func() ([]Message, *RawResponse, error) {
		return c.SendAsIs(t.Context(), Message{Channel: MetaConnect, ConnectionType: ConnectionTypeLongPolling})
	})
	q = s.next(t, MetaConnect)
	if q.Msgs[0].ClientID != "" || q.Msgs[0].Ext != nil {
		t.Errorf("SendAsIs changed the message: %+v", q.Msgs[0])
	}
	q.respond(t, clientTestFail(q.Msgs[0], "402::Unknown client", nil))
	wait(res)

	// SendBody posts anything; HTTP 400 is a *StatusError with the response.
	res = send(func() ([]Message, *RawResponse, error) { return c.SendBody(t.Context(), "", []byte(`[{"channel":`)) })
	q = s.next(t, "")
	if string(q.Body) != `[{"channel":` {
		t.Errorf("body = %q", q.Body)
	}
	q.respondWith(http.StatusBadRequest, nil, "bad JSON")
	r = wait(res)
	if se, ok := errors.AsType[*StatusError](r.err); !ok || se.Status != 400 || r.resp == nil || string(r.resp.Body) != "bad JSON" {
		t.Errorf("SendBody = %+v", r)
	}
	if c.ClientID() != "cid1" {
		t.Error("raw sends changed the session")
	}
}

func TestClientDisconnect(t *testing.T) {
	s := newClientScript(t)
	c := NewClient(s.url(), ClientOptions{Clock: newClientFakeClock()})
	clientTestHandshake(t, s, c, "cid1", nil)
	res := clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	clientTestOKAll(t, s.next(t, MetaSubscribe))
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
	run, _ := clientTestRun(t, c)
	held := s.next(t, MetaConnect)

	res = clientTestAsync(func() error { return c.Disconnect(t.Context()) })
	q := s.next(t, MetaDisconnect)
	if q.Msgs[0].ClientID != "cid1" {
		t.Errorf("disconnect = %+v", q.Msgs[0])
	}
	clientTestOKAll(t, q)
	if err := clientTestResult(t, res); err != nil {
		t.Fatal(err)
	}
	if err := clientTestResult(t, run); err != nil {
		t.Errorf("Run after Disconnect = %v, want nil", err)
	}
	if !held.abandoned() {
		t.Error("held connect not released")
	}
	if c.ClientID() != "" || len(c.Subscriptions()) != 0 {
		t.Errorf("state after disconnect: %q %v", c.ClientID(), c.Subscriptions())
	}
	if err := c.Publish(t.Context(), "/a", 1); !errors.Is(err, ErrNoSession) {
		t.Errorf("Publish after disconnect = %v", err)
	}
	if err := c.Subscribe(t.Context(), "/a"); !errors.Is(err, ErrNoSession) {
		t.Errorf("Subscribe after disconnect = %v", err)
	}
}

func TestClientRejectsBadArguments(t *testing.T) {
	c := NewClient("http://127.0.0.1:1/cometd", ClientOptions{})
	ctx := t.Context()
	for _, ch := range []string{"", "a", "/meta/connect", "/a//b", "/a/**/b"} {
		if err := c.Subscribe(ctx, ch); err == nil || errors.Is(err, ErrNoSession) {
			t.Errorf("Subscribe(%q) = %v", ch, err)
		}
	}
	for _, ch := range []string{"/a/*", "/meta/x", "bad"} {
		if err := c.Publish(ctx, ch, 1); err == nil || errors.Is(err, ErrNoSession) {
			t.Errorf("Publish(%q) = %v", ch, err)
		}
	}
	if err := c.Publish(ctx, "/a", func() {}); err == nil {
		t.Error("Publish of an unencodable value succeeded")
	}
	if err := c.Subscribe(ctx); err == nil {
		t.Error("Subscribe() with no channel succeeded")
	}
}

func TestClientAppendMessageTypeToURL(t *testing.T) {
	s := newClientScript(t)
	c := NewClient(s.url(), ClientOptions{Clock: newClientFakeClock(), AppendMessageTypeToURL: true})
	res := clientTestAsync(func() error { return c.Handshake(t.Context()) })
	q := s.next(t, MetaHandshake)
	q.respond(t, clientTestHandshakeOK(q.Msgs[0], "cid1", nil))
	clientTestResult(t, res)
	paths := []string{q.Path}
	res = clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	q = s.next(t, MetaSubscribe)
	paths = append(paths, q.Path)
	clientTestOKAll(t, q)
	clientTestResult(t, res)
	run, _ := clientTestRun(t, c)
	q = s.next(t, MetaConnect)
	paths = append(paths, q.Path)
	res = clientTestAsync(func() error { return c.Disconnect(t.Context()) })
	q = s.next(t, MetaDisconnect)
	paths = append(paths, q.Path)
	clientTestOKAll(t, q)
	clientTestResult(t, res)
	clientTestResult(t, run)
	want := []string{"/cometd/handshake", "/cometd/", "/cometd/connect", "/cometd/disconnect"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
}

func TestClientConcurrentUse(t *testing.T) {
	// Publishers, subscribers and the connect loop at once, under -race. The responder
	// behaves like a server: it holds a connect until an event is queued, and queues
	// events published while no connect is held.
	s := newClientScript(t)
	c := NewClient(s.url(), ClientOptions{})
	clientTestHandshake(t, s, c, "cid1", clientTestAdvice(ReconnectRetry, 0, 30000))
	ctx, cancel := context.WithTimeout(t.Context(), clientTestTimeout)
	defer cancel()
	go func() {
		var (
			held  *clientScriptReq
			queue []Message
		)
		flush := func() {
			if held != nil && len(queue) > 0 {
				held.respond(t, append([]Message{clientTestOK(held.Msgs[0])}, queue...)...)
				held, queue = nil, nil
			}
		}
		for {
			var q *clientScriptReq
			select {
			case q = <-s.reqs:
			case <-ctx.Done():
				return
			}
			switch ch := q.channel(); {
			case ch == MetaConnect:
				held = q
			case strings.HasPrefix(ch, "/chat/"):
				q.respond(t, Message{Channel: ch, ID: q.Msgs[0].ID, Successful: new(true)})
				queue = append(queue, Message{Channel: ch, Data: q.Msgs[0].Data})
			default:
				clientTestOKAll(t, q)
			}
			flush()
		}
	}()
	clientTestRun(t, c)
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		ch := fmt.Sprintf("/chat/%d", i)
		events, stop := c.Listen(ch)
		defer stop()
		wg.Go(func() {
			if err := c.Subscribe(ctx, ch); err != nil {
				t.Errorf("Subscribe: %v", err)
				return
			}
			if err := c.Publish(ctx, ch, i); err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
			select {
			case m := <-events:
				if string(m.Data) != fmt.Sprint(i) {
					t.Errorf("%s: got %s", ch, m.Data)
				}
			case <-ctx.Done():
				t.Errorf("no event on %s", ch)
			}
		})
	}
	wg.Wait()
	if got := len(c.Subscriptions()); got != n {
		t.Errorf("%d subscriptions, want %d", got, n)
	}
}

func TestClientRunLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	s := newClientScript(t)
	hc := clientTestJar(t)
	c := NewClient(s.url(), ClientOptions{HTTPClient: hc})
	clientTestHandshake(t, s, c, "cid1", nil)
	ctx, cancel := context.WithCancel(t.Context())
	run := clientTestAsync(func() error { return c.Run(ctx) })
	held := s.next(t, MetaConnect)
	if err := c.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	cancel()
	if err := clientTestResult(t, run); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
	if !held.abandoned() {
		t.Error("connect not abandoned")
	}
	s.close()
	hc.CloseIdleConnections()
	// Goroutines end asynchronously and cannot be waited on: poll, bounded in time.
	deadline := time.Now().Add(clientTestTimeout)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRecorderRedacts(t *testing.T) {
	s := newClientScript(t)
	hc := clientTestJar(t)
	if resp, err := hc.Post(s.srv.URL+"/rest/login", "", nil); err == nil {
		resp.Body.Close()
	}
	rec := NewRecorder(Redaction{ClientID: true, Fields: []string{"pin"}, Headers: []string{"X-Api-Key"}})
	var logs clientLockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := NewClient(s.url()+"?token=tok-secret", ClientOptions{
		HTTPClient: hc, Recorder: rec, Clock: newClientFakeClock(), Name: "agent1", Logger: logger,
		Header: http.Header{"Authorization": {"Basic dXNlcjpodW50ZXIy"}, "X-Api-Key": {"key-secret"}},
		Ext: func(m *Message) {
			if m.Channel == MetaHandshake {
				m.Ext = json.RawMessage(`{"auth":{"user":"alice","password":"hunter2","pin":"4321"}}`)
			}
		},
	})
	res := clientTestAsync(func() error { return c.Handshake(t.Context()) })
	q := s.next(t, MetaHandshake)
	b, _ := json.Marshal([]Message{clientTestHandshakeOK(q.Msgs[0], "cid-secret-42", nil)})
	q.respondWith(200, http.Header{"Set-Cookie": {"BAYEUX_BROWSER=bb-secret; Path=/; HttpOnly"}}, string(b))
	clientTestResult(t, res)
	res = clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	q = s.next(t, MetaSubscribe)
	q.respond(t, clientTestFail(q.Msgs[0], "402:cid-secret-42:Unknown client", nil))
	if err := clientTestResult(t, res); ErrorCode(err) != 402 {
		t.Errorf("Subscribe = %v", err)
	}

	var tr bytes.Buffer
	if err := rec.WriteTranscript(&tr); err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.Entries() {
		for _, secret := range []string{"hunter2", "4321", "sess-123", "bb-secret", "cid-secret-42"} {
			if bytes.Contains(e.RequestBody, []byte(secret)) || bytes.Contains(e.ResponseBody, []byte(secret)) ||
				strings.Contains(fmt.Sprint(e.RequestHeader, e.ResponseHeader), secret) {
				t.Errorf("%q leaked into entry %d", secret, e.Seq)
			}
		}
	}
	all, _ := json.Marshal(rec.Entries())
	msgs, _ := json.Marshal(rec.Messages())
	if !strings.Contains(logs.String(), "bayeux: send") {
		t.Errorf("no debug logs: %s", logs.String())
	}
	for _, secret := range []string{"hunter2", "4321", "dXNlcjpodW50ZXIy", "key-secret", "sess-123", "bb-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("%q leaked into the logs:\n%s", secret, logs.String())
		}
	}
	for _, dump := range []string{tr.String(), string(all), string(msgs)} {
		for _, secret := range []string{"hunter2", "4321", "dXNlcjpodW50ZXIy", "key-secret", "sess-123", "bb-secret", "cid-secret-42", "tok-secret"} {
			if strings.Contains(dump, secret) {
				t.Errorf("%q leaked into:\n%s", secret, dump)
			}
		}
	}
	for _, want := range []string{"JSESSIONID=***", "BAYEUX_BROWSER=***", "client-1", `"alice"`, "Authorization: ***",
		"402:client-1:Unknown client", "agent1#1 → /meta/handshake", "agent1#2 ← /meta/subscribe"} {
		if !strings.Contains(tr.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr.String())
		}
	}
	if m := rec.Messages()[1]; m.Message.ClientID != "client-1" || m.Direction != FromServer {
		t.Errorf("recorded handshake reply = %+v", m)
	}
}

func TestRecorderOrder(t *testing.T) {
	s := newClientScript(t)
	clock := newClientFakeClock()
	rec := NewRecorder(Redaction{})
	c := NewClient(s.url(), ClientOptions{Clock: clock, Recorder: rec})
	clientTestHandshake(t, s, c, "cid1", nil)
	clientTestRun(t, c)
	held := s.next(t, MetaConnect)
	changed := rec.Changed()
	res := clientTestAsync(func() error { return c.Subscribe(t.Context(), "/a") })
	q := s.next(t, MetaSubscribe)
	select {
	case <-changed:
	default:
		t.Error("Changed() not closed by a new exchange")
	}
	q.respond(t, clientTestOK(q.Msgs[0]), clientTestEvent("/a", "1"))
	clientTestResult(t, res)
	held.respond(t, clientTestOK(held.Msgs[0]), clientTestEvent("/a", "2"))
	s.next(t, MetaConnect)

	var got []string
	for _, m := range rec.Messages()[:8] {
		got = append(got, fmt.Sprintf("%d%s%s", m.Seq, m.Direction, m.Message.Channel))
	}
	want := []string{"1→/meta/handshake", "1←/meta/handshake", "2→/meta/connect", "3→/meta/subscribe",
		"3←/meta/subscribe", "3←/a", "2←/meta/connect", "2←/a"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v\nwant    %v", got, want)
	}
	if ev := rec.Events(); len(ev) != 2 || string(ev[1].Message.Data) != "2" {
		t.Errorf("Events = %+v", ev)
	}
	var tr bytes.Buffer
	_ = rec.WriteTranscript(&tr)
	lines := strings.Split(strings.TrimSpace(tr.String()), "\n")
	var order []string
	for _, l := range lines {
		f := strings.Fields(l)
		order = append(order, f[1]+f[2])
	}
	wantTr := "#1POST #1→ #1← #1← #2POST #2→ #3POST #3→ #3← #3← #3← #2← #2← #2← #4POST #4→"
	if g := strings.Join(order, " "); g != wantTr {
		t.Errorf("transcript order = %s\nwant                 %s\n%s", g, wantTr, tr.String())
	}
}
