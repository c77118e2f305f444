package mockserver

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// onlineIndex knows which users have CometD sessions, so that events for users without one
// are not rendered at all. A session enters at its handshake reply (seen through bayeux's
// OnMessage before the client gets its clientId, so none is missed) and leaves when the
// server no longer knows it (checked when asked: expiries are not announced).
type onlineIndex struct {
	mu    sync.Mutex
	users map[string]map[string]bool // user → clientIds
}

func (o *onlineIndex) observe(ev bayeux.WireEvent) {
	m := ev.Message
	if ev.Direction != bayeux.FromServer || m.Channel != bayeux.MetaHandshake || m.Successful == nil || !*m.Successful || ev.Principal == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.users == nil {
		o.users = map[string]map[string]bool{}
	}
	if o.users[ev.Principal] == nil {
		o.users[ev.Principal] = map[string]bool{}
	}
	o.users[ev.Principal][m.ClientID] = true
}

// has reports whether user has a live session, forgetting the ones the server dropped.
func (o *onlineIndex) has(user string, srv *bayeux.Server) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for id := range o.users[user] {
		if _, ok := srv.Session(id); ok {
			return true
		}
		delete(o.users[user], id)
	}
	delete(o.users, user)
	return false
}

// notification is one rendered GWS payload for one recipient.
type notification struct {
	recipient string
	channel   string
	payload   []byte
	// checkChannel and checked are what the self-check validates: the payload as the
	// contract wants it, before a deviation altered it (then payload differs).
	checkChannel string
	checked      []byte
}

// publish renders each event as GWS payloads (D5), self-checks them and publishes them to
// the recipients' sessions. refOf gives the requester's referenceId; pull marks the events
// of a pull.
func (s *Server) publish(events []state.Event, refOf func(state.Event) int64, pull bool) {
	for _, ev := range events {
		ev = s.deviateRecipients(ev, pull)
		var ref int64
		if refOf != nil && ev.Requester != "" {
			ref = refOf(ev)
		}
		if ev.Kind == state.WorkbinItemRemoved && s.dev.has(DevPulledItemStillListed) {
			s.pulled.add(ev.Workbin.ID, ev.Interaction)
		}
		for _, n := range s.render(ev, ref, pull) {
			s.send(n)
		}
	}
}

// render turns one event into its payloads, one per recipient: the requester's copy
// carries ref, the others none (D5).
func (s *Server) render(ev state.Event, ref int64, pull bool) []notification {
	var out []notification
	for _, to := range ev.Recipients {
		if !s.online.has(to, s.cometd) && !s.dev.has(DevEventLeaked) {
			continue // no session of this user: nothing to render, check or send
		}
		want := int64(0)
		if to == ev.Requester {
			want = ref
		}
		got := want
		switch {
		case s.dev.has(DevWrongReferenceID) && want > 0:
			got = want + 1000
		case s.dev.has(DevReferenceIDToOthers) && to != ev.Requester && ev.Requester != "" && isWorkbinContent(ev.Kind):
			got = ref
		}
		n, ok := s.renderOne(ev, want, pull)
		if !ok {
			continue
		}
		if got != want {
			// The self-check keeps the contract's copy; the deviated one goes out.
			if d, ok := s.renderOne(ev, got, pull); ok {
				n.payload, n.channel = d.payload, d.channel
			}
		}
		n.recipient = to
		out = append(out, n)
	}
	return out
}

// renderOne renders one copy of an event; checked and checkChannel are the copy the
// contract wants, payload and channel what goes out.
func (s *Server) renderOne(ev state.Event, ref int64, pull bool) (notification, bool) {
	var n notification
	var ok bool
	switch ev.Kind {
	case state.InteractionChanged:
		n, ok = s.renderInteraction(ev, ref, pull)
	case state.WorkbinItemRemoved, state.WorkbinItemAdded:
		n, ok = s.renderWorkbinContent(ev, ref)
	case state.Subscribed, state.Unsubscribed:
		n, ok = s.renderSubscription(ev, ref)
	case state.Stats:
		n, ok = s.renderStats(ev, ref)
	}
	if ok && n.checked == nil {
		n.checked, n.checkChannel = n.payload, n.channel
	}
	return n, ok
}

func isWorkbinContent(k state.EventKind) bool {
	return k == state.WorkbinItemRemoved || k == state.WorkbinItemAdded
}

// renderInteraction is the media notification (Workitem/Chat/EmailStateChangeMessage,
// notificationType StatusChange) with the interaction after the change (D5 1).
func (s *Server) renderInteraction(ev state.Event, ref int64, pull bool) (notification, bool) {
	info, ok := spec.MediaOf(ev.Interaction.Media)
	if !ok {
		return notification{}, false
	}
	if pull && s.dev.has(DevMissingMediaNotify) {
		return notification{}, false
	}
	build := func(messageType string, res []byte) []byte {
		o := newObject()
		o.str(spec.FieldMessageType, messageType)
		o.str(spec.FieldNotificationType, spec.NotificationStatusChange)
		if ref > 0 {
			o.int(spec.FieldReferenceID, ref)
		}
		o.raw(info.ResourceKey, res)
		return o.bytes()
	}
	n := notification{channel: info.Channel, payload: build(info.MessageType, ev.Interaction.Resource)}
	if !pull {
		return n, true
	}
	res, mt, channel := ev.Interaction.Resource, info.MessageType, info.Channel
	if s.dev.has(DevMissingCapability) || s.dev.has(DevWrongStateAfterPull) || s.dev.has(DevUserDataDropped) || s.dev.has(DevPullerNotParticipant) {
		res = s.deviateResource(res)
	}
	if s.dev.has(DevWrongMessageType) {
		mt = strings.TrimSuffix(mt, "Message")
	}
	if s.dev.has(DevWrongChannel) {
		channel = spec.ChannelWorkbins
	}
	if channel != n.channel || mt != info.MessageType || string(res) != string(ev.Interaction.Resource) {
		n.checked, n.checkChannel = n.payload, n.channel
		n.payload, n.channel = build(mt, res), channel
	}
	return n, true
}

// deviateResource applies the resource deviations of a pulled interaction.
func (s *Server) deviateResource(res []byte) []byte {
	m, ok := members(res)
	if !ok {
		return res
	}
	if s.dev.has(DevMissingCapability) {
		var caps []string
		if json.Unmarshal(m[spec.FieldCapabilities], &caps) == nil && len(caps) > 0 {
			m[spec.FieldCapabilities], _ = json.Marshal(caps[:len(caps)-1])
		}
	}
	if s.dev.has(DevWrongStateAfterPull) {
		m[spec.FieldState], _ = json.Marshal(spec.StateInWorkbin)
	}
	if s.dev.has(DevUserDataDropped) {
		delete(m, spec.FieldUserData)
	}
	if s.dev.has(DevPullerNotParticipant) {
		withoutPuller(m)
	}
	if out := encodeMembers(m); out != nil {
		return out
	}
	return res
}

// renderWorkbinContent is WorkbinStateChangeMessage ItemAdded / ItemRemoved (D5 2, N2,
// N5): the workbin id, its group, the supervisor's workbinUserId, the interaction under
// its *StateResourceV2 key.
func (s *Server) renderWorkbinContent(ev state.Event, ref int64) (notification, bool) {
	info, ok := spec.MediaOf(ev.Interaction.Media)
	if !ok {
		return notification{}, false
	}
	action := spec.ActionItemAdded
	if ev.Kind == state.WorkbinItemRemoved {
		action = spec.ActionItemRemoved
		if s.dev.has(DevMissingItemRemoved) {
			return notification{}, false
		}
	}
	o := newObject()
	o.str(spec.FieldMessageType, spec.MessageWorkbinStateChange)
	o.str(spec.FieldAction, action)
	o.str(spec.FieldID, ev.Workbin.ID)
	if ev.AgentGroup != "" {
		o.str(spec.FieldAgentGroup, ev.AgentGroup)
	}
	if ev.PlaceGroup != "" {
		o.str(spec.FieldPlaceGroup, ev.PlaceGroup)
	}
	if ev.WorkbinUserID != "" {
		o.str(spec.FieldWorkbinUserID, ev.WorkbinUserID)
	}
	if ref > 0 {
		o.int(spec.FieldReferenceID, ref)
	}
	o.raw(info.StateResourceV2Key, ev.Interaction.Resource)
	return notification{channel: spec.ChannelWorkbins, payload: o.bytes()}, true
}

// renderSubscription is WorkbinSubscriptionStateChangeMessage Subscribed / Unsubscribed.
func (s *Server) renderSubscription(ev state.Event, ref int64) (notification, bool) {
	if s.dev.has(DevMissingSubscriptionNote) {
		return notification{}, false
	}
	stateResource := spec.SubscriptionSubscribed
	if ev.Kind == state.Unsubscribed {
		stateResource = spec.SubscriptionUnsubscribed
	}
	o := newObject()
	o.str(spec.FieldMessageType, spec.MessageWorkbinSubscriptionStateChange)
	o.str(spec.FieldID, ev.Workbin.ID)
	o.str(spec.FieldStateResource, stateResource)
	if ev.WorkbinUserID != "" {
		o.str(spec.FieldWorkbinUserID, ev.WorkbinUserID)
	}
	if ref > 0 {
		o.int(spec.FieldReferenceID, ref)
	}
	return notification{channel: spec.ChannelWorkbins, payload: o.bytes()}, true
}

// renderStats is WorkbinStatsMessage (N1), the answer to RequestAgentStats.
func (s *Server) renderStats(ev state.Event, ref int64) (notification, bool) {
	build := func(extra int) []byte {
		stats := newObject()
		for _, st := range ev.Stats {
			e := newObject()
			e.int(spec.FieldStatCount, int64(st.Count+extra))
			e.str(spec.FieldStatOwner, st.Owner)
			e.str(spec.FieldStatType, st.Type)
			stats.raw(st.WorkbinID, e.bytes())
		}
		o := newObject()
		o.str(spec.FieldMessageType, spec.MessageWorkbinStats)
		if ref > 0 {
			o.int(spec.FieldReferenceID, ref)
		}
		o.raw(spec.FieldWorkbinStats, stats.bytes())
		return o.bytes()
	}
	n := notification{channel: spec.ChannelWorkbins, payload: build(0)}
	if s.dev.has(DevAgentStatsWrongCount) {
		n.checked, n.checkChannel = n.payload, n.channel
		n.payload = build(1)
	}
	return n, true
}

// send publishes a notification to its recipient's sessions only (D9), self-checked: a
// payload the contract rejects is a violation and is dropped. The check runs when the first
// session would receive the notification, so one nobody would receive costs no validation
// (the mock checks what it sends).
func (s *Server) send(n notification) {
	var once sync.Once
	valid := false
	check := func() bool {
		once.Do(func() { valid = s.checkNotification(n) })
		return valid
	}
	match := func(si bayeux.SessionInfo) bool { return si.Principal == n.recipient && check() }
	if s.dev.has(DevEventLeaked) {
		match = func(si bayeux.SessionInfo) bool { return si.Principal != "" && check() }
	}
	if _, err := s.cometd.PublishTo(match, n.channel, json.RawMessage(n.payload)); err != nil {
		s.log.Error("mock: publishing a notification", "channel", n.channel, "recipient", n.recipient, "err", err)
	}
}

// checkNotification validates the contract's copy of a notification and reports a
// violation if it breaks the contract.
func (s *Server) checkNotification(n notification) bool {
	err := s.contract.ValidateNotification(n.checkChannel, n.checked, spec.Strict())
	if err == nil {
		return true
	}
	var mt string
	if m, ok := members(n.checked); ok {
		mt = strings.Trim(string(m[spec.FieldMessageType]), `"`)
	}
	s.viol.report(Violation{Time: s.now(), Kind: ViolationNotification, Subject: n.checkChannel + " " + mt, Issues: issuesOrError(err)})
	return false
}
