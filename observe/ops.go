package observe

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/spec"
)

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// pull judges a pull and sets what must follow it.
func (k *Checker) pull(c *call, w string) {
	id := interactionID(c.body)
	if id == "" {
		return
	}
	at := c.ex.End()
	it := k.model.items[id]
	media, _ := spec.OperationMedia(c.op)
	if media == "" && it != nil {
		media = it.media
	}
	if !c.ok {
		if it == nil || refusalTolerated(c) {
			return
		}
		if it.owned {
			k.checked(conformance.RuleSecondPull)
			if c.code != int64(spec.StatusInvalidParameter) {
				k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: conformance.RuleSecondPull, Where: c.where + " response", Pointer: spec.Pointer(spec.FieldStatusCode), Party: c.label,
					Message: fmt.Sprintf("a pull of %s, which an accepted pull (#%d) took already, was refused with HTTP %d statusCode %d; D11 wants 400 / statusCode %d", id, it.pullSeq, c.ex.Status, c.code, spec.StatusInvalidParameter),
					Excerpt: fmt.Sprint(c.code)})
			}
		}
		it.refusedAt, it.refusedSeq, it.refusedOp = at, c.ex.Seq, c.op
		return
	}
	ref, _ := intOf(c.resp[spec.FieldReferenceID])
	if it != nil && it.owned {
		rule, how := conformance.RuleSecondPull, "a second pull"
		if it.owner.session != c.p.session {
			rule, how = conformance.RuleConcurrentPull, "a pull from another HTTP session"
		}
		k.checked(rule)
		k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: rule, Where: c.where, Party: c.label,
			Message: fmt.Sprintf("%s of %s was accepted (HTTP %d) although pull #%d (by %s, answered %s) took it and nothing put it back in a workbin since; D11 wants it refused with 400 / statusCode %d",
				how, id, c.ex.Status, it.pullSeq, k.ids.label(it.owner), stamp(it.pullEnd), spec.StatusInvalidParameter)})
	} else if it != nil {
		k.checked(conformance.RuleSecondPull)
	}
	var prior map[string]any
	if it != nil {
		prior = it.userData
	}
	if it != nil && it.workbin != "" {
		k.model.leave(it)
	}
	it = k.model.item(id, at)
	it.owned, it.owner, it.pullStart, it.pullEnd, it.pullRef, it.pullSeq, it.shared = true, c.p, c.ex.Start, at, ref, c.ex.Seq, false
	it.pulledFrom, it.viaSupervisor, it.addedAt, it.contentReported = w, c.rt.PathParams[spec.ParamUserID] != "", time.Time{}, false
	if media != "" {
		it.media = media
	}
	k.model.changed(w)
	// Notifications that came before this reply was seen, to other users.
	for _, n := range k.exp.recentAbout(id) {
		if !n.at.Before(c.ex.Start) {
			k.isolation(n)
		}
	}

	e := &expectation{kind: expMedia, party: c.p, actor: c.p, rule: conformance.RuleNotification, ref: ref, item: id, media: it.media, workbin: w,
		reqStart: c.ex.Start, replyEnd: at, seq: c.ex.Seq, where: c.where + " " + c.op, userData: prior}
	if mi, ok := spec.MediaOf(it.media); ok {
		e.channels = []string{mi.Channel}
	} else if it.media == "" {
		e.channels = []string{spec.ChannelWorkitems, spec.ChannelChats, spec.ChannelEmails}
	}
	if e.channels != nil {
		k.exp.add(e)
	}
	if wb := k.model.workbins[w]; wb != nil {
		for _, q := range wb.subs {
			k.exp.add(&expectation{kind: expItemRemoved, party: q, actor: c.p, rule: conformance.RuleWorkbinEvent, ref: ref, item: id, workbin: w,
				channels: []string{spec.ChannelWorkbins}, reqStart: c.ex.Start, replyEnd: at, seq: c.ex.Seq, where: c.where + " " + c.op})
		}
	}
}

// add judges an Add and sets what must follow it.
func (k *Checker) add(c *call, w string) {
	id := interactionID(c.body)
	if id == "" {
		return
	}
	at := c.ex.End()
	it := k.model.items[id]
	if !c.ok {
		if it != nil && !refusalTolerated(c) {
			it.refusedAt, it.refusedSeq, it.refusedOp = at, c.ex.Seq, c.op
		}
		return
	}
	if it != nil {
		k.checked(conformance.RuleOwnership)
		switch {
		case it.workbin != "" && it.placedAt.Before(c.ex.Start):
			k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: conformance.RuleOwnership, Where: c.where, Party: c.label,
				Message: fmt.Sprintf("an Add of %s was accepted (HTTP %d) although it is in workbin %s (seen %s), not owned by the caller; D11: Add only what one owns", id, c.ex.Status, it.workbin, stamp(it.placedAt))})
		case it.owned && it.owner.user != "" && c.p.user != "" && it.owner.user != c.p.user:
			k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: conformance.RuleOwnership, Where: c.where, Party: c.label,
				Message: fmt.Sprintf("an Add of %s was accepted (HTTP %d) although %s owns it (pull #%d); D11: Add only what one owns", id, c.ex.Status, it.owner.user, it.pullSeq)})
		}
	}
	media, _ := spec.OperationMedia(c.op)
	it = k.model.placed(id, w, media, at)
	it.addedAt = at
	k.model.changed(w)
	ref, _ := intOf(c.resp[spec.FieldReferenceID])
	if wb := k.model.workbins[w]; wb != nil {
		for _, q := range wb.subs {
			k.exp.add(&expectation{kind: expItemAdded, party: q, actor: c.p, rule: conformance.RuleWorkbinEvent, ref: ref, item: id, workbin: w,
				channels: []string{spec.ChannelWorkbins}, reqStart: c.ex.Start, replyEnd: at, seq: c.ex.Seq, where: c.where + " " + c.op})
		}
	}
}

// subscription records an accepted Subscribe or Unsubscribe and waits for its
// confirmation.
func (k *Checker) subscription(c *call, w string, ref int64) {
	yes := c.op == spec.Subscribe
	k.model.subscribe(w, c.p, yes, c.ex.End())
	state := spec.SubscriptionSubscribed
	if !yes {
		state = spec.SubscriptionUnsubscribed
	}
	k.exp.add(&expectation{kind: expSubscription, party: c.p, actor: c.p, rule: conformance.RuleSubscription, ref: ref, workbin: w, state: state,
		channels: []string{spec.ChannelWorkbins}, reqStart: c.ex.Start, replyEnd: c.ex.End(), seq: c.ex.Seq, where: c.where + " " + c.op})
}

func (k *Checker) agentStats(c *call) {
	ref, ok := intOf(c.resp[spec.FieldReferenceID])
	if !ok {
		return
	}
	k.exp.add(&expectation{kind: expStats, party: c.p, actor: c.p, rule: conformance.RuleAgentStats, ref: ref,
		channels: []string{spec.ChannelWorkbins}, reqStart: c.ex.Start, replyEnd: c.ex.End(), seq: c.ex.Seq, where: c.where + " " + c.op})
}

// content reads a workbin's content: judges pulled items still listed, added items not
// listed, and items a refused request made disappear; then takes it as the truth.
func (k *Checker) content(c *call) {
	wbRes, _ := c.resp[spec.FieldWorkbin].(map[string]any)
	w := str(wbRes, spec.FieldID)
	if w == "" {
		w = c.rt.PathParams[spec.ParamWorkbinID]
	}
	if w == "" {
		return
	}
	var media []spec.Media
	if mt := c.rt.PathParams[spec.ParamMediaType]; mt != "" {
		if m, ok := spec.MediaOfContentArray(mt); ok {
			media = []spec.Media{m}
		}
	} else {
		for _, part := range strings.Split(c.ex.URL.Query().Get(spec.ParamSubresources), ",") {
			part = strings.TrimSpace(part)
			if part == "*" {
				media = spec.AllMedia()
				break
			}
			if m, ok := spec.MediaOfContentArray(part); ok && !slices.Contains(media, m) {
				media = append(media, m)
			}
		}
	}
	if len(media) == 0 {
		return
	}
	start, at := c.ex.Start, c.ex.End()
	k.checked(conformance.RuleContent)
	listed := map[string]bool{}
	for _, m := range media {
		mi, _ := spec.MediaOf(m)
		arr, _ := wbRes[mi.ContentArray].([]any)
		for _, x := range arr {
			res, _ := x.(map[string]any)
			id := str(res, spec.FieldID)
			if id == "" {
				continue
			}
			listed[id] = true
			it := k.model.items[id]
			if it != nil && it.owned {
				if start.After(it.pullEnd.Add(k.o.Settle)) && !it.contentReported {
					it.contentReported = true
					k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: conformance.RuleContent, Where: "GET content of workbin " + w, Party: c.label,
						Message: fmt.Sprintf("interaction %s is still listed %s after pull #%d took it (answered %s); D11: a pulled interaction is no longer in the workbin", id, start.Sub(it.pullEnd).Round(time.Millisecond), it.pullSeq, stamp(it.pullEnd))})
				}
				continue
			}
			it = k.model.placed(id, w, m, at)
			if ud, ok := res[spec.FieldUserData].(map[string]any); ok {
				it.userData = ud
			}
		}
	}
	wb := k.model.workbin(w, at)
	for id := range wb.items {
		it := k.model.items[id]
		if it == nil {
			delete(wb.items, id) // forgotten (the model's bound)
			continue
		}
		if listed[id] || !slices.Contains(media, it.media) || !it.placedAt.Before(start) {
			continue
		}
		switch {
		case !it.addedAt.IsZero() && start.After(it.addedAt.Add(k.o.Settle)):
			k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: conformance.RuleContent, Where: "GET content of workbin " + w, Party: c.label,
				Message: fmt.Sprintf("interaction %s is not listed %s after an accepted Add put it there (answered %s); D11: an added interaction is listed InWorkbin", id, start.Sub(it.addedAt).Round(time.Millisecond), stamp(it.addedAt))})
		case !it.refusedAt.IsZero() && it.refusedAt.After(it.placedAt) && it.refusedAt.Before(start):
			k.checked(conformance.RuleNothingChanged)
			k.report(Finding{Seq: c.ex.Seq, Time: at, Rule: conformance.RuleNothingChanged, Where: "GET content of workbin " + w, Party: c.label,
				Message: fmt.Sprintf("after the refused %s (#%d) workbin %s no longer lists %s, and no accepted request or notification took it out; D11: a refused request changes nothing", it.refusedOp, it.refusedSeq, w, id)})
		}
		k.model.leave(it)
	}
	if len(media) == len(spec.AllMedia()) {
		wb.snapKnown, wb.snapCount, wb.snapAt, wb.snapClean = true, len(listed), at, true
		k.judgeStats(w, len(listed))
	}
}

// admin reads the mock's control plane (spec/mock-admin.yaml): a placed interaction is
// known in its workbin, the options say whether CSRF protection is on, and any other
// change may have replaced the state.
func (k *Checker) admin(ex *Exchange) {
	if ex.Status/100 != 2 {
		return
	}
	rel := strings.TrimPrefix(ex.path(), spec.AdminBasePath)
	switch {
	case rel == spec.AdminPathInteractions && ex.Method == http.MethodPost:
		req, resp := decodeObject(ex.RequestBody), decodeObject(ex.ResponseBody)
		id, w := str(resp, spec.FieldID), str(req, spec.AdminFieldWorkbinID)
		if id == "" || w == "" {
			return
		}
		it := k.model.placed(id, w, spec.Media(str(req, spec.AdminFieldMedia)), ex.End())
		if res, ok := resp[spec.AdminFieldInteraction].(map[string]any); ok {
			if ud, ok := res[spec.FieldUserData].(map[string]any); ok {
				it.userData = ud
			}
		}
		k.model.changed(w)
	case rel == spec.AdminPathOptions:
		if v, ok := decodeObject(ex.ResponseBody)[spec.OptionEnableCsrfProtection].(bool); ok {
			k.csrf = off
			if v {
				k.csrf = on
			}
		}
	case ex.Method == http.MethodGet, rel == spec.AdminPathDeviations:
	default:
		// A reset, a new state, new fixtures (or a fault setting, to be safe): what the
		// traffic showed may no longer hold.
		k.model.reset()
	}
}
