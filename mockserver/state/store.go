package state

import (
	"crypto/subtle"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

// Options configure a Store.
type Options struct {
	// Now is the clock (receivedDate of placed interactions); nil means time.Now.
	Now func() time.Time
	// NewID gives the ids of placed interactions without one and of chat participants; nil
	// means a counter per Store ("WBK0000000000001"…), restarted by Reset and Restore. It is
	// called with the Store's lock held; an id already taken is skipped.
	NewID func() string
	// Contract, when set, validates every resource against its schema on New, Reset, Restore
	// and Place.
	Contract *spec.Contract
}

// Store is the mock's domain state. One lock guards everything: each command either applies
// entirely and returns its events, or changes nothing and returns an *Error.
type Store struct {
	mu    sync.RWMutex
	w     *world
	opts  Options
	seq   uint64
	dummy []byte // compared against when the user is unknown, so Authenticate takes as long
}

// New builds a Store from a fixture set, copying what it needs.
func New(set *fixtures.Set, opts Options) (*Store, error) {
	s := &Store{opts: opts, dummy: []byte("workbinkit-no-such-user")}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.NewID == nil {
		s.opts.NewID = func() string {
			s.seq++
			return fmt.Sprintf("WBK%013d", s.seq)
		}
	}
	if err := s.Reset(set); err != nil {
		return nil, err
	}
	return s, nil
}

// Reset replaces the whole state by a fixture set (no subscriptions), atomically.
func (s *Store) Reset(set *fixtures.Set) error {
	if set == nil {
		return fail(spec.StatusInvalidInput, ErrInvalidSnapshot, "no fixture set")
	}
	if err := s.Restore(fromFixtures(set)); err != nil {
		return fmt.Errorf("state: fixture set: %w", err)
	}
	return nil
}

// Restore validates a snapshot and replaces the whole state by it; a broken snapshot is
// refused with an *Error (ErrInvalidSnapshot) naming what is wrong, and nothing changes.
func (s *Store) Restore(snap Snapshot) error {
	w, err := build(snap, s.opts.Contract)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w, s.seq = w, 0
	return nil
}

// Snapshot copies out the whole state, in a deterministic order.
func (s *Store) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.w.snapshot()
}

// User returns the user of this name.
func (s *Store) User(name string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.w.users[name]
	return u.clone(), ok
}

// UserByID returns the user of this id (the {userId} of the supervisor URLs, W2).
func (s *Store) UserByID(id string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, ok := s.w.userIDs[id]
	if !ok {
		return User{}, false
	}
	return s.w.users[name].clone(), true
}

// Authenticate checks a user name and password (HTTP Basic, D8) in constant time.
func (s *Store) Authenticate(name, password string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.w.users[name]
	want := s.dummy
	if ok {
		want = []byte(u.Password)
	}
	if subtle.ConstantTimeCompare(want, []byte(password)) != 1 || !ok {
		return User{}, false
	}
	return u.clone(), true
}

// VisibleWorkbins lists, sorted by id, the workbins of GET /api/v2/workbins (onlyMine false:
// the actor's Agent and Place workbins and those of his agent and place groups) or of
// GET /api/v2/me/workbins (onlyMine true: Agent and Place only).
func (s *Store) VisibleWorkbins(a Actor, onlyMine bool) ([]Workbin, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := s.w.actor(a)
	if err != nil {
		return nil, err
	}
	out := []Workbin{}
	for _, id := range slices.Sorted(maps.Keys(s.w.workbins)) {
		wb := s.w.workbins[id]
		var mine bool
		switch wb.Type {
		case spec.WorkbinAgent:
			mine = wb.Owner == u.Name
		case spec.WorkbinPlace:
			mine = wb.Owner == u.Place
		default:
			mine = !onlyMine && canReach(u, wb)
		}
		if mine {
			out = append(out, wb.clone())
		}
	}
	return out, nil
}

// Workbin returns a workbin the actor may access through ref.
func (s *Store) Workbin(a Actor, ref WorkbinRef) (Workbin, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.target(a, ref)
	if err != nil {
		return Workbin{}, err
	}
	return t.workbin.clone(), nil
}

// Content returns a workbin the actor may access and the interactions in it, sorted by id,
// of the given media (none: every media; a media not modelled matches nothing).
func (s *Store) Content(a Actor, ref WorkbinRef, media ...spec.Media) (Workbin, []Interaction, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.target(a, ref)
	if err != nil {
		return Workbin{}, nil, err
	}
	out := []Interaction{}
	for _, x := range s.w.inWorkbin(t.workbin.ID) {
		if len(media) == 0 || slices.Contains(media, x.Media) {
			out = append(out, x.clone())
		}
	}
	return t.workbin.clone(), out, nil
}

// Interaction returns the interaction of this id, wherever it is.
func (s *Store) Interaction(id string) (Interaction, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, ok := s.w.items[id]
	return x.clone(), ok
}

// target resolves actor and workbin; the caller holds the lock.
func (s *Store) target(a Actor, ref WorkbinRef) (target, error) {
	u, err := s.w.actor(a)
	if err != nil {
		return target{}, err
	}
	t, err := s.w.access(u, ref)
	if err != nil {
		return target{}, err
	}
	return t, nil
}

// inWorkbin lists the interactions in a workbin, sorted by id.
func (w *world) inWorkbin(id string) []Interaction {
	var out []Interaction
	for _, xid := range slices.Sorted(maps.Keys(w.items)) {
		if x := w.items[xid]; x.Workbin == id {
			out = append(out, x)
		}
	}
	return out
}

// newID draws ids until one is free; a source that keeps returning taken ids is an internal
// error rather than a hang.
func (s *Store) newID(taken func(string) bool) (string, error) {
	const attempts = 1000
	for range attempts {
		id := s.opts.NewID()
		if id != "" && len(id) <= maxID && !taken(id) {
			return id, nil
		}
	}
	return "", fail(spec.StatusInternalError, ErrInternal, "the id source gave no free id in %d attempts", attempts)
}
