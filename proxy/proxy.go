// Package proxy is workbinkit's validating reverse proxy: it stands between a client (an
// agent desktop, the conformance suite, a browser app) and a GWS server, forwards every
// request unchanged, and hands each finished exchange, REST and CometD long-polling alike,
// to an observe.Checker and, when recording, to a HAR writer. A client pointed at the
// proxy works as if pointed at the server: cookies and CSRF headers pass through, and the
// proxy answers CORS for browser apps on localhost.
//
// The path of one exchange: ServeHTTP takes the request body (bounded in size and in time),
// forwards it with httputil.ReverseProxy, streams the response back as it comes (a long
// poll's reply is flushed at once) while keeping a bounded copy, and when the response has
// ended queues the exchange for the observer goroutine, which judges and records exchanges
// one at a time in the order they ended. Nothing on the client's path waits for a
// judgement.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/observe"
	"github.com/workbinkit/workbinkit/spec"
)

// ReportPath serves the findings so far; the proxy owns every path below PathPrefix.
const (
	PathPrefix = "/_proxy/"
	ReportPath = PathPrefix + "report"
)

// DefaultMaxBody bounds the copy of one body the proxy keeps for judging; a larger body
// is forwarded whole but not judged.
const DefaultMaxBody = 8 << 20

// DefaultBodyReadTimeout bounds the time from the start of a request with a body to the
// end of its body (Config.BodyReadTimeout), as the mock's does.
const DefaultBodyReadTimeout = 10 * time.Second

// queueSize is how many finished exchanges may wait for the observer before handlers
// wait for it (back-pressure rather than unbounded memory).
const queueSize = 4096

// Config is what New needs.
type Config struct {
	// Upstream is the server's base URL (scheme, host, and a path prefix if any).
	Upstream *url.URL
	// Transport reaches the upstream (TLS settings included); default: a clone of
	// http.DefaultTransport sized for many long polls.
	Transport http.RoundTripper
	// Checker judges the exchanges (required).
	Checker *observe.Checker
	// Record, when set, receives every exchange as a HAR entry; Pseudonyms replaces
	// secrets in what is recorded (nil: recorded as is).
	Record     *har.Writer
	Pseudonyms *observe.Pseudonyms
	// MaxBody bounds the copy of a body kept for judging (default DefaultMaxBody).
	MaxBody int64
	// BodyReadTimeout bounds the time from the start of a request with a body to the end
	// of its body: a client that stalls is answered 408 and its connection closed, nothing
	// forwarded (0: DefaultBodyReadTimeout; negative: no bound). The bound ends with the
	// body: a held long poll is not cut by it.
	BodyReadTimeout time.Duration
	// AllowOrigin says which browser origins get CORS answers (default: LocalOrigin).
	AllowOrigin func(origin string) bool
	// Report renders GET /_proxy/report's Markdown and JUnit (default: source "proxy").
	ReportInfo func() observe.ReportInfo
	Logger     *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Proxy is the validating reverse proxy; an http.Handler.
type Proxy struct {
	cfg   Config
	rp    *httputil.ReverseProxy
	seq   atomic.Int64
	queue chan *observe.Exchange
	done  chan struct{}
	// inflight counts exchanges not yet queued; Close waits for them. gate orders the
	// closing flag before the last Add.
	inflight sync.WaitGroup
	gate     sync.RWMutex
	closing  bool
	closeMu  sync.Once
	recErr   atomic.Bool
	stats    Stats
	// copying counts responses whose body is being forwarded; the observer steps aside
	// while there are some (a burst of long-poll replies), see observer.
	copying atomic.Int64
	idle    chan struct{}
}

// Stats counts what the proxy forwarded.
type Stats struct {
	Forwarded    atomic.Int64
	Preflights   atomic.Int64
	UpstreamErrs atomic.Int64
	Recorded     atomic.Int64
}

type ctxKey struct{}

// pending is an exchange being forwarded.
type pending struct {
	ex   *observe.Exchange
	once sync.Once
}

// New builds a proxy and starts its observer.
func New(cfg Config) (*Proxy, error) {
	if cfg.Upstream == nil || cfg.Upstream.Scheme == "" || cfg.Upstream.Host == "" {
		return nil, errors.New("proxy: the upstream must be an absolute URL (http://host:port or https://host:port)")
	}
	if cfg.Upstream.Scheme != "http" && cfg.Upstream.Scheme != "https" {
		return nil, fmt.Errorf("proxy: upstream scheme %q: want http or https", cfg.Upstream.Scheme)
	}
	if cfg.Checker == nil {
		return nil, errors.New("proxy: a Checker is required")
	}
	if cfg.Transport == nil {
		cfg.Transport = DefaultTransport()
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.BodyReadTimeout == 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if cfg.AllowOrigin == nil {
		cfg.AllowOrigin = LocalOrigin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReportInfo == nil {
		cfg.ReportInfo = func() observe.ReportInfo {
			return observe.ReportInfo{Source: "proxy in front of " + cfg.Upstream.Redacted(), Finished: cfg.Now()}
		}
	}
	p := &Proxy{cfg: cfg, queue: make(chan *observe.Exchange, queueSize), done: make(chan struct{}), idle: make(chan struct{}, 1)}
	up := cfg.Upstream
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			r.Out.Host = ""
		},
		Transport: cfg.Transport,
		// FlushInterval stays 0: a reply of known length (a long poll's included) goes out
		// when the handler returns, right after its last byte; a reply of unknown length is
		// flushed as it comes (ReverseProxy does that by itself).
		BufferPool:     newBufferPool(),
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		ErrorLog:       slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	go p.observer()
	return p, nil
}

// DefaultTransport is a transport sized for many held long polls to one host.
func DefaultTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2048
	tr.MaxIdleConnsPerHost = 2048
	tr.IdleConnTimeout = 90 * time.Second
	return tr
}

// LocalOrigin admits browser origins on this machine: http(s)://localhost, 127.0.0.1
// and [::1], any port.
func LocalOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" {
		return false
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() *Stats { return &p.stats }

// ServeHTTP forwards a request, or serves the proxy's own paths and CORS preflights.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, PathPrefix) {
		p.serveOwn(w, r)
		return
	}
	origin := r.Header.Get("Origin")
	cors := origin != "" && p.cfg.AllowOrigin(origin)
	if cors && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		p.stats.Preflights.Add(1)
		p.preflight(w, r, origin)
		return
	}
	p.gate.RLock()
	if p.closing {
		p.gate.RUnlock()
		writeError(w, http.StatusServiceUnavailable, spec.StatusInternalError, "the workbinkit proxy is shutting down")
		return
	}
	p.inflight.Add(1)
	p.gate.RUnlock()
	start := p.cfg.Now()
	ex := &observe.Exchange{Seq: p.seq.Add(1), Start: start, Method: r.Method, URL: p.upstreamURL(r.URL), RequestHeader: r.Header.Clone()}
	pd := &pending{ex: ex}
	defer p.finish(pd) // a no-op when the response body already finished it
	// The body deadline, wall time (a connection deadline is not domain time). The body is
	// read before anything is forwarded, so a client that stalls holds nothing upstream.
	// net/http lifts the deadline when the body ends (it starts its background read of the
	// connection then), so a held long poll does not lose its connection to it.
	rc := http.NewResponseController(w)
	if p.cfg.BodyReadTimeout > 0 && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		_ = rc.SetReadDeadline(time.Now().Add(p.cfg.BodyReadTimeout))
	}
	body, complete, err := readBounded(r.Body, p.cfg.MaxBody)
	if err != nil {
		ex.Incomplete = "reading the request body: " + err.Error()
		// Nothing more is read from the connection: net/http would otherwise read what is
		// left of the body before it closes it.
		w.Header().Set("Connection", "close")
		_ = rc.SetReadDeadline(time.Now())
		if errors.Is(err, os.ErrDeadlineExceeded) {
			ex.Incomplete = fmt.Sprintf("the request body did not arrive within %s", p.cfg.BodyReadTimeout)
			writeError(w, http.StatusRequestTimeout, spec.StatusInvalidInput, fmt.Sprintf("the workbinkit proxy did not receive the request body within %s", p.cfg.BodyReadTimeout))
			return
		}
		writeError(w, http.StatusBadRequest, spec.StatusInvalidInput, "the workbinkit proxy could not read the request body: "+err.Error())
		return
	}
	ex.RequestBody = body
	if !complete {
		ex.Incomplete = fmt.Sprintf("the request body is larger than %d bytes", p.cfg.MaxBody)
		// The rest streams upstream, under the same deadline.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	if cors {
		// The proxy answers CORS itself; the upstream sees a same-origin request.
		r.Header.Del("Origin")
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", exposed)
		h.Add("Vary", "Origin")
	}
	p.stats.Forwarded.Add(1)
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, pd))
	p.rp.ServeHTTP(w, r)
}

// exposed are the response headers a browser app may read (the CSRF pair of D8).
var exposed = strings.Join([]string{spec.HeaderCSRFHeader, spec.HeaderCSRFToken, spec.HeaderWWWAuthenticate, "Content-Type"}, ", ")

func (p *Proxy) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}

// upstreamURL names a request in the record: the upstream's scheme and host with the
// path and query the client sent (the contract's paths are the client's, whatever prefix
// the upstream URL adds).
func (p *Proxy) upstreamURL(in *url.URL) *url.URL {
	return &url.URL{Scheme: p.cfg.Upstream.Scheme, Host: p.cfg.Upstream.Host, Path: in.Path, RawPath: in.RawPath, RawQuery: in.RawQuery}
}

func readBounded(r io.Reader, max int64) ([]byte, bool, error) {
	if r == nil || r == http.NoBody {
		return nil, true, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > max {
		return b, false, nil
	}
	return b, true, nil
}

// modifyResponse passes cookies to the browser's origin and keeps a copy of the body.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	pd, _ := resp.Request.Context().Value(ctxKey{}).(*pending)
	if pd == nil {
		return nil
	}
	fixCookies(resp.Header, resp.Request)
	pd.ex.Status = resp.StatusCode
	pd.ex.ResponseHeader = resp.Header.Clone()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// A WebSocket: the body is the connection; recorded as it opened.
		p.finish(pd)
		return nil
	}
	p.copying.Add(1)
	tb := &teeBody{rc: resp.Body, max: p.cfg.MaxBody}
	if n := resp.ContentLength; n > 0 && n <= p.cfg.MaxBody {
		tb.buf.Grow(int(n))
	}
	resp.Body = tb
	tb.done = func(b []byte, complete bool, err error) {
		if p.copying.Add(-1) == 0 {
			select {
			case p.idle <- struct{}{}:
			default:
			}
		}
		pd.ex.ResponseBody = b
		switch {
		case err != nil && !errors.Is(err, io.EOF):
			pd.ex.Incomplete = "the response ended early: " + err.Error()
		case !complete:
			pd.ex.Incomplete = fmt.Sprintf("the response body is larger than %d bytes", p.cfg.MaxBody)
		}
		p.finish(pd)
	}
	return nil
}

// fixCookies lets a browser on the proxy's origin keep the upstream's cookies: the Domain
// attribute names the upstream's host, and Secure cookies would be dropped over plain
// HTTP to localhost by some browsers.
func fixCookies(h http.Header, req *http.Request) {
	lines := h.Values("Set-Cookie")
	if len(lines) == 0 {
		return
	}
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		parts := strings.Split(line, ";")
		kept := parts[:1]
		sameSiteNone := false
		for _, a := range parts[1:] {
			name, _, _ := strings.Cut(strings.TrimSpace(a), "=")
			switch strings.ToLower(name) {
			case "domain":
				continue
			case "samesite":
				if strings.EqualFold(strings.TrimSpace(a), "SameSite=None") {
					sameSiteNone = true
					continue
				}
			case "secure":
				continue
			}
			kept = append(kept, a)
		}
		if sameSiteNone {
			kept = append(kept, " SameSite=Lax")
		}
		out = append(out, strings.Join(kept, ";"))
	}
	h.Del("Set-Cookie")
	for _, l := range out {
		h.Add("Set-Cookie", l)
	}
}

func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	pd, _ := r.Context().Value(ctxKey{}).(*pending)
	if pd != nil {
		pd.ex.Status = 0
		pd.ex.Incomplete = "no response from the upstream: " + err.Error()
	}
	if errors.Is(err, context.Canceled) {
		// The client went away (or the proxy stopped): nobody reads an answer.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	p.stats.UpstreamErrs.Add(1)
	p.cfg.Logger.Warn("upstream request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusBadGateway, spec.StatusInternalError, "the workbinkit proxy could not reach the upstream: "+err.Error())
}

// writeError answers in GWS's error envelope (D3).
func writeError(w http.ResponseWriter, status int, code spec.StatusCode, msg string) {
	b, _ := json.Marshal(map[string]any{spec.FieldStatusCode: int(code), spec.FieldStatusMessage: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// finish queues a finished exchange for the observer (once).
func (p *Proxy) finish(pd *pending) {
	pd.once.Do(func() {
		pd.ex.Duration = p.cfg.Now().Sub(pd.ex.Start)
		p.queue <- pd.ex
		p.inflight.Done()
	})
}

// maxDefer bounds how long the observer steps aside for responses being forwarded.
const maxDefer = 50 * time.Millisecond

// observer judges and records exchanges in the order they finished. Judging is off the
// clients' path, but it takes CPU: while responses are being forwarded (a published event
// releases many long polls at once) it waits, up to maxDefer or until the queue fills, so
// that the deliveries go first.
func (p *Proxy) observer() {
	defer close(p.done)
	wait := time.NewTimer(maxDefer)
	defer wait.Stop()
	for ex := range p.queue {
		if p.copying.Load() > 0 && len(p.queue) < queueSize/2 {
			wait.Reset(maxDefer)
			select {
			case <-p.idle:
			case <-wait.C:
			}
		}
		p.cfg.Checker.Observe(ex)
		if p.cfg.Record != nil {
			if err := p.cfg.Record.Write(observe.ToHAR(ex, p.cfg.Pseudonyms)); err != nil {
				if !p.recErr.Swap(true) {
					p.cfg.Logger.Error("recording stopped", "err", err)
				}
			} else {
				p.stats.Recorded.Add(1)
			}
		}
		// With a backlog the observer never blocks, and the goroutines the network readied
		// meanwhile (requests and replies being forwarded) would wait in its processor's
		// queue until the scheduler preempts it, 10 ms later: let them go first after each
		// judgement.
		runtime.Gosched()
	}
}

// Close stops taking requests, waits until every exchange in flight was judged (cancel
// the requests' contexts first, or Close waits for held long polls), and stops the
// observer. It does not close the recorder.
func (p *Proxy) Close(ctx context.Context) error {
	p.gate.Lock()
	p.closing = true
	p.gate.Unlock()
	waited := make(chan struct{})
	go func() {
		p.inflight.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-ctx.Done():
		return fmt.Errorf("proxy: exchanges still in flight: %w", ctx.Err())
	}
	p.closeMu.Do(func() { close(p.queue) })
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("proxy: judging the last exchanges: %w", ctx.Err())
	}
}

// Drain waits until every exchange queued so far was judged (for GET /_proxy/report and
// tests). It does not wait for exchanges still in flight.
func (p *Proxy) Drain(ctx context.Context) error {
	for {
		if len(p.queue) == 0 {
			// One more Observe may be running; the checker's lock orders it before a
			// Result the caller takes next.
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// serveOwn serves /_proxy/…: GET /_proxy/report?format=json|report|markdown|junit.
func (p *Proxy) serveOwn(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != ReportPath {
		writeError(w, http.StatusNotFound, spec.StatusNotFound, "the workbinkit proxy serves "+ReportPath+" only below "+PathPrefix)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, spec.StatusInvalidInput, ReportPath+" is read with GET")
		return
	}
	res := p.cfg.Checker.Result()
	info := p.cfg.ReportInfo()
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, res)
	case "report":
		writeJSON(w, res.Report(info))
	case "markdown":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, _ = io.WriteString(w, res.Markdown(res.Report(info)))
	case "junit":
		b, err := res.JUnit(res.Report(info))
		if err != nil {
			writeError(w, http.StatusInternalServerError, spec.StatusInternalError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(b)
	default:
		writeError(w, http.StatusBadRequest, spec.StatusInvalidParameter, fmt.Sprintf("format %q: want json, report, markdown or junit", f))
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		writeError(w, http.StatusInternalServerError, spec.StatusInternalError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

// bufferPool recycles ReverseProxy's copy buffers: a burst of long-poll replies would
// otherwise allocate (and zero) one 32 KiB buffer each.
type bufferPool struct{ pool *sync.Pool }

func newBufferPool() bufferPool {
	return bufferPool{&sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b bufferPool) Get() []byte  { return *b.pool.Get().(*[]byte) }
func (b bufferPool) Put(x []byte) { b.pool.Put(&x) }

// teeBody forwards a response body while keeping a bounded copy; done runs once, when the
// body ends or is closed.
type teeBody struct {
	rc    io.ReadCloser
	max   int64
	buf   bytes.Buffer
	total int64
	once  sync.Once
	done  func(b []byte, complete bool, err error)
}

func (t *teeBody) Read(b []byte) (int, error) {
	n, err := t.rc.Read(b)
	if n > 0 {
		t.total += int64(n)
		if room := t.max - int64(t.buf.Len()); room > 0 {
			t.buf.Write(b[:min(int64(n), room)])
		}
	}
	if err != nil {
		t.end(err)
	}
	return n, err
}

func (t *teeBody) end(err error) {
	t.once.Do(func() { t.done(t.buf.Bytes(), t.total <= t.max, err) })
}

// Close ends the body; before its end, the exchange is recorded as cut short.
func (t *teeBody) Close() error {
	err := t.rc.Close()
	t.end(io.ErrUnexpectedEOF)
	return err
}
