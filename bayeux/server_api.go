package bayeux

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// snapshot returns the current sessions, so they can be walked without Server.mu held.
func (s *Server) snapshot() []*serverSession {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*serverSession, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

// checkServerChannel accepts the channels server code may publish on: plain, not meta,
// not service (use Deliver to answer one client on /service/**).
func checkServerChannel(channel string) error {
	switch {
	case !ValidChannel(channel):
		return fmt.Errorf("%w: %q is malformed", ErrInvalidChannel, channel)
	case IsWildcard(channel):
		return fmt.Errorf("%w: %q is a pattern; patterns are for subscribing", ErrInvalidChannel, channel)
	case IsMeta(channel):
		return fmt.Errorf("%w: %q is a meta channel", ErrInvalidChannel, channel)
	}
	return nil
}

func srvMarshalData(data any) (json.RawMessage, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("bayeux: encoding event data: %w", err)
	}
	return raw, nil
}

// Publish queues an event on channel for every session subscribed to it, directly or by
// a pattern, and wakes their held connects. data is encoded with encoding/json (pass a
// json.RawMessage to send JSON as is). delivered counts the sessions it was queued for;
// events removed by DropNextDeliveries are not counted.
func (s *Server) Publish(channel string, data any) (delivered int, err error) {
	return s.PublishTo(nil, channel, data)
}

// PublishTo is Publish restricted to the sessions for which match returns true (nil: all).
// This is how an application keeps a channel private, e.g. by matching the principal.
func (s *Server) PublishTo(match func(SessionInfo) bool, channel string, data any) (int, error) {
	if err := checkServerChannel(channel); err != nil {
		return 0, err
	}
	if IsService(channel) {
		return 0, fmt.Errorf("%w: %q is a service channel; use Deliver", ErrInvalidChannel, channel)
	}
	raw, err := srvMarshalData(data)
	if err != nil {
		return 0, err
	}
	return s.fanOut(&Message{Channel: channel, Data: raw}, match), nil
}

// Deliver queues an event for one session whatever its subscriptions, e.g. the answer to
// a /service/** request. It fails with ErrUnknownSession if the session is gone.
func (s *Server) Deliver(sessionID, channel string, data any) error {
	if err := checkServerChannel(channel); err != nil {
		return err
	}
	raw, err := srvMarshalData(data)
	if err != nil {
		return err
	}
	sess := s.lookup(sessionID)
	if sess == nil || s.deliver(sess, &Message{Channel: channel, Data: raw}, nil, false) == 0 {
		return fmt.Errorf("%w: %q", ErrUnknownSession, sessionID)
	}
	return nil
}

// fanOut queues msg for every session subscribed to its channel and accepted by match.
func (s *Server) fanOut(msg *Message, match func(SessionInfo) bool) int {
	s.mu.RLock()
	list := s.subs.subscribers(msg.Channel)
	s.mu.RUnlock()
	n := 0
	for _, sess := range list {
		n += s.deliver(sess, msg, match, true)
	}
	return n
}

// deliver queues msg for sess (if subscribed, when needSub) and reports 1 if it did.
// User code (match, fault matches) runs with no lock held. The subscription is checked
// again here: the session may have unsubscribed since the index was read.
func (s *Server) deliver(sess *serverSession, msg *Message, match func(SessionInfo) bool, needSub bool) int {
	needInfo := match != nil || s.faults.hasDeliveryRules()
	if !needInfo {
		// The common case: one lock, no snapshot.
		sess.mu.Lock()
		if sess.removed || (needSub && !sess.subscribedLocked(msg.Channel)) {
			sess.mu.Unlock()
			return 0
		}
		dropped := sess.enqueueLocked(msg, time.Time{}, s.opts.MaxQueue)
		sess.mu.Unlock()
		s.countDropped(sess, dropped)
		return 1
	}
	var info SessionInfo
	sess.mu.Lock()
	if sess.removed || (needSub && !sess.subscribedLocked(msg.Channel)) {
		sess.mu.Unlock()
		return 0
	}
	if needInfo {
		info = sess.infoLocked()
	}
	sess.mu.Unlock()
	if match != nil && !match(info) {
		return 0
	}
	var due time.Time
	if needInfo {
		drop, delay := s.faults.takeDelivery(info)
		if drop {
			s.log.Info("bayeux: event dropped by test control", "session", sess.id, "channel", msg.Channel)
			return 0
		}
		if delay > 0 {
			due = s.clock.Now().Add(delay)
		}
	}
	sess.mu.Lock()
	if sess.removed {
		sess.mu.Unlock()
		return 0
	}
	dropped := sess.enqueueLocked(msg, due, s.opts.MaxQueue)
	sess.mu.Unlock()
	s.countDropped(sess, dropped)
	return 1
}

func (s *Server) countDropped(sess *serverSession, dropped int) {
	if dropped > 0 {
		s.dropped.Add(uint64(dropped))
		s.log.Warn("bayeux: queue full, oldest events dropped", "session", sess.id, "dropped", dropped)
	}
}

// Sessions returns a snapshot of every session, oldest first.
func (s *Server) Sessions() []SessionInfo {
	list := s.snapshot()
	out := make([]SessionInfo, 0, len(list))
	for _, sess := range list {
		si := sess.info()
		si.Subscriptions = slices.Clone(si.Subscriptions)
		out = append(out, si)
	}
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Session returns a snapshot of one session.
func (s *Server) Session(id string) (SessionInfo, bool) {
	sess := s.lookup(id)
	if sess == nil {
		return SessionInfo{}, false
	}
	si := sess.info()
	si.Subscriptions = slices.Clone(si.Subscriptions)
	return si, true
}

// removeSession forgets sess and ends its held connect for reason. It reports whether
// sess was still there.
func (s *Server) removeSession(sess *serverSession, reason releaseReason) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[sess.id] != sess {
		return false
	}
	delete(s.sessions, sess.id)
	sess.mu.Lock()
	s.dropLocked(sess, reason)
	sess.mu.Unlock()
	return true
}

// dropLocked marks a removed session, takes it out of the subscription index and frees
// what it holds. Caller holds s.mu and sess.mu.
func (s *Server) dropLocked(sess *serverSession, reason releaseReason) {
	for c := range sess.subs {
		s.subs.remove(c, sess)
	}
	if own := s.byPrincipal[sess.principal]; own != nil {
		delete(own, sess)
		if len(own) == 0 {
			delete(s.byPrincipal, sess.principal)
		}
	}
	sess.removed = true
	sess.releaseLocked(reason)
	sess.queue = nil
	sess.subs, sess.view, sess.viewOK = nil, nil, false
}

// ExpireSession removes a session now, as if it had expired: a held connect is answered
// with 402 and advice reconnect:"handshake", and later messages get 402.
func (s *Server) ExpireSession(id string) bool {
	sess := s.lookup(id)
	if sess == nil {
		return false
	}
	ok := s.removeSession(sess, releaseExpired)
	if ok {
		s.log.Info("bayeux: session expired by request", "session", id)
	}
	return ok
}

// ExpireSessionsWhere expires every session for which match returns true (nil: all) and
// returns how many it removed.
func (s *Server) ExpireSessionsWhere(match func(SessionInfo) bool) int {
	n := 0
	for _, sess := range s.snapshot() {
		if match != nil && !match(sess.info()) {
			continue
		}
		if s.removeSession(sess, releaseExpired) {
			n++
		}
	}
	return n
}

// armSweeperLocked schedules a sweep if sessions exist and none is scheduled. Caller
// holds s.mu. No timer is left behind once the last session is gone.
func (s *Server) armSweeperLocked() {
	if s.sweeper == nil && len(s.sessions) > 0 && !s.shutting.Load() {
		s.sweeper = s.clock.AfterFunc(s.opts.SweepPeriod, s.sweep)
	}
}

// sweep removes the sessions that hold no connect and have been idle longer than
// interval+maxInterval (CometD adds the interval too: the client waits that long anyway).
//
// It looks at the sessions without the server's lock and takes that lock only to remove
// the stale ones: waiting for a busy session's lock while holding the server's write lock
// would stall every request (each one looks its session up) for as long as that wait.
func (s *Server) sweep() {
	now := s.clock.Now()
	t := s.timings.Load()
	limit := t.interval + t.maxInterval
	stale := func(sess *serverSession) bool { return sess.poll == nil && now.Sub(sess.idleSince) > limit }
	var candidates []*serverSession
	for _, sess := range s.snapshot() {
		sess.mu.Lock()
		if stale(sess) {
			candidates = append(candidates, sess)
		}
		sess.mu.Unlock()
	}
	var expired []string
	s.mu.Lock()
	s.sweeper = nil
	for _, sess := range candidates {
		if s.sessions[sess.id] != sess {
			continue
		}
		sess.mu.Lock()
		if stale(sess) { // it may have connected since
			s.dropLocked(sess, releaseExpired)
			delete(s.sessions, sess.id)
			expired = append(expired, sess.id)
		}
		sess.mu.Unlock()
	}
	s.armSweeperLocked()
	s.mu.Unlock()
	for _, id := range expired {
		s.log.Info("bayeux: session expired", "session", id)
	}
}

// Shutdown stops the server gracefully: every held connect is answered at once with
// advice reconnect:"retry" (so clients come back to a restarted server, where they get
// 402 and handshake again), and later connects are refused at once with
// "503::server_shutting_down" (advice retry: clients back off). Other messages are still
// handled until the HTTP server stops. Shutdown returns when every held connect has been
// answered, or with ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutting.Store(true)
	s.mu.Lock()
	if s.sweeper != nil {
		s.sweeper.Stop()
		s.sweeper = nil
	}
	s.mu.Unlock()
	for _, sess := range s.snapshot() {
		sess.mu.Lock()
		sess.releaseLocked(releaseShutdown)
		sess.mu.Unlock()
	}
	return s.holds.wait(ctx)
}

// makeRoomLocked makes room for a new session of principal under the caps: past his own
// cap, or past the global one, his least recently active session is removed; past the
// global cap with none of his own it reports false. Caller holds s.mu.
func (s *Server) makeRoomLocked(principal string) bool {
	own := s.byPrincipal[principal]
	if limit := s.opts.MaxSessionsPerPrincipal; limit > 0 && len(own) >= limit {
		s.evictLocked(leastRecentlyActive(own))
	}
	if limit := s.opts.MaxSessions; limit > 0 && len(s.sessions) >= limit {
		if len(own) == 0 {
			return false
		}
		s.evictLocked(leastRecentlyActive(own))
	}
	return true
}

// evictLocked removes sess to make room, as an expiry. Caller holds s.mu.
func (s *Server) evictLocked(sess *serverSession) {
	delete(s.sessions, sess.id)
	sess.mu.Lock()
	s.dropLocked(sess, releaseExpired)
	sess.mu.Unlock()
	s.log.Info("bayeux: session removed to make room for a newer one of the same principal", "session", sess.id, "principal", sess.principal)
}

// leastRecentlyActive picks, among sessions, the one holding no connect that has been idle
// longest, or if all hold one, the oldest. Caller holds s.mu (not the sessions' locks).
func leastRecentlyActive(sessions map[*serverSession]struct{}) *serverSession {
	var pick *serverSession
	var pickIdle bool
	var pickTime time.Time
	for sess := range sessions {
		sess.mu.Lock()
		idle, at := sess.poll == nil, sess.idleSince
		sess.mu.Unlock()
		if !idle {
			at = sess.created
		}
		if pick == nil || (idle && !pickIdle) || (idle == pickIdle && at.Before(pickTime)) {
			pick, pickIdle, pickTime = sess, idle, at
		}
	}
	return pick
}
