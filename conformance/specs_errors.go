package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/workbinkit/workbinkit/spec"
)

// The plausible statusCode sets of decisions.md D3, accepted (with any 4xx status) unless
// --strict, which wants the D3 table exactly.
var (
	// badBody: a malformed or incomplete request body: 1, 2 or 10.
	badBody = []spec.StatusCode{spec.StatusMissingParameter, spec.StatusInvalidParameter, spec.StatusInvalidInput}
	// missingItem: the interaction is not where the request says: 2 or 6.
	missingItem = []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNotFound}
)

// randomID makes an id no target has ("workbinkit-missing-1f2e…").
func randomID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// refusedCase is a request that must be refused and change nothing: the agent sends it
// about a freshly provisioned workitem p of the agent's workbin.
type refusedCase struct {
	id, text string
	variant  string
	refusal  refusal
	// workbin is where p is provisioned (default the agent's workbin).
	workbin string
	send    func(t *T, sess *Session, p Placed) *Exchange
}

func refusedSpec(fs []Feature, c refusedCase) specDef {
	return specDef{id: c.id, text: c.text, features: fs, variant: c.variant, body: func(t *T) {
		sess := t.user(RoleAgent)
		wb := c.workbin
		switch {
		case wb == "":
			wb = wbAgent
		case wb == wbAgentPlace && t.wb(wbAgentPlace).ID == "":
			wb = wbAgent2 // a target without a Place workbin: another agent's is elsewhere too
		}
		w := t.wb(wb)
		// The owner's listener, on the media channels only: workbin events of the
		// provisioning are not "published by the refused request".
		l := t.listen(t.user(w.Owner), mediaChannels()...)
		p := t.provision(w, spec.MediaWorkitem)
		if ex := c.send(t, sess, p); ex != nil {
			t.expectRefused(ex, c.refusal)
		}
		t.expectUnchanged(l, p)
	}}
}

// pullWith posts a pull body to the agent's workbin.
func pullWith(body any, opts ...reqOption) func(t *T, sess *Session, p Placed) *Exchange {
	return func(t *T, sess *Session, p Placed) *Exchange {
		b := body
		if f, ok := body.(func(Placed) any); ok {
			b = f(p)
		}
		return t.post(sess, formWorkbins, p.Workbin, b, opts...)
	}
}

func badInputSpecs() []specDef {
	bad := feats(FeatureBadInput)
	pw := variant(spec.PullWorkitem, formWorkbins)
	return []specDef{
		refusedSpec(bad, refusedCase{id: "bad-input.missing-operation-name", text: "a pull without operationName", variant: pw,
			refusal: refusal{what: "a body without operationName", strict: spec.StatusMissingParameter, tolerated: badBody},
			send:    pullWith(func(p Placed) any { return map[string]any{spec.FieldID: p.ID} })}),
		refusedSpec(bad, refusedCase{id: "bad-input.missing-id", text: "a pull without id", variant: pw,
			refusal: refusal{what: "a pull without id", strict: spec.StatusMissingParameter, tolerated: badBody},
			send:    pullWith(map[string]any{spec.FieldOperationName: spec.PullWorkitem})}),
		refusedSpec(bad, refusedCase{id: "bad-input.unknown-operation", text: "an unknown operationName", variant: pw,
			refusal: refusal{what: "operationName PullEverything", strict: spec.StatusInvalidParameter, tolerated: badBody},
			send:    pullWith(func(p Placed) any { return pullBody("PullEverything", p.ID) })}),
		refusedSpec(bad, refusedCase{id: "bad-input.malformed-json", text: "a body that is not JSON", variant: pw,
			refusal: refusal{what: "a malformed JSON body", strict: spec.StatusInvalidInput, tolerated: badBody},
			send: func(t *T, sess *Session, p Placed) *Exchange {
				raw := []byte(`{"` + spec.FieldOperationName + `": "` + spec.PullWorkitem + `", "` + spec.FieldID + `": "` + p.ID + `"`)
				return t.post(sess, formWorkbins, p.Workbin, nil, rawBody(raw, "application/json"))
			}}),
		refusedSpec(bad, refusedCase{id: "bad-input.wrong-type", text: "an id that is not a string", variant: pw,
			refusal: refusal{what: "an id given as an array", strict: spec.StatusInvalidInput, tolerated: badBody},
			send: pullWith(func(p Placed) any {
				return map[string]any{spec.FieldOperationName: spec.PullWorkitem, spec.FieldID: []string{p.ID}}
			})}),
		refusedSpec(bad, refusedCase{id: "bad-input.overlong-id", text: "an id over 255 characters", variant: pw,
			// W5 decides 10; a target without a length limit says "not found" (6) or "not
			// in this workbin" (2).
			refusal: refusal{what: "an id of 256 characters", strict: spec.StatusInvalidInput,
				tolerated: []spec.StatusCode{spec.StatusInvalidInput, spec.StatusInvalidParameter, spec.StatusNotFound}},
			send: pullWith(pullBody(spec.PullWorkitem, strings.Repeat("x", 256)))}),
		refusedSpec(bad, refusedCase{id: "bad-input.oversized-body", text: "a body over 1 MiB", variant: pw,
			// D3: 413 with statusCode 10; by default any 4xx with a bad-body code.
			refusal: refusal{what: "a body over 1 MiB", strict: spec.StatusInvalidInput, strictHTTP: http.StatusRequestEntityTooLarge, tolerated: badBody},
			send: func(t *T, sess *Session, p Placed) *Exchange {
				pad := strings.Repeat("x", spec.MaxBodyBytes)
				raw := []byte(`{"` + spec.FieldOperationName + `":"` + spec.PullWorkitem + `","` + spec.FieldID + `":"` + p.ID + `","padding":"` + pad + `"}`)
				return t.post(sess, formWorkbins, p.Workbin, nil, rawBody(raw, "application/json"))
			}}),
		refusedSpec(bad, refusedCase{id: "bad-input.unknown-interaction", text: "a pull of an interaction that does not exist", variant: pw,
			refusal: refusal{what: "a pull of an unknown interaction", strict: spec.StatusNotFound, tolerated: missingItem},
			send:    pullWith(func(Placed) any { return pullBody(spec.PullWorkitem, randomID("workbinkit-missing-")) })}),
		refusedSpec(bad, refusedCase{id: "bad-input.not-in-workbin", text: "a pull of an interaction that is in another workbin", variant: pw,
			refusal: refusal{what: "a pull of an interaction from a workbin it is not in", strict: spec.StatusInvalidParameter, tolerated: missingItem},
			workbin: wbAgentPlace,
			send: func(t *T, sess *Session, p Placed) *Exchange {
				return t.post(sess, formWorkbins, t.wb(wbAgent), pullBody(spec.PullWorkitem, p.ID))
			}}),
		refusedSpec(bad, refusedCase{id: "bad-input.unknown-workbin", text: "a pull from a workbin that does not exist", variant: pw,
			// D3: 404 / 6. Tolerated: 2, and 5 (a target may not reveal what exists).
			refusal: refusal{what: "a pull from an unknown workbin", strict: spec.StatusNotFound,
				tolerated: []spec.StatusCode{spec.StatusNotFound, spec.StatusInvalidParameter, spec.StatusNoPermission}},
			send: func(t *T, sess *Session, p Placed) *Exchange {
				return t.post(sess, formWorkbins, WorkbinRef{ID: randomID("workbinkit-missing-"), Owner: RoleAgent}, pullBody(spec.PullWorkitem, p.ID))
			}}),
		refusedSpec(bad, refusedCase{id: "bad-input.wrong-media", text: "PullChat of a workitem", variant: variant(spec.PullChat, formWorkbins),
			// D2/D3: 2. Tolerated: 6 (no such chat) and 10.
			refusal: refusal{what: "PullChat of a workitem", strict: spec.StatusInvalidParameter,
				tolerated: []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNotFound, spec.StatusInvalidInput}},
			send: pullWith(func(p Placed) any { return pullBody(spec.PullChat, p.ID) })}),
		refusedSpec(bad, refusedCase{id: "bad-input.other-agents-workbin", text: "a pull from another agent's workbin", variant: pw,
			// D3: 403 / 5. Tolerated: 2 and 6 (the workbin is not the caller's).
			refusal: refusal{what: "a pull from another agent's workbin", strict: spec.StatusNoPermission,
				tolerated: []spec.StatusCode{spec.StatusNoPermission, spec.StatusInvalidParameter, spec.StatusNotFound}},
			workbin: wbAgent2,
			send:    pullWith(func(p Placed) any { return pullBody(spec.PullWorkitem, p.ID) })}),
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
				ex := t.do(sess, http.MethodGet, spec.BasePath+"/me/workbins", nil, noAuth())
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

func multimediaSpecs() []specDef {
	mm := feats(FeatureMultimediaGate)
	// D7: 404 / 6 as if the API did not exist; for POSTs the docs' "invalid operation"
	// (400 / 2) is accepted too.
	return []specDef{
		{id: "multimedia-gate.get-workbins", text: "a user without api-multimedia gets 404 for the workbin list", features: mm, variant: "GET /api/v2/me/workbins",
			body: func(t *T) {
				ex := t.do(t.user(RoleNoMultimedia), http.MethodGet, spec.BasePath+"/me/workbins", nil, query(spec.ParamFields, "*"))
				t.expectRefused(ex, refusal{rule: RuleMultimedia, what: "a workbin list without api-multimedia", strict: spec.StatusNotFound})
			}},
		{id: "multimedia-gate.pull", text: "a user without api-multimedia cannot pull, and nothing changes", features: mm, variant: variant(spec.PullWorkitem, formWorkbins),
			body: func(t *T) {
				l := t.listen(t.user(RoleAgent), mediaChannels()...)
				p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
				ex := t.pull(t.user(RoleNoMultimedia), formWorkbins, p, spec.PullWorkitem)
				t.expectRefused(ex, refusal{rule: RuleMultimedia, what: "a pull without api-multimedia", strict: spec.StatusNotFound,
					tolerated: []spec.StatusCode{spec.StatusNotFound, spec.StatusInvalidParameter}})
				t.expectUnchanged(l, p)
			}},
	}
}

func optionSpecs() []specDef {
	gate := func(option string) func(t *T) {
		return func(t *T) {
			sess := t.user(RoleAgent)
			l := t.listen(sess, mediaChannels()...)
			p := t.provision(t.wb(wbAgent), spec.MediaChat)
			restore := setOption(t, option, false)
			ex := t.pull(sess, formWorkbins, p, spec.PullChat)
			// D6 decides 403 / 3 naming the option; the docs only say PullChat needs both
			// options on, so any refusal of the bad-request or forbidden family passes by
			// default.
			t.expectRefused(ex, refusal{rule: RulePullChatGate, what: "PullChat with " + option + " off", strict: spec.StatusForbidden,
				tolerated: []spec.StatusCode{spec.StatusForbidden, spec.StatusInvalidParameter, spec.StatusNoPermission}})
			if msg, _ := ex.JSON()[spec.FieldStatusMessage].(string); t.s.opts.Strict && !strings.Contains(msg, option) {
				t.violate(Violation{Rule: RulePullChatGate, Where: ex.Where(), Pointer: spec.Pointer(spec.FieldStatusMessage), Message: fmt.Sprintf("statusMessage %q does not name %s (D6, --strict)", msg, option)}, ex.Dump())
			}
			restore()
			t.expectUnchanged(l, p)
		}
	}
	return []specDef{
		{id: "configurable-options.join-gate", text: "PullChat is refused while enableJoinOnPullChat is off", features: feats(FeatureConfigurableOptions, FeaturePullChat),
			variant: variant(spec.PullChat, formWorkbins), serial: true, body: gate(spec.OptionEnableJoinOnPullChat)},
		{id: "configurable-options.notification-gate", text: "PullChat is refused while enableNotificationOnPullChat is off", features: feats(FeatureConfigurableOptions, FeaturePullChat),
			variant: variant(spec.PullChat, formWorkbins), serial: true, body: gate(spec.OptionEnableNotificationOnPullChat)},
		{id: "configurable-options.csrf-off", text: "with enableCsrfProtection off a POST needs no token", features: feats(FeatureConfigurableOptions, FeatureCSRF),
			variant: variant(spec.PullWorkitem, formWorkbins), serial: true, body: func(t *T) {
				sess := t.user(RoleAgent)
				l := t.listen(sess)
				p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
				restore := setOption(t, spec.OptionEnableCsrfProtection, false)
				ex := t.pull(sess, formWorkbins, p, spec.PullWorkitem, noCSRF())
				ref := t.expectAccepted(sess, ex, "a pull without CSRF token while protection is off")
				restore()
				t.expectPulled(l, p, ref, RoleAgent, "")
			}},
	}
}

// setOption switches a boolean option of the mock through its control plane and returns
// a function that puts the old value back (also run when the spec ends).
func setOption(t *T, name string, v bool) func() {
	path := t.s.opts.Provisioning.AdminPath + spec.AdminPathOptions
	tok := t.s.opts.Provisioning.AdminToken
	get := t.admin().Do(t.ctx, http.MethodGet, path, nil, adminCall(tok))
	if get.Err != nil || get.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleSetup, Where: "GET " + path, Message: fmt.Sprintf("cannot read the options through the admin API (HTTP %d)", get.Status)}, get.Dump())
	}
	old, ok := get.JSON()[name].(bool)
	if !ok {
		t.failf(RuleSetup, "GET "+path, "/"+name, "the options have no boolean %s", name)
	}
	patch := func(ctx context.Context, val bool) *Exchange {
		return t.admin().Do(ctx, http.MethodPatch, path, map[string]any{name: val}, adminCall(tok))
	}
	if ex := patch(t.ctx, v); ex.Err != nil || ex.Status != http.StatusOK {
		t.violate(Violation{Rule: RuleSetup, Where: "PATCH " + path, Message: fmt.Sprintf("cannot set %s through the admin API (HTTP %d)", name, ex.Status)}, ex.Dump())
	}
	done := false
	restore := func() {
		if done {
			return
		}
		done = true
		ctx, cancel := context.WithTimeout(context.Background(), t.s.opts.Timeouts.Request.D())
		defer cancel()
		patch(ctx, old)
	}
	ginkgo.DeferCleanup(restore)
	return restore
}
