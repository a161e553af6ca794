// Package webhook signs and encodes the webhooks that `skctl mock-idp`
// delivers, the way Scalekit's SDKs verify them: headers
// webhook-id, webhook-timestamp (Unix seconds, within 300 s of the
// receiver's clock) and webhook-signature "v1,<base64 HMAC-SHA256 over
// id.timestamp.body>", keyed with the base64-decoded part of the endpoint
// secret after "whsec_" (Standard Webhooks, as Svix signs them for
// Scalekit).
//
// Why Canonical: Scalekit's own sample app verifies
// JSON.stringify(await req.json()) rather than the raw body, so a body only
// verifies there if it survives JSON.stringify(JSON.parse(body)) byte for
// byte. encoding/json's output does not (it escapes <, >, & and U+2028/9,
// and may print numbers or order keys differently from JavaScript).
// Canonical re-encodes any JSON text exactly as JavaScript would, and
// Marshal builds event bodies that way; a body that is already canonical is
// a fixed point of the re-serialisation, so it verifies either way.
//
// Dispatcher delivers them (queue.go, deliver.go): to each endpoint in
// order, a 2xx within the timeout or retried with backoff, a bounded log
// of every attempt, and with a state directory the undelivered ones kept
// across restarts (persist.go). It takes neutral Messages, so that it
// knows nothing of the event log that makes them.
package webhook
