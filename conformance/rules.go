package conformance

import (
	"fmt"
	"strings"
)

// Rule names what a failed check enforces: a decision of decisions.md (D1…D12) or the
// contract itself. Every failure carries one, so a report says which rule broke.
type Rule string

// The rules the suite checks.
const (
	// RuleContract: an HTTP response or a CometD message breaks spec/openapi.yaml or its
	// schemas; the violation names the JSON pointer and the failing keyword.
	RuleContract Rule = "contract"
	// RuleEnvelope: the success envelope {"statusCode":0,"referenceId":N} (D3, D4).
	RuleEnvelope Rule = "D3.envelope"
	// RuleErrorStatus: the statusCode and HTTP status of a refused request (D3).
	RuleErrorStatus Rule = "D3.error-status"
	// RuleReferenceID: referenceId is a positive integer, unique within the HTTP session (D4).
	RuleReferenceID Rule = "D4.referenceId"
	// RuleReferenceEcho: the notifications of a request carry its referenceId (D4, D5).
	RuleReferenceEcho Rule = "D4.referenceId-echo"
	// RuleNotification: the notification D5 promises arrives, on the right channel, with the
	// right messageType and notificationType.
	RuleNotification Rule = "D5.notification"
	// RuleState: the pulled resource is in the state D5 names.
	RuleState Rule = "D5.state"
	// RuleCapabilities: the pulled resource has the capabilities of its state (D5).
	RuleCapabilities Rule = "D5.capabilities"
	// RuleUserData: the pulled resource keeps the userData it had in the workbin (D5).
	RuleUserData Rule = "D5.userData"
	// RuleParticipants: a pulled chat lists the puller among its participants (D5).
	RuleParticipants Rule = "D5.participants"
	// RuleWorkbinEvent: WorkbinStateChangeMessage to the workbin's subscribers (D5, D11).
	RuleWorkbinEvent Rule = "D5.workbin-event"
	// RuleContent: the workbin content reflects the operation (D11): a pulled item is gone,
	// an added one is listed InWorkbin without capabilities.
	RuleContent Rule = "D11.content"
	// RuleSecondPull: a second pull of the same interaction is refused (D11).
	RuleSecondPull Rule = "D11.second-pull"
	// RuleConcurrentPull: of concurrent pulls of one interaction exactly one wins (D11).
	RuleConcurrentPull Rule = "D11.concurrent-pull"
	// RuleNothingChanged: a refused request changes nothing and publishes nothing (D11, D3).
	RuleNothingChanged Rule = "D11.nothing-changed"
	// RuleOwnership: Add is only for an interaction the caller owns (D11).
	RuleOwnership Rule = "D11.ownership"
	// RuleGroupParams: agentGroup and placeGroup never together (D1, W3).
	RuleGroupParams Rule = "D1.group-params"
	// RulePullChatGate: PullChat while a D6 option is off: refused (enableNotificationOnPullChat),
	// or the chat JoinFailed (enableJoinOnPullChat).
	RulePullChatGate Rule = "D6.pullchat-gate"
	// RuleMultimedia: without api-multimedia the workbin URLs do not exist (D7).
	RuleMultimedia Rule = "D7.multimedia"
	// RuleAuth: no credentials, 401 with WWW-Authenticate and statusCode 20 (D8).
	RuleAuth Rule = "D8.auth"
	// RuleCSRF: the CSRF token of GET /me and the 403 without it (D8).
	RuleCSRF Rule = "D8.csrf"
	// RuleIsolation: a user never receives another user's events (D9).
	RuleIsolation Rule = "D9.isolation"
	// RuleBayeux: Bayeux 1.0 / CometD 3 behaviour of the notification endpoint (D9).
	RuleBayeux Rule = "D9.bayeux"
	// RuleSupervisor: supervisor access to agents' workbins (D10).
	RuleSupervisor Rule = "D10.supervisor"
	// RuleSubscription: Subscribe/Unsubscribe and WorkbinSubscriptionStateChangeMessage.
	RuleSubscription Rule = "S.subscription"
	// RuleAgentStats: RequestAgentStats answers a WorkbinStatsMessage counting each workbin.
	RuleAgentStats Rule = "S.agent-stats"
	// RuleOperation: an operation in the interaction's capabilities is accepted (D13, issue 12).
	RuleOperation Rule = "D13.operation"
	// RuleCapabilityGate: an operation outside the capabilities is refused (D13).
	RuleCapabilityGate Rule = "D13.capability-gate"
	// RuleInteractionOwner: an operation on someone else's interaction is refused (D13).
	RuleInteractionOwner Rule = "D13.ownership"
	// RuleBadBody: an operation with a bad body is refused (D13).
	RuleBadBody Rule = "D13.bad-body"
	// RuleOperationNotes: the notifications an operation causes, their notificationType and
	// state (D14).
	RuleOperationNotes Rule = "D14.notifications"
	// RuleCompleted: Complete (Transfer) ends the agent's work: Completed, no capabilities,
	// gone from GET /me (D15).
	RuleCompleted Rule = "D15.completed"
	// RuleLeftChat: Leave leads to LeftChat with its capabilities (D15).
	RuleLeftChat Rule = "D15.left-chat"
	// RuleUserDataOps: user-data changes show in notifications and later reads (D16).
	RuleUserDataOps Rule = "D16.user-data"
	// RuleTransfer: Transfer moves the interaction to the target (D17).
	RuleTransfer Rule = "D17.transfer"
	// RuleInvite: Invite and Consult share the chat (D17).
	RuleInvite Rule = "D17.invite"
	// RuleSetInFocus: SetInFocus changes nothing (D18).
	RuleSetInFocus Rule = "D18.set-in-focus"
	// RuleMessageLog: MessageLogUpdated carries the chat's new messages (D20).
	RuleMessageLog Rule = "D20.message-log"
	// RuleContactCenterSession: StartContactCenterSession / EndContactCenterSession (D21).
	RuleContactCenterSession Rule = "D21.session"
	// RuleSetup: the suite could not log in or prepare what a spec needs (a target fault
	// when the feature is claimed: credentials, workbins, the provisioning path).
	RuleSetup Rule = "setup"
)

// Violation is one broken rule, recorded with each failure (and in the reports).
type Violation struct {
	Rule Rule `json:"rule"`
	// Where is what was checked: "POST /api/v2/workbins/{workbinId} response",
	// "CometD /v2/me/workitems WorkitemStateChangeMessage"…
	Where string `json:"where,omitempty"`
	// Pointer is the JSON pointer of the faulty value inside Where, if there is one.
	Pointer string `json:"pointer,omitempty"`
	// Message says what was expected and what came.
	Message string `json:"message"`
	// RuleURL is where Rule is explained: its section of docs/rules.md (set in reports).
	RuleURL string `json:"ruleUrl,omitempty"`
}

// String gives "[rule] where at pointer: message".
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] ", v.Rule)
	if v.Where != "" {
		b.WriteString(v.Where)
		if v.Pointer != "" {
			b.WriteString(" at ")
			b.WriteString(v.Pointer)
		}
		b.WriteString(": ")
	} else if v.Pointer != "" {
		b.WriteString("at " + v.Pointer + ": ")
	}
	b.WriteString(v.Message)
	return b.String()
}

// violationEntry is the Ginkgo report entry name of a Violation.
const violationEntry = "violation"
