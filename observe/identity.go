package observe

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Bounds of what a Checker remembers.
const (
	maxSessions     = 20000
	maxClients      = 20000
	maxUsers        = 20000
	refMemory       = 1024 // referenceIds remembered per session for D4's uniqueness
	maxInteractions = 100000
	maxWorkbins     = 20000
)

// session is one GWS HTTP session (JSESSIONID), as its requests show it.
type session struct {
	id    string
	label string
	user  string
	// csrfToken is the token a GET reply handed the session; getWithoutToken says a
	// successful GET reply of the session carried none.
	csrfToken       string
	getWithoutToken bool
	csrfReported    bool
	refs            refSet
	used            time.Time
}

// refSet remembers the last refMemory referenceIds of a session.
type refSet struct {
	ring []int64
	next int
	set  map[int64]time.Time
}

// add records id; it reports when id was answered before (zero when it was not).
func (r *refSet) add(id int64, at time.Time) time.Time {
	if r.set == nil {
		r.set = map[int64]time.Time{}
	}
	if prev, ok := r.set[id]; ok {
		return prev
	}
	if len(r.ring) < refMemory {
		r.ring = append(r.ring, id)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % refMemory
	}
	r.set[id] = at
	return time.Time{}
}

// userInfo is what GET /me showed of a user.
type userInfo struct {
	name       string
	id         string
	roles      []string
	rolesKnown bool
	used       time.Time
}

// client is one CometD client (clientId).
type client struct {
	id      string
	session string
	user    string
	// subs are the channels and patterns it subscribed to; subsKnown is false for a
	// client whose subscriptions the observation did not see (it began before).
	subs      []string
	subsKnown bool
	// disconnected is when its disconnect was answered.
	disconnected time.Time
	// timeout is the connect hold the server advised (default 30 s).
	timeout time.Duration
	// lastEnd is when its last exchange ended; lastOtherEnd its last non-connect one.
	lastEnd      time.Time
	lastOtherEnd time.Time
	earlyEmpty   int // connects in a row answered at once with nothing
	used         time.Time
}

// party is whose traffic something is: a user when known, else an HTTP session.
type party struct{ session, user string }

// same reports whether two parties are the same user (or, users unknown, the same session).
func (a party) same(b party) bool {
	if a.user != "" && b.user != "" {
		return a.user == b.user
	}
	return a.session != "" && a.session == b.session
}

type identities struct {
	sessions  map[string]*session
	nSessions int
	users     map[string]*userInfo
	usersByID map[string]string
	clients   map[string]*client
}

func newIdentities() *identities {
	return &identities{sessions: map[string]*session{}, users: map[string]*userInfo{}, usersByID: map[string]string{}, clients: map[string]*client{}}
}

func (ids *identities) session(id string, at time.Time) *session {
	if id == "" {
		return nil
	}
	s := ids.sessions[id]
	if s == nil {
		evict(ids.sessions, maxSessions, func(s *session) time.Time { return s.used })
		ids.nSessions++
		s = &session{id: id, label: fmt.Sprintf("session %d", ids.nSessions)}
		ids.sessions[id] = s
	}
	s.used = at
	return s
}

func (ids *identities) user(name string, at time.Time) *userInfo {
	u := ids.users[name]
	if u == nil {
		evict(ids.users, maxUsers, func(u *userInfo) time.Time { return u.used })
		u = &userInfo{name: name}
		ids.users[name] = u
	}
	u.used = at
	return u
}

func (ids *identities) client(id string, p party, at time.Time) *client {
	c := ids.clients[id]
	if c == nil {
		evict(ids.clients, maxClients, func(c *client) time.Time { return c.used })
		c = &client{id: id, session: p.session, user: p.user, timeout: 30 * time.Second}
		ids.clients[id] = c
	}
	if c.user == "" {
		c.user = p.user
	}
	if c.session == "" {
		c.session = p.session
	}
	c.used = at
	return c
}

// partyOf completes a party with the user its session is known to be.
func (ids *identities) partyOf(sessionID, user string) party {
	if user == "" {
		if s := ids.sessions[sessionID]; s != nil {
			user = s.user
		}
	}
	return party{session: sessionID, user: user}
}

func (ids *identities) clientParty(c *client) party { return ids.partyOf(c.session, c.user) }

// label names a party in findings: the user's name, else the session's number.
func (ids *identities) label(p party) string {
	if p.user != "" {
		return p.user
	}
	if s := ids.sessions[p.session]; s != nil {
		return s.label
	}
	return ""
}

// evict forgets the least recently used tenth of m once it holds max entries.
func evict[V any](m map[string]V, max int, used func(V) time.Time) {
	if len(m) < max {
		return
	}
	type aged struct {
		k string
		t time.Time
	}
	all := make([]aged, 0, len(m))
	for k, v := range m {
		all = append(all, aged{k, used(v)})
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.t.UnixNano(), b.t.UnixNano()) })
	for _, a := range all[:max/10+1] {
		delete(m, a.k)
	}
}
