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

// cometdHandler serves Bayeux at spec.CometDPath and every sub-path, through the bayeux
// server. Only the Bayeux deviations look at the messages first.
func (s *Server) cometdHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && s.dev.has(DevUnknownClientAccepted) && s.acceptUnknownClients(w, r) {
			return
		}
		if r.Method == http.MethodPost && s.bayeuxDeviations() && s.deviateBayeux(w, r) {
			return
		}
		s.cometd.ServeHTTP(w, r)
	})
}

// Bayeux deviation timings (ms): connect-not-held answers a connect at once and advises
// notHeldIntervalMillis before the next one (no hot loop of a client); first-connect-held
// holds a connect asking advice.timeout 0 for up to firstConnectHoldMillis, past the
// conformance suite's bound for a reply that must come at once (3 s; 5 s in its self-test).
const (
	notHeldIntervalMillis  = 100
	firstConnectHoldMillis = 6000
)

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

func (s *Server) bayeuxDeviations() bool {
	return s.dev.has(DevConnectNotHeld) || s.dev.has(DevFirstConnectHeld) || s.dev.has(DevDisconnectIgnored) || s.dev.has(DevNegotiationIgnored)
}

// deviateBayeux applies the Bayeux deviations to a JSON batch before the bayeux server
// sees it: it rewrites a handshake's connection types (negotiation-ignored) or a connect's
// advice.timeout (connect-not-held, first-connect-held), or answers a lone disconnect of a
// known client itself, leaving the session alive (disconnect-ignored). It reports whether
// it answered.
func (s *Server) deviateBayeux(w http.ResponseWriter, r *http.Request) bool {
	msgs, ok := peekBatch(r)
	if !ok {
		return false
	}
	if m := msgs[0]; len(msgs) == 1 && m.Channel == bayeux.MetaDisconnect && s.dev.has(DevDisconnectIgnored) {
		if _, ok := s.cometd.Session(m.ClientID); ok {
			ok := true
			reply := bayeux.Message{Channel: bayeux.MetaDisconnect, ClientID: m.ClientID, Successful: &ok}
			reply.CopyID(&m)
			return writeBayeux(w, []bayeux.Message{reply})
		}
	}
	changed, notHeld := false, false
	for i := range msgs {
		m := &msgs[i]
		switch m.Channel {
		case bayeux.MetaHandshake:
			if s.dev.has(DevNegotiationIgnored) && !slices.Contains(m.SupportedConnectionTypes, bayeux.ConnectionTypeLongPolling) {
				m.SupportedConnectionTypes = append(slices.Clone(m.SupportedConnectionTypes), bayeux.ConnectionTypeLongPolling)
				changed = true
			}
		case bayeux.MetaConnect:
			immediate := m.Advice != nil && m.Advice.Timeout != nil && *m.Advice.Timeout == 0
			switch {
			case immediate && s.dev.has(DevFirstConnectHeld):
				m.Advice, changed = withTimeout(m.Advice, firstConnectHoldMillis), true
			case !immediate && s.dev.has(DevConnectNotHeld):
				m.Advice, changed, notHeld = withTimeout(m.Advice, 0), true, true
			}
		}
	}
	if changed {
		out, err := json.Marshal(msgs)
		if err != nil {
			return false
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	}
	if notHeld {
		s.serveWithInterval(w, r, notHeldIntervalMillis)
		return true
	}
	return false
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

// acceptUnknownClients answers successful:true to a batch whose every message names a
// clientId the server does not know (the deviation; CometD answers 402::Unknown client).
func (s *Server) acceptUnknownClients(w http.ResponseWriter, r *http.Request) bool {
	msgs, ok := peekBatch(r)
	if !ok {
		return false
	}
	for _, m := range msgs {
		if m.Channel == bayeux.MetaHandshake || m.ClientID == "" {
			return false
		}
		if _, ok := s.cometd.Session(m.ClientID); ok {
			return false
		}
	}
	ok, interval := true, int64(1000) // interval: a client that loops on these replies slows down
	replies := make([]bayeux.Message, len(msgs))
	for i, m := range msgs {
		replies[i] = bayeux.Message{Channel: m.Channel, ID: m.ID, ClientID: m.ClientID, Subscription: m.Subscription, Successful: &ok}
		if m.Channel == bayeux.MetaConnect {
			replies[i].Advice = &bayeux.Advice{Reconnect: bayeux.ReconnectRetry, Interval: &interval}
		}
	}
	out, err := json.Marshal(replies)
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(out)
	return true
}
