package bayeux

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Test controls: fault injection for an application's tests (a mock server's "delay",
// "drop" and "fail" switches). All are safe for concurrent use. A match function gets a
// session snapshot, runs with no server lock held, and nil matches every session.

// deliveryRule drops or delays the next left deliveries to matching sessions.
type deliveryRule struct {
	match func(SessionInfo) bool
	left  atomic.Int64
	drop  bool
	delay time.Duration
}

// failRule fails the next message on channel (a name or pattern) of a matching session.
type failRule struct {
	match   func(SessionInfo) bool
	channel string
	err     string
	used    atomic.Bool
}

type faultTable struct {
	mu         sync.Mutex
	deliveries []*deliveryRule
	fails      []*failRule
	nDelivery  atomic.Int32 // fast paths: no rule, no snapshot
	nFail      atomic.Int32
}

func (f *faultTable) hasDeliveryRules() bool { return f.nDelivery.Load() > 0 }

func (f *faultTable) addDelivery(r *deliveryRule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliveries = append(f.deliveries, r)
	f.nDelivery.Store(int32(len(f.deliveries)))
}

// takeDelivery claims one use of the oldest delivery rule matching info.
func (f *faultTable) takeDelivery(info SessionInfo) (drop bool, delay time.Duration) {
	f.mu.Lock()
	rules := slices.Clone(f.deliveries)
	f.mu.Unlock()
	for _, r := range rules {
		if r.left.Load() <= 0 || (r.match != nil && !r.match(info)) {
			continue
		}
		if srvClaim(&r.left) {
			f.prune()
			return r.drop, r.delay
		}
	}
	return false, 0
}

func srvClaim(left *atomic.Int64) bool {
	for {
		n := left.Load()
		if n <= 0 {
			return false
		}
		if left.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// takeFail claims the oldest unused fail rule for channel that matches the session.
// info is only called when a rule names the channel.
func (f *faultTable) takeFail(channel string, info func() SessionInfo) (string, bool) {
	if f.nFail.Load() == 0 {
		return "", false
	}
	f.mu.Lock()
	rules := slices.Clone(f.fails)
	f.mu.Unlock()
	var si *SessionInfo
	for _, r := range rules {
		if r.used.Load() || !Match(r.channel, channel) {
			continue
		}
		if r.match != nil {
			if si == nil {
				v := info()
				si = &v
			}
			if !r.match(*si) {
				continue
			}
		}
		if r.used.CompareAndSwap(false, true) {
			f.prune()
			return r.err, true
		}
	}
	return "", false
}

// prune forgets used-up rules.
func (f *faultTable) prune() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliveries = slices.DeleteFunc(f.deliveries, func(r *deliveryRule) bool { return r.left.Load() <= 0 })
	f.fails = slices.DeleteFunc(f.fails, func(r *failRule) bool { return r.used.Load() })
	f.nDelivery.Store(int32(len(f.deliveries)))
	f.nFail.Store(int32(len(f.fails)))
}

// DelayNextDeliveries delays the next n events queued for matching sessions by d (n
// counts event×session deliveries). A delayed event also holds back the events queued
// behind it for that session, so order is kept, as on a slow network.
func (s *Server) DelayNextDeliveries(match func(SessionInfo) bool, n int, d time.Duration) {
	if n <= 0 || d <= 0 {
		return
	}
	r := &deliveryRule{match: match, delay: d}
	r.left.Store(int64(n))
	s.faults.addDelivery(r)
}

// DropNextDeliveries silently discards the next n events for matching sessions (n counts
// event×session deliveries). Publish does not count them as delivered.
func (s *Server) DropNextDeliveries(match func(SessionInfo) bool, n int) {
	if n <= 0 {
		return
	}
	r := &deliveryRule{match: match, drop: true}
	r.left.Store(int64(n))
	s.faults.addDelivery(r)
}

// FailNext answers the next message on channel (a channel name or a pattern such as
// "/meta/*") of a matching session with successful:false and errString, e.g.
// "402::Unknown client" (empty: "500::injected_failure"). Calls add up: each fails one
// message.
//
// For "/meta/handshake" the SessionInfo passed to match is the session about to be
// created (no ID yet; Principal from Authenticate, Browser, RemoteAddr, UserAgent,
// HandshakeExt), so a handshake can be failed per user. Advice is sent as a client needs
// it: a 402 asks for a new handshake (the session is kept and expires later); a failed
// handshake is retried (403: not); a failed connect is retried after the interval.
func (s *Server) FailNext(match func(SessionInfo) bool, channel, errString string) {
	if errString == "" {
		errString = "500::injected_failure"
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.fails = append(s.faults.fails, &failRule{match: match, channel: channel, err: errString})
	s.faults.nFail.Store(int32(len(s.faults.fails)))
}

// ClearFaults forgets every pending DelayNextDeliveries, DropNextDeliveries and FailNext
// (events already delayed stay delayed).
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.deliveries, s.faults.fails = nil, nil
	s.faults.nDelivery.Store(0)
	s.faults.nFail.Store(0)
}
