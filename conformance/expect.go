// Expectations on HTTP replies and on workbin content: the success envelope and its
// referenceId (D3, D4), a refusal and its statusCode (D3, with the tolerated sets), the
// content after a change (D11), and "a refused request changed nothing".

package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

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

// The plausible statusCode sets of decisions.md D3, accepted (with any 4xx status) unless
// --strict, which wants the D3 table exactly.
var (
	// badBody: a malformed or incomplete request body: 1, 2 or 10.
	badBody = []spec.StatusCode{spec.StatusMissingParameter, spec.StatusInvalidParameter, spec.StatusInvalidInput}
	// missingItem: the interaction is not where the request says: 2 or 6.
	missingItem = []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNotFound}
)

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
		t.failf(RuleContent, "GET content of "+w.Label, spec.Pointer(string(it.Media), spec.FieldState), "%s %s is listed with state %v; an interaction in a workbin is InWorkbin", it.Media, id, st)
	}
	if caps, ok := it.Resource[spec.FieldCapabilities].([]any); ok && len(caps) > 0 {
		t.failf(RuleContent, "GET content of "+w.Label, spec.Pointer(string(it.Media), spec.FieldCapabilities), "%s %s is listed with capabilities %v; an interaction in a workbin has none", it.Media, id, caps)
	}
	return it
}

// awaitGone waits until w no longer lists id (tolerance: timeouts.consistency after the
// HTTP reply). When the first probe saw a pulled interaction still listed after that
// long, it looks once and fails at once, citing the probe.
func (t *T) awaitGone(w WorkbinRef, id string) {
	if f := t.s.finding(kindGone); f != "" {
		items, ex := t.contentOf(w)
		if _, ok := items[id]; ok {
			t.violate(Violation{Rule: RuleContent, Where: "GET content of " + w.Label,
				Message: fmt.Sprintf("interaction %s is still listed after it was pulled, and %s; the suite does not wait %s again", id, f, t.s.opts.Timeouts.Consistency)}, ex.Dump())
		}
		return
	}
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
