package state

import (
	"slices"

	"github.com/workbinkit/workbinkit/spec"
)

// sessionActor is the user of a contact-center session request: known, with api-voice (D21:
// without it 6, as D7 does for api-multimedia).
func (w *world) sessionActor(a Actor) (User, error) {
	u, ok := w.users[a.User]
	if !ok {
		return User{}, fail(spec.StatusNotAuthenticated, ErrNotAuthenticated, "user %q is not authenticated", a.User)
	}
	if !u.HasFeature(spec.FeatureVoice) {
		return User{}, fail(spec.StatusNotFound, ErrNoMultimedia, "the contact-center session needs the feature %s, which user %q does not have", spec.FeatureVoice, u.Name)
	}
	return u, nil
}

// StartSession is StartContactCenterSession (D21, S16): every channel named is Ready (a
// channel named twice counts once, in the order given). Refusals: no channels 1; a channel the
// contract does not know 2 (the mock never answers a partial 7). Event: ChannelsChanged to the
// actor.
func (s *Store) StartSession(a Actor, channels []string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.w.sessionActor(a)
	if err != nil {
		return nil, err
	}
	if len(channels) == 0 {
		return nil, fail(spec.StatusMissingParameter, ErrMissingParameter, "StartContactCenterSession needs %s", spec.FieldChannels)
	}
	var states []ChannelState
	for _, c := range channels {
		if !slices.Contains(spec.ContactCenterChannels(), c) {
			return nil, fail(spec.StatusInvalidParameter, ErrUnknownOption, "channel %q is not one of %v", c, spec.ContactCenterChannels())
		}
		if !slices.ContainsFunc(states, func(st ChannelState) bool { return st.Channel == c }) {
			states = append(states, ChannelState{Channel: c, State: spec.ChannelReady})
		}
	}
	if s.w.channels == nil {
		s.w.channels = map[string][]ChannelState{}
	}
	s.w.channels[u.Name] = states
	return []Event{{Kind: ChannelsChanged, Recipients: []string{u.Name}, Requester: u.Name, Channels: slices.Clone(states)}}, nil
}

// EndSession is EndContactCenterSession (D21, S16): the actor's channels go LoggedOut and are
// forgotten. Ending a session never started is accepted (its event lists no channel). The
// HTTP layer invalidates the HTTP sessions.
func (s *Store) EndSession(a Actor) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.w.sessionActor(a)
	if err != nil {
		return nil, err
	}
	states := []ChannelState{}
	for _, st := range s.w.channels[u.Name] {
		states = append(states, ChannelState{Channel: st.Channel, State: spec.ChannelLoggedOut})
	}
	delete(s.w.channels, u.Name)
	return []Event{{Kind: ChannelsChanged, Recipients: []string{u.Name}, Requester: u.Name, Channels: states}}, nil
}

// Channels returns a user's channel states (empty without a session).
func (s *Store) Channels(user string) []ChannelState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.w.channels[user])
}
