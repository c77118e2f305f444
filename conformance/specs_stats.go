// agent-stats: RequestAgentStats and its WorkbinStatsMessage.

package conformance

import (
	"fmt"
	"net/http"

	"github.com/workbinkit/workbinkit/spec"
)

// statsSpecs: agent-stats.
func statsSpecs() []specDef {
	return []specDef{
		{id: "agent-stats.request-agent-stats", text: "RequestAgentStats counts what the agent's workbins hold", features: feats(FeatureAgentStats),
			variant: spec.RequestAgentStats + " · POST /api/v2/workbins", serial: true, body: agentStats},
	}
}

func agentStats(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess)
	w := t.wb(wbAgent)
	items, _ := t.contentOf(w)
	ex := t.do(sess, http.MethodPost, spec.WorkbinsPath(), map[string]any{spec.FieldOperationName: spec.RequestAgentStats})
	ref := t.expectAccepted(sess, ex, spec.RequestAgentStats)
	n, ok := t.awaitNote(l, wait{kind: kindStats, rule: RuleAgentStats, what: fmt.Sprintf("%s with referenceId %d", spec.MessageWorkbinStats, ref),
		match: func(n Notification) bool { return isStatsNote(n, ref) }})
	if !ok {
		t.violate(Violation{Rule: RuleAgentStats, Where: "CometD " + spec.ChannelWorkbins,
			Message: fmt.Sprintf("no %s with referenceId %d within %s (received: %s)", spec.MessageWorkbinStats, ref, t.s.opts.Timeouts.Notification, seenChannels(l))})
	}
	t.checkEvents(l)
	raw := "message: " + string(n.Raw)
	if n.Channel != spec.ChannelWorkbins {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Message: fmt.Sprintf("it came on %s; want %s (N1)", n.Channel, spec.ChannelWorkbins)}, raw)
	}
	stats, _ := n.Data[spec.FieldWorkbinStats].(map[string]any)
	entry, ok := stats[w.ID].(map[string]any)
	if !ok {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Pointer: dataPointer(spec.FieldWorkbinStats, w.ID), Message: fmt.Sprintf("no entry for the agent's workbin %s", w.ID)}, raw)
	}
	after, _ := t.contentOf(w)
	count, _ := intOf(entry[spec.FieldStatCount])
	if int(count) != len(items) && int(count) != len(after) {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Pointer: dataPointer(spec.FieldWorkbinStats, w.ID, spec.FieldStatCount),
			Message: fmt.Sprintf("Count %d; the workbin lists %d interactions", count, len(items))}, raw)
	}
	if typ, _ := entry[spec.FieldStatType].(string); typ != spec.WorkbinAgent {
		t.violate(Violation{Rule: RuleAgentStats, Where: n.Describe(), Pointer: dataPointer(spec.FieldWorkbinStats, w.ID, spec.FieldStatType), Message: fmt.Sprintf("Type %q; want %q", typ, spec.WorkbinAgent)}, raw)
	}
}
