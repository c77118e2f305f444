// Authentication and CSRF (D8): 401 with a Basic challenge, the CSRF token of GET /me and
// the 403 without it.

package conformance

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// authSpecs: the bad-input specs about credentials (D8): 401 with a Basic challenge, and
// nothing changes.
func authSpecs() []specDef {
	bad := feats(FeatureBadInput)
	pw := variant(spec.PullWorkitem, formWorkbins)
	return []specDef{
		refusedSpec(bad, refusedCase{id: "bad-input.no-credentials", text: "a pull without credentials or session cookie: 401 with WWW-Authenticate", variant: pw,
			refusal: refusal{rule: RuleAuth, what: "a pull without credentials", strict: spec.StatusNotAuthenticated, tolerated: []spec.StatusCode{spec.StatusNotAuthenticated}},
			send: func(t *T, sess *Session, p Placed) *Exchange {
				ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem, noAuth())
				expectChallenge(t, ex)
				return ex
			}}),
		refusedSpec(bad, refusedCase{id: "bad-input.wrong-password", text: "a pull with the credentials of no user: 401", variant: pw,
			refusal: refusal{rule: RuleAuth, what: "a pull with wrong credentials", strict: spec.StatusNotAuthenticated, tolerated: []spec.StatusCode{spec.StatusNotAuthenticated}},
			send: func(t *T, sess *Session, p Placed) *Exchange {
				// A made-up user, not the agent with a wrong password: a run must not count
				// toward locking a real lab account out. The check is the same: 401 with
				// WWW-Authenticate, and nothing changes.
				bad := Credentials{User: randomID("workbinkit-nobody-"), Password: randomID("wrong-")}
				ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem, basicAs(bad))
				expectChallenge(t, ex)
				return ex
			}}),
		{id: "bad-input.no-credentials-get", text: "a GET without credentials: 401 with WWW-Authenticate", features: bad,
			variant: "GET /api/v2/me/workbins", body: func(t *T) {
				sess := t.user(RoleAgent)
				ex := t.do(sess, http.MethodGet, spec.MyWorkbinsPath(), nil, noAuth())
				expectChallenge(t, ex)
				t.expectRefused(ex, refusal{rule: RuleAuth, what: "a GET without credentials", strict: spec.StatusNotAuthenticated, tolerated: []spec.StatusCode{spec.StatusNotAuthenticated}})
			}},
	}
}

// expectChallenge checks a 401 (D8): HTTP 401 with a Basic WWW-Authenticate challenge.
func expectChallenge(t *T, ex *Exchange) {
	if ex.Status != http.StatusUnauthorized {
		t.violate(Violation{Rule: RuleAuth, Where: ex.Where(), Message: fmt.Sprintf("HTTP %d %s; a request without valid credentials gets 401", ex.Status, statusOf(ex))}, ex.Dump())
	}
	ch := ex.ResponseHeader.Get(spec.HeaderWWWAuthenticate)
	if !strings.HasPrefix(strings.ToLower(ch), "basic") {
		t.violate(Violation{Rule: RuleAuth, Where: ex.Where() + " header " + spec.HeaderWWWAuthenticate, Message: fmt.Sprintf("WWW-Authenticate is %q; a 401 carries a Basic challenge (D8)", ch)}, ex.Dump())
	}
}

func csrfSpecs() []specDef {
	c := feats(FeatureCSRF)
	return []specDef{
		{id: "csrf.token-on-get", text: "GET /api/v2/me hands out X-CSRF-HEADER and X-CSRF-TOKEN", features: c, variant: "GET /api/v2/me",
			body: func(t *T) {
				sess := t.s.tg.newSession(RoleAgent, t.s.opts.Users.Agent, t.ua, t.log)
				ex, _ := sess.Login(t.ctx)
				t.transport(ex, RuleSetup)
				t.conform(ex)
				if got := ex.ResponseHeader.Get(spec.HeaderCSRFHeader); got != spec.HeaderCSRFToken {
					t.violate(Violation{Rule: RuleCSRF, Where: ex.Where() + " header " + spec.HeaderCSRFHeader, Message: fmt.Sprintf("%s is %q; want %q (the name of the header to send back)", spec.HeaderCSRFHeader, got, spec.HeaderCSRFToken)}, ex.Dump())
				}
				if ex.ResponseHeader.Get(spec.HeaderCSRFToken) == "" {
					t.violate(Violation{Rule: RuleCSRF, Where: ex.Where() + " header " + spec.HeaderCSRFToken, Message: "no CSRF token; with CSRF protection on, every GET hands one out (D8)"}, ex.Dump())
				}
			}},
		refusedSpec(c, refusedCase{id: "csrf.post-without-token", text: "a POST without the CSRF token: 403 Missing or invalid Csrf token", variant: variant(spec.PullWorkitem, formWorkbins),
			send: func(t *T, sess *Session, p Placed) *Exchange {
				return expectCSRFRejection(t, t.pull(sess, formWorkbins, p, spec.PullWorkitem, noCSRF()))
			}}),
		refusedSpec(c, refusedCase{id: "csrf.post-wrong-token", text: "a POST with a wrong CSRF token: 403", variant: variant(spec.PullWorkitem, formWorkbins),
			send: func(t *T, sess *Session, p Placed) *Exchange {
				return expectCSRFRejection(t, t.pull(sess, formWorkbins, p, spec.PullWorkitem, csrfToken("00000000-0000-0000-0000-000000000000")))
			}}),
	}
}

// expectCSRFRejection checks the documented CSRF refusal (confirmed by the docs, so
// checked in every mode): HTTP 403 with the text "Missing or invalid Csrf token". It
// returns a nil exchange so that refusedSpec does not look for a statusCode.
func expectCSRFRejection(t *T, ex *Exchange) *Exchange {
	if ex.Status != http.StatusForbidden || strings.TrimSpace(string(ex.ResponseBody)) != spec.CSRFRejection {
		t.violate(Violation{Rule: RuleCSRF, Where: ex.Where(), Message: fmt.Sprintf("HTTP %d %s; without a valid CSRF token a POST gets 403 %q (D8)", ex.Status, statusOf(ex), spec.CSRFRejection)}, ex.Dump())
	}
	return nil
}
