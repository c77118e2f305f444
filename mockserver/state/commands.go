package state

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/workbinkit/workbinkit/spec"
)

// maxNickname is the longest chat nickname (participant.json).
const maxNickname = 255

// Attached-data keys the customer's chat nickname is made of (as in the fixture chats). They
// are data conventions of Genesys routing, not members of the wire format.
const (
	userDataFirstName = "FirstName"
	userDataLastName  = "LastName"
	defaultCustomer   = "Customer"
)

// Pull takes an interaction out of a workbin for the actor (PullInteractionFromWorkbin; D1, D2,
// D5, D10, D11, S2). Checks, in order: the actor (20, or 6 without api-multimedia, D7); the
// operation: one of the eight pull names, else 2, and a social name (PullTweet…) 2 since
// those media are not modelled; the id (1); the nickname (at most 255 characters, else 10);
// the workbin (S1); the interaction: unknown 6, elsewhere (another workbin, or owned: a second
// pull: ErrAlreadyPulled) 2, of another media than a media-specific name 2. The PullChat gates (D6) are the HTTP
// layer's.
//
// Afterwards the actor owns it (a supervisor too, D10), its state is the media's PulledState
// with spec.Capabilities, and a chat has the actor among its participants (S3). Events:
// InteractionChanged to the actor, then WorkbinItemRemoved to the workbin's subscribers.
func (s *Store) Pull(a Actor, ref WorkbinRef, operation, interactionID, nickname string) ([]Event, error) {
	return s.pull(a, ref, operation, interactionID, nickname, true)
}

// PullJoinFailed is Pull where joining a chat fails (D6, enableJoinOnPullChat off): a chat
// still leaves the workbin and goes to the actor, but in state JoinFailed with its
// capabilities and its participants as they were (the actor is not among them), as a real
// GWS lists a chat whose join failed (real-gws fact 18). That a pull without join ends so is
// an INFERENCE. Other media are pulled as by Pull.
func (s *Store) PullJoinFailed(a Actor, ref WorkbinRef, operation, interactionID, nickname string) ([]Event, error) {
	return s.pull(a, ref, operation, interactionID, nickname, false)
}

func (s *Store) pull(a Actor, ref WorkbinRef, operation, interactionID, nickname string, join bool) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u, err := w.actor(a)
	if err != nil {
		return nil, err
	}
	media, err := operationMedia(operation, spec.IsPull, "pull")
	if err != nil {
		return nil, err
	}
	if interactionID == "" {
		return nil, fail(spec.StatusMissingParameter, ErrMissingParameter, "the interaction id is missing")
	}
	if utf8.RuneCountInString(nickname) > maxNickname {
		return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "the nickname is longer than %d characters", maxNickname)
	}
	t, err := w.access(u, ref)
	if err != nil {
		return nil, err
	}
	x, ok := w.items[interactionID]
	if !ok {
		return nil, fail(spec.StatusNotFound, ErrUnknownInteraction, "interaction %q not found", interactionID)
	}
	if x.Workbin != t.workbin.ID {
		if x.Owner != "" {
			return nil, fail(spec.StatusInvalidParameter, ErrAlreadyPulled, "interaction %q is not in workbin %q: it is owned by a user (already pulled)", x.ID, t.workbin.ID)
		}
		return nil, fail(spec.StatusInvalidParameter, ErrNotInWorkbin, "interaction %q is not in workbin %q: it is in another workbin", x.ID, t.workbin.ID)
	}
	if media != "" && x.Media != media {
		return nil, fail(spec.StatusInvalidParameter, ErrMediaMismatch, "%s is for %s; interaction %q is %s", operation, withArticle(string(media)), x.ID, withArticle(string(x.Media)))
	}
	next, err := s.pulled(x, u, nickname, join)
	if err != nil {
		return nil, err
	}
	w.items[x.ID] = next
	changed := workbinEvent(InteractionChanged, t, u.Name, next, []string{u.Name})
	removed := workbinEvent(WorkbinItemRemoved, t, u.Name, x, w.subscribers(t.workbin.ID))
	return []Event{changed, removed}, nil
}

// operationMedia checks an operation name of a kind (pull or add) and returns its media (""
// for the media-agnostic name).
func operationMedia(operation string, is func(string) bool, kind string) (spec.Media, error) {
	if !is(operation) {
		return "", fail(spec.StatusInvalidParameter, ErrUnknownOperation, "%q is not %s operation", operation, withArticle(kind))
	}
	m, _ := spec.OperationMedia(operation)
	if _, modelled := spec.MediaOf(m); m != "" && !modelled {
		return "", fail(spec.StatusInvalidParameter, ErrUnknownOperation, "%s: the %s media is not available", operation, m)
	}
	return m, nil
}

// pulled is the interaction after u pulled it; a chat u does not join (join false) is
// JoinFailed, its participants unchanged ([] if it listed none).
func (s *Store) pulled(x Interaction, u User, nickname string, join bool) (Interaction, error) {
	info, _ := spec.MediaOf(x.Media)
	state := info.PulledState
	if x.Media == spec.MediaChat && !join {
		state = spec.StateJoinFailed
	}
	caps, _ := spec.Capabilities(x.Media, state)
	set := map[string]any{spec.FieldState: state, spec.FieldCapabilities: caps}
	if x.Media == spec.MediaChat {
		var parts []json.RawMessage
		var err error
		if join {
			parts, err = s.joinChat(x.Resource, u, nickname)
		} else {
			parts, err = chatParticipants(x.Resource)
		}
		if err != nil {
			return Interaction{}, err
		}
		set[spec.FieldParticipants] = parts
	}
	res, err := withMembers(x.Resource, set)
	if err != nil {
		return Interaction{}, fail(spec.StatusInternalError, ErrInternal, "interaction %q: %v", x.ID, err)
	}
	return Interaction{ID: x.ID, Media: x.Media, Owner: u.Name, State: state, Capabilities: caps, Resource: res}, nil
}

// chatParticipants returns the participants a chat lists, never nil (so they encode as []).
func chatParticipants(res []byte) ([]json.RawMessage, error) {
	m, err := Members(res)
	if err != nil {
		return nil, fail(spec.StatusInternalError, ErrInternal, "chat resource: %v", err)
	}
	parts := []json.RawMessage{}
	if raw, ok := m[spec.FieldParticipants]; ok {
		if err := json.Unmarshal(raw, &parts); err != nil {
			return nil, fail(spec.StatusInternalError, ErrInternal, "chat participants: %v", err)
		}
	}
	if parts == nil { // participants: null
		parts = []json.RawMessage{}
	}
	return parts, nil
}

// joinChat returns the participants of a chat that u joins (S3, participant.json): the
// customer, if the chat lists none (a chat in a workbin lists no participants), named by the
// FirstName and LastName of its userData, else "Customer"; then u with the nickname of the
// request, else his user name, as Agent, or as Supervisor for a supervisor (W12).
func (s *Store) joinChat(res []byte, u User, nickname string) ([]json.RawMessage, error) {
	m, err := Members(res)
	if err != nil {
		return nil, fail(spec.StatusInternalError, ErrInternal, "chat resource: %v", err)
	}
	var parts []json.RawMessage
	if raw, ok := m[spec.FieldParticipants]; ok {
		if err := json.Unmarshal(raw, &parts); err != nil {
			return nil, fail(spec.StatusInternalError, ErrInternal, "chat participants: %v", err)
		}
	}
	ids, customer := map[string]bool{}, false
	for i, raw := range parts {
		// Participants are open objects; only their id and type matter here. A stored
		// participant that is not an object, or whose id or type is not a string, is a
		// broken state: refuse rather than join the chat beside it.
		p, err := Members(raw)
		if err != nil {
			return nil, fail(spec.StatusInternalError, ErrInternal, "chat participant %d: %v", i, err)
		}
		id, err := optionalString(p, spec.FieldParticipantID)
		if err != nil {
			return nil, fail(spec.StatusInternalError, ErrInternal, "chat participant %d: %v", i, err)
		}
		typ, err := optionalString(p, spec.FieldParticipantType)
		if err != nil {
			return nil, fail(spec.StatusInternalError, ErrInternal, "chat participant %d: %v", i, err)
		}
		ids[id] = true
		customer = customer || typ == spec.ParticipantCustomer
	}
	add := func(nick, typ string) error {
		id, err := s.newID(func(id string) bool { return ids[id] })
		if err != nil {
			return err
		}
		ids[id] = true
		// A map, so that the members are sorted like the rest of the resource.
		raw, err := encode(map[string]string{spec.FieldNickname: nick, spec.FieldParticipantType: typ, spec.FieldParticipantID: id})
		if err != nil {
			return fail(spec.StatusInternalError, ErrInternal, "participant: %v", err)
		}
		parts = append(parts, raw)
		return nil
	}
	if !customer {
		if err := add(customerName(m), spec.ParticipantCustomer); err != nil {
			return nil, err
		}
	}
	if nickname == "" {
		nickname = u.Name
	}
	typ := spec.ParticipantAgent
	if u.IsSupervisor() {
		typ = spec.ParticipantSupervisor
	}
	if err := add(nickname, typ); err != nil {
		return nil, err
	}
	return parts, nil
}

func customerName(m map[string]json.RawMessage) string {
	ud := map[string]json.RawMessage{}
	if raw, ok := m[spec.FieldUserData]; ok {
		_ = json.Unmarshal(raw, &ud) // checked on the way in; a miss only loses the name
	}
	first, _ := stringMember(ud, userDataFirstName)
	last, _ := stringMember(ud, userDataLastName)
	if name := strings.TrimSpace(first + " " + last); name != "" {
		return name
	}
	return defaultCustomer
}

// Add puts an interaction the actor owns into a workbin (AddInteractionToWorkbin, D11, S4).
// The caller resolves the request's id or the last segment of its uri. Checks, in order: the
// actor; the operation (an add name, else 2; a social name 2); the id (1); the workbin (S1);
// the interaction: unknown 6, already in a workbin 2, owned by another user 5, of another
// media than a media-specific name 2, Completed 2. saveLAR is accepted and has no effect (no
// contact profiles are modelled).
//
// Afterwards it is InWorkbin with no capabilities (a chat without participants, as in the
// group samples). Event: WorkbinItemAdded to the workbin's subscribers.
func (s *Store) Add(a Actor, ref WorkbinRef, operation, interactionID string, saveLAR bool) ([]Event, error) {
	_ = saveLAR
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u, err := w.actor(a)
	if err != nil {
		return nil, err
	}
	media, err := operationMedia(operation, spec.IsAdd, "add")
	if err != nil {
		return nil, err
	}
	if interactionID == "" {
		return nil, fail(spec.StatusMissingParameter, ErrMissingParameter, "the interaction id (id or uri) is missing")
	}
	t, err := w.access(u, ref)
	if err != nil {
		return nil, err
	}
	x, ok := w.items[interactionID]
	switch {
	case !ok:
		return nil, fail(spec.StatusNotFound, ErrUnknownInteraction, "interaction %q not found", interactionID)
	case x.Workbin != "":
		return nil, fail(spec.StatusInvalidParameter, ErrAlreadyInWorkbin, "interaction %q is already in a workbin", x.ID)
	case x.Owner != u.Name:
		return nil, fail(spec.StatusNoPermission, ErrNotOwner, "interaction %q is owned by another user", x.ID)
	case media != "" && x.Media != media:
		return nil, fail(spec.StatusInvalidParameter, ErrMediaMismatch, "%s is for %s; interaction %q is %s", operation, withArticle(string(media)), x.ID, withArticle(string(x.Media)))
	case x.State == spec.StateCompleted:
		return nil, fail(spec.StatusInvalidParameter, ErrCompleted, "interaction %q is %s", x.ID, x.State)
	}
	next, err := inWorkbin(x, t.workbin.ID)
	if err != nil {
		return nil, err
	}
	w.items[x.ID] = next
	return []Event{workbinEvent(WorkbinItemAdded, t, u.Name, next, w.subscribers(t.workbin.ID))}, nil
}

// inWorkbin is the interaction as a workbin holds it: InWorkbin, no capabilities, a chat
// without participants (D11).
func inWorkbin(x Interaction, workbinID string) (Interaction, error) {
	set := map[string]any{spec.FieldState: spec.StateInWorkbin, spec.FieldCapabilities: []string{}}
	if x.Media == spec.MediaChat {
		set[spec.FieldParticipants] = []json.RawMessage{}
	}
	res, err := withMembers(x.Resource, set)
	if err != nil {
		return Interaction{}, fail(spec.StatusInternalError, ErrInternal, "interaction %q: %v", x.ID, err)
	}
	return Interaction{ID: x.ID, Media: x.Media, Workbin: workbinID, State: spec.StateInWorkbin, Capabilities: []string{}, Resource: res}, nil
}

// Subscribe subscribes the actor to the content notifications of each workbin (S5): one
// Subscribed event per distinct workbin, in request order. If any workbin is refused (S1),
// the whole request is refused with the first refusal, and nothing changes. Subscribing again
// is accepted and gives the event again.
func (s *Store) Subscribe(a Actor, refs []WorkbinRef) ([]Event, error) {
	return s.subscription(a, refs, Subscribed)
}

// Unsubscribe ends the actor's subscriptions, as Subscribe starts them (S5, S6): a workbin
// the actor was not subscribed to still gives its Unsubscribed event.
func (s *Store) Unsubscribe(a Actor, refs []WorkbinRef) ([]Event, error) {
	return s.subscription(a, refs, Unsubscribed)
}

func (s *Store) subscription(a Actor, refs []WorkbinRef, kind EventKind) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u, err := w.actor(a)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fail(spec.StatusMissingParameter, ErrMissingParameter, "no workbin given (%s)", spec.ParamWorkbinIDs)
	}
	var targets []target
	seen := map[string]bool{}
	for _, ref := range refs {
		t, err := w.access(u, ref)
		if err != nil {
			return nil, err
		}
		if !seen[t.workbin.ID] {
			seen[t.workbin.ID] = true
			targets = append(targets, t)
		}
	}
	events := make([]Event, 0, len(targets))
	for _, t := range targets {
		id := t.workbin.ID
		if kind == Subscribed {
			if w.subs[id] == nil {
				w.subs[id] = map[string]bool{}
			}
			w.subs[id][u.Name] = true
		} else {
			delete(w.subs[id], u.Name)
			if len(w.subs[id]) == 0 {
				delete(w.subs, id)
			}
		}
		events = append(events, workbinEvent(kind, t, u.Name, Interaction{}, []string{u.Name}))
	}
	return events, nil
}

// AgentStats answers RequestAgentStats (O1, S8) with one Stats event to the actor: the item
// count of the actor's Agent workbins, or of the workbins of workbinType (every one of the
// actor's places or groups of that type), or of workbinType owned by workbinOwner. Refusals:
// workbinOwner without workbinType 1; an unknown type 2; an owner that is not the actor, his
// place or one of his groups 5, except that a supervisor may name any user (D10), an unknown
// one 6.
func (s *Store) AgentStats(a Actor, workbinType, workbinOwner string) (Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w := s.w
	u, err := w.actor(a)
	if err != nil {
		return Event{}, err
	}
	if workbinOwner != "" && workbinType == "" {
		return Event{}, fail(spec.StatusMissingParameter, ErrMissingParameter, "%s needs %s", spec.FieldWorkbinOwner, spec.FieldWorkbinType)
	}
	if workbinType == "" {
		workbinType = spec.WorkbinAgent
	}
	var mine []string
	switch workbinType {
	case spec.WorkbinAgent:
		mine = []string{u.Name}
	case spec.WorkbinPlace:
		if u.Place != "" {
			mine = []string{u.Place}
		}
	case spec.WorkbinAgentGroup:
		mine = u.AgentGroups
	case spec.WorkbinPlaceGroup:
		mine = u.PlaceGroups
	default:
		return Event{}, fail(spec.StatusInvalidParameter, ErrInvalidInput, "%s %q is not one of %v", spec.FieldWorkbinType, workbinType, spec.WorkbinTypes())
	}
	owners := mine
	if workbinOwner != "" {
		switch {
		case slices.Contains(mine, workbinOwner):
		case workbinType == spec.WorkbinAgent && u.IsSupervisor():
			if _, ok := w.users[workbinOwner]; !ok {
				return Event{}, fail(spec.StatusNotFound, ErrUnknownUser, "user %q not found", workbinOwner)
			}
		default:
			return Event{}, fail(spec.StatusNoPermission, ErrWorkbinForbidden, "user %q may not see the statistics of the %s workbins of %q", u.Name, workbinType, workbinOwner)
		}
		owners = []string{workbinOwner}
	}
	count := map[string]int{}
	for _, x := range w.items {
		if x.Workbin != "" {
			count[x.Workbin]++
		}
	}
	stats := []WorkbinStat{}
	for _, id := range slices.Sorted(maps.Keys(w.workbins)) {
		if wb := w.workbins[id]; wb.Type == workbinType && slices.Contains(owners, wb.Owner) {
			stats = append(stats, WorkbinStat{WorkbinID: id, Count: count[id], Owner: wb.Owner, Type: wb.Type})
		}
	}
	return Event{Kind: Stats, Recipients: []string{u.Name}, Requester: u.Name, Stats: stats}, nil
}

// Place creates an interaction directly in a workbin, as routing would (admin API, S9): state
// InWorkbin, no capabilities, the given type (default Inbound), receivedDate (default the
// clock) and userData. Refusals: unknown workbin 6; a media not modelled, a type not Inbound,
// Outbound or Internal, an id over 255 characters, userData values other than strings,
// numbers and nil, or (with Options.Contract) a resource its schema rejects: 10; an id
// already taken 2. Event: WorkbinItemAdded to the workbin's subscribers, with no requester.
func (s *Store) Place(n NewInteraction, workbinID string) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	wb, ok := w.workbins[workbinID]
	if !ok {
		return nil, fail(spec.StatusNotFound, ErrUnknownWorkbin, "workbin %q not found", workbinID)
	}
	info, ok := spec.MediaOf(n.Media)
	if !ok {
		return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "media %q is not one of %v", n.Media, spec.AllMedia())
	}
	typ := n.Type
	if typ == "" {
		typ = spec.InteractionInbound
	}
	if !slices.Contains(spec.InteractionTypes(), typ) {
		return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "%s %q is not one of %v", info.TypeField, typ, spec.InteractionTypes())
	}
	userData := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(n.UserData)) {
		if !userDataValue(n.UserData[k]) {
			return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "userData %q is %T; values are strings, numbers or null", k, n.UserData[k])
		}
		userData[k] = n.UserData[k]
	}
	id := n.ID
	switch _, taken := w.items[id]; {
	case id == "":
		var err error
		if id, err = s.newID(func(id string) bool { _, ok := w.items[id]; return ok }); err != nil {
			return nil, err
		}
	case utf8.RuneCountInString(id) > maxID:
		return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "the id is longer than %d characters", maxID)
	case taken:
		return nil, fail(spec.StatusInvalidParameter, ErrDuplicateID, "interaction %q already exists", id)
	}
	received := n.ReceivedDate
	if received.IsZero() {
		received = s.opts.Now()
	}
	resource := map[string]any{
		spec.FieldID: id, spec.FieldState: spec.StateInWorkbin, spec.FieldCapabilities: []string{},
		info.TypeField: typ, spec.FieldReceivedDate: received.Format(spec.ReceivedDateLayout), spec.FieldUserData: userData,
	}
	if n.Media == spec.MediaChat {
		resource[spec.FieldParticipants] = []string{}
	}
	res, err := encode(resource)
	if err == nil {
		res, err = canonical(res)
	}
	if err != nil {
		return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "interaction %q: %v", id, err)
	}
	if s.opts.Contract != nil {
		if err := s.opts.Contract.ValidateDocument(info.Schema, res, spec.Strict()); err != nil {
			return nil, fail(spec.StatusInvalidInput, ErrInvalidInput, "interaction %q breaks %s: %v", id, info.Schema, err)
		}
	}
	x := Interaction{ID: id, Media: n.Media, Workbin: wb.ID, State: spec.StateInWorkbin, Capabilities: []string{}, Resource: res}
	w.items[id] = x
	return []Event{workbinEvent(WorkbinItemAdded, target{workbin: wb}, "", x, w.subscribers(wb.ID))}, nil
}

func userDataValue(v any) bool {
	switch v := v.(type) {
	case nil, string, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case float32:
		return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
	}
	return false
}

// subscribers lists the users subscribed to a workbin, sorted.
func (w *world) subscribers(id string) []string { return slices.Sorted(maps.Keys(w.subs[id])) }

// workbinEvent builds an event about a workbin (S7); x is copied.
func workbinEvent(kind EventKind, t target, requester string, x Interaction, recipients []string) Event {
	e := Event{
		Kind: kind, Recipients: recipients, Requester: requester, Workbin: t.workbin.clone(),
		AgentGroup: t.workbin.AgentGroup(), PlaceGroup: t.workbin.PlaceGroup(), WorkbinUserID: t.userID,
	}
	if x.ID != "" {
		e.Interaction = x.clone()
	}
	return e
}
