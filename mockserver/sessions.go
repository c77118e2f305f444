package mockserver

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
)

// Session limits: an HTTP session idle this long is forgotten (a servlet container's
// default), and at most this many are kept (the oldest idle ones go first), so clients
// that never send the cookie back cannot grow the table without bound.
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultMaxSessions = 10000
)

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
	mu   sync.RWMutex
	m    map[string]*httpSession
	now  func() time.Time
	idle time.Duration
	max  int
}

func newSessionTable(now func() time.Time, idle time.Duration, max int) *sessionTable {
	if idle <= 0 {
		idle = DefaultSessionIdle
	}
	if max <= 0 {
		max = DefaultMaxSessions
	}
	return &sessionTable{m: map[string]*httpSession{}, now: now, idle: idle, max: max}
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
			delete(t.m, id)
		}
		t.mu.Unlock()
		return nil
	}
	s.used.Store(now)
	return s
}

// create starts a session for user.
func (t *sessionTable) create(u state.User) *httpSession {
	s := &httpSession{id: rand.Text(), user: u.Name, csrf: newUUID()}
	s.rec.Store(&u)
	now := t.now()
	s.used.Store(now.UnixNano())
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		t.evictLocked(now)
	}
	t.m[s.id] = s
	return s
}

// evictLocked forgets idle sessions, and if that is not enough the least recently used
// tenth of them.
func (t *sessionTable) evictLocked(now time.Time) {
	for id, s := range t.m {
		if now.Sub(time.Unix(0, s.used.Load())) > t.idle {
			delete(t.m, id)
		}
	}
	if len(t.m) < t.max {
		return
	}
	type aged struct {
		id   string
		used int64
	}
	all := make([]aged, 0, len(t.m))
	for id, s := range t.m {
		all = append(all, aged{id, s.used.Load()})
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.used, b.used) })
	for _, a := range all[:max(1, len(all)/10)] {
		delete(t.m, a.id)
	}
}

// dropUser forgets every session of user (or all sessions when user is "").
func (t *sessionTable) drop(user string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for id, s := range t.m {
		if user == "" || s.user == user {
			delete(t.m, id)
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
	for id, s := range t.m {
		u, ok := lookup(s.user)
		if !ok {
			delete(t.m, id)
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
