package bayeux

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The HTTP side: building messages, posting them, pairing replies with requests, and the
// raw exchanges (Send, SendAsIs, SendBody).

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
