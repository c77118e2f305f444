// add-to-workbin: adding an owned interaction back, by id or uri, and the refusal of an
// interaction the caller does not own (D11).

package conformance

import (
	"fmt"

	"github.com/workbinkit/workbinkit/spec"
)

// addSpecs: add-to-workbin.
func addSpecs() []specDef {
	add := feats(FeatureAddToWorkbin)
	return []specDef{
		{id: "add-to-workbin.add-by-id", text: "AddWorkitem of a workitem the agent owns: listed InWorkbin again, and pullable", features: add,
			variant: variant(spec.AddWorkitem, formWorkbins), needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) { addBack(t, spec.AddWorkitem, formWorkbins, false, false) }},
		{id: "add-to-workbin.add-by-uri", text: "AddInteraction with the interaction's uri", features: add,
			variant: variant(spec.AddInteraction, formMe), needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) { addBack(t, spec.AddInteraction, formMe, true, false) }},
		{id: "add-to-workbin.not-owned", text: "Add of an interaction the agent does not own is refused and changes nothing", features: add,
			variant: variant(spec.AddWorkitem, formWorkbins), needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: addNotOwned},
		{id: "add-to-workbin.item-added", text: "a subscriber's own Add brings ItemAdded with its referenceId", features: feats(FeatureAddToWorkbin, FeatureWorkbinSubscriptions),
			variant: variant(spec.AddWorkitem, formWorkbins), needs: []need{uses(1, wbAgent, spec.MediaWorkitem)}, body: func(t *T) { addBack(t, spec.AddWorkitem, formWorkbins, false, true) }},
	}
}

// addBack pulls a fresh interaction (so the agent owns it), adds it back with op, and
// checks it is listed again and can be pulled again.
func addBack(t *T, op string, f urlForm, byURI, subscribed bool) {
	r := runPull(t, pullCase{form: formWorkbins, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgent, puller: RoleAgent})
	if subscribed {
		subscribe(t, r.sess, r.l, formWorkbins, r.p.Workbin, spec.Subscribe)
	}
	body := map[string]any{spec.FieldOperationName: op}
	if byURI {
		uri, _ := r.p.Listed[spec.FieldURI].(string)
		if uri == "" {
			uri = t.s.tg.base.String() + spec.InteractionPath(r.p.Media, r.p.ID)
		}
		body[spec.FieldURI] = uri
	} else {
		body[spec.FieldID] = r.p.ID
	}
	ex := t.post(r.sess, f, r.p.Workbin, body)
	ref := t.expectAccepted(r.sess, ex, op+" of owned "+r.p.ID)
	t.setOwned(r.p.ID, "", r.p.Media)
	if subscribed {
		n := expectWorkbinEvent(t, r.l, workbinEvent{action: spec.ActionItemAdded, w: r.p.Workbin, p: r.p, ref: ref})
		mi, _ := spec.MediaOf(r.p.Media)
		res, _ := n.Data[mi.StateResourceV2Key].(map[string]any)
		if caps, ok := res[spec.FieldCapabilities].([]any); ok && len(caps) > 0 {
			t.violate(Violation{Rule: RuleWorkbinEvent, Where: n.Describe(), Pointer: dataPointer(mi.StateResourceV2Key, spec.FieldCapabilities),
				Message: fmt.Sprintf("the added interaction has capabilities %v; in a workbin it has none (D11, N2)", caps)}, "message: "+string(n.Raw))
		}
	}
	listed := t.awaitListed(r.p.Workbin, r.p.ID, "added")
	p := Placed{ID: r.p.ID, Media: r.p.Media, Workbin: r.p.Workbin, Listed: listed.Resource}
	ex = t.pull(r.sess, formWorkbins, p, spec.PullWorkitem)
	ref = t.expectAccepted(r.sess, ex, "pull of the added "+p.ID)
	t.expectPulled(r.l, p, ref, RoleAgent, "")
}

func addNotOwned(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess, mediaChannels()...)
	p := t.provision(t.wb(wbAgent), spec.MediaWorkitem)
	target := t.wb(wbAgentPlace)
	if target.ID == "" {
		target = p.Workbin
	}
	ex := t.post(sess, formWorkbins, target, map[string]any{spec.FieldOperationName: spec.AddWorkitem, spec.FieldID: p.ID})
	// D11: only an interaction the caller owns; 400 / 2 in the mock. Tolerated: 5 (no
	// permission) and 6 (not found among the caller's interactions), any 4xx.
	t.expectRefused(ex, refusal{rule: RuleOwnership, what: "an Add of an interaction in a workbin",
		strict: spec.StatusInvalidParameter, tolerated: []spec.StatusCode{spec.StatusInvalidParameter, spec.StatusNoPermission, spec.StatusNotFound}})
	t.expectUnchanged(l, p)
}
