package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// Guest is a user a chat's owner invited (Invite) or consults (Consult), S14: he sees the
// chat in his own state (Invited, then Chatting) and is one of its participants.
type Guest struct {
	User    string `json:"user"`
	State   string `json:"state"`
	Consult bool   `json:"consult,omitempty"`
	// ParticipantID is his participant in the chat (added at the invitation).
	ParticipantID string `json:"participantId"`
}

// ChatMessage is one entry of a chat's transcript (D20, S15).
type ChatMessage struct {
	Index int    `json:"index"`
	Type  string `json:"type"`
	// From is the participant who sent it: nickname, type, participantId.
	FromNickname string    `json:"fromNickname"`
	FromType     string    `json:"fromType"`
	FromID       string    `json:"fromId"`
	Text         string    `json:"text,omitempty"`
	MessageType  string    `json:"messageType,omitempty"`
	Visibility   string    `json:"visibility"`
	Time         time.Time `json:"time"`
}

// ChannelState is a user's state on one channel of his contact-center session (D21).
type ChannelState struct {
	Channel string
	State   string
}

// Operation is one operation on an interaction (D13): the URL's media and id and the members
// of the request body the store needs. The HTTP layer resolves a target URI to a user id.
type Operation struct {
	Media spec.Media
	ID    string
	Name  string
	// UserData for AttachUserData, UpdateUserData and Reply; Keys for DeleteUserData.
	UserData map[string]any
	Keys     []string
	// TargetUserID names the user of a Transfer, Invite or Consult (the {userId} of the
	// target URI); TargetGiven says a target URI was given even if it names no user.
	TargetUserID string
	TargetGiven  bool
	// Queue is a Transfer's (or Complete's) queueName, or Reply's queue.
	Queue                       string
	Nickname                    string
	Text, MessageType           string
	Disposition, DispositionKey string
	Comment                     string
}

// More refusals of the interaction operations (S12).
var (
	ErrNotCapable    = errors.New("operation not in the interaction's capabilities") // 2 (D13)
	ErrNotYours      = errors.New("interaction is not the user's")                   // 5 (D13)
	ErrBadTarget     = errors.New("target not valid")                                // 2 or 6 (D17)
	ErrCustomerGone  = errors.New("the customer left the chat")                      // 2 (D20)
	ErrUnknownOption = errors.New("value not known")                                 // 2 (D21)
)

// role is how the actor takes part in an interaction.
type role struct {
	owner bool
	guest int // index in Guests, when !owner
}

// roleOf finds the actor's part in x, or false.
func roleOf(x Interaction, user string) (role, bool) {
	if x.Workbin == "" && x.Owner == user {
		return role{owner: true}, true
	}
	for i, g := range x.Guests {
		if g.User == user {
			return role{guest: i}, true
		}
	}
	return role{}, false
}

// ownerCaps are the owner's capabilities in x's state: a Chatting chat with guests has the
// conference list (S14).
func ownerCaps(x Interaction) []string {
	if x.Media == spec.MediaChat && x.State == spec.StateChatting && len(x.Guests) > 0 {
		return spec.ConferenceCapabilities()
	}
	caps, _ := spec.Capabilities(x.Media, x.State)
	if caps == nil {
		caps = []string{}
	}
	return caps
}

// guestCaps are a guest's capabilities: once in, the conference list without Transfer (only
// the owner transfers the chat, S14).
func guestCaps(g Guest) []string {
	if g.State == spec.StateChatting {
		return slices.DeleteFunc(spec.ConferenceCapabilities(), func(c string) bool { return c == spec.CapTransfer })
	}
	caps, _ := spec.Capabilities(spec.MediaChat, g.State)
	if caps == nil {
		caps = []string{}
	}
	return caps
}

// CapabilitiesFor returns the capabilities user has on x, and whether he takes part in it.
func CapabilitiesFor(x Interaction, user string) ([]string, bool) {
	r, ok := roleOf(x, user)
	if !ok {
		return nil, false
	}
	if r.owner {
		return ownerCaps(x), true
	}
	return guestCaps(x.Guests[r.guest]), true
}

// ViewFor is x as user sees it: for a guest, his state and capabilities.
func ViewFor(x Interaction, user string) (Interaction, error) {
	r, ok := roleOf(x, user)
	if !ok || r.owner {
		return x.clone(), nil
	}
	g := x.Guests[r.guest]
	caps := guestCaps(g)
	res, err := withMembers(x.Resource, map[string]any{spec.FieldState: g.State, spec.FieldCapabilities: caps})
	if err != nil {
		return Interaction{}, err
	}
	v := x.clone()
	v.State, v.Capabilities, v.Resource = g.State, caps, res
	return v, nil
}

// Mine lists the interactions user works on (owned or guest), of the given media, sorted by
// id, each as he sees it (W15).
func (s *Store) Mine(user string, media spec.Media) []Interaction {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []Interaction{}
	for _, id := range slices.Sorted(maps.Keys(s.w.items)) {
		x := s.w.items[id]
		if x.Media != media {
			continue
		}
		if _, ok := roleOf(x, user); !ok {
			continue
		}
		if v, err := ViewFor(x, user); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// op is one operation under way: the world is changed only by commit.
type op struct {
	s      *Store
	w      *world
	u      User
	x      Interaction // the interaction being changed (a copy)
	r      role
	events []Event
	gone   bool          // x leaves the state (S13)
	extra  []Interaction // other interactions created (Reply)
}

// Operate applies one operation on an interaction (D13-D20, S12-S15) and returns its events.
func (s *Store) Operate(a Actor, o Operation) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u, err := w.actor(a)
	if err != nil {
		return nil, err
	}
	x, ok := w.items[o.ID]
	if !ok || x.Media != o.Media {
		return nil, fail(spec.StatusNotFound, ErrUnknownInteraction, "%s %q not found", o.Media, o.ID)
	}
	r, ok := roleOf(x, u.Name)
	if !ok {
		return nil, fail(spec.StatusNoPermission, ErrNotYours, "%s %q is not one user %q works on", x.Media, x.ID, u.Name)
	}
	caps, _ := CapabilitiesFor(x, u.Name)
	if !slices.Contains(caps, o.Name) {
		state := x.State
		if !r.owner {
			state = x.Guests[r.guest].State
		}
		return nil, fail(spec.StatusInvalidParameter, ErrNotCapable, "%s is not valid for %s %q in state %s (capabilities %v)", o.Name, withArticle(string(x.Media)), x.ID, state, caps)
	}
	p := &op{s: s, w: w, u: u, x: x.clone(), r: r}
	if err := p.apply(o); err != nil {
		return nil, err
	}
	if p.gone {
		delete(w.items, x.ID)
	} else {
		w.items[x.ID] = p.x
	}
	for _, e := range p.extra {
		w.items[e.ID] = e
	}
	return p.events, nil
}

func (p *op) apply(o Operation) error {
	switch o.Name {
	case spec.OpAccept:
		return p.accept(o)
	case spec.OpReject:
		return p.reject()
	case spec.OpComplete:
		return p.complete(o)
	case spec.OpTransfer:
		return p.transfer(o)
	case spec.OpAttachUserData, spec.OpUpdateUserData:
		return p.userData(func(ud map[string]any) {
			maps.Copy(ud, o.UserData)
		}, o.UserData)
	case spec.OpDeleteUserData:
		return p.userData(func(ud map[string]any) {
			for _, k := range o.Keys {
				delete(ud, k)
			}
		}, nil)
	case spec.OpSetDisposition:
		key := o.DispositionKey
		if key == "" {
			key = spec.DefaultDispositionKey
		}
		return p.userData(func(ud map[string]any) { ud[key] = o.Disposition }, nil)
	case spec.OpAddComment:
		if err := p.set(map[string]any{spec.FieldComment: o.Comment}); err != nil {
			return err
		}
		return p.propertiesUpdated()
	case spec.OpSetInFocus:
		return nil // D18: nothing changes, nothing is published
	case spec.OpSendMessage, spec.OpSendToAgents:
		return p.say(spec.ChatMessageText, o.Text, o.MessageType, o.Name == spec.OpSendToAgents)
	case spec.OpSendStartTypingNotification, spec.OpSendStartTypingToAgentsNotification:
		return p.say(spec.ChatMessageTypingStarted, "", "", o.Name == spec.OpSendStartTypingToAgentsNotification)
	case spec.OpSendStopTypingNotification, spec.OpSendStopTypingToAgentsNotification:
		return p.say(spec.ChatMessageTypingStopped, "", "", o.Name == spec.OpSendStopTypingToAgentsNotification)
	case spec.OpLeave:
		return p.leave(o)
	case spec.OpInvite, spec.OpConsult:
		return p.invite(o)
	case spec.OpReply, spec.OpReplyAll:
		return p.reply(o)
	case spec.OpCancel:
		return p.end(spec.StateCanceled)
	case spec.OpSend:
		return p.end(spec.StateCompleted)
	}
	return fail(spec.StatusInvalidParameter, ErrUnknownOperation, "%q is not an operation on %s", o.Name, withArticle(string(p.x.Media)))
}

// set replaces members of the interaction's resource.
func (p *op) set(members map[string]any) error {
	res, err := withMembers(p.x.Resource, members)
	if err != nil {
		return fail(spec.StatusInternalError, ErrInternal, "%s %q: %v", p.x.Media, p.x.ID, err)
	}
	p.x.Resource = res
	return nil
}

// setState puts the owner's copy in state (and its capabilities).
func (p *op) setState(state string) error {
	p.x.State = state
	p.x.Capabilities = ownerCaps(p.x)
	return p.set(map[string]any{spec.FieldState: state, spec.FieldCapabilities: p.x.Capabilities})
}

// refreshCaps recomputes the owner's capabilities (guests came or went).
func (p *op) refreshCaps() error { return p.setState(p.x.State) }

// notify queues the interaction as user sees it now, as notificationType, from the
// requester when user is the actor.
func (p *op) notify(user, notification string) error {
	v, err := ViewFor(p.x, user)
	if err != nil {
		return fail(spec.StatusInternalError, ErrInternal, "%s %q: %v", p.x.Media, p.x.ID, err)
	}
	p.events = append(p.events, Event{Kind: InteractionChanged, Notification: notification,
		Recipients: []string{user}, Requester: p.u.Name, Interaction: v})
	return nil
}

// notifyAs queues a fixed copy (a state nobody keeps: Completed, Canceled).
func (p *op) notifyAs(user, notification, state string) error {
	caps, _ := spec.Capabilities(p.x.Media, state)
	if caps == nil {
		caps = []string{}
	}
	res, err := withMembers(p.x.Resource, map[string]any{spec.FieldState: state, spec.FieldCapabilities: caps})
	if err != nil {
		return fail(spec.StatusInternalError, ErrInternal, "%s %q: %v", p.x.Media, p.x.ID, err)
	}
	v := p.x.clone()
	v.Owner, v.State, v.Capabilities, v.Resource, v.Guests = user, state, caps, res, nil
	p.events = append(p.events, Event{Kind: InteractionChanged, Notification: notification,
		Recipients: []string{user}, Requester: p.u.Name, Interaction: v})
	return nil
}

// audience lists the users in the chat (owner in Chatting or JoinFailed, guests who accepted),
// except skip.
func (p *op) audience(skip string) []string {
	var out []string
	if p.x.Owner != skip && (p.x.State == spec.StateChatting) {
		out = append(out, p.x.Owner)
	}
	for _, g := range p.x.Guests {
		if g.User != skip && g.State == spec.StateChatting {
			out = append(out, g.User)
		}
	}
	return out
}

func (p *op) propertiesUpdated() error {
	if err := p.notify(p.u.Name, spec.NotificationPropertiesUpdated); err != nil {
		return err
	}
	if p.x.Media != spec.MediaChat {
		return nil
	}
	for _, other := range p.audience(p.u.Name) {
		if err := p.notify(other, spec.NotificationPropertiesUpdated); err != nil {
			return err
		}
	}
	return nil
}

func (p *op) userData(change func(map[string]any), added map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(added)) {
		if !userDataValue(added[k]) {
			return fail(spec.StatusInvalidInput, ErrInvalidInput, "userData %q is %T; values are strings, numbers or null", k, added[k])
		}
	}
	m, err := Members(p.x.Resource)
	if err != nil {
		return fail(spec.StatusInternalError, ErrInternal, "%s %q: %v", p.x.Media, p.x.ID, err)
	}
	ud := map[string]any{}
	if raw, ok := m[spec.FieldUserData]; ok {
		if err := decodeNumbers(raw, &ud); err != nil {
			return fail(spec.StatusInternalError, ErrInternal, "%s %q userData: %v", p.x.Media, p.x.ID, err)
		}
		if ud == nil {
			ud = map[string]any{}
		}
	}
	change(ud)
	if err := p.set(map[string]any{spec.FieldUserData: ud}); err != nil {
		return err
	}
	return p.propertiesUpdated()
}

// accept: an invitation taken (D17): the owner's (a transfer) or a guest's.
func (p *op) accept(o Operation) error {
	x := &p.x
	if !p.r.owner {
		g := &x.Guests[p.r.guest]
		g.State = spec.StateChatting
		if err := p.refreshCaps(); err != nil {
			return err
		}
		return p.joined(g.User, g.ParticipantID, visibilityOf(g.Consult))
	}
	if x.Media != spec.MediaChat {
		info, _ := spec.MediaOf(x.Media)
		if err := p.setState(info.PulledState); err != nil {
			return err
		}
		return p.notify(p.u.Name, spec.NotificationStatusChange)
	}
	parts, err := p.s.joinChat(x.Resource, p.u, o.Nickname)
	if err != nil {
		return err
	}
	pid, _ := participantID(parts[len(parts)-1])
	x.OwnerParticipant = pid
	if err := p.set(map[string]any{spec.FieldParticipants: parts}); err != nil {
		return err
	}
	if err := p.setState(spec.StateChatting); err != nil {
		return err
	}
	return p.joined(p.u.Name, pid, spec.VisibilityAll)
}

// joined tells user he is in the chat (StatusChange, ParticipantsUpdated, the history) and
// the others that he joined.
func (p *op) joined(user, pid, visibility string) error {
	if err := p.notify(user, spec.NotificationStatusChange); err != nil {
		return err
	}
	if err := p.notify(user, spec.NotificationParticipantsUpdated); err != nil {
		return err
	}
	msg, err := p.appendMessage(spec.ChatMessageParticipantJoined, pid, "", "", visibility)
	if err != nil {
		return err
	}
	p.messages([]string{user}, p.x.Transcript)
	for _, other := range p.audience(user) {
		if err := p.notify(other, spec.NotificationParticipantsUpdated); err != nil {
			return err
		}
	}
	p.messages(p.audience(user), []ChatMessage{msg})
	return nil
}

func visibilityOf(consult bool) string {
	if consult {
		return spec.VisibilityAgents
	}
	return spec.VisibilityAll
}

// reject: an invitation declined (D17, S13).
func (p *op) reject() error {
	if p.r.owner {
		return p.end(spec.StateCompleted)
	}
	return p.guestLeaves()
}

// end: the owner's part ends in state (Completed, Canceled); every guest's too; the
// interaction leaves the state (S13).
func (p *op) end(state string) error {
	for _, g := range p.x.Guests {
		if err := p.notifyAs(g.User, spec.NotificationStatusChange, spec.StateCompleted); err != nil {
			return err
		}
	}
	p.gone = true
	return p.notifyAs(p.x.Owner, spec.NotificationStatusChange, state)
}

// guestLeaves ends the actor's part as a guest: he is Completed, out of the participants.
func (p *op) guestLeaves() error {
	g := p.x.Guests[p.r.guest]
	joined := g.State == spec.StateChatting
	p.x.Guests = slices.Delete(p.x.Guests, p.r.guest, p.r.guest+1)
	if err := p.removeParticipant(g.ParticipantID); err != nil {
		return err
	}
	if err := p.refreshCaps(); err != nil {
		return err
	}
	if err := p.notifyAs(g.User, spec.NotificationStatusChange, spec.StateCompleted); err != nil {
		return err
	}
	for _, other := range p.audience(g.User) {
		if err := p.notify(other, spec.NotificationParticipantsUpdated); err != nil {
			return err
		}
	}
	if joined {
		msg, err := p.appendMessage(spec.ChatMessageParticipantLeft, g.ParticipantID, "", "", visibilityOf(g.Consult))
		if err != nil {
			return err
		}
		p.messages(p.audience(g.User), []ChatMessage{msg})
	}
	return nil
}

// complete: the owner completes (every part ends), a guest leaves (D15).
func (p *op) complete(o Operation) error {
	if !p.r.owner {
		return p.guestLeaves()
	}
	if o.Text != "" && p.x.Media == spec.MediaChat && p.x.State == spec.StateChatting {
		if err := p.say(spec.ChatMessageText, o.Text, o.MessageType, false); err != nil {
			return err
		}
	}
	return p.end(spec.StateCompleted)
}

// transfer: to a user (he receives it Invited) or a queue (it leaves the state), D17.
func (p *op) transfer(o Operation) error {
	if !p.r.owner {
		return fail(spec.StatusInvalidParameter, ErrNotCapable, "only the owner of %s %q may transfer it", p.x.Media, p.x.ID)
	}
	if o.TargetUserID == "" && o.Queue == "" {
		if o.TargetGiven {
			return fail(spec.StatusNotFound, ErrBadTarget, "the target URI names no user (…/users/{userId})")
		}
		return fail(spec.StatusMissingParameter, ErrMissingParameter, "Transfer needs %s, %s or %s", spec.FieldTargetURI, spec.FieldUserURI, spec.FieldQueueName)
	}
	if o.Text != "" && p.x.Media == spec.MediaChat && p.x.State == spec.StateChatting {
		if err := p.say(spec.ChatMessageText, o.Text, o.MessageType, false); err != nil {
			return err
		}
	}
	if o.TargetUserID == "" {
		return p.end(spec.StateCompleted)
	}
	target, err := p.targetUser(o.TargetUserID)
	if err != nil {
		return err
	}
	from := p.x.Owner
	if err := p.notifyAs(from, spec.NotificationStatusChange, spec.StateCompleted); err != nil {
		return err
	}
	if p.x.Media == spec.MediaChat {
		if err := p.removeParticipant(p.ownerParticipant()); err != nil {
			return err
		}
		p.x.OwnerParticipant = ""
	}
	p.x.Owner = target.Name
	if err := p.setState(spec.StateInvited); err != nil {
		return err
	}
	return p.notify(target.Name, spec.NotificationStatusChange)
}

// targetUser resolves the user of a target URI: known, not the actor, not in the chat (S12).
func (p *op) targetUser(id string) (User, error) {
	name, ok := p.w.userIDs[id]
	if !ok {
		return User{}, fail(spec.StatusNotFound, ErrUnknownUser, "user %q not found", id)
	}
	t := p.w.users[name]
	if t.Name == p.u.Name {
		return User{}, fail(spec.StatusInvalidParameter, ErrBadTarget, "the target is user %q himself", t.Name)
	}
	if _, in := roleOf(p.x, t.Name); in {
		return User{}, fail(spec.StatusInvalidParameter, ErrBadTarget, "user %q is already in %s %q", t.Name, p.x.Media, p.x.ID)
	}
	if !t.HasFeature(spec.FeatureMultimedia) {
		return User{}, fail(spec.StatusInvalidParameter, ErrBadTarget, "user %q has no %s", t.Name, spec.FeatureMultimedia)
	}
	return t, nil
}

// invite: Invite or Consult another agent into the chat (D17, S14).
func (p *op) invite(o Operation) error {
	if o.TargetUserID == "" {
		if o.Queue != "" || o.TargetGiven {
			return fail(spec.StatusInvalidParameter, ErrBadTarget, "%s to a queue is not modelled by the mock; name a user (…/users/{userId})", o.Name)
		}
		return fail(spec.StatusMissingParameter, ErrMissingParameter, "%s needs %s", o.Name, spec.FieldTargetURI)
	}
	target, err := p.targetUser(o.TargetUserID)
	if err != nil {
		return err
	}
	consult := o.Name == spec.OpConsult
	pid, err := p.addParticipant(target.Name, spec.ParticipantAgent, visibilityOf(consult))
	if err != nil {
		return err
	}
	p.x.Guests = append(p.x.Guests, Guest{User: target.Name, State: spec.StateInvited, Consult: consult, ParticipantID: pid})
	if err := p.refreshCaps(); err != nil {
		return err
	}
	if err := p.notify(p.u.Name, spec.NotificationParticipantsUpdated); err != nil {
		return err
	}
	for _, other := range p.audience(p.u.Name) {
		if err := p.notify(other, spec.NotificationParticipantsUpdated); err != nil {
			return err
		}
	}
	return p.notify(target.Name, spec.NotificationStatusChange)
}

// leave: D15. Alone: LeftChat (then Completed on a second Leave); in a conference the
// owner's part ends and the first guest who accepted takes the chat (S14).
func (p *op) leave(o Operation) error {
	if !p.r.owner {
		return p.guestLeaves()
	}
	if p.x.State == spec.StateLeftChat {
		return p.end(spec.StateCompleted)
	}
	if o.Text != "" {
		if err := p.say(spec.ChatMessageText, o.Text, o.MessageType, false); err != nil {
			return err
		}
	}
	heir := slices.IndexFunc(p.x.Guests, func(g Guest) bool { return g.State == spec.StateChatting })
	pid := p.ownerParticipant()
	if err := p.removeParticipant(pid); err != nil {
		return err
	}
	msg, err := p.appendMessage(spec.ChatMessageParticipantLeft, pid, "", "", spec.VisibilityAll)
	if err != nil {
		return err
	}
	if heir < 0 {
		// Invitations nobody accepted end with the chat (S14).
		for _, g := range p.x.Guests {
			if err := p.notifyAs(g.User, spec.NotificationStatusChange, spec.StateCompleted); err != nil {
				return err
			}
			if err := p.removeParticipant(g.ParticipantID); err != nil {
				return err
			}
		}
		p.x.Guests = nil
		p.x.OwnerParticipant = ""
		if err := p.setState(spec.StateLeftChat); err != nil {
			return err
		}
		return p.notify(p.u.Name, spec.NotificationStatusChange)
	}
	if err := p.notifyAs(p.u.Name, spec.NotificationStatusChange, spec.StateCompleted); err != nil {
		return err
	}
	g := p.x.Guests[heir]
	p.x.Guests = slices.Delete(p.x.Guests, heir, heir+1)
	p.x.Owner, p.x.OwnerParticipant = g.User, g.ParticipantID
	if err := p.setState(spec.StateChatting); err != nil {
		return err
	}
	for _, other := range p.audience("") {
		if err := p.notify(other, spec.NotificationParticipantsUpdated); err != nil {
			return err
		}
	}
	p.messages(p.audience(""), []ChatMessage{msg})
	return nil
}

// reply: a new outbound email, Composing, owned by the actor (D15); the inbound one is
// unchanged.
func (p *op) reply(o Operation) error {
	for _, k := range slices.Sorted(maps.Keys(o.UserData)) {
		if !userDataValue(o.UserData[k]) {
			return fail(spec.StatusInvalidInput, ErrInvalidInput, "userData %q is %T; values are strings, numbers or null", k, o.UserData[k])
		}
	}
	id, err := p.s.newID(func(id string) bool { _, ok := p.w.items[id]; return ok })
	if err != nil {
		return err
	}
	ud := map[string]any{}
	maps.Copy(ud, o.UserData)
	caps, _ := spec.Capabilities(spec.MediaEmail, spec.StateComposing)
	res, err := encode(map[string]any{
		spec.FieldID: id, spec.FieldState: spec.StateComposing, spec.FieldCapabilities: caps,
		spec.FieldEmailType: spec.InteractionOutbound, spec.FieldParentID: p.x.ID, spec.FieldUserData: ud,
	})
	if err == nil {
		res, err = canonical(res)
	}
	if err != nil {
		return fail(spec.StatusInternalError, ErrInternal, "reply to %q: %v", p.x.ID, err)
	}
	n := Interaction{ID: id, Media: spec.MediaEmail, Owner: p.u.Name, State: spec.StateComposing, Capabilities: caps, Resource: res}
	p.extra = append(p.extra, n)
	p.events = append(p.events, Event{Kind: InteractionChanged, Notification: spec.NotificationStatusChange,
		Recipients: []string{p.u.Name}, Requester: p.u.Name, Interaction: n.clone()})
	return nil
}

// say adds a message of the actor to the transcript and sends it to the agents in the chat.
func (p *op) say(typ, text, messageType string, toAgents bool) error {
	pid := p.ownerParticipant()
	vis := spec.VisibilityAll
	if !p.r.owner {
		g := p.x.Guests[p.r.guest]
		pid = g.ParticipantID
		if g.Consult {
			toAgents = true
		}
	}
	if toAgents {
		vis = spec.VisibilityAgents
	}
	msg, err := p.appendMessage(typ, pid, text, messageType, vis)
	if err != nil {
		return err
	}
	p.messages(p.audience(""), []ChatMessage{msg})
	return nil
}

// messages queues a MessageLogUpdated of msgs to each user (no referenceId, D20).
func (p *op) messages(users []string, msgs []ChatMessage) {
	for _, to := range users {
		p.events = append(p.events, Event{Kind: ChatMessages, Recipients: []string{to}, Interaction: p.x.clone(),
			Messages: slices.Clone(msgs)})
	}
}

// appendMessage adds a message from participant pid to the transcript.
func (p *op) appendMessage(typ, pid, text, messageType, visibility string) (ChatMessage, error) {
	return appendMessage(&p.x, p.s.opts.Now(), typ, pid, text, messageType, visibility)
}

func appendMessage(x *Interaction, now time.Time, typ, pid, text, messageType, visibility string) (ChatMessage, error) {
	nick, ptype := "", spec.ParticipantAgent
	parts, err := chatParticipants(x.Resource)
	if err != nil {
		return ChatMessage{}, err
	}
	for _, raw := range parts {
		m, err := Members(raw)
		if err != nil {
			continue
		}
		if id, _ := stringMember(m, spec.FieldParticipantID); id == pid && pid != "" {
			nick, _ = stringMember(m, spec.FieldNickname)
			ptype, _ = stringMember(m, spec.FieldParticipantType)
		}
	}
	for _, m := range x.Transcript { // a participant who left still signs his leaving
		if m.FromID == pid && nick == "" {
			nick, ptype = m.FromNickname, m.FromType
		}
	}
	index := 1
	if n := len(x.Transcript); n > 0 {
		index = x.Transcript[n-1].Index + 1
	}
	msg := ChatMessage{Index: index, Type: typ, FromNickname: nick, FromType: ptype, FromID: pid,
		Text: text, MessageType: messageType, Visibility: visibility, Time: now}
	x.Transcript = append(x.Transcript, msg)
	return msg, nil
}

// ownerParticipant is the owner's participantId: recorded when he joined through Accept, else
// the first Agent or Supervisor that is no guest's (a pulled chat, S3).
func (p *op) ownerParticipant() string { return ownerParticipantOf(p.x) }

func ownerParticipantOf(x Interaction) string {
	if x.OwnerParticipant != "" {
		return x.OwnerParticipant
	}
	parts, _ := chatParticipants(x.Resource)
	for _, raw := range parts {
		m, err := Members(raw)
		if err != nil {
			continue
		}
		id, _ := stringMember(m, spec.FieldParticipantID)
		typ, _ := stringMember(m, spec.FieldParticipantType)
		if typ == spec.ParticipantCustomer || slices.ContainsFunc(x.Guests, func(g Guest) bool { return g.ParticipantID == id }) {
			continue
		}
		return id
	}
	return ""
}

// addParticipant adds a participant to the chat and returns its id.
func (p *op) addParticipant(nickname, typ, visibility string) (string, error) {
	parts, err := chatParticipants(p.x.Resource)
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, raw := range parts {
		if id, ok := participantID(raw); ok {
			taken[id] = true
		}
	}
	id, err := p.s.newID(func(id string) bool { return taken[id] })
	if err != nil {
		return "", err
	}
	raw, err := encode(map[string]string{spec.FieldNickname: nickname, spec.FieldParticipantType: typ,
		spec.FieldParticipantID: id, spec.FieldVisibility: visibility})
	if err != nil {
		return "", fail(spec.StatusInternalError, ErrInternal, "participant: %v", err)
	}
	return id, p.set(map[string]any{spec.FieldParticipants: append(parts, raw)})
}

// removeParticipant drops the participant pid ("" drops nothing).
func (p *op) removeParticipant(pid string) error {
	if pid == "" {
		return nil
	}
	parts, err := chatParticipants(p.x.Resource)
	if err != nil {
		return err
	}
	parts = slices.DeleteFunc(parts, func(raw json.RawMessage) bool {
		id, _ := participantID(raw)
		return id == pid
	})
	return p.set(map[string]any{spec.FieldParticipants: parts})
}

func participantID(raw []byte) (string, bool) {
	m, err := Members(raw)
	if err != nil {
		return "", false
	}
	return stringMember(m, spec.FieldParticipantID)
}

// CustomerAction is what the customer of a chat does (control plane, D20).
type CustomerAction string

// The customer's actions.
const (
	CustomerMessage       CustomerAction = spec.AdminCustomerMessage
	CustomerTypingStarted CustomerAction = spec.AdminCustomerTypingStarted
	CustomerTypingStopped CustomerAction = spec.AdminCustomerTypingStopped
	CustomerLeave         CustomerAction = spec.AdminCustomerLeave
)

// CustomerActions lists the customer's actions.
func CustomerActions() []CustomerAction {
	return []CustomerAction{CustomerMessage, CustomerTypingStarted, CustomerTypingStopped, CustomerLeave}
}

// Customer plays the customer of a chat (D20): his message or typing notice goes into the
// transcript and to the agents in the chat as MessageLogUpdated; leaving takes him out of the
// participants (ParticipantsUpdated, then ParticipantLeft). Refusals: unknown chat 6; a chat
// nobody works on (in a workbin) 2; a customer who left 2; a message without text 1; an
// unknown action 10.
func (s *Store) Customer(chatID string, action CustomerAction, text string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.w.items[chatID]
	if !ok || x.Media != spec.MediaChat {
		return nil, fail(spec.StatusNotFound, ErrUnknownInteraction, "chat %q not found", chatID)
	}
	if x.Owner == "" {
		return nil, fail(spec.StatusInvalidParameter, ErrNotYours, "chat %q is in a workbin: no agent is in it", chatID)
	}
	var typ string
	switch action {
	case CustomerMessage:
		if text == "" {
			return nil, fail(spec.StatusMissingParameter, ErrMissingParameter, "a message needs text")
		}
		typ = spec.ChatMessageText
	case CustomerTypingStarted:
		typ = spec.ChatMessageTypingStarted
	case CustomerTypingStopped:
		typ = spec.ChatMessageTypingStopped
	case CustomerLeave:
		typ = spec.ChatMessageParticipantLeft
	default:
		return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "action %q is not one of %v", action, CustomerActions())
	}
	parts, err := chatParticipants(x.Resource)
	if err != nil {
		return nil, err
	}
	pid := ""
	for _, raw := range parts {
		m, err := Members(raw)
		if err != nil {
			continue
		}
		if t, _ := stringMember(m, spec.FieldParticipantType); t == spec.ParticipantCustomer {
			pid, _ = stringMember(m, spec.FieldParticipantID)
			break
		}
	}
	if pid == "" {
		return nil, fail(spec.StatusInvalidParameter, ErrCustomerGone, "chat %q has no customer (he left)", chatID)
	}
	p := &op{s: s, w: s.w, x: x.clone(), r: role{owner: true}}
	if action != CustomerMessage {
		text = ""
	}
	msg, err := p.appendMessage(typ, pid, text, "", spec.VisibilityAll)
	if err != nil {
		return nil, err
	}
	if action == CustomerLeave {
		if err := p.removeParticipant(pid); err != nil {
			return nil, err
		}
		for _, to := range p.audience("") {
			if err := p.notify(to, spec.NotificationParticipantsUpdated); err != nil {
				return nil, err
			}
		}
	}
	p.messages(p.audience(""), []ChatMessage{msg})
	s.w.items[x.ID] = p.x
	return p.events, nil
}

// decodeNumbers decodes JSON keeping numbers as written (json.Number).
func decodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
