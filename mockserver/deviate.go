package mockserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The hooks of the deviations that alter requests and commands (the notification and
// envelope ones live where they render). Each does nothing unless its switch is on.

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

// storePull runs the pull command. With concurrent-pulls-all-win on, a pull refused
// because another session of the same user pulled the interaction within
// concurrentWindow returns no events and no error: it is answered as a success that
// changed nothing.
func (s *Server) storePull(c *apiCall, ref state.WorkbinRef, id, nickname string) ([]state.Event, error) {
	if !s.dev.has(DevConcurrentPullsAllWin) {
		return s.store.Pull(c.actor(), ref, c.op, id, nickname)
	}
	w := &s.pullWins
	w.mu.Lock()
	defer w.mu.Unlock()
	now := s.now()
	events, err := s.store.Pull(c.actor(), ref, c.op, id, nickname)
	if err == nil {
		if w.m == nil {
			w.m = map[string]pullWin{}
		}
		for k, v := range w.m {
			if now.Sub(v.at) >= concurrentWindow {
				delete(w.m, k)
			}
		}
		w.m[id] = pullWin{sess: c.sess, user: c.user.Name, at: now}
		return events, nil
	}
	if win, ok := w.m[id]; ok && errors.Is(err, state.ErrNotInWorkbin) && win.sess != c.sess && win.user == c.user.Name && now.Sub(win.at) < concurrentWindow {
		return nil, nil
	}
	return nil, err
}

// deviatePull answers a pull before the command: agent-on-supervisor-url-accepted
// accepts an agent's pull on the supervisor URL, changing nothing.
func (s *Server) deviatePull(c *apiCall, ref state.WorkbinRef) (apiReply, bool) {
	if s.dev.has(DevAgentOnSupervisorURL) && ref.OnBehalfOf != "" && !c.user.IsSupervisor() {
		rep := s.accepted(c, nil)
		rep.unchecked = true
		return rep, true
	}
	return apiReply{}, false
}

// deviateRefusedPull: refused-request-half-applied takes the interaction of a pull
// refused for a media mismatch out of its workbin all the same (to the caller, without
// notifications), and still answers the refusal.
func (s *Server) deviateRefusedPull(c *apiCall, ref state.WorkbinRef, id string, err error) (apiReply, bool) {
	if !s.dev.has(DevRefusedRequestHalfApplied) || !errors.Is(err, state.ErrMediaMismatch) {
		return apiReply{}, false
	}
	_, perr := s.store.Pull(c.actor(), ref, spec.PullInteraction, id, "")
	rep := stateError(err)
	rep.changed = perr == nil
	return rep, true
}

// deviateRefusedAdd: add-unowned-accepted answers an Add of an interaction the caller
// does not own (it is in a workbin, or another user's) 200, changing nothing.
func (s *Server) deviateRefusedAdd(c *apiCall, err error) (apiReply, bool) {
	if !s.dev.has(DevAddUnownedAccepted) || !(errors.Is(err, state.ErrAlreadyInWorkbin) || errors.Is(err, state.ErrNotOwner)) {
		return apiReply{}, false
	}
	rep := s.accepted(c, nil)
	rep.unchecked = true
	return rep, true
}

// withoutPlaceGroup: group-params-both-accepted drops placeGroup from a REST request
// that also has agentGroup, before the contract sees it (W3 refuses both).
func (s *Server) withoutPlaceGroup(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.dev.has(DevGroupParamsBothAccepted) {
			if q := r.URL.Query(); q.Has(spec.ParamAgentGroup) && q.Has(spec.ParamPlaceGroup) {
				q.Del(spec.ParamPlaceGroup)
				r = r.Clone(r.Context())
				r.URL.RawQuery = q.Encode()
			}
		}
		next(w, r)
	}
}

// deviateUser: multimedia-not-enforced gives every user api-multimedia as far as the
// HTTP layer is concerned (the state still refuses his commands).
func (s *Server) deviateUser(u state.User) state.User {
	if s.dev.has(DevMultimediaNotEnforced) && !u.HasFeature(spec.FeatureMultimedia) {
		u.Features = append(append([]string(nil), u.Features...), spec.FeatureMultimedia)
	}
	return u
}

// deviateWorkbinList: multimedia-not-enforced lists no workbins, instead of 404 / 6, for
// a user without api-multimedia.
func (s *Server) deviateWorkbinList(err error) bool {
	return s.dev.has(DevMultimediaNotEnforced) && errors.Is(err, state.ErrNoMultimedia)
}

// deviateRecipients: supervisor-pull-notifies-agent also sends the media notification of
// a supervisor's pull to the agent whose workbin it was.
func (s *Server) deviateRecipients(ev state.Event, pull bool) state.Event {
	if s.dev.has(DevSupervisorPullNotifiesAgent) && pull && ev.Kind == state.InteractionChanged &&
		ev.WorkbinUserID != "" && ev.Workbin.Type == spec.WorkbinAgent && ev.Workbin.Owner != ev.Requester {
		ev.Recipients = append(append([]string(nil), ev.Recipients...), ev.Workbin.Owner)
	}
	return ev
}

// withoutPuller removes the Agent and Supervisor participants of a chat resource's
// members (puller-not-participant).
func withoutPuller(m map[string]json.RawMessage) {
	var parts []map[string]json.RawMessage
	if json.Unmarshal(m[spec.FieldParticipants], &parts) != nil {
		return
	}
	kept := parts[:0]
	for _, p := range parts {
		var typ string
		_ = json.Unmarshal(p[spec.FieldParticipantType], &typ)
		if typ != spec.ParticipantAgent && typ != spec.ParticipantSupervisor {
			kept = append(kept, p)
		}
	}
	if raw, err := json.Marshal(kept); err == nil {
		m[spec.FieldParticipants] = raw
	}
}
