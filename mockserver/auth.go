package mockserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// authenticate finds the caller of a REST request (D8): HTTP Basic credentials, or the
// JSESSIONID cookie of an earlier authenticated call. Credentials, when given, must be
// right even if a cookie comes along; they reuse the cookie's session when it is the same
// user's, and start a new session (Set-Cookie) otherwise. It fails with errNotAuthenticated,
// or errSessionsFull when a new session has no room (see sessionTable.create).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*httpSession, state.User, error) {
	var cookie *httpSession
	if c, err := r.Cookie(spec.SessionCookie); err == nil {
		cookie = s.sessions.get(c.Value)
	}
	if name, pass, ok := r.BasicAuth(); ok {
		u, ok := s.store.Authenticate(name, pass)
		if !ok {
			return nil, state.User{}, errNotAuthenticated
		}
		if cookie != nil && cookie.user == u.Name {
			return cookie, u, nil
		}
		sess, err := s.sessions.create(u)
		if err != nil {
			return nil, state.User{}, err
		}
		http.SetCookie(w, &http.Cookie{Name: spec.SessionCookie, Value: sess.id, Path: "/", HttpOnly: true})
		return sess, u, nil
	}
	if cookie == nil {
		return nil, state.User{}, errNotAuthenticated
	}
	u := cookie.rec.Load()
	if u == nil {
		return nil, state.User{}, errNotAuthenticated
	}
	return cookie, *u, nil
}

// authFailure is the reply to a request authenticate refused: the 401 of D8, or, when
// the session table is full of other users' live sessions, the 500 a servlet container
// gives when it cannot create a session (Tomcat: maxActiveSessions), statusCode 4 — the
// status every operation's contract allows for the server's own trouble.
func (s *Server) authFailure(w http.ResponseWriter, err error) apiReply {
	if errors.Is(err, errSessionsFull) {
		s.log.Warn("mock: HTTP session refused: the session table is full", "err", err)
		w.Header().Set("Retry-After", "60")
		return errorReply(spec.StatusInternalError, "Internal error: no new HTTP session can be created now (%v); retry later or reuse the JSESSIONID cookie of an existing session", err)
	}
	return s.unauthorized(w)
}

var errNotAuthenticated = errors.New("no authenticated HTTP session (JSESSIONID) and no valid Basic credentials")

// authenticateHandshake admits a CometD handshake from an authenticated session: the
// JSESSIONID cookie or Basic credentials (D9). The principal is the user name.
func (s *Server) authenticateHandshake(r *http.Request, _ *bayeux.Message) (string, error) {
	return s.cometdPrincipal(r)
}

// cometdPrincipal is whom a CometD request authenticates as: the user of its Basic
// credentials when it carries some (they must be right, whatever cookie comes along, as
// for REST), else the user of its JSESSIONID session. It is the principal a Bayeux session
// is bound to at its handshake, and what every later request for that session must
// authenticate as (bayeux.Options.Identify): a user's own cookie session or his Basic
// credentials, whichever he handshook with. With handshake-without-auth on, a request
// with neither is the anonymous principal "".
func (s *Server) cometdPrincipal(r *http.Request) (string, error) {
	if name, pass, ok := r.BasicAuth(); ok {
		if u, ok := s.store.Authenticate(name, pass); ok {
			return u.Name, nil
		}
	} else if c, err := r.Cookie(spec.SessionCookie); err == nil {
		if sess := s.sessions.get(c.Value); sess != nil {
			return sess.user, nil
		}
	}
	if p, ok := s.dev.load().admitHandshake(); ok {
		return p, nil
	}
	return "", errNotAuthenticated
}

// authorizeSubscribe lets a user subscribe to /v2/me and anything below it, wildcards
// included (/v2/me/*, /v2/me/**, as the Vue widget does), and to the deep wildcards above
// it, /** (the Genesys .NET client's subscription) and /v2/**, which cover /v2/me. Delivery
// stays private whatever the pattern (D9): events are published only to sessions whose
// principal is the recipient, and only on /v2/me channels, so /** gets the user's own
// events and nothing else. /meta/** is refused by package bayeux before this hook (meta
// messages are replies, never events); a channel or pattern that cannot match a /v2/me
// channel (/foo, /v2/users, /*, /v2/*) is refused: it would carry nothing.
func authorizeSubscribe(_ *bayeux.SessionInfo, channel string) error {
	root := spec.PrivateChannelRoot
	if channel == root || strings.HasPrefix(channel, root+"/") {
		return nil
	}
	if prefix, ok := strings.CutSuffix(channel, "/**"); ok && (prefix == "" || strings.HasPrefix(root+"/", prefix+"/")) {
		return nil
	}
	return errors.New("only " + root + ", the channels below it and the patterns covering them (/**, /v2/**) can be subscribed to")
}

// denyPublish refuses every client publish: the channels carry server events only, and a
// client publish would reach other users' sessions subscribed to the same channel name.
func denyPublish(*bayeux.SessionInfo, string, json.RawMessage) error {
	return errors.New("clients do not publish on this server")
}
