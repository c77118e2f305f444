// Gates: multimedia-gate (no api-multimedia, D7) and configurable-options (the D6
// options of PullChat and enableCsrfProtection, switched through the mock's admin API).

package conformance

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/workbinkit/workbinkit/spec"
)

func multimediaSpecs() []specDef {
	mm := feats(FeatureMultimediaGate)
	// D7: 404 / 6 as if the API did not exist; for POSTs the docs' "invalid operation"
	// (400 / 2) is accepted too.
	return []specDef{
		{id: "multimedia-gate.get-workbins", text: "a user without api-multimedia gets 404 for the workbin list", features: mm, variant: "GET /api/v2/me/workbins",
			body: func(t *T) {
				ex := t.do(t.user(RoleNoMultimedia), http.MethodGet, spec.MyWorkbinsPath(), nil, withQuery(spec.FieldsQuery("*")))
				t.expectRefused(ex, refusal{rule: RuleMultimedia, what: "a workbin list without api-multimedia", strict: spec.StatusNotFound})
			}},
		{id: "multimedia-gate.pull", text: "a user without api-multimedia cannot pull, and nothing changes", features: mm, variant: variant(spec.PullWorkitem, formWorkbins),
			needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) {
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
	// D6 (an inference): with enableJoinOnPullChat off the pull succeeds without a join:
	// the chat leaves the workbin and comes to the puller JoinFailed, with the capabilities
	// a real GWS lists for that state, the puller not among its participants.
	joinGate := func(t *T) {
		sess := t.user(RoleAgent)
		l := t.listen(sess, mediaChannels()...)
		p := t.provision(t.wb(wbAgent), spec.MediaChat)
		restore := setOption(t, spec.OptionEnableJoinOnPullChat, false)
		ex := t.pull(sess, formWorkbins, p, spec.PullChat)
		ref := t.expectAccepted(sess, ex, "PullChat with "+spec.OptionEnableJoinOnPullChat+" off")
		restore()
		t.setOwned(p.ID, RoleAgent, p.Media)
		mi, _ := spec.MediaOf(spec.MediaChat)
		n := t.awaitPullNote(l, p, ref)
		where, raw := n.Describe()+" ("+string(l.role)+")", "message: "+string(n.Raw)
		res, _ := n.Data[mi.ResourceKey].(map[string]any)
		base := dataPointer(mi.ResourceKey)
		if st, _ := res[spec.FieldState].(string); st != spec.StateJoinFailed {
			t.violate(Violation{Rule: RulePullChatGate, Where: where, Pointer: base + spec.Pointer(spec.FieldState), Message: fmt.Sprintf("a chat pulled with %s off is %q, got %q", spec.OptionEnableJoinOnPullChat, spec.StateJoinFailed, st)}, raw)
		}
		if want, _ := spec.Capabilities(spec.MediaChat, spec.StateJoinFailed); !sameStrings(stringsIn(res[spec.FieldCapabilities]), want) {
			t.violate(Violation{Rule: RulePullChatGate, Where: where, Pointer: base + spec.Pointer(spec.FieldCapabilities), Message: fmt.Sprintf("a JoinFailed chat has %v, got %v", want, res[spec.FieldCapabilities])}, raw)
		}
		for i, pt := range anySlice(res[spec.FieldParticipants]) {
			if m, _ := pt.(map[string]any); m[spec.FieldParticipantType] != spec.ParticipantCustomer {
				t.violate(Violation{Rule: RulePullChatGate, Where: where, Pointer: base + spec.Pointer(spec.FieldParticipants, fmt.Sprint(i)), Message: "a chat whose join failed lists no agent among its participants"}, raw)
			}
		}
		t.awaitGone(t.wb(wbAgent), p.ID)
	}
	return []specDef{
		{id: "configurable-options.join-gate", text: "PullChat while enableJoinOnPullChat is off leaves the chat JoinFailed", features: feats(FeatureConfigurableOptions, FeaturePullChat),
			variant: variant(spec.PullChat, formWorkbins), serial: true, needs: []need{uses(1, wbAgent, spec.MediaChat)}, body: joinGate},
		{id: "configurable-options.notification-gate", text: "PullChat is refused while enableNotificationOnPullChat is off", features: feats(FeatureConfigurableOptions, FeaturePullChat),
			variant: variant(spec.PullChat, formWorkbins), serial: true, needs: []need{uses(1, wbAgent, spec.MediaChat)}, body: gate(spec.OptionEnableNotificationOnPullChat)},
		{id: "configurable-options.csrf-off", text: "with enableCsrfProtection off a POST needs no token", features: feats(FeatureConfigurableOptions, FeatureCSRF),
			variant: variant(spec.PullWorkitem, formWorkbins), serial: true, needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) {
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

// sameStrings reports whether a and b hold the same strings, in any order.
func sameStrings(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

// anySlice is v as a JSON array (nil if it is not one).
func anySlice(v any) []any {
	a, _ := v.([]any)
	return a
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
		t.failf(RuleSetup, "GET "+path, spec.Pointer(name), "the options have no boolean %s", name)
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
