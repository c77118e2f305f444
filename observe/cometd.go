package observe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/spec"
)

// cometd judges a long-polling exchange: the Bayeux protocol as far as one exchange and
// the client's history show it, and every notification it delivered.
func (k *Checker) cometd(ex *Exchange) {
	k.res.CometD++
	p := k.identify(ex)
	if ex.Method != http.MethodPost {
		k.res.pass("CometD " + ex.Method + " (not long-polling: WebSocket or callback-polling, passed through unjudged)")
		return
	}
	at := ex.End()
	where := "CometD " + ex.path()
	reqFrames, err := SplitFrames(ex.RequestHeader.Get("Content-Type"), ex.RequestBody)
	if err != nil {
		if ex.Status == 0 {
			return
		}
		if ex.Status/100 == 2 && ex.Incomplete == "" {
			k.checked(conformance.RuleBayeux)
			k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleBayeux, Where: where, Party: k.ids.label(p),
				Message: fmt.Sprintf("HTTP %d to a request body that is no Bayeux message (%v); CometD answers 400", ex.Status, err), Excerpt: excerpt(k.o.Mask, ex.RequestBody, "")})
		} else {
			k.res.RefusedInvalid++
			k.res.example(&k.res.RefusedInvalidExamples, fmt.Sprintf("#%d %s (HTTP %d): %v", ex.Seq, where, ex.Status, err))
		}
		return
	}
	k.res.Messages += len(reqFrames)
	var c *client
	for _, f := range reqFrames {
		if f.Msg.ClientID != "" {
			c = k.ids.client(f.Msg.ClientID, p, at)
			break
		}
	}
	if c != nil {
		k.releasedByDisconnect(ex, c, reqFrames)
	}
	if ex.Status == 0 {
		return
	}
	if ex.Incomplete != "" {
		k.res.Unjudged++
		return
	}
	if ex.Status != http.StatusOK {
		// CometD ends a connect a newer one replaced with 500; bad JSON gets 400.
		if c != nil {
			c.lastEnd = at
		}
		return
	}
	respFrames, err := SplitFrames("application/json", ex.ResponseBody)
	if err != nil || (len(bytesTrim(ex.ResponseBody)) > 0 && bytesTrim(ex.ResponseBody)[0] != '[') {
		k.checked(conformance.RuleBayeux)
		k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleBayeux, Where: where, Party: k.ids.label(p),
			Message: "the reply is not a JSON array of Bayeux messages (Bayeux 1.0: a server always answers an array)", Excerpt: excerpt(k.o.Mask, ex.ResponseBody, "")})
		return
	}
	k.res.Messages += len(respFrames)
	var events []Frame
	for i, f := range respFrames {
		if f.Err != nil {
			k.checked(conformance.RuleBayeux)
			k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleBayeux, Where: where + " reply", Pointer: fmt.Sprintf("/%d", i), Party: k.ids.label(p),
				Message: "a reply message: " + f.Err.Error(), Excerpt: excerpt(k.o.Mask, f.Raw, "")})
			continue
		}
		if !bayeux.IsMeta(f.Msg.Channel) {
			events = append(events, f)
		}
	}
	for _, f := range reqFrames {
		if f.Err != nil {
			continue
		}
		reply := findReply(f.Msg, respFrames)
		if bayeux.IsMeta(f.Msg.Channel) {
			k.checked(conformance.RuleBayeux)
			if reply == nil {
				k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleBayeux, Where: where + " " + f.Msg.Channel, Party: k.ids.label(p),
					Message: fmt.Sprintf("no reply to %s (id %q) in the response; Bayeux: every meta message is answered, with the same id", f.Msg.Channel, f.Msg.ID)})
				continue
			}
			if reply.Successful == nil {
				k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleBayeux, Where: where + " " + f.Msg.Channel + " reply", Pointer: "/successful", Party: k.ids.label(p),
					Message: "the reply has no successful member; Bayeux requires it on every meta reply"})
			}
		}
		c = k.bayeuxMessage(ex, p, f.Msg, reply, c, len(events))
	}
	for _, f := range events {
		k.notification(ex, f, c)
	}
	if c != nil {
		c.lastEnd = at
		if !slices.ContainsFunc(reqFrames, func(f Frame) bool { return f.Msg.Channel == bayeux.MetaConnect }) {
			c.lastOtherEnd = at
		}
		k.exp.decide(c, at)
	}
}

// releasedByDisconnect: a disconnect releases the client's held connect (D9, Bayeux
// 1.0). A connect held when the disconnect was answered that lasted on (answered or given
// up later) was not released.
func (k *Checker) releasedByDisconnect(ex *Exchange, c *client, frames []Frame) {
	if c.disconnected.IsZero() || !ex.Start.Before(c.disconnected) || !slices.ContainsFunc(frames, func(f Frame) bool { return f.Msg.Channel == bayeux.MetaConnect }) {
		return
	}
	k.checked(conformance.RuleBayeux)
	if late := ex.End().Sub(c.disconnected); late > k.o.ImmediateConnect {
		k.report(Finding{Seq: ex.Seq, Time: ex.End(), Rule: conformance.RuleBayeux, Where: "CometD " + bayeux.MetaConnect, Party: k.ids.label(k.ids.clientParty(c)),
			Message: fmt.Sprintf("client %s's held connect lasted %s after its disconnect was answered (%s); a disconnect releases the held connect", shortID(c.id), late.Round(time.Millisecond), stamp(c.disconnected))})
	}
}

func bytesTrim(b []byte) []byte { return []byte(strings.TrimSpace(string(b))) }

// findReply finds the reply to a meta message: same channel, and same id when it has one.
func findReply(m bayeux.Message, replies []Frame) *bayeux.Message {
	for i := range replies {
		r := &replies[i].Msg
		if replies[i].Err == nil && r.Channel == m.Channel && (m.ID == "" || r.ID == m.ID) {
			return r
		}
	}
	return nil
}

// bayeuxMessage judges one request message and its reply; it returns the client the
// exchange belongs to (a handshake makes one).
func (k *Checker) bayeuxMessage(ex *Exchange, p party, m bayeux.Message, reply *bayeux.Message, c *client, events int) *client {
	at := ex.End()
	label := k.ids.label(p)
	where := "CometD " + m.Channel
	bad := func(format string, args ...any) {
		k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleBayeux, Where: where, Party: label, Message: fmt.Sprintf(format, args...)})
	}
	if reply == nil {
		return c
	}
	if m.Channel != bayeux.MetaHandshake && c != nil && !c.disconnected.IsZero() && ex.Start.After(c.disconnected) && reply.IsSuccessful() {
		k.checked(conformance.RuleBayeux)
		bad("the server accepted %s of client %s after answering its disconnect (%s); a disconnect ends the session: 402::Unknown client", m.Channel, shortID(c.id), stamp(c.disconnected))
	}
	if strings.HasPrefix(reply.Error, "402") {
		k.checked(conformance.RuleBayeux)
		if reply.Advice == nil || reply.Advice.Reconnect != bayeux.ReconnectHandshake {
			bad("the reply %q advises %s; an unknown client gets advice.reconnect %q (D9)", reply.Error, adviceText(reply.Advice), bayeux.ReconnectHandshake)
		}
	}
	switch m.Channel {
	case bayeux.MetaHandshake:
		if !reply.IsSuccessful() || reply.ClientID == "" {
			return c
		}
		c = k.ids.client(reply.ClientID, p, at)
		c.subsKnown, c.subs = true, nil
		if reply.Advice != nil && reply.Advice.Timeout != nil {
			c.timeout = time.Duration(*reply.Advice.Timeout) * time.Millisecond
		}
		k.checked(conformance.RuleBayeux)
		if _, basic := basicUser(ex.RequestHeader); !basic && cookieValue(ex.RequestHeader, spec.SessionCookie) == "" {
			bad("a handshake with neither a session cookie (%s) nor an Authorization header succeeded; D9 wants 403::Handshake denied with advice.reconnect none", spec.SessionCookie)
		}
		offered, answered := m.SupportedConnectionTypes, reply.SupportedConnectionTypes
		if len(answered) == 0 {
			answered = []string{bayeux.ConnectionTypeLongPolling}
		}
		if len(offered) > 0 && !slices.ContainsFunc(offered, func(t string) bool { return slices.Contains(answered, t) }) {
			bad("a handshake offering %v succeeded with %v: no connection type in common, so it must fail (Bayeux 1.0)", offered, answered)
		}
	case bayeux.MetaConnect:
		if c == nil {
			return c
		}
		d := ex.Duration
		if m.Advice != nil && m.Advice.Timeout != nil && *m.Advice.Timeout == 0 {
			k.checked(conformance.RuleBayeux)
			if d > k.o.ImmediateConnect {
				bad("a connect asking advice.timeout 0 was answered after %s; it asks for an immediate reply (the first connect after a handshake)", d.Round(time.Millisecond))
			}
			c.earlyEmpty = 0
			return c
		}
		if !reply.IsSuccessful() {
			c.earlyEmpty = 0
			return c
		}
		threshold := min(c.timeout/4, 5*time.Second)
		released := !c.lastOtherEnd.Before(ex.Start) || !c.disconnected.IsZero()
		advice := reply.Advice
		if events == 0 && d < threshold && !released && (advice == nil || (advice.Reconnect != bayeux.ReconnectNone && !advice.MultipleClients)) {
			c.earlyEmpty++
			k.checked(conformance.RuleBayeux)
			if c.earlyEmpty == 1 { // once per run of them
				bad("client %s's connect was answered after %s with nothing to deliver (the server's timeout being %s); long-polling holds a connect until an event or the timeout", shortID(c.id), d.Round(time.Millisecond), c.timeout)
			}
			return c
		}
		if events == 0 && d >= threshold {
			k.checked(conformance.RuleBayeux)
		}
		c.earlyEmpty = 0
	case bayeux.MetaSubscribe, bayeux.MetaUnsubscribe:
		if c == nil || !reply.IsSuccessful() {
			return c
		}
		chans := reply.Subscription.Channels
		if len(chans) == 0 {
			chans = m.Subscription.Channels
		}
		for _, ch := range chans {
			if m.Channel == bayeux.MetaSubscribe {
				if !slices.Contains(c.subs, ch) && len(c.subs) < 100 {
					c.subs = append(c.subs, ch)
				}
			} else {
				c.subs = slices.DeleteFunc(c.subs, func(s string) bool { return s == ch })
			}
		}
	case bayeux.MetaDisconnect:
		if c != nil && reply.IsSuccessful() && c.disconnected.IsZero() {
			c.disconnected = at
		}
	}
	return c
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}

func adviceText(a *bayeux.Advice) string {
	if a == nil {
		return "nothing"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// notification judges a delivered message against the contract, updates what it shows,
// and offers it to the expectations.
func (k *Checker) notification(ex *Exchange, f Frame, c *client) {
	k.res.Notifications++
	at := ex.End()
	n := readNote(f, ex.Seq, at)
	if c != nil {
		n.recipient = k.ids.clientParty(c)
		if !c.subsKnown {
			// A client the observation met late: what it receives shows what it listens to.
			if !slices.Contains(c.subs, n.channel) && len(c.subs) < 100 {
				c.subs = append(c.subs, n.channel)
			}
		}
	}
	label := k.ids.label(n.recipient)
	if strings.HasPrefix(n.channel, spec.PrivateChannelRoot+"/") || n.channel == spec.PrivateChannelRoot {
		var warns []spec.Issue
		k.checked(conformance.RuleContract)
		err := k.c.ValidateMessage(f.Raw, k.specOptions(&warns)...)
		issues := spec.IssuesOf(err)
		if err != nil && issues == nil {
			issues = []spec.Issue{{Where: "message", Rule: "unchecked", Message: err.Error()}}
		}
		for _, is := range issues {
			k.report(Finding{Seq: ex.Seq, Time: at, Rule: conformance.RuleContract, Where: describeNote(n), Pointer: is.Pointer, Party: label,
				Message: fmt.Sprintf("%s: %s [%s]", is.Where, is.Message, is.Rule), Excerpt: excerpt(k.o.Mask, f.Raw, is.Pointer)})
		}
		for _, is := range warns {
			k.report(Finding{Seq: ex.Seq, Time: at, Level: LevelWarning, Rule: conformance.RuleContract, Where: describeNote(n), Pointer: is.Pointer, Party: label,
				Message: fmt.Sprintf("%s: %s [%s] (a warning; --strict makes it an error)", is.Where, is.Message, is.Rule), Excerpt: excerpt(k.o.Mask, f.Raw, is.Pointer)})
		}
	} else {
		k.res.pass("CometD messages on channels outside " + spec.PrivateChannelRoot)
	}
	if c == nil {
		return
	}
	k.noteEffects(n)
	k.isolation(n)
	k.exp.deliver(n)
}

// readNote reads what the checks need from a delivered message.
func readNote(f Frame, seq int64, at time.Time) *note {
	n := &note{at: at, seq: seq, channel: f.Msg.Channel, raw: f.Raw}
	n.data = decodeObject(f.Msg.Data)
	n.msgType = str(n.data, spec.FieldMessageType)
	n.notifType = str(n.data, spec.FieldNotificationType)
	n.action = str(n.data, spec.FieldAction)
	n.stateRes = str(n.data, spec.FieldStateResource)
	n.ref, n.hasRef = intOf(n.data[spec.FieldReferenceID])
	for _, m := range spec.AllMedia() {
		mi, _ := spec.MediaOf(m)
		for _, key := range []string{mi.ResourceKey, mi.StateResourceV2Key} {
			if res, ok := n.data[key].(map[string]any); ok {
				n.resKey, n.resource, n.media, n.item = key, res, m, str(res, spec.FieldID)
			}
		}
	}
	if n.resource == nil {
		for _, key := range spec.StateResourceV2Keys() {
			if res, ok := n.data[key].(map[string]any); ok {
				n.resKey, n.resource, n.item = key, res, str(res, spec.FieldID)
			}
		}
	}
	if n.msgType == spec.MessageWorkbinStateChange || n.msgType == spec.MessageWorkbinSubscriptionStateChange {
		n.workbin = str(n.data, spec.FieldID)
	}
	return n
}

// noteEffects updates the model with what a notification shows.
func (k *Checker) noteEffects(n *note) {
	switch n.msgType {
	case spec.MessageWorkbinStateChange:
		if n.item == "" || n.workbin == "" {
			return
		}
		switch n.action {
		case spec.ActionItemAdded:
			it := k.model.placed(n.item, n.workbin, n.media, n.at)
			if ud, ok := n.resource[spec.FieldUserData].(map[string]any); ok {
				it.userData = ud
			}
		case spec.ActionItemRemoved:
			if it := k.model.items[n.item]; it != nil && it.workbin == n.workbin {
				k.model.leave(it)
			}
		}
		k.model.changed(n.workbin)
	case spec.MessageWorkbinSubscriptionStateChange:
		switch n.stateRes {
		case spec.SubscriptionSubscribed:
			k.model.subscribe(n.workbin, n.recipient, true, n.at)
		case spec.SubscriptionUnsubscribed:
			k.model.subscribe(n.workbin, n.recipient, false, n.at)
		}
	}
}

// isolation: a pull's own notifications reach only the puller (D9); after a supervisor's
// pull the agent gets none (D10).
func (k *Checker) isolation(n *note) {
	if !isMediaMessage(n.msgType) || n.item == "" {
		return
	}
	it := k.model.items[n.item]
	if it == nil || !it.owned || it.shared || it.owner.user == "" || n.recipient.user == "" || n.at.After(it.pullEnd.Add(k.o.NotificationWindow)) {
		return
	}
	if it.viaSupervisor {
		k.checked(conformance.RuleSupervisor)
	} else {
		k.checked(conformance.RuleIsolation)
	}
	if n.recipient.user == it.owner.user {
		return
	}
	switch {
	case it.viaSupervisor:
		k.report(Finding{Seq: n.seq, Time: n.at, Rule: conformance.RuleSupervisor, Where: describeNote(n), Party: n.recipient.user,
			Message: fmt.Sprintf("%s received the notification of %s, which supervisor %s pulled from it (#%d); D10: the supervisor owns it, the agent gets no media notification", n.recipient.user, n.item, it.owner.user, it.pullSeq)})
	case n.hasRef && n.ref == it.pullRef:
		k.report(Finding{Seq: n.seq, Time: n.at, Rule: conformance.RuleIsolation, Where: describeNote(n), Party: n.recipient.user,
			Message: fmt.Sprintf("%s received the notification of %s's pull of %s (#%d, referenceId %d); D9: a user never receives another user's events", n.recipient.user, it.owner.user, n.item, it.pullSeq, n.ref)})
	}
}
