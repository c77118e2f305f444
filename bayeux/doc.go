// Package bayeux implements the Bayeux 1.0 protocol (the protocol of CometD) over HTTP
// long-polling: a server that is an http.Handler, and a client.
//
// It knows nothing about Genesys: applications plug in through hooks (authenticate a
// handshake, authorize a subscription, publish from server code).
//
// The defaults are CometD 3's: timeout 30 s, interval 0, maxInterval 10 s, error strings
// such as "402::Unknown client", and the BAYEUX_BROWSER cookie.
package bayeux
