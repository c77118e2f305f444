package bayeux

import (
	"cmp"
	"crypto/rand"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bayeux error strings sent by the server. The codes follow CometD (bayeux-cometd.md
// §1.10); clients should match on the three-digit code only.
const (
	srvErrUnknownClient       = "402::Unknown client" // CometD 3.x, the version GWS runs
	srvErrHandshakeDenied     = "403::Handshake denied"
	srvErrChannelMissing      = "400::channel_missing"
	srvErrChannelInvalid      = "405::channel_invalid"
	srvErrSubscriptionMissing = "403::subscription_missing"
	srvErrSubscriptionInvalid = "403::subscription_invalid"
	srvErrVersionMissing      = "400::version_missing"
	srvErrConnectionType      = "400::connection_type_unsupported"
	srvErrDataMissing         = "400::data_missing"
	srvErrShuttingDown        = "503::server_shutting_down"
	srvErrMultipleClients     = "409::multiple_clients"
	srvErrTooManySessions     = "503::too_many_sessions"
)

// srvTooManySessionsRetry is the interval advised with srvErrTooManySessions: sessions
// lapse after maxInterval (10 s by default), so asking again much sooner is pointless.
const srvTooManySessionsRetry = 5 * time.Second

// batch is the state of one HTTP request's messages.
type srvBatch struct {
	replies []*Message
	sess    *serverSession // the client whose queued events ride in this reply
	connect *heldConnect   // the /meta/connect to hold, if any
	// others are the sessions of further connects, answered with the held one's reply.
	others []*serverSession

	// r is the request, for Options.Identify; who and whoErr are its answer, asked once
	// (identified) per request.
	r             *http.Request
	identified    bool
	who           string
	whoErr        error
	refusedLogged bool

	// infos are the snapshots the subscribe hook gets, one per session and request: a
	// batch of N subscribes then costs one snapshot, not N (each would sort all the
	// session's subscriptions, O(N² log N) for the batch).
	infos map[*serverSession]*SessionInfo
}

// info is the snapshot of sess for the hooks of this request, taken when first needed.
func (b *srvBatch) info(sess *serverSession) SessionInfo {
	if si, ok := b.infos[sess]; ok {
		return *si
	}
	si := sess.info()
	if b.infos == nil {
		b.infos = map[*serverSession]*SessionInfo{}
	}
	b.infos[sess] = &si
	return si
}

// owns reports whether the batch's request may act on sess: always without
// Options.Identify, else when the request authenticates as the session's principal.
func (s *Server) owns(b *srvBatch, sess *serverSession) bool {
	identify := s.opts.Identify
	if identify == nil {
		return true
	}
	if !b.identified {
		b.identified = true
		b.who, b.whoErr = identify(b.r)
	}
	if b.whoErr != nil || b.who != sess.principal {
		if !b.refusedLogged { // once per request: a batch may carry thousands
			b.refusedLogged = true
			s.log.Info("bayeux: message for a session of another principal answered as unknown client",
				"session", sess.id, "err", b.whoErr, "remote", b.r.RemoteAddr)
		}
		return false
	}
	return true
}

type heldConnect struct {
	sess    *serverSession
	reply   *Message // already in replies; filled in when the connect ends
	timeout *int64   // advice.timeout sent by the client, in ms
	// disconnected: a disconnect later in the same batch removed sess, which releases
	// this connect as it would a held one.
	disconnected bool
}

func srvBool(b bool) *bool    { return &b }
func srvInt64(v int64) *int64 { return &v }

func srvFailReply(m *Message, err string) *Message {
	return srvReply(m, &Message{Channel: m.Channel, Subscription: m.Subscription, Successful: srvBool(false), Error: err})
}

// srvReply gives reply the id of the request m, in its form (string or number).
func srvReply(m, reply *Message) *Message {
	reply.CopyID(m)
	return reply
}

func srvUnknownClient(m *Message) *Message {
	r := srvFailReply(m, srvErrUnknownClient)
	r.Advice = &Advice{Reconnect: ReconnectHandshake, Interval: srvInt64(0)}
	return r
}

// srvErrArg makes text fit the ARGS part of "CODE:ARGS:MESSAGE".
func srvErrArg(s string) string {
	return strings.NewReplacer(":", " ", ",", " ", "\n", " ").Replace(s)
}

func (s *Server) lookup(id string) *serverSession {
	if id == "" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[id]
}

// serveBatch handles the messages of one request in order and answers them in one array.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request, msgs []Message) {
	for i := range msgs {
		if msgs[i].Channel == MetaHandshake {
			s.serveHandshake(w, r, msgs, i)
			return
		}
	}
	b := &srvBatch{r: r}
	for i := range msgs {
		b.replies = append(b.replies, s.handle(b, &msgs[i]))
	}
	if b.connect != nil {
		s.hold(w, r, b)
		// The other connects ended with that reply: their sessions' expiry counts from now.
		now := s.clock.Now()
		for _, sess := range b.others {
			sess.mu.Lock()
			sess.idleSince = now
			sess.mu.Unlock()
		}
		return
	}
	s.write(w, append(b.replies, s.piggyback(b.sess)...), b.sess)
}

// serveHandshake answers the handshake at msgs[i] alone: the spec says other messages
// sent with a handshake are ignored.
func (s *Server) serveHandshake(w http.ResponseWriter, r *http.Request, msgs []Message, i int) {
	reply, sess := s.handshake(w, r, &msgs[i])
	for j := range msgs {
		if j == i {
			s.journal(ToServer, sess, &msgs[j])
		} else {
			s.journal(ToServer, nil, &msgs[j])
		}
	}
	if len(msgs) > 1 {
		s.log.Debug("bayeux: ignored messages sent with a handshake", "count", len(msgs)-1)
	}
	s.write(w, []*Message{reply}, sess)
}

func (s *Server) handshake(w http.ResponseWriter, r *http.Request, m *Message) (*Message, *serverSession) {
	reply := srvReply(m, &Message{
		Channel: MetaHandshake, Version: Version, MinimumVersion: Version,
		SupportedConnectionTypes: []string{ConnectionTypeLongPolling},
	})
	fail := func(err, reconnect string) (*Message, *serverSession) {
		reply.Successful, reply.Error = srvBool(false), err
		reply.Advice = &Advice{Reconnect: reconnect, Interval: srvInt64(0)}
		s.log.Info("bayeux: handshake refused", "error", err, "remote", r.RemoteAddr)
		return reply, nil
	}
	switch {
	case m.Version == "":
		return fail(srvErrVersionMissing, ReconnectNone)
	case !srvVersionSupported(m.Version, m.MinimumVersion):
		return fail("400:"+srvErrArg(m.Version)+":version_unsupported", ReconnectNone)
	case !slices.Contains(m.SupportedConnectionTypes, ConnectionTypeLongPolling):
		return fail(srvErrConnectionType, ReconnectNone)
	}
	var principal string
	if auth := s.opts.Authenticate; auth != nil {
		p, err := auth(r, m)
		if err != nil {
			s.log.Info("bayeux: handshake denied", "err", err)
			return fail(srvErrHandshakeDenied, ReconnectNone)
		}
		principal = p
	}
	now := s.clock.Now()
	sess := &serverSession{
		principal: principal, handshakeExt: m.Ext, created: now, idleSince: now,
		remoteAddr: r.RemoteAddr, userAgent: r.UserAgent(), subs: map[string]struct{}{},
	}
	newBrowser := false
	if c, err := r.Cookie(s.opts.BrowserCookieName); err == nil && c.Value != "" {
		sess.browser = c.Value
	} else {
		sess.browser, newBrowser = rand.Text(), true
	}
	if e, ok := s.faults.takeFail(MetaHandshake, sess.info); ok {
		return fail(e, adviceForFailure(MetaHandshake, e, 0).Reconnect)
	}
	sess.id = rand.Text() // 26 base32 characters: 130 random bits
	s.mu.Lock()
	if !s.makeRoomLocked(principal) {
		s.mu.Unlock()
		reply.Successful, reply.Error = srvBool(false), srvErrTooManySessions
		reply.Advice = &Advice{Reconnect: ReconnectHandshake, Interval: srvInt64(srvTooManySessionsRetry.Milliseconds())}
		s.log.Warn("bayeux: handshake refused: too many sessions", "principal", principal, "max", s.opts.MaxSessions)
		return reply, nil
	}
	s.sessions[sess.id] = sess
	own := s.byPrincipal[principal]
	if own == nil {
		own = map[*serverSession]struct{}{}
		s.byPrincipal[principal] = own
	}
	own[sess] = struct{}{}
	s.armSweeperLocked()
	s.mu.Unlock()
	if newBrowser {
		http.SetCookie(w, &http.Cookie{Name: s.opts.BrowserCookieName, Value: sess.browser, Path: "/", HttpOnly: true})
	}
	t := s.timings.Load()
	reply.ClientID, reply.Successful = sess.id, srvBool(true)
	reply.Advice = &Advice{Reconnect: ReconnectRetry, Interval: srvInt64(t.interval.Milliseconds()), Timeout: srvInt64(t.timeout.Milliseconds())}
	s.log.Info("bayeux: session created", "session", sess.id, "principal", principal)
	return reply, sess
}

// srvVersionSupported compares Bayeux versions element by element: the client's version must
// be 1.x or later and its minimumVersion, if any, must not be above ours.
func srvVersionSupported(version, minimum string) bool {
	if !srvValidVersion(version) || srvCompareVersions(version, "1") < 0 {
		return false
	}
	if minimum == "" {
		return true
	}
	return srvValidVersion(minimum) && srvCompareVersions(minimum, Version) <= 0
}

func srvValidVersion(v string) bool {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return false
	}
	for _, e := range strings.Split(v, ".") {
		if e == "" {
			return false
		}
	}
	return true
}

// srvCompareVersions compares dotted versions; numeric elements numerically, others as text;
// missing elements count as 0 ("1" == "1.0").
func srvCompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xn, xerr := strconv.ParseUint(x, 10, 64)
		yn, yerr := strconv.ParseUint(y, 10, 64)
		var c int
		if xerr == nil && yerr == nil {
			c = cmp.Compare(xn, yn)
		} else {
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// adviceForFailure is the advice sent with an injected failure (FailNext): a 402 asks for
// a new handshake, a failed handshake is retried unless it is a 403, and a failed connect
// is retried after the interval.
func adviceForFailure(channel, err string, interval time.Duration) *Advice {
	code := err
	if len(code) > 3 {
		code = code[:3]
	}
	switch {
	case code == "402":
		return &Advice{Reconnect: ReconnectHandshake, Interval: srvInt64(0)}
	case channel == MetaHandshake && code == "403":
		return &Advice{Reconnect: ReconnectNone}
	case channel == MetaHandshake:
		return &Advice{Reconnect: ReconnectHandshake, Interval: srvInt64(0)}
	case channel == MetaConnect:
		return &Advice{Reconnect: ReconnectRetry, Interval: srvInt64(interval.Milliseconds())}
	}
	return nil
}

// handle answers one non-handshake message. A connect's reply is completed later by hold.
func (s *Server) handle(b *srvBatch, m *Message) *Message {
	sess := s.lookup(m.ClientID)
	if sess != nil && !s.owns(b, sess) {
		// Not this request's session: answered, and journaled, as an unknown clientId, so
		// the reply tells nothing about the session and nothing of it is touched.
		sess = nil
	}
	s.journal(ToServer, sess, m)
	switch {
	case m.Channel == "":
		return srvFailReply(m, srvErrChannelMissing)
	case !ValidChannel(m.Channel):
		return srvFailReply(m, srvErrChannelInvalid)
	case IsMeta(m.Channel) && m.Channel != MetaConnect && m.Channel != MetaSubscribe &&
		m.Channel != MetaUnsubscribe && m.Channel != MetaDisconnect:
		return srvFailReply(m, "405:"+m.Channel+":channel_invalid")
	case sess == nil:
		return srvUnknownClient(m)
	}
	if b.sess == nil {
		b.sess = sess
	}
	if e, ok := s.faults.takeFail(m.Channel, sess.info); ok {
		r := srvFailReply(m, e)
		r.Advice = adviceForFailure(m.Channel, e, s.timings.Load().interval)
		return r
	}
	switch m.Channel {
	case MetaConnect:
		reply := srvReply(m, &Message{Channel: MetaConnect})
		if b.connect != nil {
			// One connect per request can be held; a second one is not held but answered
			// with the batch's reply, and is a connect of its session all the same.
			now := s.clock.Now()
			sess.mu.Lock()
			sess.lastConnect, sess.idleSince = now, now
			sess.mu.Unlock()
			b.others = append(b.others, sess)
			srvSetConnected(reply, s.timings.Load())
			return reply
		}
		hc := &heldConnect{sess: sess, reply: reply}
		if m.Advice != nil {
			hc.timeout = m.Advice.Timeout
		}
		b.connect = hc
		return reply
	case MetaSubscribe, MetaUnsubscribe:
		return s.subscribe(b, sess, m)
	case MetaDisconnect:
		if b.connect != nil && b.connect.sess == sess {
			b.connect.disconnected = true
		}
		s.removeSession(sess, releaseDisconnect)
		s.log.Info("bayeux: session disconnected", "session", sess.id)
		return srvReply(m, &Message{Channel: MetaDisconnect, Successful: srvBool(true)})
	}
	return s.publish(sess, m)
}

func srvSetConnected(reply *Message, t *serverTimings) {
	reply.Successful, reply.Error = srvBool(true), ""
	reply.Advice = &Advice{Reconnect: ReconnectRetry, Interval: srvInt64(t.interval.Milliseconds()), Timeout: srvInt64(t.timeout.Milliseconds())}
}

func srvSetUnknownClient(reply *Message) {
	r := srvUnknownClient(reply)
	reply.Successful, reply.Error, reply.Advice = r.Successful, r.Error, r.Advice
}

// subscribe handles /meta/subscribe and /meta/unsubscribe. All channels of the request
// are checked before any is recorded: it applies entirely or not at all.
func (s *Server) subscribe(b *srvBatch, sess *serverSession, m *Message) *Message {
	chs := m.Subscription.Channels
	if len(chs) == 0 {
		return srvFailReply(m, srvErrSubscriptionMissing)
	}
	for _, c := range chs {
		if !ValidChannel(c) {
			return srvFailReply(m, srvErrSubscriptionInvalid)
		}
	}
	sub := m.Channel == MetaSubscribe
	if sub {
		for _, c := range chs {
			if IsMeta(c) {
				return srvFailReply(m, "403:"+c+",meta_channel:subscribe_denied")
			}
		}
		if hook := s.opts.AuthorizeSubscribe; hook != nil {
			info := b.info(sess)
			for _, c := range chs {
				if IsService(c) {
					continue
				}
				ic := info
				if err := hook(&ic, c); err != nil {
					return srvFailReply(m, "403:"+c+","+srvErrArg(err.Error())+":subscribe_denied")
				}
			}
		}
	}
	s.mu.Lock()
	sess.mu.Lock()
	if sess.removed {
		sess.mu.Unlock()
		s.mu.Unlock()
		return srvUnknownClient(m)
	}
	sess.viewOK = false
	for _, c := range chs {
		switch {
		case IsService(c):
			// Not recorded (Bayeux §1.4): /service/** goes to the server only.
		case sub:
			sess.subs[c] = struct{}{}
			s.subs.add(c, sess)
		default:
			delete(sess.subs, c)
			s.subs.remove(c, sess)
		}
	}
	sess.mu.Unlock()
	s.mu.Unlock()
	return srvReply(m, &Message{Channel: m.Channel, Subscription: m.Subscription, Successful: srvBool(true)})
}

// publish handles a client's publish: checked, authorized, then delivered to the
// subscribers (the publisher included, as CometD's broadcastToPublisher) unless it is on
// /service/**, which only the server sees (through OnMessage).
func (s *Server) publish(sess *serverSession, m *Message) *Message {
	switch {
	case IsWildcard(m.Channel):
		return srvFailReply(m, "405:"+m.Channel+":channel_invalid")
	case len(m.Data) == 0:
		return srvFailReply(m, srvErrDataMissing)
	}
	if hook := s.opts.AuthorizePublish; hook != nil {
		info := sess.info()
		if err := hook(&info, m.Channel, m.Data); err != nil {
			return srvFailReply(m, "403:"+m.Channel+","+srvErrArg(err.Error())+":publish_denied")
		}
	}
	if !IsService(m.Channel) {
		// The publisher's clientId and id are not copied: the event is the server's now.
		s.fanOut(&Message{Channel: m.Channel, Data: m.Data}, nil)
	}
	return srvReply(m, &Message{Channel: m.Channel, Successful: srvBool(true)})
}

// piggyback takes the events of sess that are ready, for a reply that is not a connect.
func (s *Server) piggyback(sess *serverSession) []*Message {
	if sess == nil {
		return nil
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.removed {
		return nil
	}
	evs, _ := sess.takeReadyLocked(s.clock.Now())
	return evs
}

// hold completes the batch's connect: at once if events are ready, the client asked for
// timeout 0, another session of the same browser holds a connect (multiple-clients), or
// the server is shutting down; otherwise when an event arrives, the timeout runs out,
// something releases it, or the client goes away (then nothing is written).
func (s *Server) hold(w http.ResponseWriter, r *http.Request, b *srvBatch) {
	hc := b.connect
	sess, reply := hc.sess, hc.reply
	t := s.timings.Load()
	timeout := t.timeout
	if hc.timeout != nil && *hc.timeout >= 0 {
		timeout = min(timeout, time.Duration(*hc.timeout)*time.Millisecond)
	}

	// The browser slot is taken first so that a connect seen as held owns its slot.
	browser, slot := "", true
	if limit := s.opts.MaxSessionsPerBrowser; limit > 0 {
		if c, err := r.Cookie(s.opts.BrowserCookieName); err == nil && c.Value != "" {
			browser = c.Value
			slot = s.browsers.acquire(browser, sess.id, limit)
		}
	}
	releaseSlot := func() {
		if browser != "" && slot {
			s.browsers.release(browser, sess.id)
			slot = false
		}
	}
	defer releaseSlot()

	now := s.clock.Now()
	p := newHeldPoll()
	sess.mu.Lock()
	if sess.removed {
		sess.mu.Unlock()
		releaseSlot()
		if hc.disconnected {
			s.answerReleased(w, b, releaseDisconnect)
			return
		}
		srvSetUnknownClient(reply)
		s.write(w, b.replies, sess)
		return
	}
	sess.lastConnect = now
	sess.releaseLocked(releaseReplaced)
	evs, next := sess.takeReadyLocked(now)
	shutting := s.shutting.Load()
	if shutting || len(evs) > 0 || timeout <= 0 || !slot {
		sess.idleSince = now
		sess.mu.Unlock()
		releaseSlot()
		switch {
		case shutting:
			reply.Successful, reply.Error = srvBool(false), srvErrShuttingDown
			reply.Advice = &Advice{Reconnect: ReconnectRetry, Interval: srvInt64(t.interval.Milliseconds())}
		case len(evs) > 0 || timeout <= 0:
			srvSetConnected(reply, t)
		default:
			s.setMultipleClients(reply, t)
		}
		s.write(w, append(b.replies, evs...), sess)
		return
	}
	sess.poll = p
	// Under the lock, so that a connect seen as held is tracked by Shutdown and has its
	// timers on the clock.
	s.holds.add()
	defer s.holds.done()
	// The timers only wake the poll; whether it has timed out is read from the clock.
	deadline := now.Add(timeout)
	tm := s.clock.AfterFunc(timeout, p.signal)
	defer tm.Stop()
	var delay Timer // armed while the head of the queue is a delayed event
	var delayFor time.Time
	defer func() {
		if delay != nil {
			delay.Stop()
		}
	}()
	for {
		if !next.IsZero() && !next.Equal(delayFor) {
			if delay != nil {
				delay.Stop()
			}
			delayFor = next
			delay = s.clock.AfterFunc(next.Sub(now), p.signal)
		}
		sess.mu.Unlock()
		select {
		case <-p.wake:
		case <-r.Context().Done():
			// The client went away: keep the events for its next connect.
			s.detach(sess, p)
			return
		}
		now = s.clock.Now()
		sess.mu.Lock()
		if sess.poll != p {
			reason := p.reason
			sess.mu.Unlock()
			releaseSlot()
			s.answerReleased(w, b, reason)
			return
		}
		evs, next = sess.takeReadyLocked(now)
		if len(evs) > 0 || !now.Before(deadline) {
			break
		}
	}
	sess.poll, sess.idleSince = nil, now
	sess.mu.Unlock()
	releaseSlot()
	srvSetConnected(reply, s.timings.Load())
	s.write(w, append(b.replies, evs...), sess)
}

// detach ends poll p if it is still the session's held connect.
func (s *Server) detach(sess *serverSession, p *heldPoll) {
	now := s.clock.Now()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.poll == p {
		sess.poll, sess.idleSince = nil, now
	}
}

func (s *Server) setMultipleClients(reply *Message, t *serverTimings) {
	if msi := s.opts.MultiSessionInterval; msi > 0 {
		reply.Successful = srvBool(true)
		reply.Advice = &Advice{Reconnect: ReconnectRetry, Interval: srvInt64(msi.Milliseconds()), Timeout: srvInt64(t.timeout.Milliseconds()), MultipleClients: true}
		return
	}
	reply.Successful, reply.Error = srvBool(false), srvErrMultipleClients
	reply.Advice = &Advice{Reconnect: ReconnectNone, MultipleClients: true}
}

// answerReleased answers a held connect that another goroutine released for reason.
func (s *Server) answerReleased(w http.ResponseWriter, b *srvBatch, reason releaseReason) {
	reply, sess := b.connect.reply, b.connect.sess
	switch reason {
	case releaseReplaced:
		// As CometD (duplicateMetaConnectHttpResponseCode): the client has already moved
		// on to its newer connect, which will carry the events.
		s.log.Debug("bayeux: held connect replaced by a newer one", "session", sess.id)
		http.Error(w, "bayeux: /meta/connect replaced by a newer /meta/connect of the same client", http.StatusInternalServerError)
	case releaseDisconnect:
		reply.Successful = srvBool(true)
		reply.Advice = &Advice{Reconnect: ReconnectNone}
		s.write(w, b.replies, sess)
	case releaseExpired:
		srvSetUnknownClient(reply)
		s.write(w, b.replies, sess)
	case releaseShutdown:
		now := s.clock.Now()
		sess.mu.Lock()
		var evs []*Message
		if !sess.removed {
			evs, _ = sess.takeReadyLocked(now)
		}
		sess.idleSince = now
		sess.mu.Unlock()
		srvSetConnected(reply, s.timings.Load())
		s.write(w, append(b.replies, evs...), sess)
	}
}
