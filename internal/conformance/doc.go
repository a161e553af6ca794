// Package conformance is `skctl conformance`: it proves an app's sign-in
// against a running skctl mock-idp. Each test starts from a fresh cookie
// jar, arms a failure mode of the mock for the app's client only, signs in
// through the app's login path and the mock's page, follows the app's
// redirects one hop at a time, then asks the app's protected path, and
// decides from what it saw: signed in, refused, or broken. The tests are
// the OpenID Foundation's RP certification rows that apply to a web app's
// code flow, the access-token checks a Scalekit app makes, observations of
// the authorization request, and drills of what Scalekit does in
// production (rotation, outages, logout, login CSRF).
//
// The runner talks to the app and the mock over HTTP only: the app may be
// written in any language. It needs the mock's control endpoints
// (/__mock/...), so the mock must be local (loopback) or started with
// --allow-remote-control.
package conformance
