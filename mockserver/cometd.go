package mockserver

import "net/http"

// CometD session caps (bayeux.Options): a user holds at most cometdMaxSessionsPerUser
// Bayeux sessions (his handshake past it ends his own least recently active one), all
// users together cometdMaxSessions (past it, a user without a session is refused with
// 503::too_many_sessions). Sessions without connects lapse after maxInterval (10 s).
const (
	cometdMaxSessionsPerUser = 100
	cometdMaxSessions        = 10000
)

// cometdHandler serves Bayeux at spec.CometDPath and every sub-path, through the bayeux
// server. Only the deviations' bayeux hooks look at the messages first; the body they read
// is read by the bayeux server's rules (a deadline, and past 16 KiB only from an
// authenticated request: bayeux.Options.MaxUnidentifiedBodyBytes).
func (s *Server) cometdHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hooks := s.dev.load().bayeux; len(hooks) > 0 && r.Method == http.MethodPost {
			if _, ok := s.cometd.ReadBody(w, r); !ok {
				return
			}
			if s.serveBayeuxHooks(w, r, hooks) {
				return
			}
		}
		s.cometd.ServeHTTP(w, r)
	})
}
