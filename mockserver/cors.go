package mockserver

import (
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// corsExposed are the response headers a browser app must be able to read: the CSRF pair
// of D8 and the authentication challenge.
var corsExposed = strings.Join([]string{spec.HeaderCSRFHeader, spec.HeaderCSRFToken, spec.HeaderWWWAuthenticate}, ", ")

const corsMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"

// cors lets a browser app on an allowed origin (by default any localhost port) call the
// REST API, CometD and the control plane with credentials (cookies, Basic): the origin is
// echoed (never "*", which credentials forbid), the CSRF headers are exposed, and
// preflights are answered here, before authentication, as browsers send them without
// credentials. The bayeux handler does no CORS of its own.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		origin := r.Header.Get("Origin")
		allowed := origin != "" && originAllowed(origin, s.opts.Load().CORSAllowedOrigins)
		if origin != "" {
			h.Add("Vary", "Origin")
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", corsExposed)
		}
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Allow", corsMethods)
		if r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				http.Error(w, "CORS: origin "+origin+" is not allowed (option corsAllowedOrigins)", http.StatusForbidden)
				return
			}
			h.Set("Access-Control-Allow-Methods", corsMethods)
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "600")
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
