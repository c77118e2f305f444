package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// Refusals, as the dashboard explains them: which rule of docs/rules.md a refused REST
// request ran into. The journal keeps the reply as it was sent (status, statusCode,
// statusMessage); the rule is read back from it here, by the statusMessage each refusal of
// the mock writes (mockserver/state's messages, the pipeline's in api.go, workbins.go and
// validate.go). TestRefusalRules holds one request per row, so a reworded message that no
// row matches any more fails there.

// refusal is a refused request as the dashboard shows it.
type refusal struct {
	// StatusCode is the reply's statusCode (nil: the reply has none, e.g. the CSRF 403).
	StatusCode *int `json:"statusCode,omitempty"`
	// Message is the statusMessage, or the body of a reply that is not the envelope.
	Message string `json:"message,omitempty"`
	// Rule is the rule id (an anchor of docs/rules.md), "" when none applies (a fault).
	Rule string `json:"rule,omitempty"`
	// Fault: an injected fault (POST /_mock/faults) answered, not the contract.
	Fault bool `json:"fault,omitempty"`
}

// refusalRow maps statusMessages that match re to a rule, for the operations that match op
// (the journal's "operationId operationName"; nil: any).
type refusalRow struct {
	op   *regexp.Regexp
	re   *regexp.Regexp
	rule string
}

// interactionOp matches the operations on one interaction (POST /me/{media}/{id}, D13),
// also without the operationName (the journal has none when the contract refused the body).
const interactionOp = `^postMy(Workitem|Chat|Email)\b`

// badTarget matches the refusals of a Transfer, Invite or Consult target (state/operate.go).
const badTarget = `^the target URI names no user|^the target is user ".*" himself$|^user ".*" is already in |^user ".*" has no |^user ".*" not found$|to a queue is not modelled`

// refusalRules is read-only: the first row that matches wins, so specific rows come before
// the general ones.
var refusalRules = func() []refusalRow {
	rows := []struct{ op, pattern, rule string }{
		// Operations on an interaction (D13-D20) and the contact-center session (D21):
		// before the general rows, which read the same messages (not found, the contract's
		// refusals) as the workbins' rules.
		{interactionOp + ` Transfer$`, badTarget, "D17.transfer"},
		{interactionOp + ` (Invite|Consult)$`, badTarget + `|needs ` + spec.FieldTargetURI + `$`, "D17.invite"},
		{interactionOp, `^only the owner of `, "S14"},
		{interactionOp, `^\S+ is not valid for an? \w+ ".*" in state `, "D13.capability-gate"},
		{interactionOp, ` is not one user ".*" works on$`, "D13.ownership"},
		{interactionOp, `^\w+ ".*" not found$`, "D13"}, // an unknown or completed interaction (S13)
		{interactionOp, `^(Invalid|Required) parameter userData|^userData \S+ is |^(Invalid|Required|Parameter|Parameters) .*\(\w+\)$`, "D13.bad-body"},
		{``, `^StartContactCenterSession needs |^channel \S+ is not one of|^the contact-center session needs the feature`, "D21.session"},
		// The pipeline (api.go, validate.go) and the handlers (workbins.go).
		{``, `needs the feature ` + regexp.QuoteMeta(spec.FeatureMultimedia), "D7.multimedia"},
		{``, `^No resource at `, "W1"},
		{``, `^Method \S+ is not allowed`, "W1"},
		{``, `is forbidden: ` + spec.OptionEnableNotificationOnPullChat + ` is false`, "D6.pullchat-gate"},
		{``, `\(` + spec.RuleMutuallyExclusive + `\)$`, "D1.group-params"},
		{``, `^Parameter operationName is not valid here`, "D2"},
		{``, `^Request body is larger than`, "D3"},
		{``, `broke its own contract`, "contract"},
		{``, `^(Invalid|Required|Parameter|Parameters) .*\(\w+\)$`, "contract"}, // the contract refused the request (requestFault)
		{``, `^Invalid parameter uri`, "D2"},
		{``, `name different interactions`, "D2"},
		{``, `^Required parameter workbinIds is missing|takes no workbinIds`, "W4"},
		// mockserver/state (S1–S9, D10, D11).
		{``, `^give one of \S+ and \S+, not both`, "D1.group-params"},
		{``, `is for supervisors|supervisor form reaches`, "D10.supervisor"},
		{``, `^no user has the id`, "W2"},
		{``, `belongs to another user`, "W7"},
		{``, `belongs to another place|is not a member of the|is not the \S+ workbin of|/me/workbins needs \?`, "S1"},
		{``, `^interaction \S+ not found$`, "S2"}, // S4 for an Add: see explainRefusal
		{``, `not found$|has no workbin`, "S1"},
		{``, `already pulled`, "D11.second-pull"},
		{``, `it is in another workbin`, "D11.content"},
		{``, `^\S+ is for an? \S+; interaction`, "D2"},
		{``, `is not an? \S+ operation|media is not available|interaction id is missing|nickname is longer`, "S2"},
		{``, `is already in a workbin|is Completed$`, "S4"},
		{``, `is owned by another user`, "D11.ownership"},
		{``, `^no workbin given`, "S5"},
		{``, `statistics of|workbinOwner needs|workbinType .* is not one of`, "S8"},
		{``, `^User not authenticated`, "D8.auth"},
	}
	out := make([]refusalRow, len(rows))
	for i, r := range rows {
		out[i] = refusalRow{re: regexp.MustCompile(r.pattern), rule: r.rule}
		if r.op != "" {
			out[i].op = regexp.MustCompile(r.op)
		}
	}
	return out
}()

// explainRefusal reads a journaled reply of the operation (the journal's "operationId
// operationName"): ok is false for a success (HTTP 2xx with statusCode 0 or 7, or no
// envelope). An injected fault is told by its default statusMessage; one given its own
// message reads as the refusal it imitates.
func explainRefusal(operation string, status int, body []byte) (refusal, bool) {
	var env struct {
		StatusCode    *int    `json:"statusCode"`
		StatusMessage *string `json:"statusMessage"`
	}
	isEnvelope := json.Unmarshal(body, &env) == nil && env.StatusCode != nil
	failed := status >= http.StatusBadRequest || (isEnvelope && *env.StatusCode != int(spec.StatusOK) && *env.StatusCode != int(spec.StatusPartialSuccess))
	if !failed {
		return refusal{}, false
	}
	r := refusal{}
	if !isEnvelope {
		// The CSRF refusal is text (W9); anything else without an envelope is named by its status.
		text := string(bytes.TrimSpace(body))
		var s string
		if json.Unmarshal(body, &s) == nil {
			text = s
		}
		r.Message = text
		switch {
		case status == http.StatusForbidden && text == spec.CSRFRejection:
			r.Rule = "D8.csrf"
		default:
			r.Rule = "D3"
		}
		return r, true
	}
	r.StatusCode = env.StatusCode
	if env.StatusMessage != nil {
		r.Message = *env.StatusMessage
	}
	if strings.HasPrefix(r.Message, faultMessagePrefix) {
		r.Fault = true
		return r, true
	}
	if spec.StatusCode(*env.StatusCode) == spec.StatusNotAuthenticated {
		r.Rule = "D8.auth"
		return r, true
	}
	for _, row := range refusalRules {
		if (row.op == nil || row.op.MatchString(operation)) && row.re.MatchString(r.Message) {
			r.Rule = row.rule
			if r.Rule == "S2" && strings.Contains(operation, " Add") {
				r.Rule = "S4" // the Add's refusals
			}
			return r, true
		}
	}
	r.Rule = "D3" // the envelope and its statusCodes
	return r, true
}

// faultMessagePrefix starts the statusMessage of an injected fault without one of its own
// (Fault.check).
const faultMessagePrefix = "Injected fault"
