// Package bayeux implements the Bayeux 1.0 protocol (the protocol of CometD) over HTTP
// long-polling: a server that is an http.Handler, and a client.
//
// It knows nothing about Genesys: applications plug in through hooks (authenticate a
// handshake, authorize a subscription or a publish, journal every message) and publish
// from server code (Server.Publish, Server.PublishTo, Server.Deliver).
//
// The defaults are CometD 3's: timeout 30 s, interval 0, maxInterval 10 s, sweep period
// 997 ms, error strings such as "402::Unknown client", and the BAYEUX_BROWSER cookie with
// one long poll per browser (further ones get the multiple-clients advice, interval 2 s).
//
// # Server
//
// Server accepts POST on any path it is mounted on (the CometD JavaScript client posts to
// <mount>/handshake, <mount>/connect, <mount>/...), with a body of application/json,
// text/plain (accepted as CometD does, for clients avoiding CORS preflights) or
// application/x-www-form-urlencoded message= parameters; a JSON array of messages or one
// bare object. Other methods get 405, other content types or charsets 415, bodies over
// Options.MaxBodyBytes 413, malformed JSON 400. A body is read under a deadline
// (Options.BodyTimeout, 408 when it passes) and, with Options.Identify, past
// Options.MaxUnidentifiedBodyBytes (16 KiB) only from a request Identify accepts (413
// otherwise, before the rest is read); its buffer grows with the bytes that arrive, not with
// the announced Content-Length. A refused body's connection is closed. Batches are handled in order and answered
// in one array in the same order; queued events follow the replies. Events ride in the
// held /meta/connect or in any other reply of the same client (piggy-back); delivery is
// at most once, and in publish order per session.
//
// A session is removed when it sends /meta/disconnect, or when no connect is held for
// Interval+MaxInterval after its last connect reply (or its handshake); a sweep looks for
// such sessions every SweepPeriod while sessions exist. There is no goroutine per session:
// a held connect waits in its own request's goroutine on the session's wake channel, its
// timer, and the request's context (a client that goes away frees it at once).
//
// # Departures from the spec and from CometD, all deliberate
//
//   - Only long-polling is offered. callback-polling (JSONP, a SHOULD of the spec) is left
//     out: only cross-origin browsers without CORS need it, and GWS clients do not use it.
//     WebSocket is left out too (GWS documents none); the JavaScript client's WebSocket
//     attempt gets 405 and it falls back to long-polling.
//   - A session is bound to its principal, not to the BAYEUX_BROWSER cookie (CometD's
//     trustClientSession=false checks the cookie): with Options.Identify, a message whose
//     request authenticates as someone other than the principal that handshook is answered
//     "402::Unknown client" with reconnect:"handshake" (what CometD answers a clientId that
//     does not match the cookie) and changes nothing. Without Identify the clientId alone
//     is trusted. The cookie only serves the multiple-clients rule.
//   - Sessions can be capped per principal and in all (Options.MaxSessionsPerPrincipal,
//     MaxSessions; CometD has no such caps): a principal past a cap loses his own least
//     recently active session, and a handshake that would need another principal's is
//     refused with "503::too_many_sessions" and reconnect:"handshake".
//   - Advice is sent on every connect reply (CometD sends it only when it changed), so
//     SetTimings reaches every client at its next connect.
//   - A client's advice.timeout applies to that connect only and is capped by the server's
//     timeout; a client's advice.interval is ignored.
//   - Queues are bounded (MaxQueue, default 1000; CometD: unbounded): when full, the
//     oldest event is dropped and counted.
//   - Messages after a /meta/disconnect get 402 with reconnect:"handshake" (CometD answers
//     a later connect with reconnect:"none"): the server does not remember ended sessions.
//   - A held connect replaced by a newer connect of the same client is answered with HTTP
//     500, as CometD does (duplicateMetaConnectHttpResponseCode); a second connect in the
//     same request is not held: it is answered with the request's reply, and counts as a
//     connect of its session.
//   - No extension (e.g. ack) is implemented; ext is passed to the hooks and the journal
//     and never rejected. Publishing without a handshake is refused (402).
//   - connectionType is not required on /meta/connect. A message id may be a JSON number
//     as well as a string (some clients send numbers); the reply echoes it in its form.
//   - Error strings are CometD's where CometD has one. Where it has none: unknown meta
//     channel or publish to a pattern "405:<channel>:channel_invalid"; handshake
//     "400::version_missing", "400:<version>:version_unsupported",
//     "400::connection_type_unsupported" (all with reconnect:"none"); publish without data
//     "400::data_missing"; denials "403:<channel>,<reason>:subscribe_denied" and
//     "403:<channel>,<reason>:publish_denied"; connects during Shutdown
//     "503::server_shutting_down"; multiple-clients with a negative MultiSessionInterval
//     "409::multiple_clients". Clients should match on the code only.
package bayeux
