package bayeux

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The connect loop (Run) and the advice it follows.

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
