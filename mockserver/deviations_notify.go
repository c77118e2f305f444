package mockserver

import (
	"encoding/json"
	"strings"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The hooks of the deviations of notifications: the event before it is rendered, and the
// draft of the copy that goes out (the contract's copy, rendered before, is self-checked).
// Each is in deviationTable beside its switch.

// supervisorPullNotifiesAgent also sends the media notification of a supervisor's pull
// to the agent whose workbin it was.
func supervisorPullNotifiesAgent(_ *Server, ev state.Event, pull bool) state.Event {
	if pull && ev.Kind == state.InteractionChanged && ev.WorkbinUserID != "" &&
		ev.Workbin.Type == spec.WorkbinAgent && ev.Workbin.Owner != ev.Requester {
		ev.Recipients = append(append([]string(nil), ev.Recipients...), ev.Workbin.Owner)
	}
	return ev
}

// pulledMedia: the draft is the media notification of a pull (the pull deviations alter
// only those).
func pulledMedia(d *draft) bool { return d.pull && d.ev.Kind == state.InteractionChanged }

func wrongReferenceID(d *draft) {
	if d.ref > 0 {
		d.ref += 1000
	}
}

func referenceIDToOthers(d *draft) {
	if d.to != d.ev.Requester && d.ev.Requester != "" && isWorkbinContent(d.ev.Kind) {
		d.ref = d.requestRef
	}
}

func missingMediaNotification(d *draft) {
	if pulledMedia(d) {
		d.drop = true
	}
}

func missingItemRemoved(d *draft) {
	if d.ev.Kind == state.WorkbinItemRemoved {
		d.drop = true
	}
}

func missingSubscriptionNotification(d *draft) {
	if d.ev.Kind == state.Subscribed || d.ev.Kind == state.Unsubscribed {
		d.drop = true
	}
}

func wrongChannel(d *draft) {
	if pulledMedia(d) {
		d.channel = spec.ChannelWorkbins
	}
}

func wrongMessageType(d *draft) {
	if info, ok := spec.MediaOf(d.ev.Interaction.Media); ok && pulledMedia(d) {
		d.messageType = strings.TrimSuffix(info.MessageType, "Message")
	}
}

func agentStatsWrongCount(d *draft) {
	if d.ev.Kind != state.Stats {
		return
	}
	stats := make([]state.WorkbinStat, len(d.ev.Stats))
	for i, st := range d.ev.Stats {
		st.Count++
		stats[i] = st
	}
	d.ev.Stats = stats
}

// eventLeaked delivers every copy to every user's sessions subscribed to its channel.
func eventLeaked(d *draft) {
	d.audience = func(si bayeux.SessionInfo) bool { return si.Principal != "" }
}

// pulledResource alters the pulled interaction of a pull's media notification.
func pulledResource(alter func(m map[string]json.RawMessage)) func(*draft) {
	return func(d *draft) {
		if !pulledMedia(d) {
			return
		}
		m, ok := members(d.ev.Interaction.Resource)
		if !ok {
			return
		}
		alter(m)
		if out := encodeMembers(m); out != nil {
			d.ev.Interaction.Resource = out
		}
	}
}

// withoutLastCapability: missing-capability.
func withoutLastCapability(m map[string]json.RawMessage) {
	var caps []string
	if json.Unmarshal(m[spec.FieldCapabilities], &caps) == nil && len(caps) > 0 {
		m[spec.FieldCapabilities], _ = json.Marshal(caps[:len(caps)-1])
	}
}

// stateInWorkbin: wrong-state-after-pull.
func stateInWorkbin(m map[string]json.RawMessage) {
	m[spec.FieldState], _ = json.Marshal(spec.StateInWorkbin)
}

// withoutUserData: user-data-dropped.
func withoutUserData(m map[string]json.RawMessage) { delete(m, spec.FieldUserData) }

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
