package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// bayeuxSpecs: the Bayeux behaviour of the target's CometD endpoint, through raw
// exchanges (bayeux.Client.SendAsIs) recorded for the failure output. GWS runs CometD 3
// (confirmed), so its error codes (402::Unknown client) are checked in every mode.
func bayeuxSpecs() []specDef {
	b := feats(FeatureBayeux)
	const v = "Bayeux " + spec.CometDPath
	// The specs that hold a connect are Serial: any event of the agent (another spec's
	// pull, in a parallel run) would release it, and events go to every session of a user.
	return []specDef{
		{id: "bayeux.handshake", text: "a handshake of an authenticated session: successful, clientId, version, long-polling, id echoed", features: b, variant: v, body: bayeuxHandshake},
		{id: "bayeux.handshake-negotiation", text: "a handshake offering no common connection type fails", features: b, variant: v, body: bayeuxNegotiation},
		{id: "bayeux.handshake-unauthenticated", text: "a handshake without session or credentials is denied", features: b, variant: v, body: bayeuxUnauthenticated},
		{id: "bayeux.first-connect", text: "the first connect (advice.timeout 0) is answered at once", features: b, variant: v, body: bayeuxFirstConnect},
		{id: "bayeux.held-connect", text: "a connect is held while nothing happens and released by an event", features: b, variant: v, serial: true, needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: bayeuxHeldConnect},
		{id: "bayeux.unknown-client", text: "a connect of an unknown client gets 402 with reconnect handshake", features: b, variant: v, body: bayeuxUnknownClient},
		{id: "bayeux.disconnect", text: "a disconnect succeeds, releases the held connect, and the client is unknown afterwards", features: b, variant: v, serial: true, body: bayeuxDisconnect},
		{id: "bayeux.rehandshake", text: "after a 402 a new handshake gets a new session that receives events", features: b, variant: v, serial: true, needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: bayeuxRehandshake},
	}
}

// rawBayeuxSession drives a Bayeux session message by message.
type rawBayeuxSession struct {
	t    *T
	c    *bayeux.Client
	l    *Listener
	id   string
	next int
}

func newRawBayeux(t *T, sess *Session) *rawBayeuxSession {
	c, l := t.rawBayeux(sess)
	return &rawBayeuxSession{t: t, c: c, l: l}
}

func (r *rawBayeuxSession) msgID() string {
	r.next++
	return fmt.Sprintf("wbk-%d", r.next)
}

// send posts msgs as they are; a transport error fails the spec, an HTTP error status is
// returned (resp.Status) for the caller to judge.
//
// When the first probe found that the target does not answer /meta/connect, a connect is
// given timeouts.immediate (the specs send only connects that must be answered at once
// this way) and its absence is reported with the probe's finding.
func (r *rawBayeuxSession) send(msgs ...bayeux.Message) ([]bayeux.Message, *bayeux.RawResponse) {
	ctx := r.t.ctx
	finding := ""
	if msgs[0].Channel == bayeux.MetaConnect {
		finding = r.t.s.connectFinding()
	}
	if finding != "" {
		c, cancel := context.WithTimeout(ctx, r.t.s.opts.Timeouts.Immediate.D())
		defer cancel()
		ctx = c
	}
	replies, resp, err := r.c.SendAsIs(ctx, msgs...)
	if resp == nil {
		msg := "no HTTP response: " + errText(err)
		if finding != "" && r.t.ctx.Err() == nil {
			msg = fmt.Sprintf("no HTTP response within %s, timeouts.immediate, and %s", r.t.s.opts.Timeouts.Immediate, finding)
		}
		r.t.violate(Violation{Rule: RuleBayeux, Where: "POST " + r.t.s.opts.CometDPath, Message: msg}, r.l.transcript(r.t.s.mask))
	}
	var se *bayeux.StatusError
	if err != nil && !errors.As(err, &se) {
		r.t.violate(Violation{Rule: RuleBayeux, Where: "POST " + r.t.s.opts.CometDPath, Message: fmt.Sprintf("HTTP %d with a reply that is not Bayeux: %v", resp.Status, err)}, r.l.transcript(r.t.s.mask))
	}
	return replies, resp
}

// must is send for exchanges that must come back HTTP 200 with the reply to msgs[0].
func (r *rawBayeuxSession) must(msgs ...bayeux.Message) (*bayeux.Message, []bayeux.Message) {
	replies, resp := r.send(msgs...)
	if resp.Status != http.StatusOK {
		r.t.violate(Violation{Rule: RuleBayeux, Where: msgs[0].Channel, Message: fmt.Sprintf("HTTP %d; a Bayeux reply comes with HTTP 200", resp.Status)}, r.l.transcript(r.t.s.mask))
	}
	rep := replyTo(replies, msgs[0])
	if rep == nil {
		r.t.violate(Violation{Rule: RuleBayeux, Where: msgs[0].Channel, Message: fmt.Sprintf("no reply to %s id %q among %d messages", msgs[0].Channel, msgs[0].ID, len(replies))}, r.l.transcript(r.t.s.mask))
	}
	return rep, replies
}

func (r *rawBayeuxSession) fail(where, format string, args ...any) {
	r.t.violate(Violation{Rule: RuleBayeux, Where: where, Message: fmt.Sprintf(format, args...)}, r.l.transcript(r.t.s.mask))
}

func (r *rawBayeuxSession) handshakeMsg(types ...string) bayeux.Message {
	if len(types) == 0 {
		types = []string{bayeux.ConnectionTypeLongPolling}
	}
	return bayeux.Message{Channel: bayeux.MetaHandshake, ID: r.msgID(), Version: bayeux.Version, MinimumVersion: bayeux.Version, SupportedConnectionTypes: types}
}

// handshake opens a session and checks the handshake reply's fields (Bayeux 1.0 §handshake).
func (r *rawBayeuxSession) handshake() *bayeux.Message {
	m := r.handshakeMsg()
	rep, _ := r.must(m)
	where := bayeux.MetaHandshake
	switch {
	case !rep.IsSuccessful():
		r.fail(where, "an authenticated session's handshake failed: %q", rep.Error)
	case rep.ClientID == "":
		r.fail(where, "the handshake reply has no clientId")
	case rep.Version == "":
		r.fail(where, "the handshake reply has no version")
	case !slices.Contains(rep.SupportedConnectionTypes, bayeux.ConnectionTypeLongPolling):
		r.fail(where, "supportedConnectionTypes %v lacks %s", rep.SupportedConnectionTypes, bayeux.ConnectionTypeLongPolling)
	case rep.ID != m.ID:
		r.fail(where, "the reply's id is %q; the request's id %q is echoed", rep.ID, m.ID)
	}
	r.id = rep.ClientID
	return rep
}

func (r *rawBayeuxSession) subscribe(channel string) {
	rep, _ := r.must(bayeux.Message{Channel: bayeux.MetaSubscribe, ID: r.msgID(), ClientID: r.id, Subscription: bayeux.NewSubscription(channel)})
	if !rep.IsSuccessful() {
		r.fail(bayeux.MetaSubscribe, "subscribing to %s failed: %q", channel, rep.Error)
	}
}

func (r *rawBayeuxSession) connectMsg(immediate bool) bayeux.Message {
	m := bayeux.Message{Channel: bayeux.MetaConnect, ID: r.msgID(), ClientID: r.id, ConnectionType: bayeux.ConnectionTypeLongPolling}
	if immediate {
		m.Advice = &bayeux.Advice{Timeout: new(int64)}
	}
	return m
}

// firstConnect sends the first connect with advice.timeout 0 and checks it is answered
// at once and successfully.
func (r *rawBayeuxSession) firstConnect() {
	start := time.Now()
	rep, _ := r.must(r.connectMsg(true))
	took := time.Since(start)
	if !rep.IsSuccessful() {
		r.fail(bayeux.MetaConnect, "the first connect failed: %q", rep.Error)
	}
	if lim := r.t.s.opts.Timeouts.Immediate.D(); took > lim {
		r.fail(bayeux.MetaConnect, "the first connect, with advice.timeout 0, was answered after %s; it is answered at once (bound: timeouts.immediate %s)", took.Round(time.Millisecond), lim)
	}
}

// heldConnect is a connect sent in the background.
type heldConnect struct {
	mu      sync.Mutex
	done    bool
	replies []bayeux.Message
	resp    *bayeux.RawResponse
	err     error
}

func (h *heldConnect) state() (bool, []bayeux.Message, *bayeux.RawResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done, h.replies, h.resp, h.err
}

// hold sends a connect without advice in the background: the server holds it.
func (r *rawBayeuxSession) hold() *heldConnect {
	h := &heldConnect{}
	m := r.connectMsg(false)
	go func() {
		replies, resp, err := r.c.SendAsIs(r.t.ctx, m)
		h.mu.Lock()
		h.done, h.replies, h.resp, h.err = true, replies, resp, err
		h.mu.Unlock()
	}()
	return h
}

// expectHeld checks that h stays unanswered for the quiet window (tolerance: a window of
// timeouts.quiet, not the whole advised timeout).
func (r *rawBayeuxSession) expectHeld(h *heldConnect) {
	err := r.t.quiet(r.t.s.opts.Timeouts.Quiet.D(), func() error {
		if done, _, resp, err := h.state(); done {
			return fmt.Errorf("answered (HTTP %v, %v)", statusOfRaw(resp), errText(err))
		}
		return nil
	})
	if err != nil {
		r.fail(bayeux.MetaConnect, "a connect with nothing to deliver was answered within %s: %v; long-polling holds it until an event or the timeout", r.t.s.opts.Timeouts.Quiet, err)
	}
}

// awaitReleased waits until h is answered, within limit. When the first probe found
// that the target does not deliver what should release it (kind: see Suite.finding), it
// waits the quiet window only and fails citing the probe.
func (r *rawBayeuxSession) awaitReleased(h *heldConnect, limit time.Duration, why string, kind noteKind) []bayeux.Message {
	finding := ""
	if kind != "" {
		finding = r.t.s.finding(kind)
	}
	if finding != "" {
		limit = min(limit, r.t.s.opts.Timeouts.Quiet.D())
	}
	err := r.t.await(limit, func() error {
		if done, _, _, _ := h.state(); !done {
			return errors.New("still held")
		}
		return nil
	})
	if err != nil && finding != "" {
		r.fail(bayeux.MetaConnect, "the held connect was not released by %s within %s, and %s; the suite does not wait %s for it", why, limit, finding, r.t.s.opts.Timeouts.Notification)
	}
	if err != nil {
		r.fail(bayeux.MetaConnect, "the held connect was not released by %s within %s", why, limit)
	}
	_, replies, resp, cerr := h.state()
	if resp == nil {
		r.fail(bayeux.MetaConnect, "the held connect got no HTTP response: %v", errText(cerr))
	}
	return replies
}

func bayeuxHandshake(t *T) {
	r := newRawBayeux(t, t.user(RoleAgent))
	rep := r.handshake()
	if t.s.opts.Strict && (rep.Advice == nil || rep.Advice.Timeout == nil || rep.Advice.Reconnect == "") {
		r.fail(bayeux.MetaHandshake, "the handshake reply has no advice with reconnect and timeout (CometD sends them; --strict)")
	}
}

func bayeuxNegotiation(t *T) {
	r := newRawBayeux(t, t.user(RoleAgent))
	m := r.handshakeMsg("workbinkit-no-such-transport")
	replies, resp := r.send(m)
	if resp.Status != http.StatusOK {
		// Tolerance: Bayeux 1.0 describes an unsuccessful reply; an HTTP 4xx refusal is
		// accepted unless --strict.
		if t.s.opts.Strict || resp.Status < 400 || resp.Status > 499 {
			r.fail(bayeux.MetaHandshake, "HTTP %d to a handshake without a common connection type; want HTTP 200 with successful:false", resp.Status)
		}
		return
	}
	if rep := replyTo(replies, m); rep == nil || rep.IsSuccessful() {
		r.fail(bayeux.MetaHandshake, "a handshake offering only an unknown connection type was not refused; it must fail (Bayeux 1.0)")
	}
}

func bayeuxUnauthenticated(t *T) {
	anon := t.s.tg.newSession(RoleAgent, Credentials{}, t.ua, t.log) // no cookie, no credentials
	r := newRawBayeux(t, anon)
	m := r.handshakeMsg()
	replies, resp := r.send(m)
	if resp.Status != http.StatusOK {
		// Tolerance: a 401/403 before Bayeux is also a refusal, unless --strict (D9:
		// HTTP 200 with successful:false).
		if t.s.opts.Strict || (resp.Status != http.StatusUnauthorized && resp.Status != http.StatusForbidden) {
			r.fail(bayeux.MetaHandshake, "HTTP %d to an unauthenticated handshake; want HTTP 200 with successful:false (D9)", resp.Status)
		}
		return
	}
	rep := replyTo(replies, m)
	switch {
	case rep == nil:
		r.fail(bayeux.MetaHandshake, "no reply to the handshake")
	case rep.IsSuccessful():
		r.fail(bayeux.MetaHandshake, "a handshake without session cookie or credentials succeeded (clientId %q); it must be denied (D9)", rep.ClientID)
	case t.s.opts.Strict:
		e, _ := bayeux.ParseError(rep.Error)
		if e == nil || e.Code != 403 || rep.Advice == nil || rep.Advice.Reconnect != bayeux.ReconnectNone {
			r.fail(bayeux.MetaHandshake, "error %q, advice %s; want 403::Handshake denied with reconnect none (D9, --strict)", rep.Error, adviceText(rep.Advice))
		}
	}
}

func bayeuxFirstConnect(t *T) {
	r := newRawBayeux(t, t.user(RoleAgent))
	r.handshake()
	r.subscribe(spec.ChannelWorkitems)
	r.firstConnect()
}

func bayeuxHeldConnect(t *T) {
	sess := t.user(RoleAgent)
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	r := newRawBayeux(t, sess)
	r.handshake()
	r.subscribe(spec.ChannelWorkitems)
	r.firstConnect()
	h := r.hold()
	r.expectHeld(h)
	ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem)
	ref := t.expectAccepted(sess, ex, "the pull that releases the connect")
	t.setOwned(p.ID, RoleAgent, p.Media)
	replies := r.awaitReleased(h, t.s.opts.Timeouts.Notification.D(), "the pull's event", kindMedia(spec.MediaWorkitem))
	var got bool
	for _, m := range replies {
		if m.Channel == bayeux.MetaConnect && !m.IsSuccessful() {
			r.fail(bayeux.MetaConnect, "the released connect failed: %q", m.Error)
		}
		if m.Channel == spec.ChannelWorkitems && len(m.Data) > 0 {
			var data map[string]any
			if decodeNumber(m.Data, &data) == nil && isPullNote(m.Channel, data, p, ref) {
				got = true
			}
		}
	}
	if !got {
		// The event may come in the next connect; only an early release matters here,
		// but a release without the event is worth saying.
		r.fail(bayeux.MetaConnect, "the held connect was released without the pull's %s (referenceId %d)", spec.MessageWorkitemStateChange, ref)
	}
}

func bayeuxUnknownClient(t *T) {
	r := newRawBayeux(t, t.user(RoleAgent))
	r.id = randomID("workbinkit-unknown-")
	expect402(r, r.connectMsg(true))
}

// expect402 checks the CometD 3 answer to a message of a client the server does not know:
// HTTP 200, successful:false, error 402, advice reconnect handshake (D9).
func expect402(r *rawBayeuxSession, m bayeux.Message) {
	replies, resp := r.send(m)
	if resp.Status != http.StatusOK {
		r.fail(m.Channel, "HTTP %d for an unknown client; CometD answers HTTP 200 with 402::Unknown client (D9)", resp.Status)
	}
	rep := replyTo(replies, m)
	if rep == nil {
		r.fail(m.Channel, "no reply to a %s of an unknown client", m.Channel)
	}
	if rep.IsSuccessful() {
		r.fail(m.Channel, "a %s naming an unknown clientId succeeded; want successful:false with 402::Unknown client (D9)", m.Channel)
	}
	if code := bayeux.ErrorCode(errorOf(rep)); code != 402 {
		r.fail(m.Channel, "error %q; want code 402 (Unknown client, CometD 3, D9)", rep.Error)
	}
	if rep.Advice == nil || rep.Advice.Reconnect != bayeux.ReconnectHandshake {
		r.fail(m.Channel, "advice %s; want reconnect:%q so that the client handshakes again (D9)", adviceText(rep.Advice), bayeux.ReconnectHandshake)
	}
}

func bayeuxDisconnect(t *T) {
	r := newRawBayeux(t, t.user(RoleAgent))
	r.handshake()
	r.subscribe(spec.ChannelWorkitems)
	r.firstConnect()
	h := r.hold()
	r.expectHeld(h)
	rep, _ := r.must(bayeux.Message{Channel: bayeux.MetaDisconnect, ID: r.msgID(), ClientID: r.id})
	if !rep.IsSuccessful() {
		r.fail(bayeux.MetaDisconnect, "the disconnect failed: %q", rep.Error)
	}
	r.awaitReleased(h, t.s.opts.Timeouts.Immediate.D(), "the disconnect", "")
	expect402(r, r.connectMsg(true))
}

func bayeuxRehandshake(t *T) {
	sess := t.user(RoleAgent)
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	r := newRawBayeux(t, sess)
	r.handshake()
	old := r.id
	if rep, _ := r.must(bayeux.Message{Channel: bayeux.MetaDisconnect, ID: r.msgID(), ClientID: r.id}); !rep.IsSuccessful() {
		r.fail(bayeux.MetaDisconnect, "the disconnect failed: %q", rep.Error)
	}
	expect402(r, r.connectMsg(true))
	r.handshake()
	if r.id == old {
		r.fail(bayeux.MetaHandshake, "the new handshake gave the forgotten clientId again")
	}
	r.subscribe(spec.ChannelWorkitems)
	r.firstConnect()
	h := r.hold()
	ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem)
	ref := t.expectAccepted(sess, ex, "the pull after the re-handshake")
	t.setOwned(p.ID, RoleAgent, p.Media)
	replies := r.awaitReleased(h, t.s.opts.Timeouts.Notification.D(), "the pull's event", kindMedia(spec.MediaWorkitem))
	for _, m := range replies {
		var data map[string]any
		if m.Channel == spec.ChannelWorkitems && decodeNumber(m.Data, &data) == nil && isPullNote(m.Channel, data, p, ref) {
			return
		}
	}
	r.fail(bayeux.MetaConnect, "the new session did not receive the pull's %s (referenceId %d)", spec.MessageWorkitemStateChange, ref)
}

// replyTo finds the reply to m: same channel and id, else the first of the channel.
func replyTo(replies []bayeux.Message, m bayeux.Message) *bayeux.Message {
	var first *bayeux.Message
	for i := range replies {
		if replies[i].Channel != m.Channel {
			continue
		}
		if replies[i].ID == m.ID && m.ID != "" {
			return &replies[i]
		}
		if first == nil && (bayeux.IsMeta(m.Channel) || replies[i].Successful != nil) {
			first = &replies[i]
		}
	}
	return first
}

func errorOf(m *bayeux.Message) error {
	e, err := bayeux.ParseError(m.Error)
	if err != nil {
		return err
	}
	return e
}

func adviceText(a *bayeux.Advice) string {
	if a == nil {
		return "absent"
	}
	return fmt.Sprintf("{reconnect:%q}", a.Reconnect)
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func statusOfRaw(r *bayeux.RawResponse) any {
	if r == nil {
		return "none"
	}
	return r.Status
}
