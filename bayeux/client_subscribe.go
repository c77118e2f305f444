package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Channels: subscribe, unsubscribe, publish.

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
