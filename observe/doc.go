// Package observe judges HTTP traffic between a client and a GWS server against the
// contract (package spec) and against what the conformance suite checks that traffic alone
// can show. It is fed exchanges, one request with its response each, from the proxy as
// they end or from a HAR capture (ReadHAR), and keeps only what its checks need.
//
// The life of one exchange (Checker.Observe):
//
//  1. classify: the REST API (spec.BasePath), the CometD endpoint (spec.CometDPath and its
//     sub-paths), the mock's control plane (spec.AdminBasePath), or anything else, which is
//     passed through unjudged and counted by name;
//  2. identify whose it is (identity.go): the HTTP session (JSESSIONID) and the user (Basic
//     credentials the server accepted, GET /me), and for CometD the client (clientId);
//  3. REST (rest.go, ops.go): the request against the contract (a request the contract
//     rejects is the client's fault when the server refuses it, a violation when it
//     accepts it), the response against the contract, then the rules: D4's unique
//     referenceIds, D8's authentication and CSRF token, D10's supervisor URLs, and what each
//     operation promises (ops.go): a pull's StatusChange and ItemRemoved, an add's
//     ItemAdded, a subscription's confirmation, the stats message, set as expectations;
//     workbin reads are compared with what the traffic showed (model.go): a pulled
//     interaction still listed, an added one missing, one a refused request made disappear;
//  4. CometD (cometd.go): the Bayeux frames of both directions (frames.go), the protocol
//     (replies with the request's id, authenticated handshakes, connection type
//     negotiation, held connects, the immediate first connect, 402 advice, disconnect), and
//     each notification against the contract, then offered to the expectations
//     (expect.go) and to the isolation checks (D9, D10).
//
// An expectation is set only when a CometD client of its user listened on its channel, so
// that silence means something; it is missed when that user's client was seen after the
// window closed without it, undecided when the observation ended first. Every finding
// names the rule of docs/rules.md it breaks (the conformance suite's rule ids), a JSON
// pointer where there is one, and a masked excerpt. Result.Report renders the suite's
// report format (one entry per rule), with Markdown and JUnit beside it.
package observe
