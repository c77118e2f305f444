package mockserver

import "net/http"

// cometdHandler serves Bayeux at spec.CometDPath and every sub-path, through the bayeux
// server. Only the deviations' bayeux hooks look at the messages first.
func (s *Server) cometdHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hooks := s.dev.load().bayeux; len(hooks) > 0 && r.Method == http.MethodPost && s.serveBayeuxHooks(w, r, hooks) {
			return
		}
		s.cometd.ServeHTTP(w, r)
	})
}
