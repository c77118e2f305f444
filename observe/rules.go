package observe

import "github.com/workbinkit/workbinkit/conformance"

// observedRule is a rule of the conformance suite as far as traffic alone can judge it:
// what the observation checks for it. The rules themselves are docs/rules.md's.
type observedRule struct {
	rule conformance.Rule
	text string
}

// observedRules lists every rule the observation checks, in report order. Read-only.
var observedRules = []observedRule{
	{conformance.RuleContract, "every request the server accepted, every response and every CometD notification matches the contract (spec/)"},
	{conformance.RuleReferenceID, "a referenceId is not answered twice within one HTTP session"},
	{conformance.RuleReferenceEcho, "the notifications of an accepted operation carry its referenceId"},
	{conformance.RuleNotification, "an accepted pull is followed by its media notification (StatusChange) to the puller"},
	{conformance.RuleState, "the pulled interaction is announced in the state D5 names"},
	{conformance.RuleCapabilities, "the pulled interaction has the capabilities of its state"},
	{conformance.RuleUserData, "the pulled interaction keeps the userData the capture showed before the pull"},
	{conformance.RuleParticipants, "a pulled chat lists an agent or supervisor participant (possibly in a later ParticipantsUpdated)"},
	{conformance.RuleWorkbinEvent, "ItemRemoved (pull) and ItemAdded (add) reach the workbin's subscribers; only the requester's copy carries the referenceId"},
	{conformance.RuleContent, "a workbin read after a pull no longer lists the interaction; after an add it does"},
	{conformance.RuleSecondPull, "an interaction pulled once is not pulled again (400 / statusCode 2) until it is back in a workbin"},
	{conformance.RuleConcurrentPull, "of pulls of one interaction from two HTTP sessions only one is accepted"},
	{conformance.RuleNothingChanged, "a refused request leaves the interaction where it was, as later reads show"},
	{conformance.RuleOwnership, "Add is accepted only for an interaction that is not in a workbin and not another user's"},
	{conformance.RuleGroupParams, "a request with both agentGroup and placeGroup is refused"},
	{conformance.RuleAuth, "a REST request without credentials or session is refused"},
	{conformance.RuleCSRF, "with CSRF protection on, a POST without the session's token is refused; a session asked for the token was handed one"},
	{conformance.RuleIsolation, "a pull's notifications reach only the puller"},
	{conformance.RuleBayeux, "CometD: authenticated handshakes, connection type negotiation, held connects, immediate first connect, 402 advice, disconnect"},
	{conformance.RuleSupervisor, "the supervisor URLs are refused to users without the supervisor role; a supervisor's pull does not notify the agent"},
	{conformance.RuleSubscription, "an accepted Subscribe or Unsubscribe is confirmed by WorkbinSubscriptionStateChangeMessage"},
	{conformance.RuleAgentStats, "RequestAgentStats is answered by a WorkbinStatsMessage whose counts match the workbins read"},
}

// notVisible lists the rules of the suite that traffic alone cannot judge, and why.
// Read-only.
var notVisible = map[conformance.Rule]string{
	conformance.RuleErrorStatus:  "the HTTP status of a refusal is checked by the contract; which statusCode a refusal should have depends on server state the traffic does not show",
	conformance.RulePullChatGate: "depends on the server's enableNotificationOnPullChat and enableJoinOnPullChat options, which GWS does not send",
	conformance.RuleMultimedia:   "depends on the user's api-multimedia feature, which GWS does not send",
	conformance.RuleSetup:        "concerns the suite's own preparation",
}
