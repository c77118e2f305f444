// group-workbins: pulls from AgentGroup and PlaceGroup workbins through
// /me/workbins/{id}?agentGroup= or ?placeGroup= (D1).

package conformance

import (
	"net/http"

	"github.com/workbinkit/workbinkit/spec"
)

// groupSpecs: group-workbins.
func groupSpecs() []specDef {
	g := feats(FeatureGroupWorkbins)
	return []specDef{
		pullSpec("group-workbins.agent-group", "pull from the AgentGroup workbin with ?agentGroup=", g,
			pullCase{form: formMe, op: spec.PullWorkitem, media: spec.MediaWorkitem, workbin: wbAgentGroup, puller: RoleAgent}),
		pullSpec("group-workbins.place-group", "pull from the PlaceGroup workbin with ?placeGroup=", g,
			pullCase{form: formMe, op: spec.PullInteraction, media: spec.MediaWorkitem, workbin: wbPlaceGroup, puller: RoleAgent}),
		pullSpec("group-workbins.agent-group-chat", "PullChat from the AgentGroup workbin", feats(FeatureGroupWorkbins, FeaturePullChat),
			pullCase{form: formMe, op: spec.PullChat, media: spec.MediaChat, workbin: wbAgentGroup, puller: RoleAgent, nickname: "Group Agent"}),
		{id: "group-workbins.both-params", text: "agentGroup and placeGroup together are refused and change nothing", features: g,
			variant: variant(spec.PullWorkitem, formAgentGroup), needs: []need{uses(1, wbAgentGroup, spec.MediaWorkitem)}, body: bothGroupParams},
	}
}

func bothGroupParams(t *T) {
	sess := t.user(RoleAgent)
	l := t.listen(sess, mediaChannels()...)
	p := t.provision(t.wb(wbAgentGroup), spec.MediaWorkitem)
	pg := t.wb(wbPlaceGroup)
	path, _ := t.workbinURL(formMe, p.Workbin)
	ex := t.do(sess, http.MethodPost, path, pullBody(spec.PullWorkitem, p.ID),
		withQuery(spec.GroupQuery(spec.ParamAgentGroup, p.Workbin.Group), spec.GroupQuery(spec.ParamPlaceGroup, pg.Group)))
	// D1/W3 decide 400 / statusCode 1; the docs do not say, so a bad-request family code
	// (1, 2 or 10) with any 4xx passes by default.
	t.expectRefused(ex, refusal{rule: RuleGroupParams, what: "a pull with both agentGroup and placeGroup",
		strict: spec.StatusMissingParameter, tolerated: []spec.StatusCode{spec.StatusMissingParameter, spec.StatusInvalidParameter, spec.StatusInvalidInput}})
	t.expectUnchanged(l, p)
}
