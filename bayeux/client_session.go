package bayeux

import (
	"context"
	"fmt"
	"slices"
)

// The session: handshake (with the re-subscription of a new session) and disconnect.

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
