package bayeux

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test scaffolding for the client: a scripted Bayeux responder and a clock that records
// waits. Names start with "clientScript"/"clientTest" so they cannot clash with the
// server's tests in the same package.

// clientTestTimeout bounds every wait in the client tests.
const clientTestTimeout = 5 * time.Second

// clientScript is a scripted Bayeux endpoint at /cometd (and any sub-path): every POST is
// handed to the test, which answers it, or holds it, explicitly. /rest/login sets a
// JSESSIONID cookie, like a GWS login.
type clientScript struct {
	srv  *httptest.Server
	reqs chan *clientScriptReq
	done chan struct{}

	mu      sync.Mutex
	pending []*clientScriptReq // received by next but not yet claimed
}

type clientScriptReq struct {
	Path   string
	Header http.Header
	Body   []byte
	Msgs   []Message
	ctx    context.Context
	reply  chan clientScriptReply
}

type clientScriptReply struct {
	status int
	header http.Header
	body   []byte
}

func newClientScript(t *testing.T) *clientScript {
	t.Helper()
	s := &clientScript{reqs: make(chan *clientScriptReq), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rest/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "sess-123", Path: "/", HttpOnly: true})
		w.WriteHeader(http.StatusNoContent)
	})
	bayeux := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msgs, _ := DecodeMessages(body)
		q := &clientScriptReq{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Msgs: msgs,
			ctx: r.Context(), reply: make(chan clientScriptReply, 1)}
		select {
		case s.reqs <- q:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
		select {
		case rep := <-q.reply:
			for k, vs := range rep.header {
				w.Header()[k] = vs
			}
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(rep.status)
			_, _ = w.Write(rep.body)
		case <-r.Context().Done():
		case <-s.done:
		}
	}
	mux.HandleFunc("POST /cometd", bayeux)
	mux.HandleFunc("POST /cometd/", bayeux)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

// close releases held requests and stops the server; safe to call twice.
func (s *clientScript) close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.Close()
}

func (s *clientScript) url() string { return s.srv.URL + "/cometd" }

// next returns the next request whose first message is on channel, keeping the others
// for later calls. It fails the test after clientTestTimeout.
func (s *clientScript) next(t *testing.T, channel string) *clientScriptReq {
	t.Helper()
	s.mu.Lock()
	for i, q := range s.pending {
		if q.channel() == channel {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			s.mu.Unlock()
			return q
		}
	}
	s.mu.Unlock()
	timer := time.NewTimer(clientTestTimeout)
	defer timer.Stop()
	for {
		select {
		case q := <-s.reqs:
			if q.channel() == channel {
				return q
			}
			s.mu.Lock()
			s.pending = append(s.pending, q)
			s.mu.Unlock()
		case <-timer.C:
			t.Fatalf("no %s request within %v", channel, clientTestTimeout)
			return nil
		}
	}
}

func (q *clientScriptReq) channel() string {
	if len(q.Msgs) == 0 {
		return ""
	}
	return q.Msgs[0].Channel
}

// respond answers with HTTP 200 and msgs as a JSON array.
func (q *clientScriptReq) respond(t *testing.T, msgs ...Message) {
	t.Helper()
	if msgs == nil {
		msgs = []Message{}
	}
	b, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	q.reply <- clientScriptReply{status: http.StatusOK, body: b}
}

// respondWith answers with any status, headers and body.
func (q *clientScriptReq) respondWith(status int, header http.Header, body string) {
	q.reply <- clientScriptReply{status: status, header: header, body: []byte(body)}
}

// abandoned reports whether the client gave up on the request, within the timeout.
func (q *clientScriptReq) abandoned() bool {
	select {
	case <-q.ctx.Done():
		return true
	case <-time.After(clientTestTimeout):
		return false
	}
}

// Reply builders.

func clientTestOK(req Message) Message {
	return Message{Channel: req.Channel, ID: req.ID, ClientID: req.ClientID, Successful: new(true),
		Subscription: req.Subscription}
}

func clientTestFail(req Message, errField string, adv *Advice) Message {
	return Message{Channel: req.Channel, ID: req.ID, Successful: new(false), Error: errField, Advice: adv}
}

func clientTestHandshakeOK(req Message, clientID string, adv *Advice) Message {
	return Message{Channel: MetaHandshake, ID: req.ID, ClientID: clientID, Successful: new(true),
		Version: Version, SupportedConnectionTypes: []string{ConnectionTypeLongPolling, "callback-polling"}, Advice: adv}
}

func clientTestEvent(channel, data string) Message {
	return Message{Channel: channel, Data: json.RawMessage(data)}
}

func clientTestAdvice(reconnect string, intervalMS, timeoutMS int64) *Advice {
	return &Advice{Reconnect: reconnect, Interval: new(intervalMS), Timeout: new(timeoutMS)}
}

// clientTestOKAll answers every message of q successfully.
func clientTestOKAll(t *testing.T, q *clientScriptReq) {
	t.Helper()
	out := make([]Message, len(q.Msgs))
	for i, m := range q.Msgs {
		out[i] = clientTestOK(m)
	}
	q.respond(t, out...)
}

// clientTestAsync runs f in a goroutine and returns its result channel.
func clientTestAsync(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// clientTestResult waits for an async result.
func clientTestResult(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(clientTestTimeout):
		t.Fatalf("no result within %v", clientTestTimeout)
		return nil
	}
}

// clientTestHandshake handshakes c against s with the given clientId and advice.
func clientTestHandshake(t *testing.T, s *clientScript, c *Client, clientID string, adv *Advice) {
	t.Helper()
	res := clientTestAsync(func() error { return c.Handshake(t.Context()) })
	q := s.next(t, MetaHandshake)
	q.respond(t, clientTestHandshakeOK(q.Msgs[0], clientID, adv))
	if err := clientTestResult(t, res); err != nil {
		t.Fatalf("handshake: %v", err)
	}
}

// clientTestRun starts c.Run and returns its result channel and the cancel of its ctx.
func clientTestRun(t *testing.T, c *Client) (<-chan error, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	res, done := make(chan error, 1), make(chan struct{})
	go func() {
		res <- c.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(clientTestTimeout):
			t.Errorf("Run did not return after cancel")
		}
	})
	return res, cancel
}

func clientTestJar(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Transport: &http.Transport{}}
}

// clientFakeClock advances only when the client waits: AfterFunc fires at once and records
// the duration asked for, so tests check intervals and backoff without waiting.
type clientFakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan time.Duration
}

func newClientFakeClock() *clientFakeClock {
	return &clientFakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), waits: make(chan time.Duration, 1000)}
}

func (c *clientFakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clientFakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.waits <- d
	c.mu.Unlock()
	go f()
	return clientFiredTimer{}
}

// clientFiredTimer is a timer that has already fired.
type clientFiredTimer struct{}

func (clientFiredTimer) Stop() bool { return false }

// wait returns the next wait the client asked for. The client asks before it sends the
// request the wait precedes, so call it after receiving that request.
func (c *clientFakeClock) wait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	default:
		t.Fatal("the client did not wait")
		return 0
	}
}

// noWait fails if the client waited.
func (c *clientFakeClock) noWait(t *testing.T) {
	t.Helper()
	select {
	case d := <-c.waits:
		t.Fatalf("the client waited %v, want no wait", d)
	default:
	}
}

// clientTestChannels lists the channels of msgs.
func clientTestChannels(msgs []Message) string {
	var cs []string
	for _, m := range msgs {
		cs = append(cs, m.Channel)
	}
	return strings.Join(cs, ",")
}
