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
	// contract wants it, before a deviation shaped it (then payload differs).
	checkChannel string
	checked      []byte
	// audience, when set, picks the sessions that get it instead of the recipient's.
	audience func(bayeux.SessionInfo) bool
}

// draft is one copy of an event's notification before it is rendered: the event, to whom
// it goes and the referenceId it carries. The deviations' notify hooks shape the copy that
// goes out; the contract's copy is rendered from the draft as it was.
type draft struct {
	ev   state.Event
	to   string
	ref  int64 // the referenceId this copy carries (0: none)
	pull bool  // the event is of a pull
	// requestRef is the referenceId of the request that caused the event (0: none).
	requestRef int64
	// base is the scheme and host of the request that caused the event, for the
	// resources' uri (see baseURL).
	base string
	// channel and messageType, when set, replace the event's.
	channel, messageType string
	// drop: the copy is not sent.
	drop bool
	// audience, when set, picks the sessions that get the copy instead of the recipient's.
	audience func(bayeux.SessionInfo) bool
}

func (d *draft) channelOr(channel string) string {
	if d.channel != "" {
		return d.channel
	}
	return channel
}

func (d *draft) messageTypeOr(messageType string) string {
	if d.messageType != "" {
		return d.messageType
	}
	return messageType
}

// publish renders each event as GWS payloads (D5), self-checks them and publishes them to
// the recipients' sessions. refOf gives the requester's referenceId; pull marks the events
// of a pull; base is the scheme and host of the request (baseURL).
func (s *Server) publish(events []state.Event, refOf func(state.Event) int64, pull bool, base string) {
	hooks := s.dev.load()
	for _, ev := range events {
		ev = hooks.shapeEvent(s, ev, pull)
		var ref int64
		if refOf != nil && ev.Requester != "" {
			ref = refOf(ev)
		}
		for _, n := range s.render(hooks, ev, ref, pull, base) {
			s.send(n)
		}
	}
}

// render turns one event into its payloads, one per recipient: the requester's copy
// carries ref, the others none (D5).
func (s *Server) render(hooks *hookSet, ev state.Event, ref int64, pull bool, base string) []notification {
	var out []notification
	for _, to := range ev.Recipients {
		d := draft{ev: ev, to: to, pull: pull, requestRef: ref, base: base}
		if to == ev.Requester {
			d.ref = ref
		}
		wire := hooks.shapeNotification(d)
		if wire.drop || (wire.audience == nil && !s.online.has(to, s.cometd)) {
			continue // no session of this user: nothing to render, check or send
		}
		n, ok := s.renderOne(&d)
		if !ok {
			continue
		}
		n.checked, n.checkChannel = n.payload, n.channel
		if len(hooks.notify) > 0 {
			// The self-check keeps the contract's copy; the shaped one goes out.
			if w, ok := s.renderOne(&wire); ok {
				n.payload, n.channel = w.payload, w.channel
			}
		}
		n.recipient, n.audience = to, wire.audience
		out = append(out, n)
	}
	return out
}

// renderOne renders one copy of an event.
func (s *Server) renderOne(d *draft) (notification, bool) {
	switch d.ev.Kind {
	case state.InteractionChanged:
		return s.renderInteraction(d)
	case state.WorkbinItemRemoved, state.WorkbinItemAdded:
		return s.renderWorkbinContent(d)
	case state.Subscribed, state.Unsubscribed:
		return s.renderSubscription(d)
	case state.Stats:
		return s.renderStats(d)
	case state.ChatMessages:
		return s.renderMessageLog(d)
	case state.ChannelsChanged:
		return s.renderChannels(d)
	}
	return notification{}, false
}

func isWorkbinContent(k state.EventKind) bool {
	return k == state.WorkbinItemRemoved || k == state.WorkbinItemAdded
}

// renderInteraction is the media notification (Workitem/Chat/EmailStateChangeMessage,
// notificationType StatusChange) with the interaction after the change (D5 1).
func (s *Server) renderInteraction(d *draft) (notification, bool) {
	info, ok := spec.MediaOf(d.ev.Interaction.Media)
	if !ok {
		return notification{}, false
	}
	o := newObject()
	o.str(spec.FieldMessageType, d.messageTypeOr(info.MessageType))
	o.str(spec.FieldNotificationType, notificationOf(d.ev))
	if d.ref > 0 {
		o.int(spec.FieldReferenceID, d.ref)
	}
	res, ok := s.located(d)
	if !ok {
		return notification{}, false
	}
	o.raw(info.ResourceKey, res)
	return notification{channel: d.channelOr(info.Channel), payload: o.bytes()}, true
}

// renderWorkbinContent is WorkbinStateChangeMessage ItemAdded / ItemRemoved (D5 2, N2,
// N5): the workbin id, its group, the supervisor's workbinUserId, the interaction under
// its *StateResourceV2 key.
func (s *Server) renderWorkbinContent(d *draft) (notification, bool) {
	ev, ref := d.ev, d.ref
	info, ok := spec.MediaOf(ev.Interaction.Media)
	if !ok {
		return notification{}, false
	}
	action := spec.ActionItemAdded
	if ev.Kind == state.WorkbinItemRemoved {
		action = spec.ActionItemRemoved
	}
	o := newObject()
	o.str(spec.FieldMessageType, d.messageTypeOr(spec.MessageWorkbinStateChange))
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
	res, ok := s.located(d)
	if !ok {
		return notification{}, false
	}
	o.raw(info.StateResourceV2Key, res)
	return notification{channel: d.channelOr(spec.ChannelWorkbins), payload: o.bytes()}, true
}

// located is the draft's interaction resource with its uri and path (real-gws fact 13).
func (s *Server) located(d *draft) ([]byte, bool) {
	res, err := d.ev.Interaction.Located(d.base)
	if err != nil {
		s.log.Error("mock: rendering a notification", "interaction", d.ev.Interaction.ID, "err", err)
		return nil, false
	}
	return res, true
}

// renderSubscription is WorkbinSubscriptionStateChangeMessage Subscribed / Unsubscribed.
func (s *Server) renderSubscription(d *draft) (notification, bool) {
	ev, ref := d.ev, d.ref
	stateResource := spec.SubscriptionSubscribed
	if ev.Kind == state.Unsubscribed {
		stateResource = spec.SubscriptionUnsubscribed
	}
	o := newObject()
	o.str(spec.FieldMessageType, d.messageTypeOr(spec.MessageWorkbinSubscriptionStateChange))
	o.str(spec.FieldID, ev.Workbin.ID)
	o.str(spec.FieldStateResource, stateResource)
	if ev.WorkbinUserID != "" {
		o.str(spec.FieldWorkbinUserID, ev.WorkbinUserID)
	}
	if ref > 0 {
		o.int(spec.FieldReferenceID, ref)
	}
	return notification{channel: d.channelOr(spec.ChannelWorkbins), payload: o.bytes()}, true
}

// renderStats is WorkbinStatsMessage (N1), the answer to RequestAgentStats.
func (s *Server) renderStats(d *draft) (notification, bool) {
	stats := newObject()
	for _, st := range d.ev.Stats {
		e := newObject()
		e.int(spec.FieldStatCount, int64(st.Count))
		e.str(spec.FieldStatOwner, st.Owner)
		e.str(spec.FieldStatType, st.Type)
		stats.raw(st.WorkbinID, e.bytes())
	}
	o := newObject()
	o.str(spec.FieldMessageType, d.messageTypeOr(spec.MessageWorkbinStats))
	if d.ref > 0 {
		o.int(spec.FieldReferenceID, d.ref)
	}
	o.raw(spec.FieldWorkbinStats, stats.bytes())
	return notification{channel: d.channelOr(spec.ChannelWorkbins), payload: o.bytes()}, true
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
	if n.audience != nil {
		match = func(si bayeux.SessionInfo) bool { return n.audience(si) && check() }
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
