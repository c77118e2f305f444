package observe

import (
	"fmt"
	"slices"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/spec"
)

// An expectation is a notification an accepted operation promises to a party: set when
// the reply is seen, met by a notification that arrives within the window (or came just
// before the reply), missed when a CometD client of the party was seen after the window
// closed without it, undecided when the observation ended first. It is set only when a
// client of the party listened on its channel, so silence can mean something.
type expKind int

const (
	expMedia        expKind = iota // the pulled interaction's StatusChange
	expItemRemoved                 // WorkbinStateChangeMessage ItemRemoved
	expItemAdded                   // WorkbinStateChangeMessage ItemAdded
	expSubscription                // WorkbinSubscriptionStateChangeMessage
	expStats                       // WorkbinStatsMessage
)

type expectation struct {
	kind  expKind
	party party // who must receive it
	actor party // who acted
	rule  conformance.Rule
	ref   int64 // the operation's referenceId (0: none)
	item  string
	media spec.Media
	// workbin of the operation; state is the stateResource a subscription note carries.
	workbin  string
	state    string
	channels []string // a client of party must listen on each
	reqStart time.Time
	replyEnd time.Time
	deadline time.Time
	seq      int64
	where    string
	// userData is what the capture showed of the interaction before a pull.
	userData map[string]any
	// needParticipant: a pulled chat's StatusChange came without an agent participant;
	// a later ParticipantsUpdated may still bring one.
	needParticipant bool
	participantAt   string // where the first notification was, for the finding
}

// note is a notification as the expectations read it.
type note struct {
	at        time.Time
	seq       int64
	recipient party
	channel   string
	raw       []byte
	data      map[string]any
	msgType   string
	notifType string
	action    string
	stateRes  string
	ref       int64
	hasRef    bool
	// item is the interaction's id, resKey the member holding its resource.
	item     string
	resKey   string
	resource map[string]any
	media    spec.Media
	workbin  string // data.id of the workbin messages
	// compacted: data and resource were dropped (see compact).
	compacted bool
}

// Bounds of the expectations.
const (
	maxPending       = 100000
	maxRecentNotes   = 2000 // per recipient
	maxRecentPerItem = 64   // per interaction
)

type expectations struct {
	k    *Checker
	list []*expectation
	// recent are the notifications of the last window, by recipient key and by
	// interaction: an operation's reply may be seen after its notifications.
	recent     map[string][]*note
	recentItem map[string][]*note
	delivered  int
}

func newExpectations(k *Checker) *expectations {
	return &expectations{k: k, recent: map[string][]*note{}, recentItem: map[string][]*note{}}
}

// keep appends n to a recent list, dropping what is older than the window.
func (x *expectations) keep(m map[string][]*note, key string, n *note, limit int) {
	list := m[key]
	cut := 0
	for cut < len(list) && list[cut].at.Before(n.at.Add(-x.k.o.NotificationWindow)) {
		cut++
	}
	list = append(list[cut:], n)
	if len(list) > limit {
		list = list[len(list)-limit:]
	}
	m[key] = list
}

// sweep forgets the recent lists that went stale.
func (x *expectations) sweep(now time.Time) {
	for _, m := range []map[string][]*note{x.recent, x.recentItem} {
		for key, list := range m {
			if len(list) == 0 || list[len(list)-1].at.Before(now.Add(-x.k.o.NotificationWindow)) {
				delete(m, key)
			}
		}
	}
}

// recentAbout lists the recent notifications about an interaction.
func (x *expectations) recentAbout(item string) []*note { return x.recentItem[item] }

func recipientKey(p party) string {
	if p.user != "" {
		return "u:" + p.user
	}
	return "s:" + p.session
}

func (x *expectations) pending() int { return len(x.list) }

// listening reports whether a client of p listens on every channel.
func (x *expectations) listening(p party, channels []string) bool {
	for _, c := range x.k.ids.clients {
		if !c.disconnected.IsZero() || !c.subsKnown || !x.k.ids.clientParty(c).same(p) {
			continue
		}
		all := true
		for _, ch := range channels {
			if !slices.ContainsFunc(c.subs, func(s string) bool { return bayeux.Match(s, ch) }) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (x *expectations) add(e *expectation) {
	k := x.k
	if !x.listening(e.party, e.channels) {
		k.res.NotJudged[fmt.Sprintf("%s: no CometD client of the party listened on %v", e.rule, e.channels)]++
		return
	}
	e.deadline = e.replyEnd.Add(k.o.NotificationWindow)
	k.checked(e.rule)
	// The notification may have come before the reply was seen, filed under the user or,
	// when the session's user was not known yet, under the session.
	keys := []string{recipientKey(k.ids.partyOf(e.party.session, e.party.user))}
	if e.party.session != "" {
		keys = append(keys, "s:"+e.party.session)
	}
	// A notification about one interaction is looked up among that interaction's recent
	// ones (a few) rather than among the party's (up to maxRecentNotes, and fewer than the
	// window holds when the party gets more than maxRecentNotes in a window); the party's
	// list is read when the interaction's may have lost some (it is full) or the
	// expectation names no interaction.
	byItem := e.item != "" && (e.kind == expMedia || e.kind == expItemRemoved || e.kind == expItemAdded) &&
		len(x.recentItem[e.item]) < maxRecentPerItem
	for i, key := range keys {
		if i > 0 && key == keys[0] {
			continue
		}
		list := x.recent[key]
		if byItem {
			list = x.recentItem[e.item]
		}
		for _, n := range list {
			if byItem && recipientKey(n.recipient) != key {
				continue
			}
			if n.at.Before(e.reqStart) || !n.recipient.same(e.party) && n.recipient.session != e.party.session {
				continue
			}
			if x.match(e, n) {
				return
			}
		}
	}
	if len(x.list) >= maxPending {
		x.undecided(x.list[0])
		x.list = x.list[1:]
	}
	x.list = append(x.list, e)
}

// deliver offers a notification to the open expectations.
func (x *expectations) deliver(n *note) {
	x.keep(x.recent, recipientKey(n.recipient), n, maxRecentNotes)
	if n.item != "" {
		x.keep(x.recentItem, n.item, n, maxRecentPerItem)
	}
	if x.delivered++; x.delivered%4096 == 0 {
		x.sweep(n.at)
	}
	x.list = slices.DeleteFunc(x.list, func(e *expectation) bool {
		return e.party.same(n.recipient) && x.match(e, n)
	})
	n.compact()
}

// compact drops the decoded message from a kept note: it is most of a note's size, and
// the window's notes at 1,000 pulls/s would be tens of megabytes that every garbage
// collection scans. A late match reads it again from raw (expanded).
func (n *note) compact() {
	n.data, n.resource, n.compacted = nil, nil, true
}

// expanded returns n with its decoded message, read again from raw when compacted.
func (n *note) expanded() *note {
	if !n.compacted {
		return n
	}
	m := readNote(decodeFrame(n.raw), n.seq, n.at)
	m.recipient = n.recipient
	return m
}

// decide closes the expectations of c's party whose window ended before c was seen at at.
func (x *expectations) decide(c *client, at time.Time) {
	p := x.k.ids.clientParty(c)
	x.list = slices.DeleteFunc(x.list, func(e *expectation) bool {
		if !e.party.same(p) || !at.After(e.deadline) {
			return false
		}
		x.missed(e)
		return true
	})
}

// finish closes every expectation: missed when the window closed and a client of the
// party was seen after it, else undecided.
func (x *expectations) finish() {
	for _, e := range x.list {
		seen := false
		for _, c := range x.k.ids.clients {
			if x.k.ids.clientParty(c).same(e.party) && c.lastEnd.After(e.deadline) {
				seen = true
				break
			}
		}
		if seen {
			x.missed(e)
		} else {
			x.undecided(e)
		}
	}
	x.list = nil
}

func (x *expectations) undecided(e *expectation) {
	r := &x.k.res
	r.Undecided++
	r.example(&r.UndecidedExamples, fmt.Sprintf("#%d %s: %s (the observation ended before %s, or no client of %s was seen after it)", e.seq, e.where, x.describe(e), stamp(e.deadline), x.k.ids.label(e.party)))
}

func (x *expectations) describe(e *expectation) string {
	switch e.kind {
	case expMedia:
		return fmt.Sprintf("StatusChange of %s", e.item)
	case expItemRemoved:
		return fmt.Sprintf("ItemRemoved of %s from %s", e.item, e.workbin)
	case expItemAdded:
		return fmt.Sprintf("ItemAdded of %s to %s", e.item, e.workbin)
	case expSubscription:
		return fmt.Sprintf("%s %s of %s", spec.MessageWorkbinSubscriptionStateChange, e.state, e.workbin)
	}
	return fmt.Sprintf("%s with referenceId %d", spec.MessageWorkbinStats, e.ref)
}

// missed reports an expectation the window closed on.
func (x *expectations) missed(e *expectation) {
	k := x.k
	f := Finding{Seq: e.seq, Time: e.deadline, Rule: e.rule, Where: e.where, Party: k.ids.label(e.party)}
	if e.needParticipant {
		f.Rule, f.Where, f.Pointer = conformance.RuleParticipants, e.participantAt, spec.Pointer("data", "chat", spec.FieldParticipants)
		f.Message = fmt.Sprintf("the pulled chat %s lists no Agent or Supervisor participant, neither in its StatusChange nor in a ParticipantsUpdated within %s; D5: the puller joins the chat", e.item, k.o.NotificationWindow)
		k.report(f)
		return
	}
	f.Message = fmt.Sprintf("no %s reached %s within %s of the reply (answered %s, referenceId %d), although a CometD client of it listened on %v",
		x.describe(e), k.ids.label(e.party), k.o.NotificationWindow, stamp(e.replyEnd), e.ref, e.channels)
	k.report(f)
}

// match reports whether n meets e (judging it when it does).
func (x *expectations) match(e *expectation, n *note) bool {
	k := x.k
	switch e.kind {
	case expMedia:
		if e.needParticipant {
			if n.item == e.item && n.notifType == spec.NotificationParticipantsUpdated && hasAgent(n.expanded().resource) {
				return true
			}
			return false
		}
		if n.item != e.item || !isMediaMessage(n.msgType) || n.notifType != spec.NotificationStatusChange {
			return false
		}
		x.judgePulled(e, n.expanded())
		return !e.needParticipant
	case expItemRemoved, expItemAdded:
		action := spec.ActionItemRemoved
		if e.kind == expItemAdded {
			action = spec.ActionItemAdded
		}
		if n.msgType != spec.MessageWorkbinStateChange || n.action != action || n.workbin != e.workbin || n.item != e.item {
			return false
		}
		k.checked(conformance.RuleWorkbinEvent)
		mine := e.party.same(e.actor)
		switch {
		case mine && e.ref != 0 && (!n.hasRef || n.ref != e.ref):
			k.checked(conformance.RuleReferenceEcho)
			k.report(Finding{Seq: n.seq, Time: n.at, Rule: conformance.RuleReferenceEcho, Where: describeNote(n), Pointer: "/data/" + spec.FieldReferenceID, Party: k.ids.label(n.recipient),
				Message: fmt.Sprintf("the requester's %s carries %s; want the referenceId %d of %s (#%d)", action, refText(n), e.ref, e.where, e.seq), Excerpt: refText(n)})
		case !mine && n.hasRef:
			k.report(Finding{Seq: n.seq, Time: n.at, Rule: conformance.RuleWorkbinEvent, Where: describeNote(n), Pointer: "/data/" + spec.FieldReferenceID, Party: k.ids.label(n.recipient),
				Message: fmt.Sprintf("another subscriber's copy of %s carries referenceId %d; D5: only the requester's copy carries it", action, n.ref), Excerpt: fmt.Sprint(n.ref)})
		}
		return true
	case expSubscription:
		if n.msgType != spec.MessageWorkbinSubscriptionStateChange || n.workbin != e.workbin {
			return false
		}
		k.checked(conformance.RuleReferenceEcho)
		switch {
		case !n.hasRef:
			k.report(Finding{Seq: n.seq, Time: n.at, Level: LevelWarning, Rule: conformance.RuleReferenceEcho, Where: describeNote(n), Pointer: "/data/" + spec.FieldReferenceID, Party: k.ids.label(n.recipient),
				Message: fmt.Sprintf("the confirmation of %s (#%d) carries no referenceId (want %d); tolerated for a personal workbin (D4), a warning", e.where, e.seq, e.ref)})
		case e.ref != 0 && n.ref != e.ref:
			k.report(Finding{Seq: n.seq, Time: n.at, Rule: conformance.RuleReferenceEcho, Where: describeNote(n), Pointer: "/data/" + spec.FieldReferenceID, Party: k.ids.label(n.recipient),
				Message: fmt.Sprintf("the confirmation of %s (#%d) carries referenceId %d; want %d", e.where, e.seq, n.ref, e.ref), Excerpt: fmt.Sprint(n.ref)})
		}
		return true
	case expStats:
		if n.msgType != spec.MessageWorkbinStats || !n.hasRef || n.ref != e.ref {
			return false
		}
		x.judgeStatsNote(n.expanded())
		return true
	}
	return false
}

func refText(n *note) string {
	if !n.hasRef {
		return "no referenceId"
	}
	return fmt.Sprintf("referenceId %d", n.ref)
}

func isMediaMessage(mt string) bool {
	for _, m := range spec.AllMedia() {
		if mi, _ := spec.MediaOf(m); mi.MessageType == mt {
			return true
		}
	}
	return false
}

func hasAgent(res map[string]any) bool {
	ps, _ := res[spec.FieldParticipants].([]any)
	for _, x := range ps {
		p, _ := x.(map[string]any)
		if t := str(p, spec.FieldParticipantType); t == spec.ParticipantAgent || t == spec.ParticipantSupervisor {
			return true
		}
	}
	return false
}

// judgePulled checks the StatusChange of a pulled interaction (D4, D5).
func (x *expectations) judgePulled(e *expectation, n *note) {
	k := x.k
	where, label := describeNote(n), k.ids.label(n.recipient)
	report := func(rule conformance.Rule, ptr, msg string) {
		k.report(Finding{Seq: n.seq, Time: n.at, Rule: rule, Where: where, Pointer: ptr, Party: label, Message: msg, Excerpt: excerpt(k.o.Mask, n.raw, ptr)})
	}
	media := n.media
	if media == "" {
		media = e.media
	}
	mi, known := spec.MediaOf(media)
	k.checked(conformance.RuleNotification)
	if known && n.channel != mi.Channel {
		report(conformance.RuleNotification, "/channel", fmt.Sprintf("the StatusChange of pulled %s came on %s; D5 wants %s", e.item, n.channel, mi.Channel))
	}
	k.checked(conformance.RuleReferenceEcho)
	if e.ref != 0 && (!n.hasRef || n.ref != e.ref) {
		report(conformance.RuleReferenceEcho, "/data/"+spec.FieldReferenceID, fmt.Sprintf("the StatusChange of pulled %s carries %s; want the pull's referenceId %d (#%d)", e.item, refText(n), e.ref, e.seq))
	}
	if !known || n.resource == nil {
		return
	}
	base := "/data/" + n.resKey
	state, hasState := n.resource[spec.FieldState].(string)
	k.checked(conformance.RuleState)
	wantState := mi.PulledState
	okState := state == wantState || (media == spec.MediaChat && state == spec.StateJoinFailed)
	if !okState {
		want := wantState
		if media == spec.MediaChat {
			want += " (or " + spec.StateJoinFailed + " when the join gate is off)"
		}
		report(conformance.RuleState, base+"/"+spec.FieldState, fmt.Sprintf("pulled %s %s is announced in state %q; D5 wants %s", media, e.item, state, want))
	}
	var caps []string
	rawCaps, hasCaps := n.resource[spec.FieldCapabilities].([]any)
	for _, c := range rawCaps {
		if s, ok := c.(string); ok {
			caps = append(caps, s)
		}
	}
	if okState && hasState {
		k.checked(conformance.RuleCapabilities)
		if pe := spec.CheckPlacement(media, false, state, true, caps, hasCaps); pe != nil && pe.Member == spec.FieldCapabilities {
			report(conformance.RuleCapabilities, base+"/"+spec.FieldCapabilities, pe.Reason+" (D5)")
		}
	}
	if len(e.userData) > 0 {
		k.checked(conformance.RuleUserData)
		ud, _ := n.resource[spec.FieldUserData].(map[string]any)
		var missing []string
		for key := range e.userData {
			if _, ok := ud[key]; !ok {
				missing = append(missing, key)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			report(conformance.RuleUserData, base+"/"+spec.FieldUserData, fmt.Sprintf("pulled %s lost userData keys the capture showed before the pull: %v; D5: it keeps its userData", e.item, clip(missing, 8)))
		}
	}
	if media == spec.MediaChat && state == spec.StateChatting {
		k.checked(conformance.RuleParticipants)
		if !hasAgent(n.resource) {
			e.needParticipant, e.participantAt = true, where
		}
	}
}

func clip(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}

// judgeStatsNote compares a WorkbinStatsMessage's counts with the last full read of each
// workbin nothing observed changed since; a mismatch waits for the next read, as the
// count may be of either (the suite's tolerance).
func (x *expectations) judgeStatsNote(n *note) {
	k := x.k
	stats, _ := n.data[spec.FieldWorkbinStats].(map[string]any)
	k.checked(conformance.RuleAgentStats)
	for _, w := range sortedKeys(stats) {
		entry, _ := stats[w].(map[string]any)
		count, ok := intOf(entry[spec.FieldStatCount])
		wb := k.model.workbins[w]
		if !ok || wb == nil || !wb.snapKnown || !wb.snapClean || int(count) == wb.snapCount {
			continue
		}
		k.model.stats = append(k.model.stats, pendingStats{workbin: w, count: int(count), before: wb.snapCount, at: n.at, seq: n.seq,
			where: describeNote(n), pointer: spec.Pointer("data", spec.FieldWorkbinStats, w, spec.FieldStatCount), party: k.ids.label(n.recipient)})
	}
}

// judgeStats settles the waiting counts of a workbin against a new full read.
func (k *Checker) judgeStats(w string, after int) {
	k.model.stats = slices.DeleteFunc(k.model.stats, func(p pendingStats) bool {
		if p.workbin != w {
			return false
		}
		if p.count != after {
			k.reportStats(p, fmt.Sprintf("Count %d, but workbin %s listed %d interactions before and %d after", p.count, w, p.before, after))
		}
		return true
	})
}

func (k *Checker) reportStats(p pendingStats, msg string) {
	k.report(Finding{Seq: p.seq, Time: p.at, Rule: conformance.RuleAgentStats, Where: p.where, Pointer: p.pointer, Party: p.party, Message: msg, Excerpt: fmt.Sprint(p.count)})
}

// describeNote names a notification: "CometD /v2/me/workitems WorkitemStateChangeMessage".
func describeNote(n *note) string {
	s := "CometD " + n.channel
	if n.msgType != "" {
		s += " " + n.msgType
	}
	if n.notifType != "" {
		s += " " + n.notifType
	}
	return s
}
