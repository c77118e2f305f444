package bayeux

import (
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// SessionInfo is a snapshot of one client session. Hooks and match functions receive
// copies: changing one changes nothing on the server.
type SessionInfo struct {
	ID        string // the clientId
	Principal string // what Options.Authenticate returned at handshake
	Browser   string // the BAYEUX_BROWSER cookie value the handshake came with or was given
	// Subscriptions are the recorded channels and patterns, sorted (never /service/**).
	// In the snapshots given to hooks and match functions the slice is shared with other
	// snapshots (it is built once per change, not per snapshot): read it, do not modify
	// it. Server.Session and Server.Sessions return a copy of their own.
	Subscriptions []string
	HandshakeExt  json.RawMessage // the handshake's ext, as sent
	RemoteAddr    string          // of the handshake request
	UserAgent     string          // of the handshake request
	Created       time.Time
	LastConnect   time.Time // arrival of the last /meta/connect; zero before the first
	// ConnectHeld reports a /meta/connect being held right now.
	ConnectHeld bool
	// IdleSince is when the last connect reply ended (or the handshake, before any
	// connect); expiry counts from it. Meaningless while ConnectHeld.
	IdleSince time.Time
	QueueLen  int    // events waiting for delivery
	Dropped   uint64 // events dropped because the queue was full (Options.MaxQueue)
}

// Subscribed reports whether the session would receive an event on channel.
func (si *SessionInfo) Subscribed(channel string) bool {
	for _, p := range si.Subscriptions {
		if Match(p, channel) {
			return true
		}
	}
	return false
}

// releaseReason says why a held connect was ended by someone other than itself.
type releaseReason int

const (
	releaseReplaced   releaseReason = iota + 1 // a newer connect of the same client
	releaseDisconnect                          // /meta/disconnect
	releaseExpired                             // the session was removed (expiry, test control)
	releaseShutdown                            // Server.Shutdown
)

// heldPoll is one held /meta/connect. wake gets a token whenever the poll should look
// again: events were queued, one of its timers fired, or it was released (then the
// session's poll is no longer this one, and reason says why; both set under the
// session's lock). One channel keeps a held connect cheap.
type heldPoll struct {
	wake   chan struct{}
	reason releaseReason
}

func newHeldPoll() *heldPoll {
	return &heldPoll{wake: make(chan struct{}, 1)}
}

// signal gives p a token unless it has one.
func (p *heldPoll) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// queued is one event waiting in a session's queue. due is zero unless a test control
// delays it; a delayed event holds back the events behind it, so order is kept.
type queuedEvent struct {
	msg *Message
	due time.Time
}

// session is the server's state for one clientId. The immutable fields are set at
// handshake; the rest is guarded by mu. Lock order: Server.mu before session.mu.
type serverSession struct {
	id, principal, browser string
	handshakeExt           json.RawMessage
	remoteAddr, userAgent  string
	created                time.Time

	mu      sync.Mutex
	removed bool
	subs    map[string]struct{}
	// view is subs sorted, built when a snapshot needs it after subs changed (viewOK
	// false), and never modified after: snapshots share it.
	view        []string
	viewOK      bool
	queue       []queuedEvent
	dropped     uint64
	poll        *heldPoll // the held connect, if any
	lastConnect time.Time
	idleSince   time.Time
}

// info snapshots the session. Caller must not hold s.mu.
func (s *serverSession) info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.infoLocked()
}

func (s *serverSession) infoLocked() SessionInfo {
	if !s.viewOK {
		view := make([]string, 0, len(s.subs))
		for c := range s.subs {
			view = append(view, c)
		}
		slices.Sort(view)
		s.view, s.viewOK = view, true
	}
	return SessionInfo{
		ID: s.id, Principal: s.principal, Browser: s.browser, Subscriptions: s.view,
		HandshakeExt: s.handshakeExt, RemoteAddr: s.remoteAddr, UserAgent: s.userAgent,
		Created: s.created, LastConnect: s.lastConnect, ConnectHeld: s.poll != nil,
		IdleSince: s.idleSince, QueueLen: len(s.queue), Dropped: s.dropped,
	}
}

func (s *serverSession) subscribedLocked(channel string) bool {
	if _, ok := s.subs[channel]; ok {
		return true
	}
	for p := range s.subs {
		if Match(p, channel) {
			return true
		}
	}
	return false
}

// enqueueLocked appends an event, dropping the oldest when the queue holds maxQueue
// (maxQueue < 1: unbounded), and wakes the held connect. It reports how many were dropped.
func (s *serverSession) enqueueLocked(m *Message, due time.Time, maxQueue int) (dropped int) {
	for maxQueue > 0 && len(s.queue) >= maxQueue {
		s.queue[0] = queuedEvent{}
		s.queue = s.queue[1:]
		dropped++
	}
	s.dropped += uint64(dropped)
	s.queue = append(s.queue, queuedEvent{msg: m, due: due})
	if s.poll != nil {
		s.poll.signal()
	}
	return dropped
}

// takeReadyLocked removes and returns the events at the head of the queue that are due at
// now. next is the due time of the first event left behind (zero if none is delayed).
func (s *serverSession) takeReadyLocked(now time.Time) (evs []*Message, next time.Time) {
	n := 0
	for n < len(s.queue) && !s.queue[n].due.After(now) {
		n++
	}
	if n == 0 {
		if len(s.queue) > 0 {
			next = s.queue[0].due
		}
		return nil, next
	}
	evs = make([]*Message, n)
	for i := range n {
		evs[i] = s.queue[i].msg
	}
	if n == len(s.queue) {
		s.queue = nil
	} else {
		s.queue = slices.Clone(s.queue[n:])
		next = s.queue[0].due
	}
	return evs, next
}

// releaseLocked ends the held connect, if any, for reason.
func (s *serverSession) releaseLocked(reason releaseReason) {
	if s.poll == nil {
		return
	}
	s.poll.reason = reason
	s.poll.signal()
	s.poll = nil
}

// subIndex maps channels and patterns to the sessions subscribed to them. Plain channels
// and patterns are kept apart: a publish looks its channel up once, and walks only the
// patterns (usually a handful, shared by many sessions).
type subIndex struct {
	plain    map[string]map[*serverSession]struct{}
	patterns map[string]map[*serverSession]struct{}
}

func (x *subIndex) table(channel string) map[string]map[*serverSession]struct{} {
	if IsWildcard(channel) {
		return x.patterns
	}
	return x.plain
}

func (x *subIndex) add(channel string, sess *serverSession) {
	t := x.table(channel)
	set := t[channel]
	if set == nil {
		set = map[*serverSession]struct{}{}
		t[channel] = set
	}
	set[sess] = struct{}{}
}

func (x *subIndex) remove(channel string, sess *serverSession) {
	t := x.table(channel)
	if set := t[channel]; set != nil {
		delete(set, sess)
		if len(set) == 0 {
			delete(t, channel)
		}
	}
}

// subscribers returns each session subscribed to channel, directly or by a pattern, once.
func (x *subIndex) subscribers(channel string) []*serverSession {
	direct := x.plain[channel]
	var matched []map[*serverSession]struct{}
	n := len(direct)
	for p, set := range x.patterns {
		if Match(p, channel) {
			matched = append(matched, set)
			n += len(set)
		}
	}
	out := make([]*serverSession, 0, n)
	for sess := range direct {
		out = append(out, sess)
	}
	if len(matched) == 0 {
		return out
	}
	// A session may be subscribed both to the channel and to patterns that match it.
	seen := make(map[*serverSession]struct{}, n)
	for _, sess := range out {
		seen[sess] = struct{}{}
	}
	for _, set := range matched {
		for sess := range set {
			if _, dup := seen[sess]; !dup {
				seen[sess] = struct{}{}
				out = append(out, sess)
			}
		}
	}
	return out
}
