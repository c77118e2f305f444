package mockserver

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
)

// Session limits. An HTTP session idle for DefaultSessionIdle is forgotten (a servlet
// container's default). A user holds at most DefaultMaxSessionsPerUser sessions: his next
// login ends his own least recently used one, as Spring Security's concurrent-session
// control does by default (maximumSessions with maxSessionsPreventsLogin false), so a
// client that never sends the cookie back churns its own sessions and nobody else's. All
// users together hold at most DefaultMaxSessions: when that is reached and no session has
// lapsed, a user with sessions again ends his own least recently used one, and a user with
// none is refused (errSessionsFull: HTTP 503, as a servlet container refuses a session
// past its maxActiveSessions). No login ever ends another user's session.
const (
	DefaultSessionIdle        = 30 * time.Minute
	DefaultMaxSessions        = 10000
	DefaultMaxSessionsPerUser = 100
)

// errSessionsFull: the session table holds DefaultMaxSessions (or Config.MaxSessions)
// live sessions of other users.
var errSessionsFull = errors.New("too many HTTP sessions: every session slot is held by other users' live sessions")

// httpSession is one GWS HTTP session (JSESSIONID, D8): its user, its CSRF token and its
// referenceId counter (D4).
type httpSession struct {
	id   string
	user string
	csrf string
	refs atomic.Int64
	used atomic.Int64 // unix nanoseconds of the last request
	// rec is the user's record, kept so that a request does not read the store for it;
	// refreshed (or the session dropped) whenever the state is replaced (users change only
	// then).
	rec atomic.Pointer[state.User]
}

// nextRef returns the session's next referenceId: 1, 2, 3… (D4).
func (s *httpSession) nextRef() int64 { return s.refs.Add(1) }

type sessionTable struct {
	mu      sync.RWMutex
	m       map[string]*httpSession
	byUser  map[string]map[string]*httpSession // user → id → session, the same sessions as m
	now     func() time.Time
	idle    time.Duration
	max     int
	perUser int
}

func newSessionTable(now func() time.Time, idle time.Duration, max, perUser int) *sessionTable {
	if idle <= 0 {
		idle = DefaultSessionIdle
	}
	if max <= 0 {
		max = DefaultMaxSessions
	}
	if perUser <= 0 {
		perUser = DefaultMaxSessionsPerUser
	}
	return &sessionTable{m: map[string]*httpSession{}, byUser: map[string]map[string]*httpSession{},
		now: now, idle: idle, max: max, perUser: min(perUser, max)}
}

// get returns the live session of this id and marks it used.
func (t *sessionTable) get(id string) *httpSession {
	if id == "" {
		return nil
	}
	t.mu.RLock()
	s := t.m[id]
	t.mu.RUnlock()
	if s == nil {
		return nil
	}
	now := t.now().UnixNano()
	if time.Duration(now-s.used.Load()) > t.idle {
		t.mu.Lock()
		if t.m[id] == s {
			t.deleteLocked(s)
		}
		t.mu.Unlock()
		return nil
	}
	s.used.Store(now)
	return s
}

// create starts a session for user. At the user's cap it ends his least recently used
// session; at the global cap it first forgets lapsed sessions, then ends the user's least
// recently used one, and fails with errSessionsFull if he has none.
func (t *sessionTable) create(u state.User) (*httpSession, error) {
	s := &httpSession{id: rand.Text(), user: u.Name, csrf: newUUID()}
	s.rec.Store(&u)
	now := t.now()
	s.used.Store(now.UnixNano())
	t.mu.Lock()
	defer t.mu.Unlock()
	own := t.byUser[u.Name]
	if len(own) >= t.perUser {
		t.deleteLocked(leastRecentlyUsed(own))
	}
	if len(t.m) >= t.max {
		t.dropLapsedLocked(now)
	}
	if len(t.m) >= t.max {
		if len(own) == 0 {
			return nil, errSessionsFull
		}
		t.deleteLocked(leastRecentlyUsed(own))
	}
	t.m[s.id] = s
	if own == nil {
		own = map[string]*httpSession{}
		t.byUser[u.Name] = own
	}
	own[s.id] = s
	return s, nil
}

func leastRecentlyUsed(set map[string]*httpSession) *httpSession {
	var lru *httpSession
	for _, s := range set {
		if lru == nil || s.used.Load() < lru.used.Load() {
			lru = s
		}
	}
	return lru
}

// deleteLocked forgets s. Caller holds t.mu.
func (t *sessionTable) deleteLocked(s *httpSession) {
	delete(t.m, s.id)
	if own := t.byUser[s.user]; own != nil {
		delete(own, s.id)
		if len(own) == 0 {
			delete(t.byUser, s.user)
		}
	}
}

// dropLapsedLocked forgets the sessions idle longer than the idle timeout: dead already,
// they only hold memory. Caller holds t.mu.
func (t *sessionTable) dropLapsedLocked(now time.Time) {
	for _, s := range t.m {
		if now.Sub(time.Unix(0, s.used.Load())) > t.idle {
			t.deleteLocked(s)
		}
	}
}

// drop forgets every session of user (or all sessions when user is "").
func (t *sessionTable) drop(user string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.m {
		if user == "" || s.user == user {
			t.deleteLocked(s)
			n++
		}
	}
	return n
}

// refresh re-reads every session's user after the state was replaced, and drops the
// sessions whose user is gone.
func (t *sessionTable) refresh(lookup func(name string) (state.User, bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.m {
		u, ok := lookup(s.user)
		if !ok {
			t.deleteLocked(s)
			continue
		}
		s.rec.Store(&u)
	}
}

func (t *sessionTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// newUUID returns a random (version 4) UUID, the form GWS gives CSRF tokens.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
