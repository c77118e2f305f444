// email-lifecycle: the operations on a pulled email (issue 12). Evidence: AttachUserData,
// SetDisposition, Complete, Transfer [C] (their resulting states truncated: [I]
// Completed); UpdateUserData, DeleteUserData [C-3p]; AddComment [?] (chat analog [C]).
//
// contact-center-session: StartContactCenterSession / EndContactCenterSession on POST
// /api/v2/me [C], the channel states on /v2/me/channels [C-3p].

package conformance

import (
	"fmt"
	"net/http"

	"github.com/workbinkit/workbinkit/spec"
)

func emailLifeSpecs() []specDef {
	el := feats(FeatureEmailLifecycle, FeaturePullEmail)
	em := spec.MediaEmail
	one := []need{uses(1, wbAgent, em)}
	return []specDef{
		{id: "email-lifecycle.user-data", text: "AttachUserData, UpdateUserData, DeleteUserData, SetDisposition, AddComment on an email: PropertiesUpdated, still Processing",
			features: el, variant: opVariant(spec.OpAttachUserData, em), needs: one, body: emailPropertiesLife},
		{id: "email-lifecycle.complete", text: "Complete of an email: StatusChange Completed without capabilities; no longer the agent's; no further operation",
			features: el, variant: opVariant(spec.OpComplete, em), needs: []need{uses(1, wbAgent, em), uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) { completeLife(t, em) }},
		{id: "email-lifecycle.transfer", text: "Transfer an email to another agent: the sender's email ends, the target is invited",
			features: el, variant: opVariant(spec.OpTransfer, em), needs: one, body: func(t *T) { transferLife(t, em) }},
		{id: "email-lifecycle.outside-capabilities", text: "Accept of a Processing email (not in its capabilities) is refused and changes nothing",
			features: el, variant: opVariant(spec.OpAccept, em), needs: one, body: func(t *T) { outsideCapabilities(t, em, spec.OpAccept) }},
		{id: "email-lifecycle.not-holder", text: "another agent's operation on the agent's email is refused and changes nothing",
			features: el, variant: opVariant(spec.OpAttachUserData, em), needs: one, body: func(t *T) { notHolderLife(t, em) }},
		{id: "email-lifecycle.bad-body", text: "malformed user-data bodies on an email are refused and change nothing",
			features: el, variant: opVariant(spec.OpAttachUserData, em), needs: one, body: func(t *T) { badBodyLife(t, em) }},
	}
}

// emailPropertiesLife: the user-data operations, SetDisposition, then AddComment, whose
// comment shows in the resource (a warning if not: the email page is missing, [?]).
func emailPropertiesLife(t *T) {
	h := userDataLife(t, spec.MediaEmail)
	dispositionLife(t, h)
	const comment = "Checked by the conformance suite"
	n, res := t.act(h, opBody(spec.OpAddComment, map[string]any{spec.FieldComment: comment}), spec.NotificationPropertiesUpdated)
	t.expectResource(n, spec.MediaEmail, res, spec.StateProcessing)
	if got, _ := res[spec.FieldComment].(string); got != comment {
		t.gap(Violation{Rule: RuleUserDataOps, Where: n.Describe(), Pointer: dataPointer("email", spec.FieldComment), Message: fmt.Sprintf("after AddComment the email's comment is %q; want %q (as ChatAddComment shows it)", got, comment)}, "message: "+string(n.Raw))
	}
}

func sessionSpecs() []specDef {
	cs := feats(FeatureContactCenterSession)
	v := func(op string) string { return op + " · POST /api/v2/me" }
	return []specDef{
		{id: "contact-center-session.start-end", text: "StartContactCenterSession with channels: {statusCode:0} and a channel state per channel on /v2/me/channels; EndContactCenterSession: {statusCode:0}",
			features: cs, variant: v(spec.StartContactCenterSession), serial: true, body: startEndSession},
		{id: "contact-center-session.bad-body", text: "StartContactCenterSession with channels not an array, and an unknown operationName on /api/v2/me: refused",
			features: cs, variant: v(spec.StartContactCenterSession), body: sessionBadBody},
	}
}

// startEndSession runs on a fresh HTTP session of the agent: End invalidates it (D21).
// Serial: the channel states are the agent's, which other specs' sessions share.
func startEndSession(t *T) {
	sess := t.newSession(RoleAgent)
	l := t.listen(sess, spec.ChannelChannels)
	channels := []string{string(spec.MediaChat), string(spec.MediaEmail), string(spec.MediaWorkitem)}
	from := mark(l)
	ex := t.do(sess, http.MethodPost, spec.MePath(), map[string]any{spec.FieldOperationName: spec.StartContactCenterSession, spec.FieldChannels: channels})
	t.expectSessionDone(ex, spec.StartContactCenterSession)
	// The channel states [C-3p]: one ChannelStateChangeMessageV2 naming each channel.
	seen := map[string]bool{}
	_, ok := t.awaitEvent(l, lifeKind("a "+spec.MessageChannelStateChange), func(n Notification) bool {
		if n.Index < from || n.Channel != spec.ChannelChannels || n.MessageType() != spec.MessageChannelStateChange {
			return false
		}
		for _, c := range asList(n.Data[spec.FieldChannels]) {
			if name, _ := c[spec.FieldChannel].(string); name != "" {
				seen[name] = true
			}
		}
		for _, c := range channels {
			if !seen[c] {
				return false
			}
		}
		return true
	})
	t.checkEvents(l)
	if !ok {
		t.gap(Violation{Rule: RuleContactCenterSession, Where: "CometD " + spec.ChannelChannels + " (agent)",
			Message: fmt.Sprintf("no %s naming the channels %v within %s (named: %v)", spec.MessageChannelStateChange, channels, t.waited, seen)})
	}
	ex = t.do(sess, http.MethodPost, spec.MePath(), map[string]any{spec.FieldOperationName: spec.EndContactCenterSession})
	t.expectSessionDone(ex, spec.EndContactCenterSession)
	// End "invalidates the client HTTP session" [C]: the cookie alone no longer
	// authenticates. What a server answers then is inferred: a warning (D21).
	ex = t.do(sess, http.MethodGet, spec.MePath(), nil, cookieOnly())
	if ex.Status != http.StatusUnauthorized {
		t.gap(Violation{Rule: RuleContactCenterSession, Where: ex.Where(), Message: fmt.Sprintf("after EndContactCenterSession the session's cookie still answers HTTP %d; want 401 (the session is invalidated)", ex.Status)}, ex.Dump())
	}
}

// expectSessionDone: HTTP 200 {statusCode:0} (7, partial success, is a success too, D3).
func (t *T) expectSessionDone(ex *Exchange, op string) {
	code, ok := intOf(ex.JSON()[spec.FieldStatusCode])
	if ex.Status != http.StatusOK || !ok || (code != 0 && code != int64(spec.StatusPartialSuccess)) {
		t.violate(Violation{Rule: RuleContactCenterSession, Where: ex.Where(), Message: fmt.Sprintf("%s answered HTTP %d %s; want HTTP 200 {statusCode:0}", op, ex.Status, statusOf(ex))}, ex.Dump())
	}
}

func sessionBadBody(t *T) {
	sess := t.newSession(RoleAgent)
	ex := t.do(sess, http.MethodPost, spec.MePath(), map[string]any{spec.FieldOperationName: spec.StartContactCenterSession, spec.FieldChannels: "chat"})
	t.expectRefused(ex, refusal{rule: RuleBadBody, what: "StartContactCenterSession with channels a string", strict: spec.StatusInvalidInput, tolerated: badBody})
	ex = t.do(sess, http.MethodPost, spec.MePath(), map[string]any{spec.FieldOperationName: "StartEverything"})
	t.expectRefused(ex, refusal{rule: RuleBadBody, what: "an unknown operationName on /api/v2/me", strict: spec.StatusInvalidParameter, tolerated: badBody})
}
