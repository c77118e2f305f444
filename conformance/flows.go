package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// WorkbinRef names a workbin a spec works on and how to address it.
type WorkbinRef struct {
	ID string
	// Owner is the user whose workbin it is; for a group workbin, the agent who reads it.
	Owner Role
	// Param is spec.ParamAgentGroup or spec.ParamPlaceGroup for a group workbin, else "".
	Param string
	Group string
	// Label names it in messages ("agent's workbin 3434543fafwe987").
	Label string
}

func (w WorkbinRef) isGroup() bool { return w.Param != "" }

func (w WorkbinRef) groupQuery() []string {
	if !w.isGroup() {
		return nil
	}
	return []string{w.Param, w.Group}
}

// Placed is an interaction a spec provisioned: its workbin and how the workbin listed it.
type Placed struct {
	ID      string
	Media   spec.Media
	Workbin WorkbinRef
	Listed  map[string]any
}

// item is one interaction in a workbin's content.
type item struct {
	Media    spec.Media
	Resource map[string]any
}

// urlForm is one of the URL forms of a workbin POST (D1).
type urlForm string

// The URL forms, as the report names operation variants.
const (
	formWorkbins   urlForm = "POST /api/v2/workbins/{workbinId}"
	formMe         urlForm = "POST /api/v2/me/workbins/{workbinId}"
	formUser       urlForm = "POST /api/v2/users/{userId}/workbins/{workbinId}"
	formAgentGroup urlForm = "POST /api/v2/me/workbins/{workbinId}?agentGroup={group}"
	formPlaceGroup urlForm = "POST /api/v2/me/workbins/{workbinId}?placeGroup={group}"
)

// variant names an operation variant for the report: "PullWorkitem · POST /api/v2/workbins/{workbinId}".
func variant(op string, f urlForm) string { return op + " · " + string(f) }

// formOf is the form that addresses w (a group workbin has its own).
func formOf(w WorkbinRef, personal urlForm) urlForm {
	switch w.Param {
	case spec.ParamAgentGroup:
		return formAgentGroup
	case spec.ParamPlaceGroup:
		return formPlaceGroup
	}
	return personal
}

// postPath builds the path and query of a POST to w in form f.
func (t *T) postPath(f urlForm, w WorkbinRef) (string, []reqOption) {
	id := url.PathEscape(w.ID)
	switch f {
	case formWorkbins:
		return spec.BasePath + "/workbins/" + id, nil
	case formMe:
		return spec.BasePath + "/me/workbins/" + id, nil
	case formUser:
		return spec.BasePath + "/users/" + url.PathEscape(t.s.info.userID(w.Owner)) + "/workbins/" + id, nil
	case formAgentGroup, formPlaceGroup:
		return spec.BasePath + "/me/workbins/" + id, []reqOption{query(w.groupQuery()...)}
	}
	panic("conformance: unknown URL form " + string(f)) // a suite bug
}

// post sends a workbin operation body to w in form f.
func (t *T) post(sess *Session, f urlForm, w WorkbinRef, body any, opts ...reqOption) *Exchange {
	path, q := t.postPath(f, w)
	return t.do(sess, http.MethodPost, path, body, append(q, opts...)...)
}

// pullBody is the body of a pull (D2).
func pullBody(op, id string) map[string]any {
	return map[string]any{spec.FieldOperationName: op, spec.FieldID: id}
}

// pull pulls p from its workbin in form f with operation op.
func (t *T) pull(sess *Session, f urlForm, p Placed, op string, opts ...reqOption) *Exchange {
	return t.post(sess, formOf(p.Workbin, f), p.Workbin, pullBody(op, p.ID), opts...)
}

// ---- workbin content ----

// contentOf reads w's content (GET with subresources=*), as w's owner sees it.
func (t *T) contentOf(w WorkbinRef) (map[string]item, *Exchange) {
	q := append([]string{spec.ParamSubresources, "*"}, w.groupQuery()...)
	base := spec.BasePath + "/workbins/"
	if w.isGroup() {
		base = spec.BasePath + "/me/workbins/"
	}
	ex := t.do(t.user(w.Owner), http.MethodGet, base+url.PathEscape(w.ID), nil, query(q...))
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleContent, Where: ex.Where(), Message: fmt.Sprintf("reading the content of %s: HTTP %d", w.Label, ex.Status)}, ex.Dump())
	}
	wb, _ := ex.JSON()["workbin"].(map[string]any)
	items := map[string]item{}
	for _, m := range spec.AllMedia() {
		mi, _ := spec.MediaOf(m)
		arr, _ := wb[mi.ContentArray].([]any)
		for _, x := range arr {
			if res, ok := x.(map[string]any); ok {
				if id, ok := res[spec.FieldID].(string); ok {
					items[id] = item{Media: m, Resource: res}
				}
			}
		}
	}
	return items, ex
}

// awaitListed waits until w lists id (a target may apply a change shortly after its HTTP
// reply; tolerance: up to timeouts.consistency) and checks it is listed as D11 and the
// docs say: InWorkbin, no capabilities.
func (t *T) awaitListed(w WorkbinRef, id, why string) item {
	var it item
	var last *Exchange
	err := t.await(t.s.opts.Timeouts.Consistency.D(), func() error {
		items, ex := t.contentOf(w)
		last = ex
		var ok bool
		if it, ok = items[id]; !ok {
			return fmt.Errorf("%s does not list %s", w.Label, id)
		}
		return nil
	})
	if err != nil {
		rule := RuleContent
		if why == "provisioned" {
			rule = RuleSetup
		}
		t.violate(Violation{Rule: rule, Where: "GET content of " + w.Label, Message: fmt.Sprintf("%s interaction %s is not listed within %s: %v", why, id, t.s.opts.Timeouts.Consistency, err)}, last.Dump())
	}
	if st, ok := it.Resource[spec.FieldState]; ok && st != spec.StateInWorkbin {
		t.failf(RuleContent, "GET content of "+w.Label, "/"+string(it.Media)+"/"+spec.FieldState, "%s %s is listed with state %v; an interaction in a workbin is InWorkbin", it.Media, id, st)
	}
	if caps, ok := it.Resource[spec.FieldCapabilities].([]any); ok && len(caps) > 0 {
		t.failf(RuleContent, "GET content of "+w.Label, "/"+string(it.Media)+"/"+spec.FieldCapabilities, "%s %s is listed with capabilities %v; an interaction in a workbin has none", it.Media, id, caps)
	}
	return it
}

// awaitGone waits until w no longer lists id (tolerance: timeouts.consistency after the
// HTTP reply).
func (t *T) awaitGone(w WorkbinRef, id string) {
	var last *Exchange
	err := t.await(t.s.opts.Timeouts.Consistency.D(), func() error {
		items, ex := t.contentOf(w)
		last = ex
		if _, ok := items[id]; ok {
			return fmt.Errorf("%s still lists %s", w.Label, id)
		}
		return nil
	})
	if err != nil {
		t.violate(Violation{Rule: RuleContent, Where: "GET content of " + w.Label,
			Message: fmt.Sprintf("interaction %s is still listed %s after it was pulled: %v", id, t.s.opts.Timeouts.Consistency, err)}, last.Dump())
	}
}

// ---- accepted and refused requests ----

// expectAccepted checks the success envelope of an asynchronous operation (D3) and its
// referenceId (D4): a positive integer, new in this HTTP session; under --strict also
// greater than every earlier one (the mock counts up from 1).
func (t *T) expectAccepted(sess *Session, ex *Exchange, what string) int64 {
	if ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleEnvelope, Where: ex.Where(), Message: fmt.Sprintf("%s was refused with HTTP %d %s; want HTTP 200 {statusCode:0, referenceId}", what, ex.Status, statusOf(ex))}, ex.Dump())
	}
	body := ex.JSON()
	if code, ok := intOf(body[spec.FieldStatusCode]); !ok || code != 0 {
		t.violate(Violation{Rule: RuleEnvelope, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldStatusCode), Message: fmt.Sprintf("statusCode %v; success is 0", body[spec.FieldStatusCode])}, ex.Dump())
	}
	ref, ok := intOf(body[spec.FieldReferenceID])
	if !ok || ref < 1 {
		t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceID), Message: fmt.Sprintf("referenceId %v; want a positive integer", body[spec.FieldReferenceID])}, ex.Dump())
	}
	if t.s.opts.Strict {
		if last := sess.lastReference(); ref <= last {
			t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceID),
				Message: fmt.Sprintf("referenceId %d after %d in the same HTTP session; they increase (--strict, D4)", ref, last)}, ex.Dump())
		}
	}
	if !sess.noteReference(ref) {
		t.violate(Violation{Rule: RuleReferenceID, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldReferenceID),
			Message: fmt.Sprintf("referenceId %d was already answered earlier in this HTTP session; referenceIds are unique per session (D4)", ref)}, ex.Dump())
	}
	t.noteAccepted(sess.role, ref)
	return ref
}

// refusal says how a request must be refused.
type refusal struct {
	// rule is what a wrong answer breaks (default RuleErrorStatus).
	rule Rule
	// what names the request ("a pull of an unknown interaction").
	what string
	// strict is the D3 statusCode the mock answers (required under --strict, with its HTTP
	// status, or strictHTTP when set).
	strict     spec.StatusCode
	strictHTTP int
	// tolerated is the plausible set of decisions.md accepted by default, with any 4xx
	// HTTP status. Empty means strict's code only.
	tolerated []spec.StatusCode
}

// expectRefused checks that a request was refused as r says. Tolerance (decisions.md D3):
// by default any statusCode of r.tolerated with any 4xx status; --strict requires the D3
// table (statusCode and HTTP status) exactly.
func (t *T) expectRefused(ex *Exchange, r refusal) {
	rule := r.rule
	if rule == "" {
		rule = RuleErrorStatus
	}
	if ex.Status >= 200 && ex.Status < 300 {
		t.violate(Violation{Rule: rule, Where: ex.Where(), Message: fmt.Sprintf("%s was accepted (HTTP %d %s); it must be refused", r.what, ex.Status, statusOf(ex))}, ex.Dump())
	}
	code, ok := intOf(ex.JSON()[spec.FieldStatusCode])
	if !ok {
		t.violate(Violation{Rule: rule, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldStatusCode), Message: fmt.Sprintf("%s: the error reply has no statusCode (HTTP %d)", r.what, ex.Status)}, ex.Dump())
	}
	sc := spec.StatusCode(code)
	if t.s.opts.Strict {
		want := r.strictHTTP
		if want == 0 {
			want, _ = r.strict.HTTPStatus()
		}
		if sc != r.strict || ex.Status != want {
			t.violate(Violation{Rule: rule, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldStatusCode),
				Message: fmt.Sprintf("%s answered statusCode %d with HTTP %d; want statusCode %d (%s) with HTTP %d (D3 table, --strict)", r.what, sc, ex.Status, r.strict, r.strict.Meaning(), want)}, ex.Dump())
		}
		return
	}
	tol := r.tolerated
	if len(tol) == 0 {
		tol = []spec.StatusCode{r.strict}
	}
	if !slices.Contains(tol, sc) || ex.Status < 400 || ex.Status > 499 {
		t.violate(Violation{Rule: rule, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldStatusCode),
			Message: fmt.Sprintf("%s answered statusCode %d with HTTP %d; want one of %s with a 4xx status (D3 plausible set; --strict wants %d)", r.what, sc, ex.Status, codes(tol), r.strict)}, ex.Dump())
	}
}

// expectUnchanged proves a refused request changed nothing and published nothing (D11,
// "an error means nothing changed"): the interaction is listed exactly as before, its
// workbin's owner can still pull it, and the owner's listener l received nothing about it
// before that pull's own notification. Tolerance: this barrier assumes the target delivers
// one user's events in the order they were published.
func (t *T) expectUnchanged(l *Listener, p Placed) {
	items, ex := t.contentOf(p.Workbin)
	it, ok := items[p.ID]
	if !ok {
		t.violate(Violation{Rule: RuleNothingChanged, Where: "GET content of " + p.Workbin.Label, Message: fmt.Sprintf("after the refused request %s no longer lists %s", p.Workbin.Label, p.ID)}, ex.Dump())
	}
	if ptr, diff := firstDiff(p.Listed, it.Resource, ""); ptr != "" || diff != "" {
		t.violate(Violation{Rule: RuleNothingChanged, Where: "GET content of " + p.Workbin.Label, Pointer: ptr,
			Message: fmt.Sprintf("the refused request changed %s: %s", p.ID, diff)}, ex.Dump())
	}
	owner := t.user(p.Workbin.Owner)
	pex := t.pull(owner, formWorkbins, p, spec.PullInteraction)
	if pex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleNothingChanged, Where: pex.Where(), Message: fmt.Sprintf("after the refused request, %s can no longer pull %s: HTTP %d %s", p.Workbin.Owner, p.ID, pex.Status, statusOf(pex))}, pex.Dump())
	}
	ref := t.expectAccepted(owner, pex, "the pull after the refused request")
	n := t.expectPulled(l, p, ref, p.Workbin.Owner, "")
	t.expectNoStray(l, p.ID, n.Index, "the refused request")
}

// expectNoStray fails when l received, before event index before, an event about id that
// no accepted request of the spec accounts for (its referenceId is not one the spec got).
// An ItemAdded without referenceId is the provisioning's own (routing-like placement tells
// the workbin's subscribers), not the refused request's.
func (t *T) expectNoStray(l *Listener, id string, before int, cause string) {
	for _, e := range l.about(id) {
		if e.Index < before && !t.isAccounted(l.role, e) && !isPlacement(e) {
			t.violate(Violation{Rule: RuleNothingChanged, Where: e.Describe() + " (" + string(l.role) + ")",
				Message: fmt.Sprintf("a notification about %s came after %s, which must change nothing and publish nothing", id, cause)}, "message: "+string(e.Raw))
		}
	}
}

// ---- notifications ----

// expectPulled waits for the media notification of a pull (D5 1) on l and checks it:
// channel, messageType, notificationType StatusChange, the referenceId of the HTTP reply
// (the suite listens before pulling, so either order of reply and event is accepted), the
// pulled state and capabilities, the userData kept, for chats the puller among the
// participants. nickname is the one requested ("" for none).
func (t *T) expectPulled(l *Listener, p Placed, ref int64, puller Role, nickname string) Notification {
	mi, _ := spec.MediaOf(p.Media)
	var found Notification
	err := t.await(t.s.opts.Timeouts.Notification.D(), func() error {
		for _, n := range l.events() {
			if n.Channel == mi.Channel && n.MessageType() == mi.MessageType && resourceID(n.Data, mi.ResourceKey) == p.ID && refIs(n.Data, ref) {
				found = n
				return nil
			}
		}
		return errors.New("not yet")
	})
	if err != nil {
		t.diagnoseMissing(l, p, mi, ref)
	}
	t.checkEvents(l)
	where := found.Describe() + " (" + string(l.role) + ")"
	raw := "message: " + string(found.Raw)
	if nt, _ := found.Data[spec.FieldNotificationType].(string); nt != spec.NotificationStatusChange {
		t.violate(Violation{Rule: RuleNotification, Where: where, Pointer: "/data/" + spec.FieldNotificationType, Message: fmt.Sprintf("notificationType %q; a pull is reported as %q", nt, spec.NotificationStatusChange)}, raw)
	}
	res, _ := found.Data[mi.ResourceKey].(map[string]any)
	base := "/data/" + mi.ResourceKey
	if st, _ := res[spec.FieldState].(string); st != mi.PulledState {
		t.violate(Violation{Rule: RuleState, Where: where, Pointer: base + "/" + spec.FieldState, Message: fmt.Sprintf("a pulled %s is %q, got %q", p.Media, mi.PulledState, st)}, raw)
	}
	t.checkCapabilities(where, base, p.Media, mi.PulledState, res, raw)
	t.checkUserData(where, base, p, res, raw)
	if p.Media == spec.MediaChat {
		t.checkParticipants(where, base, puller, nickname, res, raw)
	}
	t.evidence("notification", string(found.Raw))
	t.setOwned(p.ID, puller, p.Media)
	return found
}

// diagnoseMissing fails the spec saying why no matching notification came.
func (t *T) diagnoseMissing(l *Listener, p Placed, mi spec.MediaInfo, ref int64) {
	want := fmt.Sprintf("%s on %s about %s %s with referenceId %d", mi.MessageType, mi.Channel, p.Media, p.ID, ref)
	for _, n := range l.events() {
		if resourceID(n.Data, mi.ResourceKey) != p.ID {
			continue
		}
		raw := "message: " + string(n.Raw)
		where := n.Describe() + " (" + string(l.role) + ")"
		switch {
		case n.Channel != mi.Channel:
			t.violate(Violation{Rule: RuleNotification, Where: where, Message: fmt.Sprintf("the %s about %s came on %s; want %s", n.MessageType(), p.ID, n.Channel, mi.Channel)}, raw)
		case n.MessageType() != mi.MessageType:
			t.violate(Violation{Rule: RuleNotification, Where: where, Pointer: "/data/" + spec.FieldMessageType, Message: fmt.Sprintf("messageType %q; want %q", n.MessageType(), mi.MessageType)}, raw)
		case !refIs(n.Data, ref):
			t.violate(Violation{Rule: RuleReferenceEcho, Where: where, Pointer: "/data/" + spec.FieldReferenceID, Message: fmt.Sprintf("referenceId %v; want %d, the HTTP reply's", n.Data[spec.FieldReferenceID], ref)}, raw)
		}
	}
	var seen []string
	for _, n := range l.events() {
		seen = append(seen, n.Channel+" "+n.MessageType())
	}
	t.violate(Violation{Rule: RuleNotification, Where: "CometD (" + string(l.role) + ")", Message: fmt.Sprintf("no %s within %s (%d events received: %s)", want, t.s.opts.Timeouts.Notification, len(seen), strings.Join(seen, "; "))})
}

// checkCapabilities compares the capabilities with the contract's list for the state:
// as a set by default (the docs list them without saying the order matters), in the
// contract's order under --strict.
func (t *T) checkCapabilities(where, base string, m spec.Media, state string, res map[string]any, raw string) {
	want, _ := spec.Capabilities(m, state)
	got := strings_(res[spec.FieldCapabilities])
	var missing, extra []string
	for _, c := range want {
		if !slices.Contains(got, c) {
			missing = append(missing, c)
		}
	}
	for _, c := range got {
		if !slices.Contains(want, c) {
			extra = append(extra, c)
		}
	}
	switch {
	case len(missing) > 0 || len(extra) > 0:
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			parts = append(parts, "unexpected "+strings.Join(extra, ", "))
		}
		t.violate(Violation{Rule: RuleCapabilities, Where: where, Pointer: base + "/" + spec.FieldCapabilities,
			Message: fmt.Sprintf("a %s %s has %s; this one: %s", state, m, strings.Join(want, ", "), strings.Join(parts, "; "))}, raw)
	case t.s.opts.Strict && !slices.Equal(got, want):
		t.violate(Violation{Rule: RuleCapabilities, Where: where, Pointer: base + "/" + spec.FieldCapabilities,
			Message: fmt.Sprintf("order %s; want %s (--strict)", strings.Join(got, ", "), strings.Join(want, ", "))}, raw)
	}
}

// checkUserData checks that every userData key the workbin listed is still there with the
// same value. Tolerance: the target may add keys (routing adds its own).
func (t *T) checkUserData(where, base string, p Placed, res map[string]any, raw string) {
	listed, _ := p.Listed[spec.FieldUserData].(map[string]any)
	if len(listed) == 0 {
		return
	}
	got, ok := res[spec.FieldUserData].(map[string]any)
	if !ok {
		t.violate(Violation{Rule: RuleUserData, Where: where, Pointer: base + "/" + spec.FieldUserData, Message: fmt.Sprintf("the pulled %s has no userData; the workbin listed %d keys", p.Media, len(listed))}, raw)
	}
	for _, k := range slices.Sorted(maps.Keys(listed)) {
		v, ok := got[k]
		switch {
		case !ok:
			t.violate(Violation{Rule: RuleUserData, Where: where, Pointer: base + "/" + spec.FieldUserData + spec.Pointer(k), Message: fmt.Sprintf("userData key %q is gone (the workbin listed %v)", k, listed[k])}, raw)
		case !jsonEqual(v, listed[k]):
			t.violate(Violation{Rule: RuleUserData, Where: where, Pointer: base + "/" + spec.FieldUserData + spec.Pointer(k), Message: fmt.Sprintf("userData %q changed from %v to %v", k, listed[k], v)}, raw)
		}
	}
}

// checkParticipants checks a pulled chat lists the puller: an Agent participant (or
// Supervisor for a supervisor, W12) with the requested nickname; without one, any
// nickname by default and the user name under --strict (D5).
func (t *T) checkParticipants(where, base string, puller Role, nickname string, res map[string]any, raw string) {
	types := []string{spec.ParticipantAgent}
	if puller == RoleSupervisor {
		types = append(types, spec.ParticipantSupervisor)
	}
	want := nickname
	if want == "" && t.s.opts.Strict {
		want = t.s.opts.Users.Credentials(puller).User
	}
	parts, _ := res[spec.FieldParticipants].([]any)
	var seen []string
	for _, x := range parts {
		p, _ := x.(map[string]any)
		typ, _ := p["type"].(string)
		nick, _ := p[spec.FieldNickname].(string)
		seen = append(seen, fmt.Sprintf("%s %q", typ, nick))
		if slices.Contains(types, typ) && (want == "" || nick == want) {
			return
		}
	}
	wantText := "a participant of type " + strings.Join(types, " or ")
	if want != "" {
		wantText += fmt.Sprintf(" with nickname %q", want)
	}
	t.violate(Violation{Rule: RuleParticipants, Where: where, Pointer: base + "/" + spec.FieldParticipants,
		Message: fmt.Sprintf("a pulled chat lists the puller: want %s; got [%s]", wantText, strings.Join(seen, ", "))}, raw)
}

// awaitEvent waits for an event of l that match accepts.
func (t *T) awaitEvent(l *Listener, match func(Notification) bool) (Notification, bool) {
	var found Notification
	err := t.await(t.s.opts.Timeouts.Notification.D(), func() error {
		for _, n := range l.events() {
			if match(n) {
				found = n
				return nil
			}
		}
		return errors.New("not yet")
	})
	return found, err == nil
}

// seenChannels lists what l received, for failure messages.
func seenChannels(l *Listener) string {
	var seen []string
	for _, n := range l.events() {
		seen = append(seen, n.Channel+" "+n.MessageType())
	}
	if len(seen) == 0 {
		return "nothing"
	}
	return strings.Join(seen, "; ")
}

// ---- JSON helpers ----

func resourceID(data map[string]any, key string) string {
	res, _ := data[key].(map[string]any)
	id, _ := res[spec.FieldID].(string)
	return id
}

func refIs(data map[string]any, ref int64) bool {
	v, ok := intOf(data[spec.FieldReferenceID])
	return ok && v == ref
}

// intOf reads an integer decoded with UseNumber.
func intOf(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case float64:
		return int64(n), float64(int64(n)) == n
	}
	return 0, false
}

func strings_(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// firstDiff finds the first difference between two decoded JSON values: its pointer and
// a description ("", "" when equal).
func firstDiff(a, b any, ptr string) (string, string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		ks := make([]string, 0, len(keys))
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			av, ain := am[k]
			bv, bin := bm[k]
			p := ptr + spec.Pointer(k)
			switch {
			case !ain:
				return p, fmt.Sprintf("%s appeared (%v)", p, bv)
			case !bin:
				return p, fmt.Sprintf("%s disappeared (was %v)", p, av)
			}
			if dp, d := firstDiff(av, bv, p); d != "" {
				return dp, d
			}
		}
		return "", ""
	}
	if !reflect.DeepEqual(a, b) && !jsonEqual(a, b) {
		if ptr == "" {
			ptr = "/"
		}
		return ptr, fmt.Sprintf("%s was %v, now %v", ptr, a, b)
	}
	return "", ""
}

// statusOf summarises an error reply for messages: "statusCode 2 (\"…\")".
func statusOf(ex *Exchange) string {
	b := ex.JSON()
	if b == nil {
		return strconv.Quote(clipText(string(ex.ResponseBody), 120))
	}
	return fmt.Sprintf("statusCode %v %q", b[spec.FieldStatusCode], clipText(fmt.Sprint(b[spec.FieldStatusMessage]), 120))
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func codes(cs []spec.StatusCode) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = strconv.Itoa(int(c))
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// isPlacement reports whether n is the ItemAdded of an interaction placed by routing (or
// the mock's admin API): no referenceId, since no request of the user caused it.
func isPlacement(n Notification) bool {
	_, hasRef := n.Data[spec.FieldReferenceID]
	act, _ := n.Data[spec.FieldAction].(string)
	return n.MessageType() == spec.MessageWorkbinStateChange && act == spec.ActionItemAdded && !hasRef
}
