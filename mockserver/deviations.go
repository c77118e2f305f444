package mockserver

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
)

// Deviation names one deliberate break of the contract. Deviations exist so that a
// conformance suite can prove it catches each fault: they are off unless set
// (Config.Deviations, --deviate, WORKBINKIT_DEVIATE, PUT /_mock/deviations), and each breaks
// exactly one rule. What a deviation alters is not self-checked (it would be dropped);
// everything else still is.
type Deviation string

// The deviation switches. Names are stable (kebab-case); the conformance suite enumerates
// them through Deviations().
const (
	DevWrongReferenceID        Deviation = "wrong-reference-id"
	DevRepeatedReferenceID     Deviation = "repeated-reference-id"
	DevReferenceIDToOthers     Deviation = "reference-id-to-other-subscribers"
	DevMissingCapability       Deviation = "missing-capability"
	DevWrongStateAfterPull     Deviation = "wrong-state-after-pull"
	DevWrongChannel            Deviation = "wrong-channel"
	DevMissingMediaNotify      Deviation = "missing-media-notification"
	DevMissingItemRemoved      Deviation = "missing-item-removed"
	DevExtraSuccessField       Deviation = "extra-success-field"
	DevExtraErrorField         Deviation = "extra-error-field"
	DevWrongSecondPullCode     Deviation = "wrong-second-pull-status-code"
	DevWrongErrorHTTPStatus    Deviation = "wrong-error-http-status"
	DevPulledItemStillListed   Deviation = "pulled-item-still-listed"
	DevEventLeaked             Deviation = "event-leaked-to-other-user"
	DevCSRFNotEnforced         Deviation = "csrf-not-enforced"
	DevMissingWWWAuthenticate  Deviation = "missing-www-authenticate"
	DevSecondPullSucceeds      Deviation = "second-pull-succeeds"
	DevWrongMessageType        Deviation = "wrong-message-type"
	DevUserDataDropped         Deviation = "user-data-dropped"
	DevHandshakeWithoutAuth    Deviation = "handshake-without-auth"
	DevUnknownClientAccepted   Deviation = "unknown-client-accepted"
	DevPullChatGateIgnored     Deviation = "pull-chat-gate-ignored"
	DevMissingCSRFHeaders      Deviation = "missing-csrf-headers"
	DevMissingErrorMessage     Deviation = "missing-status-message"
	DevAgentStatsWrongCount    Deviation = "agent-stats-wrong-count"
	DevMissingSubscriptionNote Deviation = "missing-subscription-notification"

	DevRefusedRequestHalfApplied   Deviation = "refused-request-half-applied"
	DevConcurrentPullsAllWin       Deviation = "concurrent-pulls-all-win"
	DevGroupParamsBothAccepted     Deviation = "group-params-both-accepted"
	DevAgentOnSupervisorURL        Deviation = "agent-on-supervisor-url-accepted"
	DevSupervisorPullNotifiesAgent Deviation = "supervisor-pull-notifies-agent"
	DevMultimediaNotEnforced       Deviation = "multimedia-not-enforced"
	DevAddUnownedAccepted          Deviation = "add-unowned-accepted"
	DevPullerNotParticipant        Deviation = "puller-not-participant"
	DevConnectNotHeld              Deviation = "connect-not-held"
	DevFirstConnectHeld            Deviation = "first-connect-held"
	DevDisconnectIgnored           Deviation = "disconnect-ignored"
	DevNegotiationIgnored          Deviation = "negotiation-ignored"
)

// ErrUnknownDeviation: a deviation name that is not one of the switches.
var ErrUnknownDeviation = errors.New("unknown deviation")

// DeviationInfo describes one deviation switch.
type DeviationInfo struct {
	Name        Deviation `json:"name"`
	Description string    `json:"description"`
	// Breaks names the rule it breaks, e.g. "D4: notification referenceId equals the HTTP referenceId".
	Breaks string `json:"breaks"`
}

// deviationTable is read-only.
var deviationTable = []DeviationInfo{
	{DevWrongReferenceID, "The requester's notifications carry the HTTP reply's referenceId plus 1000.",
		"D4: a notification caused by a request carries that request's referenceId"},
	{DevRepeatedReferenceID, "Every accepted request answers referenceId 1 (and its notifications carry 1), so ids repeat within a session.",
		"D4: referenceIds are unique and increasing within the HTTP session"},
	{DevReferenceIDToOthers, "The WorkbinStateChangeMessage copies sent to subscribers other than the requester carry the requester's referenceId.",
		"D5: other subscribers' copies carry no referenceId"},
	{DevMissingCapability, "The pulled interaction in the media notification lacks the last capability of its list (Complete for a workitem).",
		"D5: a pulled workitem has Transfer, AttachUserData, UpdateUserData, DeleteUserData, SetInFocus, Complete"},
	{DevWrongStateAfterPull, "The pulled interaction in the media notification keeps state InWorkbin (instead of Processing or Chatting).",
		"D5: a pulled workitem or email is Processing, a pulled chat Chatting"},
	{DevWrongChannel, "The media notification of a pull is published on /v2/me/workbins instead of its media channel.",
		"D5: WorkitemStateChangeMessage goes on /v2/me/workitems (chats, emails alike)"},
	{DevMissingMediaNotify, "No media notification (Workitem/Chat/EmailStateChangeMessage) is published after a pull.",
		"D5.1: a pull publishes the StatusChange on the puller's media channel"},
	{DevMissingItemRemoved, "No WorkbinStateChangeMessage ItemRemoved is published to the workbin's subscribers after a pull.",
		"D5.2: every subscriber of the workbin receives ItemRemoved"},
	{DevExtraSuccessField, `Success envelopes carry an extra member "mockExtra":true.`,
		"D3: success is exactly {statusCode:0, referenceId} or {statusCode:0, <resource>}"},
	{DevExtraErrorField, `Error envelopes carry an extra member "mockExtra":true.`,
		"D3: an error is exactly {statusCode, statusMessage}"},
	{DevWrongSecondPullCode, "A pull of an interaction already pulled (now owned by a user) answers HTTP 400 with statusCode 10 instead of 2.",
		"D11: a second pull of the same interaction is 400 / statusCode 2"},
	{DevWrongErrorHTTPStatus, "Every JSON error reply keeps its statusCode but is sent with HTTP 200.",
		"D3: an error statusCode goes with its 4xx/5xx HTTP status"},
	{DevPulledItemStillListed, "Workbin content GETs keep listing interactions pulled out of the workbin.",
		"D11: a pulled interaction is no longer in the workbin"},
	{DevEventLeaked, "Every notification is also delivered to other users' sessions subscribed to its channel.",
		"D9: a user never receives another user's events"},
	{DevCSRFNotEnforced, "POST/PUT/DELETE without the CSRF token are accepted although enableCsrfProtection is on.",
		"D8: without the token, 403 text/plain Missing or invalid Csrf token"},
	{DevMissingWWWAuthenticate, "401 replies lack the WWW-Authenticate header.",
		`D8: 401 carries WWW-Authenticate: Basic realm="..."`},
	{DevSecondPullSucceeds, "A pull of an interaction already pulled (now owned by a user) answers 200 with a new referenceId (and publishes nothing).",
		"D11: a second pull of the same interaction fails with statusCode 2"},
	{DevWrongMessageType, "The media notification's messageType loses its Message suffix (WorkitemStateChange).",
		"D5: the media notification is a WorkitemStateChangeMessage / ChatStateChangeMessage / EmailStateChangeMessage"},
	{DevUserDataDropped, "The pulled interaction in the media notification has no userData.",
		"D5: a pulled workitem's userData keeps the routing keys"},
	{DevHandshakeWithoutAuth, "A CometD handshake without session cookie or Basic credentials succeeds (anonymous session).",
		"D9: a handshake must come from an authenticated session (403::Handshake denied)"},
	{DevUnknownClientAccepted, "Bayeux messages naming an unknown clientId are answered successful:true instead of 402::Unknown client.",
		`D9: unknown client is 402::Unknown client with advice reconnect:"handshake"`},
	{DevPullChatGateIgnored, "PullChat succeeds although enableNotificationOnPullChat or enableJoinOnPullChat is false.",
		"D6: PullChat with a gate off answers 403 / statusCode 3 and changes nothing"},
	{DevMissingCSRFHeaders, "GET replies lack the X-CSRF-HEADER and X-CSRF-TOKEN headers although CSRF protection is on.",
		"D8: GET /api/v2/me hands out X-CSRF-HEADER: X-CSRF-TOKEN and X-CSRF-TOKEN: <token>"},
	{DevMissingErrorMessage, "Error envelopes carry statusCode only (no statusMessage).",
		"D3: an error is exactly {statusCode, statusMessage}"},
	{DevAgentStatsWrongCount, "WorkbinStatsMessage counts one item more than each workbin holds.",
		"RequestAgentStats: Count is the number of interactions in the workbin"},
	{DevMissingSubscriptionNote, "Subscribe and Unsubscribe publish no WorkbinSubscriptionStateChangeMessage.",
		"Subscribe/Unsubscribe are confirmed by WorkbinSubscriptionStateChangeMessage on /v2/me/workbins"},
	{DevRefusedRequestHalfApplied, "A pull refused because its operation is for another media (PullChat of a workitem) still takes the interaction out of the workbin (it goes to the caller, unannounced); the reply stays 400 / statusCode 2.",
		"D11: a refused request changes nothing"},
	{DevConcurrentPullsAllWin, "A pull of an interaction that another HTTP session of the same user pulled less than 2 s before answers 200 with a new referenceId (and publishes nothing) instead of being refused.",
		"D11: of concurrent pulls of one interaction exactly one wins"},
	{DevGroupParamsBothAccepted, "A request with both agentGroup and placeGroup ignores placeGroup instead of being refused.",
		"D1/W3: agentGroup and placeGroup together are refused with statusCode 1"},
	{DevAgentOnSupervisorURL, "An agent's pull on the supervisor URL /users/{userId}/workbins/{id} answers 200 with a referenceId (and changes nothing) instead of 403 / statusCode 5.",
		"D10: the supervisor URL is refused to users without the supervisor role"},
	{DevSupervisorPullNotifiesAgent, "When a supervisor pulls from an agent's workbin, the agent also receives the media notification (without referenceId).",
		"D10: after a supervisor's pull the supervisor owns the interaction; the agent gets no media notification"},
	{DevMultimediaNotEnforced, "A user without api-multimedia gets 200 with an empty list from GET /me/workbins and GET /workbins instead of 404 / statusCode 6.",
		"D7: without api-multimedia the workbin URLs are 404 / statusCode 6"},
	{DevAddUnownedAccepted, "An Add of an interaction that is in a workbin (the caller does not own it) answers 200 with a referenceId (and changes nothing) instead of being refused.",
		"D11: Add is only for an interaction the caller owns"},
	{DevPullerNotParticipant, "The pulled chat in the media notification lists no Agent or Supervisor participant (the puller is left out).",
		"D5: a pulled chat lists the puller among its participants"},
	{DevConnectNotHeld, "Every /meta/connect is answered at once (as if it asked advice.timeout 0), advising interval 100 ms, even when there is nothing to deliver.",
		"D9/Bayeux: long-polling holds a connect until an event or the timeout"},
	{DevFirstConnectHeld, "A /meta/connect asking advice.timeout 0 (the first one after a handshake) is held for up to 6 s like any other.",
		"D9/Bayeux: the first connect (advice.timeout 0) is answered at once"},
	{DevDisconnectIgnored, "/meta/disconnect answers successful:true but the session stays: its held connect is not released and later messages are still accepted.",
		"D9/Bayeux: a disconnect ends the session, releases its held connect, and the clientId is unknown afterwards"},
	{DevNegotiationIgnored, "A handshake offering no connection type the server supports succeeds (as if it offered long-polling).",
		"D9/Bayeux: a handshake without a common connection type fails"},
}

// Deviations lists every deviation switch with what it does and the rule it breaks, sorted
// by name.
func Deviations() []DeviationInfo {
	out := slices.Clone(deviationTable)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseDeviations parses a comma-separated list of deviation names ("" is none).
func ParseDeviations(list string) ([]Deviation, error) {
	var out []Deviation
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d := Deviation(f)
		if !d.Known() {
			return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownDeviation, f, deviationNames())
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Known reports whether d is one of the deviation switches.
func (d Deviation) Known() bool {
	return slices.ContainsFunc(deviationTable, func(i DeviationInfo) bool { return i.Name == d })
}

func deviationNames() string {
	var names []string
	for _, i := range Deviations() {
		names = append(names, string(i.Name))
	}
	return strings.Join(names, ", ")
}

// deviationSet is the set of switches that are on; replaced as a whole, read per request.
type deviationSet struct {
	on atomic.Pointer[map[Deviation]bool]
}

func (s *deviationSet) set(list []Deviation) error {
	m := map[Deviation]bool{}
	for _, d := range list {
		if !d.Known() {
			return fmt.Errorf("%w: %q (known: %s)", ErrUnknownDeviation, d, deviationNames())
		}
		m[d] = true
	}
	s.on.Store(&m)
	return nil
}

func (s *deviationSet) has(d Deviation) bool {
	m := s.on.Load()
	return m != nil && (*m)[d]
}

// list returns the switches that are on, sorted.
func (s *deviationSet) list() []Deviation {
	m := s.on.Load()
	if m == nil {
		return nil
	}
	out := make([]Deviation, 0, len(*m))
	for d := range *m {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
