package mockserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// basicOnly is a client that sends Basic credentials and never keeps the cookie: every
// request of it starts a session.
func (m *mockT) basicOnly(name string) *user {
	return &user{m: m, name: name, http: &http.Client{Timeout: waitLimit}}
}

func (u *user) getAsBasic(path string) reply {
	u.m.t.Helper()
	return u.do(http.MethodGet, path, nil, "Authorization", basicHeader(u.name, u.name))
}

func (m *mockT) sessionsOf(name string) int {
	m.srv.sessions.mu.RLock()
	defer m.srv.sessions.mu.RUnlock()
	return len(m.srv.sessions.byUser[name])
}

// Issue 11: 10,100 Basic logins by one user evicted every other user's session (the table
// kept 10,000 and evicted the least recently used tenth). With the default limits the
// user now churns his own DefaultMaxSessionsPerUser sessions and nobody else's.
func TestSessionTableOneUserCannotEvictAnother(t *testing.T) {
	tbl := newSessionTable(time.Now, 0, 0, 0)
	other, err := tbl.create(state.User{Name: "agent2"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range DefaultMaxSessions + 100 {
		if _, err := tbl.create(state.User{Name: "MaratTest"}); err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
	}
	if tbl.get(other.id) == nil {
		t.Error("agent2's session was evicted by MaratTest's logins")
	}
	if n := len(tbl.byUser["MaratTest"]); n != DefaultMaxSessionsPerUser || tbl.len() != n+1 {
		t.Errorf("MaratTest holds %d sessions (table %d), want %d", n, tbl.len(), DefaultMaxSessionsPerUser)
	}
}

// The same end to end, small limits: MaratTest logging in again and again (Basic, no
// cookie kept) loses his own least recently used sessions; agent2's session keeps working.
func TestLoginsOfOneUserKeepOthersSessions(t *testing.T) {
	m := newMock(t, func(c *Config) { c.MaxSessions, c.MaxSessionsPerUser = 20, 5 })
	agent := m.login("agent2")
	marat := m.login("MaratTest") // used again below: the most recently used stays
	flood := m.basicOnly("MaratTest")
	for range 60 {
		expect(t, flood.getAsBasic("/api/v2/me"), http.StatusOK, 0)
		expect(t, marat.get("/api/v2/me"), http.StatusOK, 0)
	}
	expect(t, agent.get("/api/v2/me"), http.StatusOK, 0)
	if n := m.sessionsOf("MaratTest"); n != 5 {
		t.Errorf("MaratTest holds %d sessions, want 5", n)
	}
}

// When every slot is held by live sessions, a user with sessions loses his own least
// recently used one, a user with none is refused (500, statusCode 4, Retry-After: what a
// servlet container does past maxActiveSessions) and nobody else loses anything; lapsed
// sessions make room again.
func TestSessionTableFull(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	m := newMock(t, func(c *Config) { c.MaxSessions, c.MaxSessionsPerUser, c.Now = 6, 3, now })
	var agents []*user
	for range 3 {
		agents = append(agents, m.login("agent2"))
		m.login("MaratTest")
	}
	r := m.basicOnly("supervisor1").getAsBasic("/api/v2/me")
	expect(t, r, http.StatusInternalServerError, int(spec.StatusInternalError))
	if r.header.Get("Retry-After") == "" {
		t.Errorf("refused session without Retry-After: %s", r)
	}
	expect(t, m.basicOnly("MaratTest").getAsBasic("/api/v2/me"), http.StatusOK, 0)
	for _, a := range agents {
		expect(t, a.get("/api/v2/me"), http.StatusOK, 0)
	}
	if m.sessionsOf("MaratTest") != 3 || m.sessionsOf("agent2") != 3 {
		t.Errorf("sessions: MaratTest %d, agent2 %d; want 3 and 3", m.sessionsOf("MaratTest"), m.sessionsOf("agent2"))
	}
	offset.Store(int64(DefaultSessionIdle + time.Minute))
	expect(t, m.basicOnly("supervisor1").getAsBasic("/api/v2/me"), http.StatusOK, 0)
}
