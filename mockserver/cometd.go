package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// cometdHandler serves Bayeux at spec.CometDPath and every sub-path, through the bayeux
// server. Only the unknown-client-accepted deviation looks at the messages first.
func (s *Server) cometdHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && s.dev.has(DevUnknownClientAccepted) && s.acceptUnknownClients(w, r) {
			return
		}
		s.cometd.ServeHTTP(w, r)
	})
}

// acceptUnknownClients answers successful:true to a batch whose every message names a
// clientId the server does not know (the deviation; CometD answers 402::Unknown client).
func (s *Server) acceptUnknownClients(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, spec.MaxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || len(body) > spec.MaxBodyBytes {
		return false
	}
	msgs, err := bayeux.DecodeMessages(body)
	if err != nil || len(msgs) == 0 {
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
