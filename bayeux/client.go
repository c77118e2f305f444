package bayeux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strconv"
	"strings"
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

// Handshake opens a new session. An unsuccessful reply gives an *Error (match its Code).
// If the client already had subscriptions (from an earlier session), it subscribes to
// them again in the new session; if the server refuses some, the session stays open and
// the refusals are returned; if the re-subscription fails altogether, the session is
// dropped and the error returned. Run may be running: the outcome of the connect it holds
// for the old session is then ignored, and it connects the new one.
func (c *Client) Handshake(ctx context.Context) error {
	return c.withSession(ctx, func(ev *heldEvents) error {
		denied, err := c.open(ctx, ev)
		if err != nil {
			return err
		}
		if denied != nil {
			return fmt.Errorf("bayeux: resubscribe: %w", denied)
		}
		return nil
	})
}

// heldEvents collects the events of the replies received while sess is held.
type heldEvents []Message

func (e *heldEvents) add(replies []Message) {
	for i := range replies {
		if clientIsEvent(&replies[i]) {
			*e = append(*e, replies[i])
		}
	}
}

// withSession runs f with sess held, then dispatches the events f collected once sess is
// released: OnMessage may call the client, and Subscribe or Handshake from it would wait
// for sess forever.
func (c *Client) withSession(ctx context.Context, f func(ev *heldEvents) error) error {
	select {
	case c.sess <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	var ev heldEvents
	err := func() error {
		defer func() { <-c.sess }()
		return f(&ev)
	}()
	c.dispatch(ev)
	return err
}

// open handshakes and subscribes the new session to the remembered channels; denied
// lists the subscriptions the server refused. If the re-subscription fails altogether,
// the new session is dropped and err says why. Called with sess held.
func (c *Client) open(ctx context.Context, ev *heldEvents) (denied, err error) {
	id, err := c.handshake(ctx, ev)
	if err != nil {
		return nil, err
	}
	denied, fatal := c.resubscribe(ctx, ev)
	if fatal != nil {
		c.dropSession(id)
		return nil, fatal
	}
	return denied, nil
}

// handshake sends a handshake and adopts the new session, whose clientId it returns.
// Called with sess held.
func (c *Client) handshake(ctx context.Context, ev *heldEvents) (string, error) {
	c.mu.Lock()
	adv := c.advice
	c.mu.Unlock()
	msg := c.build(Message{
		Channel:                  MetaHandshake,
		Version:                  Version,
		MinimumVersion:           Version,
		SupportedConnectionTypes: []string{ConnectionTypeLongPolling},
		Advice: &Advice{
			Timeout:  new(adv.timeout.Milliseconds()),
			Interval: new(adv.interval.Milliseconds()),
		},
	})
	replies, _, err := c.exchange(ctx, []Message{msg}, c.opts.NetworkDelay)
	if err != nil {
		return "", fmt.Errorf("bayeux: handshake: %w", err)
	}
	ev.add(replies)
	reply := clientFindReplies(replies, []Message{msg})[0]
	switch {
	case reply == nil:
		return "", fmt.Errorf("%w: %s", ErrNoReply, MetaHandshake)
	case !reply.IsSuccessful():
		c.setAdvice(reply.Advice)
		return "", clientReplyError(reply)
	case reply.ClientID == "":
		return "", fmt.Errorf("%w: handshake reply without clientId", ErrBadReply)
	case len(reply.SupportedConnectionTypes) > 0 &&
		!slices.Contains(reply.SupportedConnectionTypes, ConnectionTypeLongPolling):
		return "", fmt.Errorf("%w: server offers %v", ErrNoTransport, reply.SupportedConnectionTypes)
	}
	c.mu.Lock()
	// A handshake starts from the defaults: advice from the old session must not linger.
	c.advice = clientDefaultAdvice()
	c.applyAdvice(reply.Advice)
	c.clientID = reply.ClientID
	c.connected = false
	c.mu.Unlock()
	c.log.Info("bayeux: handshake", "clientId", reply.ClientID)
	return reply.ClientID, nil
}

// resubscribe subscribes the new session to the remembered channels. denied lists
// subscriptions the server refused (they stay remembered); fatal is an error that leaves
// the session unusable (transport failure, unknown client). Called with sess held.
func (c *Client) resubscribe(ctx context.Context, ev *heldEvents) (denied, fatal error) {
	c.mu.Lock()
	subs := slices.Clone(c.subs)
	c.mu.Unlock()
	if len(subs) == 0 {
		return nil, nil
	}
	errs, err := c.subscribe(ctx, subs, false, ev)
	if err != nil {
		return nil, fmt.Errorf("bayeux: resubscribe: %w", err)
	}
	for _, e := range errs {
		if e.Advice != nil && e.Advice.Reconnect == ReconnectHandshake {
			return nil, fmt.Errorf("bayeux: resubscribe: %w", e)
		}
	}
	if len(errs) > 0 {
		return clientJoin(errs), nil
	}
	return nil, nil
}

// Subscribe subscribes to channels (names or patterns), in one POST with one subscribe
// message per channel. Channels the server accepts are remembered and subscribed again
// after every re-handshake; each refusal is returned as an *Error (joined) and is not
// remembered, including a refusal because the server forgot the session (402, or faye's
// 401): subscribe again once Run has handshaken again (ClientID changes). Events that
// ride in the reply are delivered.
func (c *Client) Subscribe(ctx context.Context, channels ...string) error {
	if err := clientCheckSubscription(channels); err != nil {
		return err
	}
	return c.withSession(ctx, func(ev *heldEvents) error {
		errs, err := c.subscribe(ctx, channels, true, ev)
		if err != nil {
			return err
		}
		return clientJoin(errs)
	})
}

// Unsubscribe unsubscribes from channels. They are forgotten (not subscribed again after
// a re-handshake) even if the server refuses.
func (c *Client) Unsubscribe(ctx context.Context, channels ...string) error {
	if err := clientCheckSubscription(channels); err != nil {
		return err
	}
	return c.withSession(ctx, func(ev *heldEvents) error {
		c.mu.Lock()
		c.subs = slices.DeleteFunc(c.subs, func(s string) bool { return slices.Contains(channels, s) })
		c.mu.Unlock()
		errs, err := c.sendSubscriptions(ctx, MetaUnsubscribe, channels, ev)
		if err != nil {
			return err
		}
		return clientJoin(clientErrorsOnly(errs))
	})
}

func clientCheckSubscription(channels []string) error {
	if len(channels) == 0 {
		return errors.New("bayeux: no channel given")
	}
	for _, ch := range channels {
		if !ValidChannel(ch) || IsMeta(ch) {
			return fmt.Errorf("bayeux: cannot subscribe to %q", ch)
		}
	}
	return nil
}

// subscribe sends the subscriptions; with remember, those accepted join c.subs. It
// returns the refusals, or err if no usable reply came. Called with sess held.
func (c *Client) subscribe(ctx context.Context, channels []string, remember bool, ev *heldEvents) ([]*Error, error) {
	results, err := c.sendSubscriptions(ctx, MetaSubscribe, channels, ev)
	if err != nil {
		return nil, err
	}
	if remember {
		c.mu.Lock()
		for i, ch := range channels {
			if results[i] == nil && !slices.Contains(c.subs, ch) {
				c.subs = append(c.subs, ch)
			}
		}
		c.mu.Unlock()
	}
	return clientErrorsOnly(results), nil
}

// sendSubscriptions posts one message per channel on metaChannel and returns one result
// per channel (nil = accepted). Called with sess held.
func (c *Client) sendSubscriptions(ctx context.Context, metaChannel string, channels []string, ev *heldEvents) ([]*Error, error) {
	c.mu.Lock()
	id := c.clientID
	c.mu.Unlock()
	if id == "" {
		return nil, ErrNoSession
	}
	msgs := make([]Message, len(channels))
	for i, ch := range channels {
		msgs[i] = c.build(Message{Channel: metaChannel, ClientID: id, Subscription: NewSubscription(ch)})
	}
	replies, _, err := c.exchange(ctx, msgs, c.opts.NetworkDelay)
	if err != nil {
		return nil, fmt.Errorf("bayeux: %s: %w", metaChannel, err)
	}
	ev.add(replies)
	results := make([]*Error, len(channels))
	for i, reply := range clientFindReplies(replies, msgs) {
		switch {
		case reply == nil:
			results[i] = &Error{Message: "no reply", Channel: metaChannel, Args: []string{channels[i]}}
		case !reply.IsSuccessful():
			results[i] = clientReplyError(reply)
		}
	}
	return results, nil
}

func clientErrorsOnly(errs []*Error) []*Error {
	var out []*Error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func clientJoin(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// Publish publishes data (marshalled to JSON; a json.RawMessage is sent as is) to a
// channel. An unsuccessful publish reply gives an *Error; a server that sends no publish
// reply (Bayeux makes it optional) counts as success. Events in the reply are delivered.
func (c *Client) Publish(ctx context.Context, channel string, data any) error {
	if !ValidChannel(channel) || IsWildcard(channel) || IsMeta(channel) {
		return fmt.Errorf("bayeux: cannot publish to %q", channel)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("bayeux: publish %s: %w", channel, err)
	}
	id := c.ClientID()
	if id == "" {
		return ErrNoSession
	}
	msg := c.build(Message{Channel: channel, ClientID: id, Data: raw})
	replies, _, err := c.exchange(ctx, []Message{msg}, c.opts.NetworkDelay)
	if err != nil {
		return fmt.Errorf("bayeux: publish %s: %w", channel, err)
	}
	c.dispatch(replies)
	if reply := clientFindReplies(replies, []Message{msg})[0]; reply != nil && !reply.IsSuccessful() {
		return clientReplyError(reply)
	}
	return nil
}

// Disconnect stops Run (its held connect is abandoned), sends a disconnect, and forgets
// the session and the subscriptions. Run returns nil after a Disconnect.
func (c *Client) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	if c.runCancel != nil {
		c.runCancel(errClientDisconnected)
	}
	c.mu.Unlock()
	return c.withSession(ctx, func(ev *heldEvents) error {
		c.mu.Lock()
		id := c.clientID
		c.clientID, c.subs, c.connected = "", nil, false
		c.mu.Unlock()
		if id == "" {
			return ErrNoSession
		}
		msg := c.build(Message{Channel: MetaDisconnect, ClientID: id})
		replies, _, err := c.exchange(ctx, []Message{msg}, c.opts.NetworkDelay)
		if err != nil {
			return fmt.Errorf("bayeux: disconnect: %w", err)
		}
		ev.add(replies)
		if reply := clientFindReplies(replies, []Message{msg})[0]; reply != nil && !reply.IsSuccessful() {
			return clientReplyError(reply)
		}
		return nil
	})
}

// Run is the connect loop. It handshakes first if there is no session, then keeps one
// connect outstanding and follows the advice: "retry" connects again after interval;
// "handshake" handshakes again and re-subscribes to every remembered channel; "none" (or
// a negative interval) stops Run with an error wrapping ErrReconnectNone (and the *Error
// if the reply was unsuccessful). A reply without advice keeps the last advice. Network
// errors, non-200 statuses and undecodable replies are retried after interval + backoff.
// The first connect after a handshake asks for an immediate reply (advice timeout 0);
// each connect's HTTP timeout is the advised timeout + NetworkDelay.
//
// Run returns ctx.Err() when ctx is done, nil after Disconnect, ErrRunning if another Run
// is active. It leaves no goroutine behind.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer c.running.Store(false)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c.mu.Lock()
	c.runCancel = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.runCancel = nil
		c.mu.Unlock()
	}()

	var delay time.Duration
	for {
		if err := c.sleep(runCtx, delay); err != nil {
			return clientRunResult(ctx, runCtx)
		}
		var err error
		if c.ClientID() == "" {
			delay, err = c.runHandshake(runCtx)
		} else {
			delay, err = c.connect(runCtx)
		}
		if runCtx.Err() != nil {
			return clientRunResult(ctx, runCtx)
		}
		if err != nil {
			return err
		}
	}
}

func clientRunResult(ctx, runCtx context.Context) error {
	if errors.Is(context.Cause(runCtx), errClientDisconnected) && ctx.Err() == nil {
		return nil
	}
	return ctx.Err()
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	done := make(chan struct{})
	t := c.clock.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runHandshake handshakes and re-subscribes; it returns the wait before the next step,
// or an error that stops Run.
func (c *Client) runHandshake(ctx context.Context) (time.Duration, error) {
	var denied error
	err := c.withSession(ctx, func(ev *heldEvents) error {
		var err error
		denied, err = c.open(ctx, ev)
		return err
	})
	if denied != nil {
		c.log.Warn("bayeux: re-subscription refused", "err", denied)
	}
	if err == nil {
		// The backoff is kept until a connect succeeds, so a server that keeps asking
		// for handshakes is not hammered.
		return c.interval(), nil
	}
	// No session, or an unusable one (dropped): start again with another handshake.
	if ctx.Err() != nil {
		return 0, err
	}
	action := ReconnectHandshake
	if e, ok := errors.AsType[*Error](err); ok && e.Advice != nil && e.Advice.Reconnect != "" {
		action = e.Advice.Reconnect
	}
	if errors.Is(err, ErrNoTransport) || action == ReconnectNone || c.interval() < 0 {
		return 0, fmt.Errorf("%w: %w", ErrReconnectNone, err)
	}
	delay := c.failureDelay()
	c.log.Warn("bayeux: handshake failed, retrying", "err", err, "delay", delay)
	return delay, nil
}

// connect sends one connect and acts on its reply; it returns the wait before the next
// step, or an error that stops Run.
func (c *Client) connect(ctx context.Context) (time.Duration, error) {
	c.mu.Lock()
	id, first, adv := c.clientID, !c.connected, c.advice
	c.mu.Unlock()
	msg := Message{Channel: MetaConnect, ClientID: id, ConnectionType: ConnectionTypeLongPolling}
	if first {
		// Like the JS client: ask for an immediate reply, to learn the session works.
		msg.Advice = &Advice{Timeout: new(int64(0))}
	}
	msg = c.build(msg)
	replies, _, err := c.exchange(ctx, []Message{msg}, adv.timeout+c.opts.NetworkDelay)
	if err != nil && ctx.Err() != nil {
		return 0, nil
	}
	var reply *Message
	if err == nil {
		// Events are delivered even if the session changed meanwhile: they were sent.
		c.dispatch(replies)
		reply = clientFindReplies(replies, []Message{msg})[0]
	}
	c.mu.Lock()
	if c.clientID != id {
		// Handshake replaced the session while this connect was out: its outcome (a late
		// 402 for the old session, say) says nothing about the new one.
		c.mu.Unlock()
		c.log.Debug("bayeux: outcome of an earlier session's connect ignored", "clientId", id)
		return 0, nil
	}
	if reply == nil {
		c.connected = false
		c.mu.Unlock()
		delay := c.failureDelay()
		if err != nil {
			c.log.Warn("bayeux: connect failed, retrying", "err", err, "delay", delay)
		} else {
			c.log.Warn("bayeux: connect reply missing, retrying", "delay", delay)
		}
		return delay, nil
	}
	var berr *Error
	c.applyAdvice(reply.Advice)
	adv = c.advice
	if reply.IsSuccessful() {
		c.connected = true
		c.backoff = 0
	} else {
		c.connected = false
		berr = clientReplyError(reply)
	}
	c.mu.Unlock()

	switch {
	case adv.reconnect == ReconnectNone || adv.interval < 0:
		if berr != nil {
			return 0, fmt.Errorf("%w: %w", ErrReconnectNone, berr)
		}
		return 0, ErrReconnectNone
	case adv.reconnect == ReconnectHandshake:
		c.dropSession(id)
		if first {
			// No connect has worked since the last handshake: back off before the next.
			delay := c.failureDelay()
			c.log.Warn("bayeux: new session refused at once, handshaking again", "err", berr, "delay", delay)
			return delay, nil
		}
		c.log.Info("bayeux: server asks for a new handshake", "err", berr)
		c.resetBackoff()
		return adv.interval, nil
	case berr != nil:
		delay := c.failureDelay()
		c.log.Warn("bayeux: connect unsuccessful, retrying", "err", berr, "delay", delay)
		return delay, nil
	}
	return adv.interval, nil
}

// setAdvice applies the advice of a reply (nil keeps the last advice).
func (c *Client) setAdvice(a *Advice) {
	c.mu.Lock()
	c.applyAdvice(a)
	c.mu.Unlock()
}

// applyAdvice makes a the advice in force: the newest advice replaces all earlier advice
// (Bayeux §advice), absent fields take their defaults. Called with mu held.
func (c *Client) applyAdvice(a *Advice) {
	if a == nil {
		return
	}
	adv := clientDefaultAdvice()
	if a.Reconnect != "" {
		adv.reconnect = a.Reconnect
	}
	if a.Timeout != nil {
		adv.timeout = time.Duration(*a.Timeout) * time.Millisecond
	}
	if a.Interval != nil {
		adv.interval = time.Duration(*a.Interval) * time.Millisecond
	}
	c.advice = adv
}

func (c *Client) interval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.advice.interval
}

// dropSession forgets session id, unless another session has replaced it already.
func (c *Client) dropSession(id string) {
	c.mu.Lock()
	if c.clientID == id {
		c.clientID, c.connected = "", false
	}
	c.mu.Unlock()
}

func (c *Client) resetBackoff() {
	c.mu.Lock()
	c.backoff = 0
	c.mu.Unlock()
}

// failureDelay grows the backoff and returns interval + backoff.
func (c *Client) failureDelay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.backoff = min(c.backoff+c.opts.BackoffIncrement, c.opts.MaxBackoff)
	return max(c.advice.interval, 0) + c.backoff
}

// build gives m an id and passes it through the Ext hook.
func (c *Client) build(m Message) Message {
	if m.ID == "" {
		m.ID = strconv.FormatUint(c.ids.Add(1), 10)
	}
	if c.opts.Ext != nil {
		c.opts.Ext(&m)
	}
	return m
}

// clientFindReplies pairs each request with its reply (nil if none): same channel and
// id; a reply without id pairs with the first request of its channel still unpaired. On
// a non-meta channel only a message with "successful" is a reply (the rest are events).
func clientFindReplies(replies []Message, reqs []Message) []*Message {
	used := make([]bool, len(replies))
	out := make([]*Message, len(reqs))
	pick := func(req *Message, byID bool) *Message {
		for i := range replies {
			r := &replies[i]
			if used[i] || r.Channel != req.Channel || (!IsMeta(r.Channel) && r.Successful == nil) {
				continue
			}
			if byID && (req.ID == "" || r.ID != req.ID) || !byID && r.ID != "" {
				continue
			}
			used[i] = true
			return r
		}
		return nil
	}
	for i := range reqs {
		out[i] = pick(&reqs[i], true)
	}
	for i := range reqs {
		if out[i] == nil {
			out[i] = pick(&reqs[i], false)
		}
	}
	return out
}

// RawResponse is the HTTP side of a raw exchange (Send, SendAsIs, SendBody).
type RawResponse struct {
	URL    string
	Status int
	Header http.Header // not redacted: it is the caller's own
	Body   []byte
}

// Send posts msgs as one JSON array and returns the replies as they came, for
// protocol-level checks. It fills clientId on messages that have none (except handshakes)
// when the client has a session, and passes each message through the Ext hook; it sets
// no id. It does not change the client's session, advice or subscriptions. Events in the
// reply are delivered (Messages, Listen) only when every message carried this session's
// clientId. An unsuccessful Bayeux reply is not an error here: look at the replies. err
// is a transport error, a *StatusError (resp set), or an undecodable body (resp set,
// wraps ErrBadReply). A batch that holds a connect gets the connect's HTTP timeout.
func (c *Client) Send(ctx context.Context, msgs ...Message) ([]Message, *RawResponse, error) {
	id := c.ClientID()
	out := slices.Clone(msgs)
	for i := range out {
		if out[i].ClientID == "" && id != "" && out[i].Channel != MetaHandshake {
			out[i].ClientID = id
		}
		if c.opts.Ext != nil {
			c.opts.Ext(&out[i])
		}
	}
	return c.sendRaw(ctx, out)
}

// SendAsIs is Send without any change to the messages: no clientId, no Ext.
func (c *Client) SendAsIs(ctx context.Context, msgs ...Message) ([]Message, *RawResponse, error) {
	return c.sendRaw(ctx, slices.Clone(msgs))
}

func (c *Client) sendRaw(ctx context.Context, msgs []Message) ([]Message, *RawResponse, error) {
	timeout := c.opts.NetworkDelay
	c.mu.Lock()
	id, adv := c.clientID, c.advice
	c.mu.Unlock()
	ours := id != ""
	for _, m := range msgs {
		if m.Channel == MetaConnect {
			timeout = adv.timeout + c.opts.NetworkDelay
			if m.Advice != nil && m.Advice.Timeout != nil {
				timeout = max(timeout, time.Duration(*m.Advice.Timeout)*time.Millisecond+c.opts.NetworkDelay)
			}
		}
		ours = ours && m.ClientID == id
	}
	replies, resp, err := c.exchange(ctx, msgs, timeout)
	if err == nil && ours {
		c.dispatch(replies)
	}
	return replies, resp, err
}

// SendBody posts body as is with the given Content-Type (application/json if empty) to
// the client's URL: for checks of how a server treats malformed input. The result is as
// for Send; nothing is delivered.
func (c *Client) SendBody(ctx context.Context, contentType string, body []byte) ([]Message, *RawResponse, error) {
	if contentType == "" {
		contentType = "application/json;charset=UTF-8"
	}
	return c.post(ctx, c.url, contentType, body, c.opts.NetworkDelay)
}

// exchange posts msgs and decodes the reply.
func (c *Client) exchange(ctx context.Context, msgs []Message, timeout time.Duration) ([]Message, *RawResponse, error) {
	body, err := json.Marshal(msgs)
	if err != nil {
		return nil, nil, fmt.Errorf("bayeux: encode messages: %w", err)
	}
	return c.post(ctx, c.urlFor(msgs), "application/json;charset=UTF-8", body, timeout)
}

// urlFor applies AppendMessageTypeToURL as the JS client does.
func (c *Client) urlFor(msgs []Message) string {
	if !c.opts.AppendMessageTypeToURL || strings.ContainsAny(c.url, "?#") {
		return c.url
	}
	u := c.url
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	if len(msgs) == 1 {
		switch msgs[0].Channel {
		case MetaHandshake, MetaConnect, MetaDisconnect:
			u += strings.TrimPrefix(msgs[0].Channel, "/meta/")
		}
	}
	return u
}

// post does one HTTP exchange, bounded by timeout, and records it.
func (c *Client) post(ctx context.Context, url, contentType string, body []byte, timeout time.Duration) ([]Message, *RawResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("bayeux: %w", err)
	}
	for k, vs := range c.opts.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", contentType)

	seq := 0
	if c.rec != nil {
		h := req.Header.Clone()
		if jar := c.http.Jar; jar != nil && h.Get("Cookie") == "" {
			// The jar adds its cookies inside Do; record what it will send.
			for _, ck := range jar.Cookies(req.URL) {
				h.Add("Cookie", ck.Name+"="+ck.Value)
			}
			if cs := h.Values("Cookie"); len(cs) > 1 {
				h.Set("Cookie", strings.Join(cs, "; "))
			}
		}
		seq = c.rec.begin(Entry{Client: c.opts.Name, Sent: c.clock.Now(), Method: req.Method, URL: url,
			Timeout: timeout, RequestHeader: h, RequestBody: body})
	}
	// Bodies are not logged: they may hold credentials (ext); the Recorder keeps them redacted.
	c.log.Debug("bayeux: send", "url", url, "bytes", len(body))

	replies, raw, err := c.do(req)
	if c.rec != nil {
		var (
			status int
			header http.Header
			rbody  []byte
		)
		if raw != nil {
			status, header, rbody = raw.Status, raw.Header, raw.Body
		}
		c.rec.end(seq, c.clock.Now(), status, header, rbody, err)
	}
	if err != nil {
		c.log.Debug("bayeux: exchange failed", "url", url, "err", err)
	} else {
		c.log.Debug("bayeux: received", "url", url, "messages", clientChannels(replies))
	}
	return replies, raw, err
}

func (c *Client) do(req *http.Request) ([]Message, *RawResponse, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("bayeux: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, clientMaxReplyBytes+1))
	raw := &RawResponse{URL: req.URL.String(), Status: resp.StatusCode, Header: resp.Header, Body: body}
	if err != nil {
		return nil, raw, fmt.Errorf("bayeux: read reply: %w", err)
	}
	if len(body) > clientMaxReplyBytes {
		return nil, raw, fmt.Errorf("%w: reply larger than %d bytes", ErrBadReply, clientMaxReplyBytes)
	}
	if resp.StatusCode != http.StatusOK {
		const max = 200
		snippet := string(body[:min(len(body), max)])
		return nil, raw, &StatusError{Status: resp.StatusCode, URL: raw.URL, Body: snippet}
	}
	replies, err := clientDecodeReply(body)
	if err != nil {
		return nil, raw, err
	}
	return replies, raw, nil
}

// clientDecodeReply decodes a reply body: a JSON array of messages (or one bare message), each
// with a channel.
func clientDecodeReply(body []byte) ([]Message, error) {
	ms, err := DecodeMessages(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	for i := range ms {
		if ms[i].Channel == "" {
			return nil, fmt.Errorf("%w: message %d has no channel", ErrBadReply, i)
		}
	}
	return ms, nil
}

// clientChannels lists the channels of msgs, for logs.
func clientChannels(msgs []Message) []string {
	out := make([]string, len(msgs))
	for i := range msgs {
		out[i] = msgs[i].Channel
	}
	return out
}
