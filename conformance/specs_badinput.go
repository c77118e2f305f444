// bad-input: requests that must be refused and change nothing (malformed bodies, unknown
// ids and workbins, wrong media), and refusedSpec, the shape of such a spec.

package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
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

// provisionIn is the workbin name c provisions into.
func (c refusedCase) provisionIn() string {
	if c.workbin == "" {
		return wbAgent
	}
	return c.workbin
}

func refusedSpec(fs []Feature, c refusedCase) specDef {
	return specDef{id: c.id, text: c.text, features: fs, variant: c.variant, needs: []need{uses(1, c.provisionIn(), spec.MediaWorkitem)}, body: func(t *T) {
		sess := t.user(RoleAgent)
		// A target without a Place workbin gets another agent's: elsewhere too.
		w := t.wb(t.s.info.provisionName(c.provisionIn()))
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
	}
}
