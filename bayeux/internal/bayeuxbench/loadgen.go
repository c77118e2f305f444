package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
)

// The load generator: N sessions, each subscribed to its own channel /bench/<i>, each
// keeping one long poll outstanding, and a publisher that asks the server under test to
// publish events (POST /publish, server-side publish on both servers). Every event carries
// its publish time (unix ns) in data.t; the session that receives it records the latency.

// Load generators (config.loadgen). All three read only channel, successful,
// advice.reconnect and data.t of a reply, and none keeps a cookie.
const (
	// loadRaw: a lean loop per session on a connection of its own: it writes a
	// pre-encoded HTTP/1.1 POST of a pre-encoded /meta/connect and reads the reply with
	// http.ReadResponse. The default: the generator shares the machine with the server,
	// and net/http's client Transport (two goroutines per connection, channel hand-offs)
	// costs about as much CPU per event as the server itself, which starves a server that
	// can use both cores and spares one that can use only one.
	loadRaw = "raw"
	// loadHTTP: the same loop through a shared net/http Client.
	loadHTTP = "http"
	// loadClient: one bayeux.Client per session (Handshake, Subscribe, Run, OnMessage).
	loadClient = "client"
)

// sample is one received event: publish and receive times, unix ns.
type sample struct{ pub, recv int64 }

// genSession is one Bayeux session of the load generator.
type genSession struct {
	channel  string
	clientID string
	connect  []byte         // the pre-encoded connect: body (http), whole HTTP request (raw)
	client   *bayeux.Client // (client)
	conn     net.Conn       // (raw) nil until dialled, and after an error
	br       *bufio.Reader  // reads conn
	buf      []byte         // (raw) reply bodies

	mu      sync.Mutex
	samples []sample
}

func (s *genSession) record(smp ...sample) {
	s.mu.Lock()
	s.samples = append(s.samples, smp...)
	s.mu.Unlock()
}

func (s *genSession) take() []sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.samples
	s.samples = nil
	return out
}

// loadgen drives one server under test.
type loadgen struct {
	cfg     config
	base    string          // the server's base URL
	host    string          // its host:port
	url     string          // its Bayeux endpoint
	life    context.Context // the sessions' lifetime: ended by stop
	hc      *http.Client    // sessions' long polls
	ctl     *http.Client    // publisher and control requests
	sess    []*genSession
	payload string

	published atomic.Int64 // events handed to the server (incl. in-flight publishes)
	received  atomic.Int64
	polls     atomic.Int64 // connect replies received
	pubMu     sync.Mutex
	pubTimes  []int64       // durations of publish requests, ns
	errs      atomic.Int64  // failed connects, publishes
	rehands   atomic.Int64  // sessions the server forgot and that handshook again
	arrived   chan struct{} // gets a token when events arrive (for drain)
	loops     sync.WaitGroup
	cancel    context.CancelFunc
}

func newLoadgen(cfg config, base string) *loadgen {
	// Every session holds one connection; with fewer idle slots than sessions, connections
	// would be closed after each reply and dialled again.
	tr := &http.Transport{
		MaxIdleConns:        0, // no global cap
		MaxIdleConnsPerHost: cfg.sessions + 16,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}
	ctl := &http.Transport{MaxIdleConnsPerHost: cfg.publishers + 4, IdleConnTimeout: 2 * time.Minute, DisableCompression: true}
	return &loadgen{
		cfg: cfg, base: base, url: base + benchMount, host: strings.TrimPrefix(base, "http://"),
		hc:      &http.Client{Transport: tr},
		ctl:     &http.Client{Transport: ctl, Timeout: 30 * time.Second},
		payload: strings.Repeat("x", cfg.payload),
	}
}

// wireMsg is what the raw loop reads of a reply message.
type wireMsg struct {
	Channel    string `json:"channel"`
	ClientID   string `json:"clientId"`
	Successful *bool  `json:"successful"`
	Error      string `json:"error"`
	Advice     *struct {
		Reconnect string `json:"reconnect"`
	} `json:"advice"`
	Data *struct {
		T int64 `json:"t"`
	} `json:"data"`
}

// roundTrip sends one Bayeux request of session s the configured way (raw, http).
func (g *loadgen) roundTrip(ctx context.Context, s *genSession, body []byte) ([]wireMsg, error) {
	if g.cfg.loadgen == loadRaw {
		return g.rawRoundTrip(ctx, s, g.request(body))
	}
	return g.post(ctx, g.hc, g.url, body)
}

// request is a complete HTTP/1.1 POST of body to the Bayeux endpoint.
func (g *loadgen) request(body []byte) []byte {
	b := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		benchMount, g.host, len(body))
	return append(b, body...)
}

// rawRoundTrip writes req on s's own connection (dialled on first use, closed when the
// sessions end) and reads the reply. A connection the server closed while it was idle is
// dialled again once.
func (g *loadgen) rawRoundTrip(ctx context.Context, s *genSession, req []byte) ([]wireMsg, error) {
	for attempt := 0; ; attempt++ {
		if s.conn == nil {
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", g.host)
			if err != nil {
				return nil, err
			}
			context.AfterFunc(g.life, func() { c.Close() }) // unblocks a held read at the end
			s.conn, s.br = c, bufio.NewReaderSize(c, 4096)
		}
		ms, retry, err := g.rawExchange(s, req)
		if err == nil {
			return ms, nil
		}
		s.conn.Close()
		s.conn = nil
		if !retry || attempt > 0 || ctx.Err() != nil || g.life.Err() != nil {
			return nil, err
		}
	}
}

func (g *loadgen) rawExchange(s *genSession, req []byte) (ms []wireMsg, retry bool, err error) {
	if _, err := s.conn.Write(req); err != nil {
		return nil, true, err
	}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return nil, errors.Is(err, io.EOF), err
	}
	if n := resp.ContentLength; n >= 0 && n <= 32<<20 {
		s.buf = slices.Grow(s.buf[:0], int(n))[:n]
		_, err = io.ReadFull(resp.Body, s.buf)
	} else {
		s.buf, err = io.ReadAll(resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return nil, false, err
	}
	if resp.Close {
		defer func() { s.conn.Close(); s.conn = nil }()
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, s.buf)
	}
	if err := json.Unmarshal(s.buf, &ms); err != nil {
		return nil, false, err
	}
	return ms, false, nil
}

func (g *loadgen) post(ctx context.Context, c *http.Client, url string, body []byte) ([]wireMsg, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: HTTP %d: %.200s", url, resp.StatusCode, b)
	}
	var ms []wireMsg
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("POST %s: %w", url, err)
	}
	return ms, nil
}

// start opens the sessions (handshake, subscribe) a few at a time and starts their loops.
func (g *loadgen) start(ctx context.Context) error {
	loopCtx, cancel := context.WithCancel(context.Background()) // ended by stop
	g.cancel, g.life = cancel, loopCtx
	g.arrived = make(chan struct{}, 1)
	g.sess = make([]*genSession, g.cfg.sessions)
	for i := range g.sess {
		g.sess[i] = &genSession{channel: "/bench/" + strconv.Itoa(i)}
	}
	return forEach(ctx, g.sess, 32, func(ctx context.Context, s *genSession) error {
		if err := g.open(ctx, s); err != nil {
			return err
		}
		g.loops.Add(1)
		go func() {
			defer g.loops.Done()
			if s.client != nil {
				_ = s.client.Run(loopCtx)
				return
			}
			g.rawLoop(loopCtx, s)
		}()
		return nil
	})
}

// open handshakes and subscribes s to its channel.
func (g *loadgen) open(ctx context.Context, s *genSession) error {
	if g.cfg.loadgen == loadClient {
		s.client = bayeux.NewClient(g.url, bayeux.ClientOptions{
			HTTPClient:    g.hc,
			MessageBuffer: 1, // nobody reads Messages(): OnMessage gets every event
			OnMessage: func(m bayeux.Message) {
				var d struct{ T int64 }
				if json.Unmarshal(m.Data, &d) == nil {
					s.record(sample{pub: d.T, recv: time.Now().UnixNano()})
					g.delivered(1)
				}
			},
		})
		if err := s.client.Handshake(ctx); err != nil {
			return fmt.Errorf("handshake: %w", err)
		}
		if err := s.client.Subscribe(ctx, s.channel); err != nil {
			return fmt.Errorf("subscribe %s: %w", s.channel, err)
		}
		return nil
	}
	ms, err := g.roundTrip(ctx, s, []byte(`[{"channel":"/meta/handshake","version":"1.0","minimumVersion":"1.0","supportedConnectionTypes":["long-polling"]}]`))
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if len(ms) == 0 || ms[0].Successful == nil || !*ms[0].Successful || ms[0].ClientID == "" {
		return fmt.Errorf("handshake refused: %+v", ms)
	}
	id := ms[0].ClientID
	ms, err = g.roundTrip(ctx, s, fmt.Appendf(nil, `[{"channel":"/meta/subscribe","clientId":%q,"subscription":%q}]`, id, s.channel))
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if len(ms) == 0 || ms[0].Successful == nil || !*ms[0].Successful {
		return fmt.Errorf("subscribe %s refused: %+v", s.channel, ms)
	}
	s.clientID = id
	s.connect = fmt.Appendf(nil, `[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling"}]`, id)
	if g.cfg.loadgen == loadRaw {
		s.connect = g.request(s.connect)
	}
	return nil
}

// rawLoop keeps one connect outstanding for s until ctx ends. A server that forgets the
// session gets a new handshake (counted); errors are counted and retried after a pause.
func (g *loadgen) rawLoop(ctx context.Context, s *genSession) {
	var buf []sample
	for ctx.Err() == nil {
		var ms []wireMsg
		var err error
		if g.cfg.loadgen == loadRaw {
			ms, err = g.rawRoundTrip(ctx, s, s.connect)
		} else {
			ms, err = g.post(ctx, g.hc, g.url, s.connect)
		}
		if err != nil {
			if ctx.Err() == nil {
				g.errs.Add(1)
				pause(ctx, 100*time.Millisecond)
			}
			continue
		}
		now := time.Now().UnixNano()
		g.polls.Add(1)
		buf = buf[:0]
		for i := range ms {
			m := &ms[i]
			if m.Channel == bayeux.MetaConnect {
				if m.Successful == nil || !*m.Successful {
					g.errs.Add(1)
					if m.Advice != nil && m.Advice.Reconnect == bayeux.ReconnectHandshake && g.open(ctx, s) == nil {
						g.rehands.Add(1)
					} else {
						pause(ctx, 100*time.Millisecond)
					}
				}
				continue
			}
			if m.Data != nil {
				buf = append(buf, sample{pub: m.Data.T, recv: now})
			}
		}
		if len(buf) > 0 {
			s.record(buf...)
			g.delivered(len(buf))
		}
	}
}

// delivered counts n received events.
func (g *loadgen) delivered(n int) {
	g.received.Add(int64(n))
	select {
	case g.arrived <- struct{}{}:
	default:
	}
}

// stop ends the loops (their held connects are abandoned) and disconnects every session.
func (g *loadgen) stop(ctx context.Context) error {
	if g.cancel == nil {
		return nil
	}
	g.cancel()
	g.loops.Wait()
	err := forEach(ctx, g.sess, 32, func(ctx context.Context, s *genSession) error {
		if s.client != nil {
			if s.client.ClientID() == "" {
				return nil
			}
			return s.client.Disconnect(ctx)
		}
		if s.clientID == "" {
			return nil
		}
		_, err := g.post(ctx, g.hc, g.url, fmt.Appendf(nil, `[{"channel":"/meta/disconnect","clientId":%q}]`, s.clientID))
		return err
	})
	g.hc.CloseIdleConnections()
	g.ctl.CloseIdleConnections()
	return err
}

// forEach runs f on every item with at most n at once, and returns the first error.
func forEach[T any](ctx context.Context, items []T, n int, f func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, n)
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, it); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// getJSON fetches a control endpoint.
func (g *loadgen) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := g.ctl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: HTTP %d: %.200s", path, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// waitHeld waits until the server holds a connect for every session: the idle state the
// heap is measured in. Polling is all there is: the server says nothing when it holds one.
func (g *loadgen) waitHeld(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var st serverStats
	for {
		if err := g.getJSON(ctx, "/stats", &st); err != nil {
			return err
		}
		if st.Held >= len(g.sess) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d connects held after %v (%d sessions)", st.Held, len(g.sess), limit, st.Sessions)
		}
		pause(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// --- publishing ---

// appendBatch appends a POST /publish body of n events stamped pub, for the next n
// sessions in round-robin order.
func (g *loadgen) appendBatch(b []byte, n int, pub int64, next *int) []byte {
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		s := g.sess[*next]
		*next = (*next + 1) % len(g.sess)
		b = append(b, `{"channel":"`...)
		b = append(b, s.channel...)
		b = append(b, `","data":{"t":`...)
		b = strconv.AppendInt(b, pub, 10)
		b = append(b, `,"p":"`...)
		b = append(b, g.payload...)
		b = append(b, `"}}`...)
	}
	return append(b, ']')
}

// publishBatch posts body. The caller has added its n events to the published count; on
// failure they are taken back. The request is not tied to the publisher's context: a
// publish cut off half-way when a mode ends could still reach the server, and its events
// would arrive uncounted.
func (g *loadgen) publishBatch(ctx context.Context, body []byte, n int) bool {
	ctx = context.WithoutCancel(ctx)
	t0 := time.Now()
	defer func() {
		d := int64(time.Since(t0))
		g.pubMu.Lock()
		g.pubTimes = append(g.pubTimes, d)
		g.pubMu.Unlock()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/publish", bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		if resp, err = g.ctl.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
		}
	}
	if err != nil {
		g.published.Add(-int64(n))
		g.errs.Add(1)
		return false
	}
	return true
}

// window is a phase's measurement window, unix ns, [from, to).
type window struct{ from, to int64 }

func (w window) has(t int64) bool { return t >= w.from && t < w.to }

// steadyTick is how often the steady publisher sends a batch.
const steadyTick = 5 * time.Millisecond

// publishSteady offers rate events/s, spread evenly (a batch every steadyTick), until ctx
// ends. It is open-loop: a batch the workers cannot take at once because earlier
// publishes are still in flight is skipped, not queued, and counted in skipped.
// offered counts the events published successfully with a publish time inside w.
func (g *loadgen) publishSteady(ctx context.Context, rate int, w window, offered, skipped *atomic.Int64) {
	type job struct {
		body []byte
		n    int
		pub  int64
	}
	jobs := make(chan job, g.cfg.publishers)
	var wg sync.WaitGroup
	for range g.cfg.publishers {
		wg.Go(func() {
			for j := range jobs {
				g.published.Add(int64(j.n))
				if g.publishBatch(ctx, j.body, j.n) && w.has(j.pub) {
					offered.Add(int64(j.n))
				}
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	tick := time.NewTicker(steadyTick)
	defer tick.Stop()
	start, sent, next := time.Now(), int64(0), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int64(float64(rate) * now.Sub(start).Seconds())
			n := int(due - sent)
			sent = due
			if n <= 0 {
				continue
			}
			pub := time.Now().UnixNano()
			j := job{body: g.appendBatch(nil, n, pub, &next), n: n, pub: pub}
			select {
			case jobs <- j:
			default:
				skipped.Add(int64(n))
			}
		}
	}
}

// drain waits until every published event has been received, or limit passes (lost
// events are reported, not waited for).
func (g *loadgen) drain(ctx context.Context, limit time.Duration) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for g.received.Load() < g.published.Load() {
		select {
		case <-g.arrived:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// collect takes every session's samples.
func (g *loadgen) collect() []sample {
	var all []sample
	for _, s := range g.sess {
		all = append(all, s.take()...)
	}
	return all
}
