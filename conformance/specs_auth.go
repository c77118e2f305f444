package conformance

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

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
