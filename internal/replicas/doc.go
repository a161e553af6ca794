// Package replicas is the state shared by serve's replicas, kept in Redis
// or Valkey (one protocol): a refresh token is redeemed by exactly one
// replica and its result adopted by the others, and a sign-out on one
// replica revokes the session on all of them. docs/replicas.md describes
// the keys, their lifetimes and what happens while the server is down.
//
// The package knows nothing of tokens or cookies: what it stores is
// opaque bytes the caller has sealed (serve seals with its cookie key),
// under keys the caller has hashed. It never imports the web app; the web
// app defines the interface it needs and the command line wires a Store
// in.
//
// The signed-in hot path makes no call here: revocations reach the
// caller's own in-memory set through OnRevoke, from pub/sub as they
// happen and from a full reload whenever the subscription (re)connects.
// When the server is down or slow, every operation gives up within its
// timeout, and for a while stops trying: a refresh is then redeemed by
// this replica alone, and a revocation stays in this replica (and is
// sent once the server is back).
package replicas
