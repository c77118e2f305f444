package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// The hooks of the CometD deviations. They rewrite or answer a batch before package bayeux
// sees it, so that package stays free of deliberate faults. Each is in deviationTable
// beside its switch.

// cometdBatch is a CometD POST as the bayeux hooks see it.
type cometdBatch struct {
	// received is the batch as the client sent it, for the hooks' decisions (one hook
	// must not act on another's rewrite); msgs is what the bayeux server gets.
	received []bayeux.Message
	msgs     []bayeux.Message
	// rewritten: msgs changed, the bayeux server gets them re-encoded.
	rewritten bool
	// answer, when set, is the reply; the bayeux server never sees the batch.
	answer []bayeux.Message
	// interval, when set, is advised on every successful connect reply.
	interval *int64
}

// Bayeux deviation timings (ms): connect-not-held answers a connect at once and advises
// notHeldIntervalMillis before the next one (no hot loop of a client); first-connect-held
// holds a connect asking advice.timeout 0 for up to firstConnectHoldMillis, past the
// conformance suite's bound for a reply that must come at once (3 s; 5 s in its self-test).
const (
	notHeldIntervalMillis  = 100
	firstConnectHoldMillis = 6000
)

// serveBayeuxHooks runs the bayeux hooks on a JSON batch (in table order, until one
// answers) and serves what they made of it; false when the bayeux server is to serve the
// request as it came.
func (s *Server) serveBayeuxHooks(w http.ResponseWriter, r *http.Request, hooks []func(*Server, *cometdBatch)) bool {
	msgs, ok := peekBatch(r)
	if !ok {
		return false
	}
	b := &cometdBatch{received: msgs, msgs: slices.Clone(msgs)}
	for _, h := range hooks {
		if h(s, b); b.answer != nil {
			return writeBayeux(w, b.answer)
		}
	}
	if b.rewritten {
		out, err := json.Marshal(b.msgs)
		if err != nil {
			return false
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	}
	if b.interval != nil {
		s.serveWithInterval(w, r, *b.interval)
		return true
	}
	return false
}

// peekBatch decodes the Bayeux messages of r's body and puts the body back for the bayeux
// server; false when the body is unreadable, too large, not Bayeux or empty (the server then
// answers it as usual).
func peekBatch(r *http.Request) ([]bayeux.Message, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, spec.MaxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || len(body) > spec.MaxBodyBytes {
		return nil, false
	}
	msgs, err := bayeux.DecodeMessages(body)
	return msgs, err == nil && len(msgs) > 0
}

// unknownClientAccepted answers successful:true to a batch whose every message names a
// clientId the server does not know (CometD answers 402::Unknown client).
func unknownClientAccepted(s *Server, b *cometdBatch) {
	for _, m := range b.received {
		if m.Channel == bayeux.MetaHandshake || m.ClientID == "" {
			return
		}
		if _, ok := s.cometd.Session(m.ClientID); ok {
			return
		}
	}
	ok, interval := true, int64(1000) // interval: a client that loops on these replies slows down
	replies := make([]bayeux.Message, len(b.received))
	for i, m := range b.received {
		replies[i] = bayeux.Message{Channel: m.Channel, ID: m.ID, ClientID: m.ClientID, Subscription: m.Subscription, Successful: &ok}
		if m.Channel == bayeux.MetaConnect {
			replies[i].Advice = &bayeux.Advice{Reconnect: bayeux.ReconnectRetry, Interval: &interval}
		}
	}
	b.answer = replies
}

// disconnectIgnored answers a lone disconnect of a known client itself, leaving the
// session alive.
func disconnectIgnored(s *Server, b *cometdBatch) {
	if m := b.received[0]; len(b.received) == 1 && m.Channel == bayeux.MetaDisconnect {
		if _, ok := s.cometd.Session(m.ClientID); ok {
			ok := true
			reply := bayeux.Message{Channel: bayeux.MetaDisconnect, ClientID: m.ClientID, Successful: &ok}
			reply.CopyID(&m)
			b.answer = []bayeux.Message{reply}
		}
	}
}

// negotiationIgnored makes a handshake offer long-polling.
func negotiationIgnored(_ *Server, b *cometdBatch) {
	for i := range b.msgs {
		if m := &b.msgs[i]; m.Channel == bayeux.MetaHandshake && !slices.Contains(m.SupportedConnectionTypes, bayeux.ConnectionTypeLongPolling) {
			m.SupportedConnectionTypes = append(slices.Clone(m.SupportedConnectionTypes), bayeux.ConnectionTypeLongPolling)
			b.rewritten = true
		}
	}
}

// firstConnectHeld makes a connect asking advice.timeout 0 ask firstConnectHoldMillis.
func firstConnectHeld(_ *Server, b *cometdBatch) {
	for i := range b.msgs {
		if m := &b.msgs[i]; m.Channel == bayeux.MetaConnect && immediateConnect(&b.received[i]) {
			m.Advice, b.rewritten = withTimeout(m.Advice, firstConnectHoldMillis), true
		}
	}
}

// connectNotHeld makes every other connect ask advice.timeout 0, and advises
// notHeldIntervalMillis on the replies.
func connectNotHeld(_ *Server, b *cometdBatch) {
	for i := range b.msgs {
		if m := &b.msgs[i]; m.Channel == bayeux.MetaConnect && !immediateConnect(&b.received[i]) {
			interval := int64(notHeldIntervalMillis)
			m.Advice, b.rewritten, b.interval = withTimeout(m.Advice, 0), true, &interval
		}
	}
}

// immediateConnect: the connect asks advice.timeout 0 (the first one after a handshake).
func immediateConnect(m *bayeux.Message) bool {
	return m.Advice != nil && m.Advice.Timeout != nil && *m.Advice.Timeout == 0
}

// serveWithInterval serves r through the bayeux server and advises interval ms on every
// successful connect reply.
func (s *Server) serveWithInterval(w http.ResponseWriter, r *http.Request, interval int64) {
	cw := &captureWriter{h: http.Header{}, status: http.StatusOK}
	s.cometd.ServeHTTP(cw, r)
	body := cw.buf.Bytes()
	if replies, err := bayeux.DecodeMessages(body); err == nil && cw.status == http.StatusOK {
		for i := range replies {
			if m := &replies[i]; m.Channel == bayeux.MetaConnect && m.IsSuccessful() {
				var a bayeux.Advice
				if m.Advice != nil {
					a = *m.Advice
				}
				a.Interval = &interval
				m.Advice = &a
			}
		}
		if out, err := json.Marshal(replies); err == nil {
			body = out
		}
	}
	for k, v := range cw.h {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(cw.status)
	_, _ = w.Write(body)
}

// captureWriter keeps a reply for serveWithInterval to rewrite.
type captureWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) Header() http.Header         { return c.h }
func (c *captureWriter) WriteHeader(status int)      { c.status = status }
func (c *captureWriter) Write(b []byte) (int, error) { return c.buf.Write(b) }

// withTimeout is a copy of a (nil: none) with timeout ms.
func withTimeout(a *bayeux.Advice, ms int64) *bayeux.Advice {
	var c bayeux.Advice
	if a != nil {
		c = *a
	}
	c.Timeout = &ms
	return &c
}

func writeBayeux(w http.ResponseWriter, replies []bayeux.Message) bool {
	out, err := json.Marshal(replies)
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(out)
	return true
}

// handshakeWithoutAuth admits a handshake without session cookie or Basic credentials as
// an anonymous session: it matches no user's events.
func handshakeWithoutAuth() (string, bool) { return "", true }
