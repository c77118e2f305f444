package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

// world is the whole state. The Store's lock guards it. Stored values are private copies
// that are replaced, never changed in place, and copied again on the way out.
type world struct {
	users    map[string]User   // by name
	userIDs  map[string]string // id → name
	workbins map[string]Workbin
	items    map[string]Interaction
	subs     map[string]map[string]bool // workbin id → subscribed user names
	// channels are the users' contact-center channel states (S16): not in snapshots.
	channels map[string][]ChannelState
}

// maxID is the longest id (W5).
const maxID = 255

// maxProblems bounds the list of faults a refused snapshot reports.
const maxProblems = 20

// fromFixtures turns a fixture set into a snapshot without subscriptions.
func fromFixtures(set *fixtures.Set) Snapshot {
	snap := Snapshot{}
	for _, u := range set.Users {
		snap.Users = append(snap.Users, User{
			ID: u.ID, Name: u.Name, Password: u.Password, Roles: u.Roles, Features: u.Features, Place: u.Place,
			AgentGroups: u.AgentGroups, PlaceGroups: u.PlaceGroups, Resource: u.Resource,
		})
	}
	for _, w := range set.Workbins {
		snap.Workbins = append(snap.Workbins, Workbin{ID: w.ID, Name: w.Name, Type: w.Type, Owner: w.Owner, Resource: w.Resource})
	}
	for _, x := range set.Interactions {
		snap.Interactions = append(snap.Interactions, Interaction{ID: x.ID, Media: x.Media, Workbin: x.Workbin, Owner: x.Owner, Resource: x.Resource})
	}
	return snap
}

// snapshot copies the world out in a deterministic order.
func (w *world) snapshot() Snapshot {
	snap := Snapshot{
		Users: make([]User, 0, len(w.users)), Workbins: make([]Workbin, 0, len(w.workbins)),
		Interactions: make([]Interaction, 0, len(w.items)), Subscriptions: []Subscription{},
	}
	for _, name := range slices.Sorted(maps.Keys(w.users)) {
		snap.Users = append(snap.Users, w.users[name].clone())
	}
	for _, id := range slices.Sorted(maps.Keys(w.workbins)) {
		snap.Workbins = append(snap.Workbins, w.workbins[id].clone())
	}
	for _, id := range slices.Sorted(maps.Keys(w.items)) {
		snap.Interactions = append(snap.Interactions, w.items[id].clone())
	}
	for wb, users := range w.subs {
		for u := range users {
			snap.Subscriptions = append(snap.Subscriptions, Subscription{User: u, Workbin: wb})
		}
	}
	sortSubscriptions(snap.Subscriptions)
	return snap
}

func sortSubscriptions(s []Subscription) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].User != s[j].User {
			return s[i].User < s[j].User
		}
		return s[i].Workbin < s[j].Workbin
	})
}

// builder validates a snapshot and builds a world from it (S11).
type builder struct {
	contract *spec.Contract
	problems []string
	w        *world
}

func (b *builder) fail(format string, args ...any) {
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// build checks everything a command relies on: unique ids, owners and workbins that exist,
// every interaction in exactly one place with a state that fits it (D11), resources that are
// JSON objects agreeing with their record (and, with a contract, valid against their schema),
// subscriptions a user could have made. It changes nothing outside the new world.
func build(snap Snapshot, contract *spec.Contract) (*world, error) {
	b := &builder{contract: contract, w: &world{
		users: map[string]User{}, userIDs: map[string]string{}, workbins: map[string]Workbin{},
		items: map[string]Interaction{}, subs: map[string]map[string]bool{},
	}}
	for i, u := range snap.Users {
		b.user(i, u)
	}
	for i, wb := range snap.Workbins {
		b.workbin(i, wb)
	}
	for i, x := range snap.Interactions {
		b.interaction(i, x)
	}
	for i, s := range snap.Subscriptions {
		b.subscription(i, s)
	}
	if len(b.problems) > 0 {
		msg := strings.Join(b.problems[:min(len(b.problems), maxProblems)], "; ")
		if n := len(b.problems) - maxProblems; n > 0 {
			msg += fmt.Sprintf("; and %d more", n)
		}
		return nil, fail(spec.StatusInvalidInput, ErrInvalidSnapshot, "invalid snapshot: %s", msg)
	}
	return b.w, nil
}

// resource canonicalizes a resource and checks its id member (and, with a contract, its
// schema). It returns nil after reporting a fault.
func (b *builder) resource(where, schema, id string, raw json.RawMessage) ([]byte, map[string]json.RawMessage) {
	if len(bytes.TrimSpace(raw)) == 0 {
		b.fail("%s: resource is missing", where)
		return nil, nil
	}
	res, err := canonical(raw)
	if err != nil {
		b.fail("%s: resource: %v", where, err)
		return nil, nil
	}
	m, _ := Members(res)
	if got, ok := m[spec.FieldID]; ok {
		if s, _ := stringMember(m, spec.FieldID); s != id {
			b.fail("%s: resource id %s differs from the record's id %q", where, got, id)
			return nil, nil
		}
	}
	if b.contract != nil {
		if err := b.contract.ValidateDocument(schema, res, spec.Strict()); err != nil {
			b.fail("%s: resource breaks %s: %v", where, schema, err)
			return nil, nil
		}
	}
	return res, m
}

func (b *builder) user(i int, u User) {
	where := fmt.Sprintf("users[%d] (%q)", i, u.Name)
	w := b.w
	switch {
	case u.Name == "":
		b.fail("%s: name is empty", where)
		return
	case u.ID == "":
		b.fail("%s: id is empty", where)
		return
	}
	if _, dup := w.users[u.Name]; dup {
		b.fail("%s: user name %q is taken twice", where, u.Name)
		return
	}
	if other, dup := w.userIDs[u.ID]; dup {
		b.fail("%s: user id %q is also %s's", where, u.ID, other)
		return
	}
	res, m := b.resource(where, "user.json", u.ID, u.Resource)
	if res == nil {
		return
	}
	if name, ok := m["userName"]; ok {
		if s, _ := stringMember(m, "userName"); s != u.Name {
			b.fail("%s: resource userName %s differs from the record's name", where, name)
			return
		}
	}
	u = u.clone()
	u.Resource = res
	for _, l := range []*[]string{&u.Roles, &u.Features, &u.AgentGroups, &u.PlaceGroups} {
		if *l == nil {
			*l = []string{}
		}
	}
	w.users[u.Name], w.userIDs[u.ID] = u, u.Name
}

// ownerKnown reports whether some user owns a workbin of this type and owner.
func (b *builder) ownerKnown(typ, owner string) bool {
	for _, u := range b.w.users {
		if u.member().Owns(typ, owner) {
			return true
		}
	}
	return false
}

func (b *builder) workbin(i int, wb Workbin) {
	where := fmt.Sprintf("workbins[%d] (%q)", i, wb.ID)
	switch {
	case wb.ID == "" || utf8.RuneCountInString(wb.ID) > maxID:
		b.fail("%s: id must have 1 to %d characters", where, maxID)
		return
	case !slices.Contains(spec.WorkbinTypes(), wb.Type):
		b.fail("%s: type %q is not one of %v", where, wb.Type, spec.WorkbinTypes())
		return
	case wb.Owner == "" || !b.ownerKnown(wb.Type, wb.Owner):
		b.fail("%s: owner %q of this %s workbin is no user's %s", where, wb.Owner, wb.Type, spec.WorkbinOwnerKind(wb.Type))
		return
	}
	if _, dup := b.w.workbins[wb.ID]; dup {
		b.fail("%s: workbin id is taken twice", where)
		return
	}
	res, m := b.resource(where, "workbin.json", wb.ID, wb.Resource)
	if res == nil {
		return
	}
	if typ, ok := stringMember(m, "type"); ok && typ != wb.Type {
		b.fail("%s: resource type %q differs from the record's type %q", where, typ, wb.Type)
		return
	}
	for _, media := range spec.AllMedia() {
		info, _ := spec.MediaOf(media)
		if _, ok := m[info.ContentArray]; ok {
			b.fail("%s: resource has content (%s); the content is the interactions placed in the workbin", where, info.ContentArray)
			return
		}
	}
	wb.Resource = res
	b.w.workbins[wb.ID] = wb
}

func (b *builder) interaction(i int, x Interaction) {
	where := fmt.Sprintf("interactions[%d] (%q)", i, x.ID)
	info, modelled := spec.MediaOf(x.Media)
	switch {
	case x.ID == "" || utf8.RuneCountInString(x.ID) > maxID:
		b.fail("%s: id must have 1 to %d characters", where, maxID)
		return
	case !modelled:
		b.fail("%s: media %q is not one of %v", where, x.Media, spec.AllMedia())
		return
	case (x.Workbin == "") == (x.Owner == ""):
		b.fail("%s: give exactly one of workbin and owner (D11), not workbin %q and owner %q", where, x.Workbin, x.Owner)
		return
	}
	if _, dup := b.w.items[x.ID]; dup {
		b.fail("%s: interaction id is taken twice (an interaction is in one place only, D11)", where)
		return
	}
	if _, ok := b.w.workbins[x.Workbin]; x.Workbin != "" && !ok {
		b.fail("%s: workbin %q does not exist", where, x.Workbin)
		return
	}
	if _, ok := b.w.users[x.Owner]; x.Owner != "" && !ok {
		b.fail("%s: owner %q is no user", where, x.Owner)
		return
	}
	res, m := b.resource(where, info.Schema, x.ID, x.Resource)
	if res == nil {
		return
	}
	if problem := checkUserData(m); problem != "" {
		b.fail("%s: %s", where, problem)
		return
	}
	if typ, ok := m[info.TypeField]; ok {
		if s, _ := stringMember(m, info.TypeField); !slices.Contains(spec.InteractionTypes(), s) {
			b.fail("%s: %s %s is not one of %v", where, info.TypeField, typ, spec.InteractionTypes())
			return
		}
	}
	state, hasState := stringMember(m, spec.FieldState)
	if _, ok := m[spec.FieldState]; ok && !hasState {
		b.fail("%s: state is not a string", where)
		return
	}
	var caps []string
	_, hasCaps := m[spec.FieldCapabilities]
	if hasCaps {
		if err := json.Unmarshal(m[spec.FieldCapabilities], &caps); err != nil || caps == nil {
			b.fail("%s: capabilities is not a list of strings", where)
			return
		}
	}
	if p := spec.CheckPlacement(x.Media, x.Workbin != "", state, hasState, caps, hasCaps); p != nil {
		b.fail("%s: %v", where, p)
		return
	}
	set := map[string]any{}
	if x.Workbin != "" {
		// In a workbin: InWorkbin, no capabilities (checked above), a chat without
		// participants (D11).
		if x.Media == spec.MediaChat {
			var parts []json.RawMessage
			if raw, ok := m[spec.FieldParticipants]; ok && (json.Unmarshal(raw, &parts) != nil || len(parts) > 0) {
				b.fail("%s: a chat in a workbin has no participants", where)
				return
			}
			set[spec.FieldParticipants] = []json.RawMessage{}
		}
		state, caps = spec.StateInWorkbin, []string{}
	} else if !hasCaps {
		caps, _ = spec.Capabilities(x.Media, state)
	}
	if caps == nil {
		caps = []string{}
	}
	set[spec.FieldID], set[spec.FieldState], set[spec.FieldCapabilities] = x.ID, state, caps
	res, err := withMembers(res, set)
	if err != nil {
		b.fail("%s: %v", where, err)
		return
	}
	if !b.parties(where, x) {
		return
	}
	b.w.items[x.ID] = Interaction{ID: x.ID, Media: x.Media, Workbin: x.Workbin, Owner: x.Owner, State: state, Capabilities: caps, Resource: res,
		Guests: slices.Clone(x.Guests), Transcript: slices.Clone(x.Transcript), OwnerParticipant: x.OwnerParticipant}
}

// parties checks a chat's guests and transcript (S14): guests are known users other than the
// owner, once each, Invited or Chatting, of an owned chat; only chats have either.
func (b *builder) parties(where string, x Interaction) bool {
	if x.Media != spec.MediaChat && (len(x.Guests) > 0 || len(x.Transcript) > 0 || x.OwnerParticipant != "") {
		b.fail("%s: only a chat has guests, a transcript or an owner participant", where)
		return false
	}
	if len(x.Guests) > 0 && x.Owner == "" {
		b.fail("%s: a chat in a workbin has no guests", where)
		return false
	}
	seen := map[string]bool{x.Owner: true}
	for i, g := range x.Guests {
		switch {
		case seen[g.User]:
			b.fail("%s: guests[%d] %q is the owner or listed twice", where, i, g.User)
			return false
		case g.State != spec.StateInvited && g.State != spec.StateChatting:
			b.fail("%s: guests[%d] state %q is neither %s nor %s", where, i, g.State, spec.StateInvited, spec.StateChatting)
			return false
		}
		if _, ok := b.w.users[g.User]; !ok {
			b.fail("%s: guests[%d] %q is no user", where, i, g.User)
			return false
		}
		seen[g.User] = true
	}
	return true
}

// checkUserData applies userData.json: an object of strings, numbers and nulls.
func checkUserData(m map[string]json.RawMessage) string {
	raw, ok := m[spec.FieldUserData]
	if !ok {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var ud map[string]any
	if err := dec.Decode(&ud); err != nil || ud == nil {
		return "userData is not a JSON object"
	}
	for _, k := range slices.Sorted(maps.Keys(ud)) {
		switch ud[k].(type) {
		case string, json.Number, nil:
		default:
			return fmt.Sprintf("userData %q is neither a string, a number nor null", k)
		}
	}
	return ""
}

func (b *builder) subscription(i int, s Subscription) {
	where := fmt.Sprintf("subscriptions[%d] (%q, %q)", i, s.User, s.Workbin)
	u, ok := b.w.users[s.User]
	if !ok {
		b.fail("%s: user %q does not exist", where, s.User)
		return
	}
	wb, ok := b.w.workbins[s.Workbin]
	if !ok {
		b.fail("%s: workbin %q does not exist", where, s.Workbin)
		return
	}
	if !canReach(u, wb) {
		b.fail("%s: user %q cannot subscribe to the %s workbin of %q", where, s.User, wb.Type, wb.Owner)
		return
	}
	if b.w.subs[s.Workbin][s.User] {
		b.fail("%s: subscription listed twice", where)
		return
	}
	if b.w.subs[s.Workbin] == nil {
		b.w.subs[s.Workbin] = map[string]bool{}
	}
	b.w.subs[s.Workbin][s.User] = true
}
