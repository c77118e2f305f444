// Package mockserver is the stateful GWS Workbins mock: the REST API of spec/openapi.yaml
// under /api/v2, CometD (Bayeux long-polling, package bayeux) at /api/v2/notifications, and a
// control plane under /_mock/ described by spec/mock-admin.yaml. The domain state (users,
// workbins, interactions, subscriptions) is package state; this package is everything around
// it: sessions, security, validation, the notifier, the control plane.
//
// # The path of one request
//
// Before any of them, a path that is not canonical (dot segments, plain or encoded; empty
// segments) is 400 / statusCode 10; the mock never redirects. Every request that announces
// a body is put under the body deadline (Config.BodyReadTimeout, 10 s): a body not in by
// then is 408 and its connection closed, and a body the mock does not read (a refused
// request's) is not waited for either: the connection is closed after the reply.
//
// serveAPI runs every REST request through the same steps; the first that refuses answers:
//
//  1. authentication (D8): HTTP Basic or the JSESSIONID cookie; else 401, WWW-Authenticate,
//     statusCode 20. Basic credentials are always checked; without the cookie of the same
//     user they open a new session (Set-Cookie). Sessions idle 30 minutes are forgotten;
//     a user holds at most 100 (his next login ends his own least recently used), all users
//     10,000 (past that, a user with no session gets 500 / 4 with Retry-After; no login
//     ever ends another user's session).
//  2. CSRF (D8, on by default): POST/PUT/PATCH/DELETE without the session's X-CSRF-TOKEN get
//     403 text/plain "Missing or invalid Csrf token". Every GET of a session carries
//     X-CSRF-HEADER and X-CSRF-TOKEN.
//  3. the body, read only now (after authentication and CSRF): over 1 MiB is 413 /
//     statusCode 10. A deviation's body hook sees it only now too.
//  4. validation against the contract (spec.ValidateRequest): a path the contract lacks is
//     404 / 6, a method the path lacks 405 / 2 with an Allow header listing the contract's
//     methods for the path; otherwise the issues map to statusCodes (requestFault):
//     malformed JSON, a wrong Content-Type or a charset other than UTF-8, a query parameter
//     with malformed percent-encoding 10; a missing member or parameter, both group
//     parameters (W3), an Add without id and uri 1; an unknown operationName, or one the URL
//     does not take, 2; a wrong type (operationName's too), pattern, length or enum, 10. The
//     statusMessage names the field and the rule.
//  5. api-multimedia (D7): without it every workbin operation is 404 / 6, as if the API did
//     not exist, valid request or not: this check runs as soon as the path and method match
//     an operation, before the issues of step 4 are reported; a method a workbin URL does
//     not take is 404 / 6 too (not 405 and Allow).
//     POST /api/v2/me (StartContactCenterSession, EndContactCenterSession) needs api-voice
//     instead (D21), checked by the store.
//  6. faults injected through the control plane (delay, or a given statusCode / HTTP status).
//  7. the handler of the operationId and operationName (apiRoutes in routes.go); PullChat
//     gates (D6): with enableNotificationOnPullChat off, PullChat (and PullInteraction of a
//     chat) is 403 / 3 naming the option; with enableJoinOnPullChat off it succeeds and the
//     chat is JoinFailed, not joined (an inference).
//  8. the state command, atomic: it applies entirely and returns events, or changes nothing
//     and returns the statusCode of its refusal (see package state).
//  9. the reply: a workbin operation's {statusCode:0, referenceId:N} (N counts from 1 per
//     session, D4; {referenceIds:{…}} for several workbins), an operation on an interaction's
//     {statusCode:0} with or without referenceId (see below), self-checked against the contract
//     (spec.ValidateResponse): a reply the contract rejects is a violation and is replaced by
//     500 / statusCode 4.
//  10. the notifier renders each event as its GWS payload (D5; the requester's copy carries
//     the referenceId), checks it (spec.ValidateNotification) when a session would receive
//     it, and publishes it through bayeux to the sessions whose principal is the recipient
//     (D9: a user never receives another user's events, whatever pattern he subscribed to).
//     A payload the contract rejects is a violation and is dropped. A chat's notifications
//     go out in transcript order (chatorder.go).
//
// The operations after the pull (interactions.go, D13-D21): POST /api/v2/me/{workitems,
// chats,emails}/{id} run one state.Operation (allowed only when its name is in the caller's
// capabilities); workitem operations and chat Invite/Consult answer a referenceId, the others
// {statusCode:0}, and the caller's notifications carry the referenceId either way.
// POST /_mock/chats/{id}/customer plays the chat's customer (admin_life.go); the deviation
// switches of these rules are in deviations_life.go.
//
// Violations are logged (with JSON pointer and rule), counted, listed by GET
// /_mock/violations and passed to Config.OnViolation; tests make that hook fail. In strict
// mode a request body member the contract does not declare is reported there too, with kind
// "request-field": it is the client's fault, logged as a warning, not as the mock's error.
//
// # CometD
//
// The handshake must come from an authenticated session: the JSESSIONID cookie (with or
// without the CSRF header, which CometD does not need) or Basic credentials on the Bayeux
// request itself, as the Genesys .NET client sends them with no cookie; else
// 403::Handshake denied. Users may subscribe to /v2/me, any channel or pattern below it,
// and the deep wildcards above it (/**, /v2/**); they receive only their own events on
// /v2/me channels whatever the pattern (D9). /meta/** and what matches no /v2/me channel
// (/*, /v2/users) are refused. Clients may not publish (a publish would reach every
// session subscribed to the channel).
//
// A clientId is bound to the user who handshook: every later request for it must
// authenticate as that user (his cookie session or his Basic credentials; Basic, when
// sent, decides, as for REST). Anyone else gets 402::Unknown client with reconnect
// handshake, as for a clientId the server does not know, and nothing of the session
// changes. Bodies past 16 KiB are read only from authenticated requests, all under a
// 10 s deadline. A user holds at most 100 Bayeux sessions (his next handshake ends his own
// least recently active), all users 10,000 (past that, 503::too_many_sessions).
//
// # The control plane
//
// /_mock/ answers a request only when its Host is a loopback name (localhost and its
// subdomains, 127.0.0.0/8, [::1], any port) or one Options.AllowedHosts allows, or when it
// carries the admin token: a guard against DNS rebinding, which makes a page of another
// site "same-origin" with the mock but leaves that site's name in Host. A request with an
// Origin that Options.CORSAllowedOrigins does not allow is refused too, and with an admin
// token set every request needs it. Refusals are 403 (401 for a missing token) naming what
// to change; the body of a refused request is not read.
//
// # Deviations
//
// Deviations() lists switches that each break the contract in one precise way, for a
// conformance suite's self-test. They are off unless set, and GET /_mock/state and the banner
// warn when one is on. The handlers and the notifier implement the contract only; a switch
// plugs its behaviour into named points of the path (deviations.go holds the table of
// switches with their hooks), the way CometD extensions plug into fixed points of a
// message's way:
//
//   - request: the REST call after authentication, before CSRF and the contract see it
//     (its request, user, options, referenceIds; never its body);
//   - body: a modifying REST call's body once it was read (after authentication, CSRF and
//     within the body limits), before the contract validates it;
//   - command: around each state command or query of a handler (Server.run): change its
//     outcome, or answer without it;
//   - event and notify: an event before it is rendered, and the copy of each notification
//     that goes out;
//   - reply: the REST reply after its self-check;
//   - handshake and bayeux: a CometD handshake the mock would refuse, and each CometD batch
//     before package bayeux sees it (so that package stays free of deliberate faults).
//
// The self-checked copy is the one before the hooks ran: the contract's reply or
// notification is checked, the shaped one goes out. What a command hook or a fault shapes
// (a reply the contract would reject) is not self-checked; the rest still is. With no switch
// on, every point is an empty list.
//
// # The dashboard
//
// /_mock/ui/ serves a page built into the binary (package ui: HTML, CSS, ES modules) that
// shows the workbins, users and sessions, the CometD events delivered, the journal with each
// refusal's rule, and steers the mock through the control plane; it is one more client of
// it, behind the same guard (adminAuth). It reads GET /_mock/events, server-sent events
// (dashboard_events.go). With no stream open the request path pays one atomic load per
// journal entry and per state change; with streams open it only wakes them (a non-blocking
// channel send each): a stream renders what changed in its own goroutine, at most every
// 200 ms, at most 200 journal entries at a time.
package mockserver
