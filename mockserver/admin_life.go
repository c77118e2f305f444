package mockserver

import (
	"errors"
	"net/http"

	"github.com/workbinkit/workbinkit/mockserver/state"
)

// adminCustomer plays the customer of a chat (D20): POST /_mock/chats/{id}/customer with
// {"action": "message"|"typingStarted"|"typingStopped"|"leave", "text": "…"}. The agents in the
// chat receive MessageLogUpdated as from a real customer (and ParticipantsUpdated when he
// leaves).
func (s *Server) adminCustomer() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Action state.CustomerAction `json:"action"`
			Text   string               `json:"text"`
		}
		if err := decodeAdmin(r, &req, false); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		// The chat's turn, until its events are published: transcript order (chatOrder).
		unlock := s.chats.lock(r.PathValue("id"))
		defer unlock()
		events, err := s.store.Customer(r.PathValue("id"), req.Action, req.Text)
		if err != nil {
			status := http.StatusBadRequest
			switch {
			case errors.Is(err, state.ErrUnknownInteraction):
				status = http.StatusNotFound
			case errors.Is(err, state.ErrNotYours), errors.Is(err, state.ErrCustomerGone):
				status = http.StatusConflict
			}
			adminError(w, status, err.Error())
			return
		}
		s.publish(events, nil, false, baseURL(r))
		s.changed()
		adminJSON(w, http.StatusOK, map[string]any{"ok": true, "notifications": len(events)})
	}
}
