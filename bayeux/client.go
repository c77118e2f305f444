package bayeux

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Client defaults (the official CometD JavaScript client's values).
const (
	DefaultNetworkDelay     = 10 * time.Second // added to advice.timeout for a connect's HTTP timeout
	DefaultBackoffIncrement = time.Second      // added to the backoff after each failure
	DefaultMaxBackoff       = time.Minute      // the backoff never grows past this
	DefaultMessageBuffer    = 1024             // events buffered for Messages() and each Listen channel
	DefaultAdviceTimeout    = time.Minute      // assumed until the server advises a timeout
)

// clientMaxReplyBytes bounds a reply body: a server that streams without end must not
// exhaust memory.
const clientMaxReplyBytes = 32 << 20

// ClientOptions configures a Client. The zero value works.
type ClientOptions struct {
	// HTTPClient sends every POST. Share it with the REST calls of the same user so both
	// use one cookie jar (JSESSIONID, BAYEUX_BROWSER): CometD servers with
	// trustClientSession=false recognise a session by its cookie. If nil, the client makes
	// one with a fresh cookiejar. Leave its Timeout at 0: the client bounds each request
	// itself (see NetworkDelay).
	HTTPClient *http.Client
	// Header is added to every Bayeux POST (e.g. Authorization for Basic auth).
	Header http.Header
	// Ext is called on every message the client builds before it is sent, to fill ext
	// (authentication, ack…). Send calls it too; SendAsIs does not.
	Ext func(*Message)
	// OnMessage, if set, is called with every event (see Messages), in the order of the
	// reply, on the goroutine that received it (the connect loop, or a caller of
	// Subscribe/Publish/Send): keep it short, it delays that goroutine. Two replies can be
	// handled at once, so it must be safe for concurrent calls. It may call the client: the
	// events of a Subscribe, Unsubscribe, Handshake or Disconnect reply are handed over
	// once that call has released the session.
	OnMessage func(Message)
	// Recorder, if set, records every exchange (redacted).
	Recorder *Recorder
	// Logger receives debug logs of exchanges and warnings about retries; nil discards.
	Logger *slog.Logger
	// Clock defaults to the system clock.
	Clock Clock
	// Name labels this client in logs and in the recorder (useful when clients share one).
	Name string
	// NetworkDelay is the HTTP timeout of a non-connect request, and what is added to the
	// advised timeout for a connect. Default DefaultNetworkDelay (10 s).
	NetworkDelay time.Duration
	// BackoffIncrement and MaxBackoff shape the wait after failures: each consecutive
	// failure adds BackoffIncrement, up to MaxBackoff; a successful connect resets it.
	// Defaults 1 s and 60 s.
	BackoffIncrement time.Duration
	MaxBackoff       time.Duration
	// AppendMessageTypeToURL posts handshakes, connects and disconnects to URL/handshake,
	// URL/connect and URL/disconnect, and other messages to URL/, as the official JS client
	// does by default. Ignored if the URL has a query. Default false: always the URL.
	AppendMessageTypeToURL bool
	// MessageBuffer is the capacity of the Messages() channel and of each Listen channel.
	// Default DefaultMessageBuffer.
	MessageBuffer int
}

// Client is a Bayeux 1.0 long-polling client. Its methods are safe for concurrent use:
// Subscribe or Publish while Run holds a connect.
type Client struct {
	url   string
	opts  ClientOptions
	http  *http.Client
	log   *slog.Logger
	clock Clock
	rec   *Recorder

	ids     atomic.Uint64
	running atomic.Bool
	dropped atomic.Uint64
	// sess is held while the session changes (handshake and resubscribe, subscribe,
	// unsubscribe, disconnect), so the set of subscriptions matches what the server was told.
	// Take it with withSession: events are never dispatched while it is held.
	sess chan struct{}

	mu        sync.Mutex
	clientID  string
	advice    clientAdvice
	connected bool     // a connect succeeded since the last handshake
	subs      []string // what to subscribe again after a handshake, in order
	backoff   time.Duration
	runCancel context.CancelCauseFunc

	dmu       sync.Mutex // serializes delivery; guards listeners
	events    chan Message
	listeners map[int]*clientListener
	nextL     int
}

// clientAdvice is the advice in force, with defaults filled in.
type clientAdvice struct {
	reconnect string
	timeout   time.Duration
	interval  time.Duration
}

type clientListener struct {
	pattern string
	ch      chan Message
}

// errClientDisconnected is the cause Disconnect cancels Run with.
var errClientDisconnected = errors.New("bayeux: disconnected")

// NewClient makes a client for the Bayeux endpoint url (e.g. http://host/cometd). It does
// no I/O: call Handshake, then Subscribe, then Run in a goroutine (Run also handshakes by
// itself when it has no session).
func NewClient(url string, opts ClientOptions) *Client {
	if opts.NetworkDelay <= 0 {
		opts.NetworkDelay = DefaultNetworkDelay
	}
	if opts.BackoffIncrement <= 0 {
		opts.BackoffIncrement = DefaultBackoffIncrement
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MessageBuffer <= 0 {
		opts.MessageBuffer = DefaultMessageBuffer
	}
	c := &Client{
		url:       url,
		opts:      opts,
		http:      opts.HTTPClient,
		log:       opts.Logger,
		clock:     opts.Clock,
		rec:       opts.Recorder,
		sess:      make(chan struct{}, 1),
		advice:    clientDefaultAdvice(),
		events:    make(chan Message, opts.MessageBuffer),
		listeners: map[int]*clientListener{},
	}
	if c.http == nil {
		jar, _ := cookiejar.New(nil) // never fails without options
		c.http = &http.Client{Jar: jar}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if opts.Name != "" {
		c.log = c.log.With("client", opts.Name)
	}
	if c.clock == nil {
		c.clock = RealClock{}
	}
	return c
}

func clientDefaultAdvice() clientAdvice {
	return clientAdvice{reconnect: ReconnectRetry, timeout: DefaultAdviceTimeout}
}

// HTTPClient returns the HTTP client the Bayeux client posts with (and its cookie jar).
func (c *Client) HTTPClient() *http.Client { return c.http }

// ClientID returns the current session's clientId, or "" without a session.
func (c *Client) ClientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientID
}

// Subscriptions returns the channels the client is subscribed to (and will subscribe to
// again after a re-handshake).
func (c *Client) Subscriptions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.subs)
}

// Advice returns the advice in force: the newest advice received, with absent fields at
// their defaults (reconnect retry, interval 0, timeout 60 s).
func (c *Client) Advice() Advice {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Advice{
		Reconnect: c.advice.reconnect,
		Timeout:   new(c.advice.timeout.Milliseconds()),
		Interval:  new(c.advice.interval.Milliseconds()),
	}
}

// Messages returns the channel of events: every message on a non-meta channel that
// carries data, from any reply (connect, subscribe, publish, and Send of this session).
//
// Slow consumers: the channel has a fixed buffer (MessageBuffer). When it is full, the
// event is dropped for this channel and counted in Dropped; the connect loop never
// blocks on a consumer. A Recorder keeps every message regardless. The channel is never
// closed.
func (c *Client) Messages() <-chan Message { return c.events }

// Dropped returns how many events were not queued because the Messages channel or a
// Listen channel was full.
func (c *Client) Dropped() uint64 { return c.dropped.Load() }

// Listen returns a channel that gets the events whose channel matches pattern (a channel
// name, "/a/*" or "/a/**"; see Match), with the same buffer and drop policy as Messages.
// cancel stops the delivery and closes the channel. Listening is local: it does not
// subscribe.
func (c *Client) Listen(pattern string) (<-chan Message, func()) {
	l := &clientListener{pattern: pattern, ch: make(chan Message, c.opts.MessageBuffer)}
	c.dmu.Lock()
	id := c.nextL
	c.nextL++
	c.listeners[id] = l
	c.dmu.Unlock()
	var once sync.Once
	return l.ch, func() {
		once.Do(func() {
			c.dmu.Lock()
			delete(c.listeners, id)
			close(l.ch)
			c.dmu.Unlock()
		})
	}
}

// clientIsEvent reports whether m is an application event: a non-meta channel with data. A
// publish reply (successful, no data) is not one.
func clientIsEvent(m *Message) bool {
	return m.Channel != "" && !IsMeta(m.Channel) && len(m.Data) > 0
}

// dispatch hands the events among msgs to OnMessage, Messages and the listeners.
func (c *Client) dispatch(msgs []Message) {
	for i := range msgs {
		m := msgs[i]
		if !clientIsEvent(&m) {
			continue
		}
		if c.opts.OnMessage != nil {
			c.opts.OnMessage(m)
		}
		c.dmu.Lock()
		c.offer(c.events, m)
		for _, l := range c.listeners {
			if Match(l.pattern, m.Channel) {
				c.offer(l.ch, m)
			}
		}
		c.dmu.Unlock()
	}
}

func (c *Client) offer(ch chan Message, m Message) {
	select {
	case ch <- m:
	default:
		c.dropped.Add(1)
		c.log.Warn("bayeux: event dropped, consumer too slow", "channel", m.Channel)
	}
}
