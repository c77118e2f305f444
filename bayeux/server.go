package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server defaults (CometD's, except MaxQueue, which CometD leaves unbounded).
const (
	DefaultTimeout               = 30 * time.Second
	DefaultInterval              = 0
	DefaultMaxInterval           = 10 * time.Second
	DefaultSweepPeriod           = 997 * time.Millisecond
	DefaultMaxQueue              = 1000
	DefaultBrowserCookieName     = "BAYEUX_BROWSER"
	DefaultMaxSessionsPerBrowser = 1
	DefaultMultiSessionInterval  = 2 * time.Second
	DefaultMaxBodyBytes          = 1 << 20
	DefaultBodyTimeout           = 10 * time.Second
	DefaultMaxUnidentifiedBody   = 16 << 10
)

// Options configure a Server. The zero value of every field means its default.
type Options struct {
	// Timeout is how long a /meta/connect is held before an empty reply (default 30 s).
	Timeout time.Duration
	// Interval is the pause advised to clients between connects (default 0).
	Interval time.Duration
	// MaxInterval: a session with no connect held for Interval+MaxInterval after its last
	// connect reply ended (or after its handshake) is removed (default 10 s).
	MaxInterval time.Duration
	// SweepPeriod is how often expired sessions are looked for (default 997 ms).
	SweepPeriod time.Duration
	// MaxQueue caps the events queued per session (default 1000; negative: unbounded).
	// When full, the OLDEST event is dropped to make room and counted (SessionInfo.Dropped,
	// Server.Dropped): a stalled client loses old events rather than blocking publishers.
	MaxQueue int
	// BrowserCookieName names the cookie (HttpOnly, Path=/) set on handshake to recognise
	// one browser (default BAYEUX_BROWSER).
	BrowserCookieName string
	// MaxSessionsPerBrowser is how many sessions of one browser may hold a connect at once
	// (default 1; negative: unlimited). Further ones get the multiple-clients advice.
	MaxSessionsPerBrowser int
	// MultiSessionInterval is the polling interval advised with multiple-clients (default
	// 2 s). Negative: such connects fail with reconnect:"none" instead, as in CometD.
	MultiSessionInterval time.Duration
	// MaxBodyBytes caps a request body (default 1 MiB); larger bodies get HTTP 413.
	MaxBodyBytes int64
	// MaxUnidentifiedBodyBytes: with Identify set, a body larger than this (default 16 KiB;
	// negative: no limit) is read only from a request Identify accepts; other requests get
	// HTTP 413 before more is read, so anonymous clients cannot make the server hold large
	// bodies. Handshakes, connects and subscribes of real clients are far smaller.
	MaxUnidentifiedBodyBytes int64
	// BodyTimeout bounds the time to read a request body (default 10 s; negative: none),
	// through the connection's read deadline, which is cleared once the body is read: a
	// held connect is not cut by it (http.Server.ReadTimeout would cut it). A body not
	// read in time gets HTTP 408 and the connection is closed.
	BodyTimeout time.Duration
	// MaxSessionsPerPrincipal caps the sessions of one principal (0: no cap). A handshake
	// past it removes that principal's least recently active session (one holding no
	// connect, idle longest; else the oldest), whose held connect, if any, gets 402: a
	// principal can crowd out only himself.
	MaxSessionsPerPrincipal int
	// MaxSessions caps all sessions (0: no cap). A handshake past it removes a session of
	// its own principal as above if he has one, and is otherwise refused with
	// "503::too_many_sessions", advice reconnect:"handshake" after MaxSessionsRetry: no
	// principal's handshake removes another's session.
	MaxSessions int
	// Clock is the time source (default RealClock).
	Clock Clock
	// Logger receives the server's logs (default: discarded).
	Logger *slog.Logger

	// Authenticate is called for each handshake with its HTTP request (cookies, Basic
	// auth) and message (ext). An error denies the handshake with "403::Handshake denied"
	// and advice reconnect:"none"; otherwise the principal is stored in the session.
	Authenticate func(r *http.Request, handshake *Message) (principal string, err error)
	// Identify, when set, binds every session to the principal that handshook (what
	// Authenticate returned). It is called at most once per request, for the first
	// message that names a known session (never for a handshake), and says whom the
	// request authenticates as. A message for a session of another principal, or any
	// message when Identify fails, is answered as if its clientId were unknown
	// ("402::Unknown client", advice reconnect:"handshake") and changes nothing: the
	// owner's session keeps its connect, subscriptions and events. nil: a clientId alone
	// is trusted, as the Bayeux spec has it.
	Identify func(r *http.Request) (principal string, err error)
	// AuthorizeSubscribe is called for every channel of a subscribe (not for /service/**).
	// An error denies the whole subscribe: "403:<channel>,<reason>:subscribe_denied".
	// s is the session as the request found it: subscriptions made by earlier messages of
	// the same request are not in it.
	AuthorizeSubscribe func(s *SessionInfo, channel string) error
	// AuthorizePublish is called for each publish from a client. By default clients may
	// publish on any channel that is not /meta/** and not a pattern (those are refused
	// before the hook). An error: "403:<channel>,<reason>:publish_denied".
	AuthorizePublish func(s *SessionInfo, channel string, data json.RawMessage) error
	// OnMessage sees every message received and sent, in order, from the goroutine that
	// handles the request. It must be safe for concurrent use and must not block.
	OnMessage func(ev WireEvent)
}

// WireEvent is one message that crossed the wire, for an application's journal. Message
// shares its Data and Ext with the server: treat them as read-only.
type WireEvent struct {
	Direction Direction
	SessionID string // empty when the message names no known session
	Principal string
	Message   Message
	Time      time.Time
}

// Errors returned by the server-side API.
var (
	ErrInvalidChannel = errors.New("bayeux: invalid channel")
	ErrUnknownSession = errors.New("bayeux: unknown session")
)

// timings are the durations SetTimings may change while the server runs.
type serverTimings struct {
	timeout, interval, maxInterval time.Duration
}

// Server is a Bayeux 1.0 long-polling server; it is an http.Handler that ignores the
// request path, so mount it on a path and its sub-paths. See the package doc for what it
// implements and where it departs from the spec.
type Server struct {
	opts  Options
	clock Clock
	log   *slog.Logger

	timings  atomic.Pointer[serverTimings]
	shutting atomic.Bool
	dropped  atomic.Uint64

	mu       sync.RWMutex
	sessions map[string]*serverSession
	// byPrincipal indexes sessions by principal, for the per-principal cap. Guarded by mu.
	byPrincipal map[string]map[*serverSession]struct{}
	sweeper     Timer // armed only while sessions exist
	// subs indexes every session's subscriptions, so a publish finds its subscribers
	// without looking at every session. Guarded by mu, changed together with each
	// session's own set (under both locks).
	subs subIndex

	browsers browserTable
	holds    holdTracker
	faults   faultTable
}

// NewServer returns a Server with opts, defaults filled in.
func NewServer(opts Options) *Server {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Interval < 0 {
		opts.Interval = 0
	}
	if opts.MaxInterval <= 0 {
		opts.MaxInterval = DefaultMaxInterval
	}
	if opts.SweepPeriod <= 0 {
		opts.SweepPeriod = DefaultSweepPeriod
	}
	switch {
	case opts.MaxQueue == 0:
		opts.MaxQueue = DefaultMaxQueue
	case opts.MaxQueue < 0:
		opts.MaxQueue = -1
	}
	if opts.BrowserCookieName == "" {
		opts.BrowserCookieName = DefaultBrowserCookieName
	}
	if opts.MaxSessionsPerBrowser == 0 {
		opts.MaxSessionsPerBrowser = DefaultMaxSessionsPerBrowser
	}
	if opts.MultiSessionInterval == 0 {
		opts.MultiSessionInterval = DefaultMultiSessionInterval
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxUnidentifiedBodyBytes == 0 {
		opts.MaxUnidentifiedBodyBytes = DefaultMaxUnidentifiedBody
	}
	if opts.BodyTimeout == 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:        opts,
		clock:       opts.Clock,
		log:         opts.Logger,
		sessions:    map[string]*serverSession{},
		byPrincipal: map[string]map[*serverSession]struct{}{},
		subs:        subIndex{plain: map[string]map[*serverSession]struct{}{}, patterns: map[string]map[*serverSession]struct{}{}},
	}
	s.timings.Store(&serverTimings{timeout: opts.Timeout, interval: opts.Interval, maxInterval: opts.MaxInterval})
	return s
}

// SetTimings changes timeout, interval and maxInterval while the server runs (negative
// values count as 0; timeout 0 means connects are answered at once). Connects already
// held keep their deadline; advice, new connects and the sweeper use the new values.
func (s *Server) SetTimings(timeout, interval, maxInterval time.Duration) {
	s.timings.Store(&serverTimings{timeout: max(timeout, 0), interval: max(interval, 0), maxInterval: max(maxInterval, 0)})
}

// Timings returns the current timeout, interval and maxInterval.
func (s *Server) Timings() (timeout, interval, maxInterval time.Duration) {
	t := s.timings.Load()
	return t.timeout, t.interval, t.maxInterval
}

// Dropped returns how many events all sessions together lost to a full queue.
func (s *Server) Dropped() uint64 { return s.dropped.Load() }

// ServeHTTP speaks long-polling: POST only, a JSON array (or one object) of messages in,
// a JSON array out.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "bayeux: long-polling takes POST only", http.StatusMethodNotAllowed)
		return
	}
	msgs, status, err := s.readMessages(w, r)
	if err != nil {
		s.log.Debug("bayeux: bad request", "status", status, "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), status)
		return
	}
	s.serveBatch(w, r, msgs)
}

// readMessages checks the content type, reads the body within MaxBodyBytes and decodes it.
// application/json and text/plain (as CometD, for clients that avoid CORS preflights)
// carry a JSON body; application/x-www-form-urlencoded carries message= parameters.
func (s *Server) readMessages(w http.ResponseWriter, r *http.Request) ([]Message, int, error) {
	form := false
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/json", "application/json;charset=UTF-8", "application/json; charset=UTF-8":
		// What clients send (the CometD JavaScript client the second): no parsing.
	default:
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, http.StatusUnsupportedMediaType, fmt.Errorf("bayeux: content type %q: %w", ct, err)
		}
		switch mt {
		case "application/json", "text/plain":
		case "application/x-www-form-urlencoded":
			form = true
		default:
			return nil, http.StatusUnsupportedMediaType, fmt.Errorf("bayeux: content type %q: want application/json", mt)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return nil, http.StatusUnsupportedMediaType, fmt.Errorf("bayeux: charset %q: want UTF-8", cs)
		}
	}
	body, status, err := s.readBody(w, r)
	if err != nil {
		return nil, status, err
	}
	var msgs []Message
	if form {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("bayeux: form body: %w", err)
		}
		for _, v := range vals["message"] {
			ms, err := DecodeMessages([]byte(v))
			if err != nil {
				return nil, http.StatusBadRequest, err
			}
			msgs = append(msgs, ms...)
		}
	} else if msgs, err = DecodeMessages(body); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if len(msgs) == 0 {
		return nil, http.StatusBadRequest, fmt.Errorf("%w: no messages", ErrBadJSON)
	}
	return msgs, http.StatusOK, nil
}

// write journals msgs and sends them as the JSON array reply.
func (s *Server) write(w http.ResponseWriter, msgs []*Message, sess *serverSession) {
	// Without reflection: the data of every event was checked when it was published.
	body := appendMessages(make([]byte, 0, 512), msgs)
	for _, m := range msgs {
		s.journal(FromServer, sess, m)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	if _, err := w.Write(body); err != nil {
		s.log.Debug("bayeux: writing reply", "err", err)
	}
}

func (s *Server) journal(dir Direction, sess *serverSession, m *Message) {
	if s.opts.OnMessage == nil {
		return
	}
	ev := WireEvent{Direction: dir, Message: *m, Time: s.clock.Now()}
	if sess != nil {
		ev.SessionID, ev.Principal = sess.id, sess.principal
	}
	s.opts.OnMessage(ev)
}

// browserTable counts, per BAYEUX_BROWSER value, the sessions holding a connect.
type browserTable struct {
	mu sync.Mutex
	m  map[string]map[string]int // browser → session id → held connects
}

// acquire records a held connect of session sid unless max other sessions of the same
// browser already hold one.
func (b *browserTable) acquire(browser, sid string, limit int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.m[browser]
	others := len(set)
	if set[sid] > 0 {
		others--
	}
	if others >= limit {
		return false
	}
	if set == nil {
		if b.m == nil {
			b.m = map[string]map[string]int{}
		}
		set = map[string]int{}
		b.m[browser] = set
	}
	set[sid]++
	return true
}

func (b *browserTable) release(browser, sid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := b.m[browser]
	if set[sid]--; set[sid] <= 0 {
		delete(set, sid)
	}
	if len(set) == 0 {
		delete(b.m, browser)
	}
}

// holdTracker counts held connects so Shutdown can wait for them to be answered.
type holdTracker struct {
	mu      sync.Mutex
	n       int
	waiters []chan struct{}
}

func (h *holdTracker) add() {
	h.mu.Lock()
	h.n++
	h.mu.Unlock()
}

func (h *holdTracker) done() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n--; h.n == 0 {
		for _, c := range h.waiters {
			close(c)
		}
		h.waiters = nil
	}
}

func (h *holdTracker) wait(ctx context.Context) error {
	h.mu.Lock()
	if h.n == 0 {
		h.mu.Unlock()
		return nil
	}
	c := make(chan struct{})
	h.waiters = append(h.waiters, c)
	h.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bayeux: shutdown: %w", ctx.Err())
	}
}
