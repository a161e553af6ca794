package conformance

import (
	"context"
	"net/url"
)

// returnToProbe is the benign return-to a first sign-in carries, to learn
// whether the app takes the parameter at all.
const returnToProbe = "/conformance-return-check?x=1"

// openRedirectVectors are return-to values that a naive check ("starts
// with /", "has no scheme", "parses without a host") lets through, and a
// browser takes to another host, or that are not URLs a page should go
// to at all.
func openRedirectVectors() []string {
	return []string{
		"https://evil.example/",
		"//evil.example/",
		`/\evil.example/`,
		`\/evil.example/`,
		"https:evil.example",
		"/%2F%2Fevil.example/",
		"/ /evil.example/",
		"/\t/evil.example/", // browsers drop the tab: //evil.example/
		"javascript:alert(1)",
	}
}

// returnToTest signs in once with a benign return-to, to see that the app
// takes one, then once per vector: no answer of the app may redirect the
// browser off the app's origin (the mock's aside).
func (r *run) returnToTest(ctx context.Context) verdict {
	if b := r.baseline(ctx); b.outcome != SignedIn {
		return skipped("a plain sign-in does not work (%s: %s), so its return-to cannot be tried", b.outcome, b.why)
	}
	param := r.opts.ReturnToParam
	b, rec := r.recordingBrowser()
	j := r.signIn(ctx, b, signInOptions{query: url.Values{param: {returnToProbe}}})
	if !r.reached(rec, "/conformance-return-check") {
		if j.outcome == Broken {
			r.browsers = append(r.browsers, b)
			return failed(r.test.Fix, "a sign-in with %s=%s broke: %s", param, returnToProbe, j.why)
		}
		return skipped("the app takes no %s parameter: a sign-in with %s=%s never went to that path", param, param, returnToProbe)
	}
	for _, v := range openRedirectVectors() {
		b, rec := r.recordingBrowser()
		j := r.signIn(ctx, b, signInOptions{query: url.Values{param: {v}}})
		for _, a := range rec.answers() {
			if a.location == "" || !r.onApp(a.url) {
				continue
			}
			if dest, off := offOrigin(a.location, a.url, r.opts.AppURL, r.opts.IdPURL); off {
				r.browsers = append(r.browsers, b)
				return failed(r.test.Fix, "with %s=%s, %s %s redirected the browser to %s (Location: %s), off the app: an open redirect, which phishing uses to borrow the app's name",
					param, v, a.method, pathOf(a.url), dest, redactRaw(a.location))
			}
		}
		if j.outcome == Broken {
			r.browsers = append(r.browsers, b)
			return failed(r.test.Fix, "with %s=%s the sign-in broke: %s", param, v, j.why)
		}
	}
	return passed("the app takes %s, and none of %d open-redirect vectors sent the browser off the app", param, len(openRedirectVectors()))
}

// reached reports whether an answer of the app redirected to path on the
// app's origin.
func (r *run) reached(rec *recorder, path string) bool {
	for _, a := range rec.answers() {
		if a.location == "" || !r.onApp(a.url) {
			continue
		}
		if u, ok := browserTarget(a.location, a.url); ok && r.onApp(u) && u.Path == path {
			return true
		}
	}
	return false
}
