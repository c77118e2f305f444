package spec

import (
	"fmt"
	"slices"
	"strings"
)

// The rules of this file are what workbin types and interaction states mean on the wire. The
// fixture loader and the mock's snapshot check both apply them, so they are written here once.

// WorkbinOwnerKind names what owns a workbin of a type: a user's name (Agent), a place, an
// agent group or a place group.
func WorkbinOwnerKind(workbinType string) string {
	switch workbinType {
	case WorkbinPlace:
		return "place"
	case WorkbinAgentGroup:
		return "agent group"
	case WorkbinPlaceGroup:
		return "place group"
	}
	return "name"
}

// WorkbinMember is what ties a user (user.json) to workbins: his name, his place, his groups.
type WorkbinMember struct {
	Name        string
	Place       string
	AgentGroups []string
	PlaceGroups []string
}

// Owns reports whether the workbin of type workbinType owned by owner is the member's own:
// his Agent workbin, his place's, or one of his agent or place groups'. Reaching other
// workbins (a supervisor's, D10) is the implementation's business, not ownership.
func (m WorkbinMember) Owns(workbinType, owner string) bool {
	if owner == "" {
		return false
	}
	switch workbinType {
	case WorkbinAgent:
		return owner == m.Name
	case WorkbinPlace:
		return owner == m.Place
	case WorkbinAgentGroup:
		return slices.Contains(m.AgentGroups, owner)
	case WorkbinPlaceGroup:
		return slices.Contains(m.PlaceGroups, owner)
	}
	return false
}

// PlacementError is an interaction's state or capabilities that do not fit where it is.
type PlacementError struct {
	// Member is the resource member at fault (FieldState, FieldCapabilities), or "" when
	// the resource lacks one.
	Member string
	Reason string
}

func (e *PlacementError) Error() string { return e.Reason }

// CheckPlacement applies D11 and D5 to the state and capabilities of an interaction's
// resource. In a workbin it is InWorkbin (or gives no state) and has no capabilities. Owned
// by a user, it has a state of its media other than InWorkbin and, where the contract knows
// them (Capabilities), exactly that state's capabilities in any order. hasState and
// hasCaps say whether the resource gives the member at all. It returns the first fault, or nil.
func CheckPlacement(m Media, inWorkbin bool, state string, hasState bool, caps []string, hasCaps bool) *PlacementError {
	fault := func(member, format string, args ...any) *PlacementError {
		return &PlacementError{Member: member, Reason: fmt.Sprintf(format, args...)}
	}
	if inWorkbin {
		if hasState && state != StateInWorkbin {
			return fault(FieldState, "an interaction in a workbin is %s, not %s", StateInWorkbin, state)
		}
		if len(caps) > 0 {
			return fault(FieldCapabilities, "an interaction in a workbin has no capabilities, not %v", caps)
		}
		return nil
	}
	switch {
	case !hasState:
		return fault("", "an owned interaction needs its state")
	case state == StateInWorkbin:
		return fault(FieldState, "an owned interaction cannot be %s (it is in no workbin)", state)
	case !slices.Contains(States(m), state):
		return fault(FieldState, "state %q is not %s state %v", state, withArticle(string(m)), States(m))
	}
	if m == MediaChat && state == StateChatting && sameMembers(caps, ConferenceCapabilities()) {
		return nil // a chat with guests (ChatInviteUser, ChatConsult)
	}
	if want, known := Capabilities(m, state); hasCaps && known && !sameMembers(caps, want) {
		return fault(FieldCapabilities, "%s in state %s has the capabilities %v, not %v", withArticle(string(m)), state, want, caps)
	}
	return nil
}

// sameMembers reports whether a and b hold the same strings, in any order.
func sameMembers(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
