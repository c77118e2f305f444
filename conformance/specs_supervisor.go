// supervisor: pulls through /users/{userId}/workbins/{id} (D10).

package conformance

import (
	"fmt"

	"github.com/workbinkit/workbinkit/spec"
)

// supervisorSpecs: supervisor.
func supervisorSpecs() []specDef {
	sup := feats(FeatureSupervisor)
	return []specDef{
		{id: "supervisor.pull-from-agent", text: "a supervisor pulls from an agent's workbin; the supervisor is notified, the agent is not", features: sup,
			variant: variant(spec.PullWorkitem, formUser), needs: []need{uses(2, wbAgent2, spec.MediaWorkitem)}, body: supervisorPull},
		pullSpec("supervisor.pull-chat", "a supervisor PullChat from an agent's workbin joins the chat", feats(FeatureSupervisor, FeaturePullChat),
			pullCase{form: formUser, op: spec.PullChat, media: spec.MediaChat, workbin: wbAgent2, puller: RoleSupervisor, nickname: "Conformance Supervisor"}),
		{id: "supervisor.agent-refused", text: "an agent using the supervisor URL is refused and nothing changes", features: sup,
			variant: variant(spec.PullWorkitem, formUser), needs: []need{uses(1, wbAgent2, spec.MediaWorkitem)}, body: agentOnSupervisorURL},
	}
}

func supervisorPull(t *T) {
	a2 := t.user(RoleAgent2)
	l2 := t.listen(a2, mediaChannels()...)
	r := runPull(t, pullCase{form: formUser, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgent2, puller: RoleSupervisor})
	// D10/N5: the supervisor owns it now; the agent gets no media notification about it.
	until := barrier(t, a2, l2, wbAgent2)
	for _, e := range l2.about(r.p.ID) {
		if e.Index < until {
			t.violate(Violation{Rule: RuleSupervisor, Where: e.Describe() + " (agent2)",
				Message: fmt.Sprintf("the agent received a media notification about %s, which the supervisor pulled (D10: the supervisor owns it)", r.p.ID)}, "message: "+string(e.Raw))
		}
	}
}

func agentOnSupervisorURL(t *T) {
	a1, a2 := t.user(RoleAgent), t.user(RoleAgent2)
	l2 := t.listen(a2, mediaChannels()...)
	p := t.provision(t.wb(wbAgent2), spec.MediaWorkitem)
	ex := t.pull(a1, formUser, p, spec.PullWorkitem)
	// D10 decides 403 / statusCode 5; by default also 3 (forbidden) or 6 (not found: the
	// URL does not exist for agents) with any 4xx.
	t.expectRefused(ex, refusal{rule: RuleSupervisor, what: "an agent's pull on the supervisor URL",
		strict: spec.StatusNoPermission, tolerated: []spec.StatusCode{spec.StatusNoPermission, spec.StatusForbidden, spec.StatusNotFound}})
	t.expectUnchanged(l2, p)
}
