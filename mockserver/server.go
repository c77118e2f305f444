package mockserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// DefaultJournalSize is how many entries the journal keeps by default.
const DefaultJournalSize = 1000

// Realm is the realm of the WWW-Authenticate header of 401 replies.
const Realm = "workbinkit mock"

// Config is what New needs. The zero value serves the built-in fixtures with the default
// options.
type Config struct {
	// Fixtures is the data the mock starts from and POST /_mock/reset returns to (nil: the
	// built-in set).
	Fixtures *fixtures.Set
	// Contract is the compiled contract (nil: spec.Load()).
	Contract *spec.Contract
	// Options are the behaviour switches (nil: DefaultOptions()).
	Options *Options
	// Deviations are switched on from the start (tests of a conformance suite only).
	Deviations []Deviation
	// AdminToken, when set, must come as "Authorization: Bearer <token>" on every /_mock/
	// request. Use CheckExposure to refuse a non-loopback address without one.
	AdminToken string
	// Logger receives the logs (nil: discarded).
	Logger *slog.Logger
	// Now is the clock of the domain state and of HTTP sessions (nil: time.Now).
	Now func() time.Time
	// BayeuxClock drives CometD timings (nil: the real clock).
	BayeuxClock bayeux.Clock
	// JournalSize bounds the journal (0: DefaultJournalSize).
	JournalSize int
	// SessionIdle, MaxSessions and MaxSessionsPerUser bound the HTTP sessions (0:
	// DefaultSessionIdle, DefaultMaxSessions, DefaultMaxSessionsPerUser; see sessions.go).
	SessionIdle        time.Duration
	MaxSessions        int
	MaxSessionsPerUser int
	// OnViolation is called for every self-check violation (tests make it fail the test).
	// It runs in the request's goroutine and must not block.
	OnViolation func(Violation)
	// BodyReadTimeout bounds the time from the start of a request with a body (REST,
	// CometD, control plane) to the end of its body; a body not in by then is answered 408
	// and its connection closed (0: DefaultBodyReadTimeout; negative: no bound).
	BodyReadTimeout time.Duration
	// OnChange is called after every change of the domain state (e.g. to save a state
	// file). It runs in the request's goroutine and must not block.
	OnChange func()
}

// Server is the stateful GWS Workbins mock: an http.Handler serving the REST API under
// /api/v2, CometD at /api/v2/notifications and the control plane under /_mock/.
type Server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	contract *spec.Contract

	store    *state.Store
	fixtures atomic.Pointer[fixtures.Set]
	opts     atomic.Pointer[Options]
	dev      deviationSet
	sessions *sessionTable
	cometd   *bayeux.Server
	journal  *journal
	faults   faultTable
	viol     violationLog
	online   onlineIndex
	dash     dashboardHub
	chats    chatOrder // a chat's notifications in transcript order (chatorder.go)

	api     apiTable
	handler http.Handler
}

// New builds a mock server. It compiles the contract (unless given) and loads the
// fixtures into a fresh state.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.contract = cfg.Contract; s.contract == nil {
		if s.contract, err = spec.Load(); err != nil {
			return nil, fmt.Errorf("mockserver: loading the contract: %w", err)
		}
	}
	set := cfg.Fixtures
	if set == nil {
		if set, err = fixtures.LoadWith(s.contract, fixtures.BuiltinFiles()); err != nil {
			return nil, fmt.Errorf("mockserver: loading the built-in fixtures: %w", err)
		}
	}
	s.fixtures.Store(set)
	if s.store, err = state.New(set, state.Options{Now: s.now, Contract: s.contract}); err != nil {
		return nil, fmt.Errorf("mockserver: building the state: %w", err)
	}
	opts := DefaultOptions()
	if cfg.Options != nil {
		opts = *cfg.Options
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	opts.normalize()
	s.opts.Store(&opts)
	if err := s.dev.set(cfg.Deviations); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s.sessions = newSessionTable(s.now, cfg.SessionIdle, cfg.MaxSessions, cfg.MaxSessionsPerUser)
	s.journal = newJournal(cfg.JournalSize)
	s.journal.added = s.dash.journalAdded
	s.viol = violationLog{hook: cfg.OnViolation, log: s.log}
	s.cometd = bayeux.NewServer(bayeux.Options{
		Timeout:      time.Duration(opts.CometD.Timeout),
		Interval:     time.Duration(opts.CometD.Interval),
		MaxInterval:  time.Duration(opts.CometD.MaxInterval),
		Clock:        cfg.BayeuxClock,
		Logger:       s.log,
		Authenticate: s.authenticateHandshake,
		Identify:     s.cometdPrincipal,
		BodyTimeout:  cmp.Or(s.bodyTimeout(), -1),
		// Per user, so that no user's handshakes end another's session (cometd.go).
		MaxSessionsPerPrincipal: cometdMaxSessionsPerUser,
		MaxSessions:             cometdMaxSessions,
		AuthorizeSubscribe:      authorizeSubscribe,
		AuthorizePublish:        denyPublish,
		OnMessage: func(ev bayeux.WireEvent) {
			s.online.observe(ev)
			s.journalCometD(ev)
		},
	})
	s.api = s.apiRoutes()
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves the whole mock.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Shutdown answers every held CometD connect at once (clients come back after a restart)
// and refuses new ones. Call it before http.Server.Shutdown, which would otherwise wait
// for held connects up to the CometD timeout.
func (s *Server) Shutdown(ctx context.Context) error {
	s.dash.shutdown() // the dashboards' event streams end too
	return s.cometd.Shutdown(ctx)
}

// Store is the domain state, for tests and benchmarks that seed it directly. Changes made
// through it publish nothing.
func (s *Server) Store() *state.Store { return s.store }

// Snapshot returns the whole domain state.
func (s *Server) Snapshot() state.Snapshot { return s.store.Snapshot() }

// Restore replaces the domain state (e.g. from a state file).
func (s *Server) Restore(snap state.Snapshot) error {
	if err := s.store.Restore(snap); err != nil {
		return err
	}
	s.stateReplaced()
	s.changed()
	return nil
}

// Reset returns the domain state to the current fixture set and forgets every pending
// fault (HTTP and CometD).
func (s *Server) Reset() error {
	if err := s.store.Reset(s.fixtures.Load()); err != nil {
		return err
	}
	s.stateReplaced()
	s.faults.clear()
	s.cometd.ClearFaults()
	s.changed()
	return nil
}

// LoadFixtures makes set the current fixture set and resets the state to it.
func (s *Server) LoadFixtures(set *fixtures.Set) error {
	if err := s.store.Reset(set); err != nil {
		return err
	}
	s.fixtures.Store(set)
	s.stateReplaced()
	s.faults.clear()
	s.cometd.ClearFaults()
	s.changed()
	return nil
}

// Fixtures returns the current fixture set.
func (s *Server) Fixtures() *fixtures.Set { return s.fixtures.Load() }

// Options returns the current options.
func (s *Server) Options() Options { return *s.opts.Load() }

// SetOptions replaces the options; the CometD timings reach clients at their next connect.
func (s *Server) SetOptions(o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o.normalize()
	s.opts.Store(&o)
	s.cometd.SetTimings(time.Duration(o.CometD.Timeout), time.Duration(o.CometD.Interval), time.Duration(o.CometD.MaxInterval))
	return nil
}

// SetDeviations switches exactly these deviations on (none: nil).
func (s *Server) SetDeviations(list []Deviation) error { return s.dev.set(list) }

// ActiveDeviations lists the deviations that are on.
func (s *Server) ActiveDeviations() []Deviation { return s.dev.list() }

// Violations returns how many self-check violations happened and the most recent ones.
func (s *Server) Violations() (uint64, []Violation) { return s.viol.snapshot() }

// Journal returns up to limit journal entries (0: all kept), newest last.
func (s *Server) Journal(limit int) []JournalEntry { return s.journal.entries(limit) }

// stateReplaced follows a Reset, a fixture load or a Restore: users may have changed.
func (s *Server) stateReplaced() {
	s.dev.stateReplaced()
	s.sessions.refresh(s.store.User)
}

func (s *Server) changed() {
	s.dash.stateChanged()
	if s.cfg.OnChange != nil {
		s.cfg.OnChange()
	}
}

// ErrAdminTokenRequired: the mock would listen beyond loopback with an open control plane.
var ErrAdminTokenRequired = errors.New("the mock listens on a non-loopback address: --admin-token is required to protect /_mock/")

// CheckExposure refuses to serve the control plane unprotected beyond loopback: an address
// that is not a loopback IP or "localhost" needs an admin token.
func CheckExposure(addr, adminToken string) error {
	if adminToken != "" || IsLoopback(addr) {
		return nil
	}
	return ErrAdminTokenRequired
}

// IsLoopback reports whether a listen address (host:port) binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
