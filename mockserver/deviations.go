package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/workbinkit/workbinkit/mockserver/state"
)

// Deviation names one deliberate break of the contract. Deviations exist so that a
// conformance suite can prove it catches each fault: they are off unless set
// (Config.Deviations, --deviate, WORKBINKIT_DEVIATE, PUT /_mock/deviations), and each breaks
// exactly one rule. What a deviation alters is not self-checked (it would be dropped);
// everything else still is.
//
// This file owns the switches and the points (hooks) where they plug into the request
// path, as CometD extensions plug into fixed points of a message's way: the handlers and
// the notifier implement the contract only, and each point runs the hooks of the switches
// that are on, in table order. The hooks themselves are in deviations_http.go (REST
// requests, state commands, replies), deviations_notify.go (notifications) and
// deviations_bayeux.go (CometD).
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

// deviation is one switch: what it breaks, and the hooks that break it.
type deviation struct {
	DeviationInfo
	hooks
}

// hooks are the points of the request path a deviation plugs into; nil where it does not.
// Every point runs before its output leaves the mock and after the self-check copy is
// taken, except request, command and event, which shape what the contract then handles
// (their effects are marked unchecked where the contract would reject them).
type hooks struct {
	// request rewrites a REST call after authentication, before CSRF and the contract
	// see it: its request, user, options or referenceId source.
	request func(s *Server, c *apiCall)
	// body rewrites a modifying REST call's body (c.body) once it was read, within its
	// limits, after authentication and CSRF, before the contract validates it.
	body func(s *Server, c *apiCall)
	// command wraps a state command or query of a REST handler: it runs it (next) and
	// changes its outcome, or answers without running it.
	command func(s *Server, c *apiCall, cmd command, next func() outcome) outcome
	// event alters (or notes) an event before its notifications are rendered.
	event func(s *Server, ev state.Event, pull bool) state.Event
	// notify shapes the copy of a notification that goes out; the contract's copy,
	// rendered from the draft as it was, is the one self-checked.
	notify func(d *draft)
	// reply shapes a REST reply after its self-check, before it is written.
	reply func(c *apiCall, h http.Header, rep *apiReply)
	// handshake admits a CometD handshake without an authenticated session ("": anonymous).
	handshake func() (principal string, ok bool)
	// bayeux rewrites or answers a CometD batch before package bayeux sees it.
	bayeux func(s *Server, b *cometdBatch)
}

// deviationTable is read-only. Hooks of one point run in this order (for command, the
// first is the outermost), which matters where two switches touch the same thing:
// missing-status-message drops statusMessage before extra-error-field adds its member, and
// wrong-second-pull-status-code leaves a second pull to second-pull-succeeds. The switches
// of the operations after the pull follow (deviations_life.go).
var deviationTable = slices.Concat(baseDeviations, lifecycleDeviations)

// baseDeviations are the switches of the workbin operations and the transports.
var baseDeviations = []deviation{
	{DeviationInfo{DevWrongReferenceID, "The requester's notifications carry the HTTP reply's referenceId plus 1000.",
		"D4: a notification caused by a request carries that request's referenceId"},
		hooks{notify: wrongReferenceID}},
	{DeviationInfo{DevRepeatedReferenceID, "Every accepted request answers referenceId 1 (and its notifications carry 1), so ids repeat within a session.",
		"D4: referenceIds are unique and increasing within the HTTP session"},
		hooks{request: repeatedReferenceID}},
	{DeviationInfo{DevReferenceIDToOthers, "The WorkbinStateChangeMessage copies sent to subscribers other than the requester carry the requester's referenceId.",
		"D5: other subscribers' copies carry no referenceId"},
		hooks{notify: referenceIDToOthers}},
	{DeviationInfo{DevMissingCapability, "The pulled interaction in the media notification lacks the last capability of its list (Complete for a workitem).",
		"D5: a pulled workitem has Transfer, AttachUserData, UpdateUserData, DeleteUserData, SetInFocus, Complete"},
		hooks{notify: pulledResource(withoutLastCapability)}},
	{DeviationInfo{DevWrongStateAfterPull, "The pulled interaction in the media notification keeps state InWorkbin (instead of Processing or Chatting).",
		"D5: a pulled workitem or email is Processing, a pulled chat Chatting"},
		hooks{notify: pulledResource(stateInWorkbin)}},
	{DeviationInfo{DevWrongChannel, "The media notification of a pull is published on /v2/me/workbins instead of its media channel.",
		"D5: WorkitemStateChangeMessage goes on /v2/me/workitems (chats, emails alike)"},
		hooks{notify: wrongChannel}},
	{DeviationInfo{DevMissingMediaNotify, "No media notification (Workitem/Chat/EmailStateChangeMessage) is published after a pull.",
		"D5.1: a pull publishes the StatusChange on the puller's media channel"},
		hooks{notify: missingMediaNotification}},
	{DeviationInfo{DevMissingItemRemoved, "No WorkbinStateChangeMessage ItemRemoved is published to the workbin's subscribers after a pull.",
		"D5.2: every subscriber of the workbin receives ItemRemoved"},
		hooks{notify: missingItemRemoved}},
	{DeviationInfo{DevExtraSuccessField, `Success envelopes carry an extra member "mockExtra":true.`,
		"D3: success is exactly {statusCode:0, referenceId} or {statusCode:0, <resource>}"},
		hooks{reply: extraSuccessField}},
	{DeviationInfo{DevMissingErrorMessage, "Error envelopes carry statusCode only (no statusMessage).",
		"D3: an error is exactly {statusCode, statusMessage}"},
		hooks{reply: missingStatusMessage}},
	{DeviationInfo{DevExtraErrorField, `Error envelopes carry an extra member "mockExtra":true.`,
		"D3: an error is exactly {statusCode, statusMessage}"},
		hooks{reply: extraErrorField}},
	{DeviationInfo{DevWrongSecondPullCode, "A pull of an interaction already pulled (now owned by a user) answers HTTP 400 with statusCode 10 instead of 2.",
		"D11: a second pull of the same interaction is 400 / statusCode 2"},
		hooks{command: wrongSecondPullCode}},
	{DeviationInfo{DevWrongErrorHTTPStatus, "Every JSON error reply keeps its statusCode but is sent with HTTP 200.",
		"D3: an error statusCode goes with its 4xx/5xx HTTP status"},
		hooks{reply: wrongErrorHTTPStatus}},
	{DeviationInfo{DevPulledItemStillListed, "Workbin content GETs keep listing interactions pulled out of the workbin.",
		"D11: a pulled interaction is no longer in the workbin"},
		hooks{event: rememberPulled, command: pulledItemStillListed}},
	{DeviationInfo{DevEventLeaked, "Every notification is also delivered to other users' sessions subscribed to its channel.",
		"D9: a user never receives another user's events"},
		hooks{notify: eventLeaked}},
	{DeviationInfo{DevCSRFNotEnforced, "POST/PUT/DELETE without the CSRF token are accepted although enableCsrfProtection is on.",
		"D8: without the token, 403 text/plain Missing or invalid Csrf token"},
		hooks{request: csrfNotEnforced}},
	{DeviationInfo{DevMissingWWWAuthenticate, "401 replies lack the WWW-Authenticate header.",
		`D8: 401 carries WWW-Authenticate: Basic realm="..."`},
		hooks{reply: missingWWWAuthenticate}},
	{DeviationInfo{DevSecondPullSucceeds, "A pull of an interaction already pulled (now owned by a user) answers 200 with a new referenceId (and publishes nothing).",
		"D11: a second pull of the same interaction fails with statusCode 2"},
		hooks{command: secondPullSucceeds}},
	{DeviationInfo{DevWrongMessageType, "The media notification's messageType loses its Message suffix (WorkitemStateChange).",
		"D5: the media notification is a WorkitemStateChangeMessage / ChatStateChangeMessage / EmailStateChangeMessage"},
		hooks{notify: wrongMessageType}},
	{DeviationInfo{DevUserDataDropped, "The pulled interaction in the media notification has no userData.",
		"D5: a pulled workitem's userData keeps the routing keys"},
		hooks{notify: pulledResource(withoutUserData)}},
	{DeviationInfo{DevHandshakeWithoutAuth, "A CometD handshake without session cookie or Basic credentials succeeds (anonymous session).",
		"D9: a handshake must come from an authenticated session (403::Handshake denied)"},
		hooks{handshake: handshakeWithoutAuth}},
	{DeviationInfo{DevUnknownClientAccepted, "Bayeux messages naming an unknown clientId are answered successful:true instead of 402::Unknown client.",
		`D9: unknown client is 402::Unknown client with advice reconnect:"handshake"`},
		hooks{bayeux: unknownClientAccepted}},
	{DeviationInfo{DevPullChatGateIgnored, "PullChat behaves as if enableNotificationOnPullChat and enableJoinOnPullChat were true: it succeeds with the notification gate off, and joins the chat (Chatting) with the join gate off.",
		"D6: with enableNotificationOnPullChat off PullChat answers 403 / statusCode 3 and changes nothing; with enableJoinOnPullChat off the pulled chat is JoinFailed"},
		hooks{request: pullChatGateIgnored}},
	{DeviationInfo{DevMissingCSRFHeaders, "GET replies lack the X-CSRF-HEADER and X-CSRF-TOKEN headers although CSRF protection is on.",
		"D8: GET /api/v2/me hands out X-CSRF-HEADER: X-CSRF-TOKEN and X-CSRF-TOKEN: <token>"},
		hooks{reply: missingCSRFHeaders}},
	{DeviationInfo{DevAgentStatsWrongCount, "WorkbinStatsMessage counts one item more than each workbin holds.",
		"RequestAgentStats: Count is the number of interactions in the workbin"},
		hooks{notify: agentStatsWrongCount}},
	{DeviationInfo{DevMissingSubscriptionNote, "Subscribe and Unsubscribe publish no WorkbinSubscriptionStateChangeMessage.",
		"Subscribe/Unsubscribe are confirmed by WorkbinSubscriptionStateChangeMessage on /v2/me/workbins"},
		hooks{notify: missingSubscriptionNotification}},
	{DeviationInfo{DevRefusedRequestHalfApplied, "A pull refused because its operation is for another media (PullChat of a workitem) still takes the interaction out of the workbin (it goes to the caller, unannounced); the reply stays 400 / statusCode 2.",
		"D11: a refused request changes nothing"},
		hooks{command: refusedPullHalfApplied}},
	{DeviationInfo{DevConcurrentPullsAllWin, "A pull of an interaction that another HTTP session of the same user pulled less than 2 s before answers 200 with a new referenceId (and publishes nothing) instead of being refused.",
		"D11: of concurrent pulls of one interaction exactly one wins"},
		hooks{command: concurrentPullsAllWin}},
	{DeviationInfo{DevGroupParamsBothAccepted, "A request with both agentGroup and placeGroup ignores placeGroup instead of being refused.",
		"D1/W3: agentGroup and placeGroup together are refused with statusCode 1"},
		hooks{request: withoutPlaceGroup}},
	{DeviationInfo{DevAgentOnSupervisorURL, "An agent's pull on the supervisor URL /users/{userId}/workbins/{id} answers 200 with a referenceId (and changes nothing) instead of 403 / statusCode 5.",
		"D10: the supervisor URL is refused to users without the supervisor role"},
		hooks{command: agentOnSupervisorURL}},
	{DeviationInfo{DevSupervisorPullNotifiesAgent, "When a supervisor pulls from an agent's workbin, the agent also receives the media notification (without referenceId).",
		"D10: after a supervisor's pull the supervisor owns the interaction; the agent gets no media notification"},
		hooks{event: supervisorPullNotifiesAgent}},
	{DeviationInfo{DevMultimediaNotEnforced, "A user without api-multimedia gets 200 with an empty list from GET /me/workbins and GET /workbins instead of 404 / statusCode 6.",
		"D7: without api-multimedia the workbin URLs are 404 / statusCode 6"},
		hooks{request: multimediaForEveryone, command: noWorkbinsWithoutMultimedia}},
	{DeviationInfo{DevAddUnownedAccepted, "An Add of an interaction that is in a workbin (the caller does not own it) answers 200 with a referenceId (and changes nothing) instead of being refused.",
		"D11: Add is only for an interaction the caller owns"},
		hooks{command: addUnownedAccepted}},
	{DeviationInfo{DevPullerNotParticipant, "The pulled chat in the media notification lists no Agent or Supervisor participant (the puller is left out).",
		"D5: a pulled chat lists the puller among its participants"},
		hooks{notify: pulledResource(withoutPuller)}},
	{DeviationInfo{DevConnectNotHeld, "Every /meta/connect is answered at once (as if it asked advice.timeout 0), advising interval 100 ms, even when there is nothing to deliver.",
		"D9/Bayeux: long-polling holds a connect until an event or the timeout"},
		hooks{bayeux: connectNotHeld}},
	{DeviationInfo{DevFirstConnectHeld, "A /meta/connect asking advice.timeout 0 (the first one after a handshake) is held for up to 6 s like any other.",
		"D9/Bayeux: the first connect (advice.timeout 0) is answered at once"},
		hooks{bayeux: firstConnectHeld}},
	{DeviationInfo{DevDisconnectIgnored, "/meta/disconnect answers successful:true but the session stays: its held connect is not released and later messages are still accepted.",
		"D9/Bayeux: a disconnect ends the session, releases its held connect, and the clientId is unknown afterwards"},
		hooks{bayeux: disconnectIgnored}},
	{DeviationInfo{DevNegotiationIgnored, "A handshake offering no connection type the server supports succeeds (as if it offered long-polling).",
		"D9/Bayeux: a handshake without a common connection type fails"},
		hooks{bayeux: negotiationIgnored}},
}

// Deviations lists every deviation switch with what it does and the rule it breaks, sorted
// by name.
func Deviations() []DeviationInfo {
	out := make([]DeviationInfo, len(deviationTable))
	for i, d := range deviationTable {
		out[i] = d.DeviationInfo
	}
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
	return slices.ContainsFunc(deviationTable, func(x deviation) bool { return x.Name == d })
}

func deviationNames() string {
	var names []string
	for _, i := range Deviations() {
		names = append(names, string(i.Name))
	}
	return strings.Join(names, ", ")
}

// hookSet is the hooks of the switches that are on, by point. It is built when the set
// changes and read whole per request: with no switch on every list is empty, and a point
// costs a length check.
type hookSet struct {
	on        []Deviation // sorted
	request   []func(*Server, *apiCall)
	body      []func(*Server, *apiCall)
	command   []func(*Server, *apiCall, command, func() outcome) outcome
	event     []func(*Server, state.Event, bool) state.Event
	notify    []func(*draft)
	reply     []func(*apiCall, http.Header, *apiReply)
	handshake []func() (string, bool)
	bayeux    []func(*Server, *cometdBatch)
}

// deviationSet is the switches that are on, and the memory some of them keep.
type deviationSet struct {
	hooks  atomic.Pointer[hookSet]
	pulled pulledMemory // pulled-item-still-listed
	wins   pullWins     // concurrent-pulls-all-win
}

func (s *deviationSet) set(list []Deviation) error {
	on := map[Deviation]bool{}
	for _, d := range list {
		if !d.Known() {
			return fmt.Errorf("%w: %q (known: %s)", ErrUnknownDeviation, d, deviationNames())
		}
		on[d] = true
	}
	hs := &hookSet{}
	for _, d := range deviationTable {
		if !on[d.Name] {
			continue
		}
		hs.on = append(hs.on, d.Name)
		if d.request != nil {
			hs.request = append(hs.request, d.request)
		}
		if d.body != nil {
			hs.body = append(hs.body, d.body)
		}
		if d.command != nil {
			hs.command = append(hs.command, d.command)
		}
		if d.event != nil {
			hs.event = append(hs.event, d.event)
		}
		if d.notify != nil {
			hs.notify = append(hs.notify, d.notify)
		}
		if d.reply != nil {
			hs.reply = append(hs.reply, d.reply)
		}
		if d.handshake != nil {
			hs.handshake = append(hs.handshake, d.handshake)
		}
		if d.bayeux != nil {
			hs.bayeux = append(hs.bayeux, d.bayeux)
		}
	}
	slices.Sort(hs.on)
	s.hooks.Store(hs)
	return nil
}

// load returns the hooks of the switches that are on (none before the first set).
func (s *deviationSet) load() *hookSet {
	if hs := s.hooks.Load(); hs != nil {
		return hs
	}
	return &hookSet{}
}

// list returns the switches that are on, sorted.
func (s *deviationSet) list() []Deviation { return slices.Clone(s.load().on) }

// stateReplaced forgets what the switches remembered of the state before a reset.
func (s *deviationSet) stateReplaced() { s.pulled.clear() }

// The points, as the request path calls them.

// rewriteRequest runs the request hooks on a call.
func (hs *hookSet) rewriteRequest(s *Server, c *apiCall) {
	for _, h := range hs.request {
		h(s, c)
	}
}

// rewriteBody runs the body hooks on a call whose body was read.
func (hs *hookSet) rewriteBody(s *Server, c *apiCall) {
	for _, h := range hs.body {
		h(s, c)
	}
}

// run runs a state command through the command hooks (the first outermost).
func (hs *hookSet) run(s *Server, c *apiCall, cmd command, do func() outcome) outcome {
	if len(hs.command) == 0 {
		return do()
	}
	var at func(i int) outcome
	at = func(i int) outcome {
		if i == len(hs.command) {
			return do()
		}
		return hs.command[i](s, c, cmd, func() outcome { return at(i + 1) })
	}
	return at(0)
}

// shapeEvent runs the event hooks on an event about to be rendered.
func (hs *hookSet) shapeEvent(s *Server, ev state.Event, pull bool) state.Event {
	for _, h := range hs.event {
		ev = h(s, ev, pull)
	}
	return ev
}

// shapeNotification returns the copy of a draft that goes out.
func (hs *hookSet) shapeNotification(d draft) draft {
	for _, h := range hs.notify {
		h(&d)
	}
	return d
}

// shapeReply runs the reply hooks on a checked reply.
func (hs *hookSet) shapeReply(c *apiCall, h http.Header, rep *apiReply) {
	for _, f := range hs.reply {
		f(c, h, rep)
	}
}

// admitHandshake asks the handshake hooks to admit a handshake the contract refuses.
func (hs *hookSet) admitHandshake() (string, bool) {
	for _, h := range hs.handshake {
		if p, ok := h(); ok {
			return p, true
		}
	}
	return "", false
}
