package state

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// Actor is who sends a request: the authenticated user's name.
type Actor struct{ User string }

// WorkbinRef is how a request names a workbin, from its URL (D1, W1-W3, W7).
type WorkbinRef struct {
	ID string
	// OnBehalfOf is the {userId} of /api/v2/users/{userId}/workbins/… (the supervisor form,
	// D10, W2); "" otherwise.
	OnBehalfOf string
	// AgentGroup and PlaceGroup are the ?agentGroup= / ?placeGroup= query parameters.
	AgentGroup string
	PlaceGroup string
	// Me is true for /api/v2/me/workbins/…, false for /api/v2/workbins/….
	Me bool
}

// User is a user of the mock. The password is fixture data for the mock only (D8), not a
// secret; it is part of a Snapshot so that a state file can be restored.
type User struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Password    string   `json:"password"`
	Roles       []string `json:"roles"`
	Features    []string `json:"features"`
	Place       string   `json:"place"`
	AgentGroups []string `json:"agentGroups"`
	PlaceGroups []string `json:"placeGroups"`
	// Resource is the GWS user resource, as GET /api/v2/me returns it.
	Resource json.RawMessage `json:"resource"`
}

// IsSupervisor reports whether the user has the supervisor role.
func (u User) IsSupervisor() bool { return slices.Contains(u.Roles, spec.RoleSupervisor) }

// HasFeature reports whether the user has a feature (e.g. spec.FeatureMultimedia).
func (u User) HasFeature(f string) bool { return slices.Contains(u.Features, f) }

func (u User) clone() User {
	u.Roles, u.Features = slices.Clone(u.Roles), slices.Clone(u.Features)
	u.AgentGroups, u.PlaceGroups = slices.Clone(u.AgentGroups), slices.Clone(u.PlaceGroups)
	u.Resource = slices.Clone(u.Resource)
	return u
}

// Workbin is a workbin: Owner is, by Type, a user name (Agent), a place (Place), an agent
// group (AgentGroup) or a place group (PlaceGroup).
type Workbin struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Owner string `json:"owner"`
	// Resource is the GWS workbin resource without content arrays.
	Resource json.RawMessage `json:"resource"`
}

// AgentGroup is the agent group of an AgentGroup workbin, "" for the other types.
func (w Workbin) AgentGroup() string { return w.groupOf(spec.WorkbinAgentGroup) }

// PlaceGroup is the place group of a PlaceGroup workbin, "" for the other types.
func (w Workbin) PlaceGroup() string { return w.groupOf(spec.WorkbinPlaceGroup) }

func (w Workbin) groupOf(typ string) string {
	if w.Type == typ {
		return w.Owner
	}
	return ""
}

func (w Workbin) clone() Workbin {
	w.Resource = slices.Clone(w.Resource)
	return w
}

// Interaction is an interaction: in exactly one workbin (Workbin set) or owned by exactly one
// user (Owner set), never both (D11).
type Interaction struct {
	ID    string     `json:"id"`
	Media spec.Media `json:"media"`
	// Workbin is the id of the workbin holding it; Owner the name of the user owning it.
	Workbin string `json:"workbin,omitempty"`
	Owner   string `json:"owner,omitempty"`
	// State and Capabilities mirror the resource's state and capabilities. They are left out
	// of the JSON form of a Snapshot, where the resource is the one source (S10).
	State        string   `json:"-"`
	Capabilities []string `json:"-"`
	// Resource is the GWS resource (workitem, chat or email) in its current state: id, state,
	// capabilities, userData, and for chats participants, as the notifier renders it.
	Resource json.RawMessage `json:"resource"`
	// Guests are the other users in a chat (Invite, Consult; S14), Transcript its messages
	// (D20), OwnerParticipant the owner's participantId when he joined through Accept.
	Guests           []Guest       `json:"guests,omitempty"`
	Transcript       []ChatMessage `json:"transcript,omitempty"`
	OwnerParticipant string        `json:"ownerParticipant,omitempty"`
}

func (x Interaction) clone() Interaction {
	x.Capabilities = slices.Clone(x.Capabilities)
	x.Resource = slices.Clone(x.Resource)
	x.Guests = slices.Clone(x.Guests)
	x.Transcript = slices.Clone(x.Transcript)
	return x
}

// Subscription says that User receives the WorkbinStateChangeMessages of Workbin.
type Subscription struct {
	User    string `json:"user"`
	Workbin string `json:"workbin"`
}

// Snapshot is the whole state in a deterministic order (users by name, workbins and
// interactions by id, subscriptions by user then workbin). It round-trips through
// encoding/json.
type Snapshot struct {
	Users         []User         `json:"users"`
	Workbins      []Workbin      `json:"workbins"`
	Interactions  []Interaction  `json:"interactions"`
	Subscriptions []Subscription `json:"subscriptions"`
}

// NewInteraction is an interaction the admin API or a routing simulation puts into a workbin
// (Store.Place).
type NewInteraction struct {
	// ID is taken from Options.NewID when empty.
	ID    string
	Media spec.Media
	// Type is the value of the resource's type field (workitemType…); "" means Inbound.
	Type string
	// ReceivedDate is Options.Now() when zero.
	ReceivedDate time.Time
	// UserData values are strings, numbers or nil (userData.json).
	UserData map[string]any
}

// EventKind says which notification an Event becomes.
type EventKind string

// The kinds of events.
const (
	// InteractionChanged: the interaction's media notification (WorkitemStateChangeMessage…,
	// notificationType StatusChange) on the recipient's media channel (D5 1).
	InteractionChanged EventKind = "InteractionChanged"
	// WorkbinItemRemoved and WorkbinItemAdded: WorkbinStateChangeMessage with action
	// ItemRemoved / ItemAdded on /v2/me/workbins (D5 2, D11).
	WorkbinItemRemoved EventKind = "WorkbinItemRemoved"
	WorkbinItemAdded   EventKind = "WorkbinItemAdded"
	// Subscribed and Unsubscribed: WorkbinSubscriptionStateChangeMessage.
	Subscribed   EventKind = "Subscribed"
	Unsubscribed EventKind = "Unsubscribed"
	// Stats: WorkbinStatsMessage (N1).
	Stats EventKind = "Stats"
	// ChatMessages: MessageLogUpdated of Messages on /v2/me/chats (D20); Interaction names
	// the chat.
	ChatMessages EventKind = "ChatMessages"
	// ChannelsChanged: ChannelStateChangeMessageV2 of Channels on /v2/me/channels (D21).
	ChannelsChanged EventKind = "ChannelsChanged"
)

// Event is one notification to render, with everything the notifier needs: it never has to
// read the store again. Events are copies; the caller may keep and change them. Fields
// describe the change; the renderer takes those its message has (a subscription message,
// for instance, has no agentGroup member).
type Event struct {
	Kind EventKind
	// Recipients are the user names that receive it, sorted. It may be empty (an ItemRemoved of
	// a workbin nobody subscribed to): the event is still returned, so that every command
	// has a fixed list of events (S7).
	Recipients []string
	// Requester is the acting user ("" for Store.Place): his copy, if he is among the
	// recipients, carries the request's referenceId; the other copies carry none (D5).
	Requester string
	// Workbin is the workbin acted on (zero for Stats).
	Workbin Workbin
	// AgentGroup / PlaceGroup name the group of a group workbin, whatever URL form was used
	// (D5); WorkbinUserID is the id of the agent whose workbin a supervisor acted on through
	// /api/v2/users/{userId}/… (D10, N5), on every copy.
	AgentGroup    string
	PlaceGroup    string
	WorkbinUserID string
	// Interaction is, for InteractionChanged and WorkbinItemAdded, the interaction after the
	// change; for WorkbinItemRemoved, the interaction as the workbin listed it just before the
	// pull (N2: no capabilities, InWorkbin).
	Interaction Interaction
	// Stats is the content of a Stats event, sorted by workbin id.
	Stats []WorkbinStat
	// Notification is the notificationType of an InteractionChanged ("" is StatusChange).
	Notification string
	// Messages are the transcript entries of ChatMessages; Channels the states of
	// ChannelsChanged.
	Messages []ChatMessage
	Channels []ChannelState
}

// WorkbinStat is one entry of workbinStats (RequestAgentStats, O1).
type WorkbinStat struct {
	WorkbinID string
	Count     int
	// Owner and Type are the workbin's (Owner: user name, place or group name).
	Owner string
	Type  string
}
