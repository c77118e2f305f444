package mockserver

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The hooks of the deviations of REST requests: the request as it comes in, the state
// commands, the reply as it goes out. Each is in deviationTable beside its switch.

// Request hooks: they rewrite the call before CSRF and the contract see it.

// repeatedReferenceID: every referenceId of the call is 1.
func repeatedReferenceID(_ *Server, c *apiCall) { c.refs = func() int64 { return 1 } }

// csrfNotEnforced: a modifying request without the session's token gets it, so the CSRF
// check passes.
func csrfNotEnforced(_ *Server, c *apiCall) {
	if !isModifying(c.r.Method) || c.r.Header.Get(spec.HeaderCSRFToken) == c.sess.csrf {
		return
	}
	r := c.r.Clone(c.r.Context())
	r.Header.Set(spec.HeaderCSRFToken, c.sess.csrf)
	c.r = r
}

// withoutPlaceGroup: group-params-both-accepted drops placeGroup from a request that also
// has agentGroup, before the contract sees it (W3 refuses both).
func withoutPlaceGroup(_ *Server, c *apiCall) {
	q := c.r.URL.Query()
	if !q.Has(spec.ParamAgentGroup) || !q.Has(spec.ParamPlaceGroup) {
		return
	}
	q.Del(spec.ParamPlaceGroup)
	r := c.r.Clone(c.r.Context())
	r.URL.RawQuery = q.Encode()
	c.r = r
}

// multimediaForEveryone: multimedia-not-enforced gives the caller api-multimedia as far as
// the HTTP layer is concerned (the state still refuses his commands).
func multimediaForEveryone(_ *Server, c *apiCall) {
	if u := c.user; !u.HasFeature(spec.FeatureMultimedia) {
		u.Features = append(slices.Clone(u.Features), spec.FeatureMultimedia)
		c.user = u
	}
}

// pullChatGateIgnored: the call sees both PullChat gates open (D6).
func pullChatGateIgnored(_ *Server, c *apiCall) {
	if o := c.opts; !o.EnableNotificationOnPullChat || !o.EnableJoinOnPullChat {
		open := *o
		open.EnableNotificationOnPullChat, open.EnableJoinOnPullChat = true, true
		c.opts = &open
	}
}

// Command hooks: they see a state command's outcome (next) or answer without it. An
// outcome that already has a reply (an inner hook's) is passed on as it is.

// refusedWith reports whether out is a refusal of one of these kinds no hook answered.
func refusedWith(out outcome, kinds ...error) bool {
	return out.reply == nil && slices.ContainsFunc(kinds, func(k error) bool { return errors.Is(out.err, k) })
}

// answered is an outcome that answers rep, not self-checked.
func answered(rep apiReply) outcome {
	rep.unchecked = true
	return outcome{reply: &rep}
}

// wrongSecondPullCode: a second pull answers 400 / statusCode 10.
func wrongSecondPullCode(_ *Server, _ *apiCall, cmd command, next func() outcome) outcome {
	out := next()
	if cmd.kind != cmdPull || !refusedWith(out, state.ErrAlreadyPulled) {
		return out
	}
	return answered(errorReplyStatus(http.StatusBadRequest, spec.StatusInvalidInput, out.err.Error()))
}

// secondPullSucceeds: a second pull is accepted with a new referenceId, changing nothing.
func secondPullSucceeds(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
	out := next()
	if cmd.kind != cmdPull || !refusedWith(out, state.ErrAlreadyPulled) {
		return out
	}
	return answered(s.accepted(c, nil))
}

// refusedPullHalfApplied: refused-request-half-applied takes the interaction of a pull
// refused for a media mismatch out of its workbin all the same (to the caller, without
// notifications), and still answers the refusal.
func refusedPullHalfApplied(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
	out := next()
	if cmd.kind != cmdPull || !refusedWith(out, state.ErrMediaMismatch) {
		return out
	}
	_, perr := s.store.Pull(c.actor(), cmd.ref, spec.PullInteraction, cmd.id, "")
	rep := stateError(out.err)
	rep.changed = perr == nil
	out.reply = &rep
	return out
}

// concurrentWindow: with concurrent-pulls-all-win, a pull that comes this soon after
// another session's winning pull of the same interaction also wins.
const concurrentWindow = 2 * time.Second

// pullWins remembers the last winning pull of each interaction, for
// concurrent-pulls-all-win. mu is held across the pull command and the record, so a
// losing pull always sees the winner's record (the deviation stays race-free).
type pullWins struct {
	mu sync.Mutex
	m  map[string]pullWin
}

type pullWin struct {
	sess *httpSession
	user string
	at   time.Time
}

// concurrentPullsAllWin: a pull refused because another session of the same user pulled
// the interaction within concurrentWindow is a success that changed nothing (no events).
func concurrentPullsAllWin(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
	if cmd.kind != cmdPull {
		return next()
	}
	w := &s.dev.wins
	w.mu.Lock()
	defer w.mu.Unlock()
	now := s.now()
	out := next()
	switch {
	case out.reply != nil:
		return out
	case out.err == nil:
		if w.m == nil {
			w.m = map[string]pullWin{}
		}
		for k, v := range w.m {
			if now.Sub(v.at) >= concurrentWindow {
				delete(w.m, k)
			}
		}
		w.m[cmd.id] = pullWin{sess: c.sess, user: c.user.Name, at: now}
		return out
	}
	if win, ok := w.m[cmd.id]; ok && refusedWith(out, state.ErrAlreadyPulled, state.ErrNotInWorkbin) &&
		win.sess != c.sess && win.user == c.user.Name && now.Sub(win.at) < concurrentWindow {
		return outcome{}
	}
	return out
}

// agentOnSupervisorURL: an agent's pull on the supervisor URL is accepted, changing
// nothing, before the command would refuse it.
func agentOnSupervisorURL(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
	if cmd.kind == cmdPull && cmd.ref.OnBehalfOf != "" && !c.user.IsSupervisor() {
		return answered(s.accepted(c, nil))
	}
	return next()
}

// addUnownedAccepted: an Add of an interaction the caller does not own (it is in a
// workbin, or another user's) is accepted, changing nothing.
func addUnownedAccepted(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
	out := next()
	if cmd.kind != cmdAdd || !refusedWith(out, state.ErrAlreadyInWorkbin, state.ErrNotOwner) {
		return out
	}
	return answered(s.accepted(c, nil))
}

// noWorkbinsWithoutMultimedia: multimedia-not-enforced lists no workbins, instead of
// 404 / 6, for a user without api-multimedia.
func noWorkbinsWithoutMultimedia(_ *Server, _ *apiCall, cmd command, next func() outcome) outcome {
	out := next()
	if cmd.kind == cmdListWorkbins && refusedWith(out, state.ErrNoMultimedia) {
		return outcome{}
	}
	return out
}

// pulledItemStillListed: a workbin's content keeps the interactions pulled out of it
// (remembered by rememberPulled).
func pulledItemStillListed(s *Server, _ *apiCall, cmd command, next func() outcome) outcome {
	out := next()
	if cmd.kind != cmdContent || out.err != nil || out.reply != nil {
		return out
	}
	for _, x := range s.dev.pulled.of(out.workbin.ID) {
		if slices.Contains(cmd.media, x.Media) && !slices.ContainsFunc(out.items, func(y state.Interaction) bool { return y.ID == x.ID }) {
			out.items, out.altered = append(out.items, x), true
		}
	}
	return out
}

// pulledMemory remembers, per workbin, the interactions pulled out of it, as the workbin
// listed them (for pulled-item-still-listed).
type pulledMemory struct {
	mu sync.Mutex
	m  map[string][]state.Interaction
}

func (p *pulledMemory) add(workbinID string, x state.Interaction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]state.Interaction{}
	}
	p.m[workbinID] = append(p.m[workbinID], x)
}

func (p *pulledMemory) of(workbinID string) []state.Interaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]state.Interaction(nil), p.m[workbinID]...)
}

func (p *pulledMemory) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m = nil
}

// rememberPulled is the event half of pulled-item-still-listed.
func rememberPulled(s *Server, ev state.Event, _ bool) state.Event {
	if ev.Kind == state.WorkbinItemRemoved {
		s.dev.pulled.add(ev.Workbin.ID, ev.Interaction)
	}
	return ev
}

// Reply hooks: they run after the reply's self-check, on what is written.

// isEnvelope: a JSON reply with a body (the D3 envelopes).
func isEnvelope(rep *apiReply) bool { return rep.ctype == contentJSON && len(rep.body) > 0 }

func extraSuccessField(_ *apiCall, _ http.Header, rep *apiReply) {
	if isEnvelope(rep) && !rep.failed {
		rep.body = addMember(rep.body, "mockExtra", "true")
	}
}

func extraErrorField(_ *apiCall, _ http.Header, rep *apiReply) {
	if isEnvelope(rep) && rep.failed {
		rep.body = addMember(rep.body, "mockExtra", "true")
	}
}

func missingStatusMessage(_ *apiCall, _ http.Header, rep *apiReply) {
	if isEnvelope(rep) && rep.failed {
		rep.body = dropMember(rep.body, spec.FieldStatusMessage)
	}
}

func wrongErrorHTTPStatus(_ *apiCall, _ http.Header, rep *apiReply) {
	if isEnvelope(rep) && rep.failed {
		rep.status = http.StatusOK
	}
}

func missingWWWAuthenticate(_ *apiCall, h http.Header, rep *apiReply) {
	if rep.status == http.StatusUnauthorized {
		h.Del(spec.HeaderWWWAuthenticate)
	}
}

func missingCSRFHeaders(c *apiCall, h http.Header, _ *apiReply) {
	if c.r.Method == http.MethodGet {
		h.Del(spec.HeaderCSRFHeader)
		h.Del(spec.HeaderCSRFToken)
	}
}
