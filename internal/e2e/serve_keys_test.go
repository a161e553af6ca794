package e2e_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeUnknownKidIsARefusal: a token whose kid is not in a key set
// the IdP has just served is refused (sign in again), never answered as
// an outage, also once the JWKS reload budget is spent (C11, D3, D4).
// Under idt.kid_unknown every ID token names a kid no key set holds: the
// first sign-in fetches the keys, the second reloads them, the third
// finds the reload rate-limited.
// jwksBurst is serve's JWKS reload budget at once (internal/oidcx): the
// warm-up fetch and four reloads.
const jwksBurst = 5

func TestServeUnknownKidIsARefusal(t *testing.T) {
	t.Parallel()
	const scenario = "idt.kid_unknown"
	idp, lns := startFailureIdP(t, 1, nil)
	env := &testIdP{URL: idp.URL + "/" + scenario}
	preloadKeys(t, env.URL)
	app := startServe(t, lns[0], env, nil, app1ID, app1Secret, nil)
	for i := range jwksBurst + 1 {
		b := newBrowser(t)
		before := mockCounter(t, idp, scenario, "jwks.requests")
		p := b.signIn(app, env, adaID, acmeOrgID)
		fetched := mockCounter(t, idp, scenario, "jwks.requests") - before
		neverServerError(t, p)
		reason := app.requestLog(t, p, "request failed")["reason"]
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "could not be verified") || !strings.Contains(p.body, `href="/api/auth/login"`) {
			t.Errorf("sign-in %d: %d %q (reason %q), want 400, could not be verified, sign in again", i+1, p.status, pageTitle(p.body), reason)
		}
		if reason != "ID token kid not in the current key set" {
			t.Errorf("sign-in %d: serve logged %q", i+1, reason)
		}
		if i == jwksBurst && fetched != 0 {
			t.Errorf("sign-in %d made %d JWKS requests, want none: the reload budget is spent (D3)", i+1, fetched)
		}
		assertNoSessionCookie(t, p)
	}
	if n := mockCounter(t, idp, scenario, "jwks.requests"); n > jwksBurst+1 {
		t.Errorf("%d JWKS requests (preload included), want at most %d: the preload and the burst", n, jwksBurst+1)
	}
}

// TestServeRotatedKeyIsARefusal: after a genuine rotation that drops the
// old key at once, a session signed with the old key that the instance
// never verified before is refused (the session ends: sign in again),
// not answered with an outage page, even once the reload budget is spent
// (C11, D3, D4).
func TestServeRotatedKeyIsARefusal(t *testing.T) {
	t.Parallel()
	idp, lns := startFailureIdP(t, 2, nil)
	first := startServe(t, lns[0], idp, nil, app1ID, app1Secret, nil)
	// As many old sessions as the reload budget, so that the last meets
	// it spent: the fresh instance's warm-up takes one token, and each
	// old session before the last one reload.
	olds := make([]*browser, jwksBurst)
	for i := range olds {
		olds[i] = newBrowser(t)
		user := []string{adaID, "usr_59615193906610315"}[i%2]
		if cb := olds[i].signIn(first, idp, user, acmeOrgID); cb.status != http.StatusFound {
			t.Fatalf("sign-in %d before the rotation: %d %q", i+1, cb.status, pageTitle(cb.body))
		}
	}
	mockControl(t, idp, http.MethodPost, "/__mock/rotate-keys", map[string]string{"overlap": "0"})

	// A fresh instance with the same cookie key: it never verified the
	// old sessions. Its first sign-in fetches the new key set.
	fresh := startServe(t, lns[1], idp, nil, app1ID, app1Secret, nil)
	if cb := newBrowser(t).signIn(fresh, idp, "usr_59615193906675851", "org_59615193906413707"); cb.status != http.StatusFound {
		t.Fatalf("a sign-in after the rotation: %d %q", cb.status, pageTitle(cb.body))
	}
	// The jar sends 127.0.0.1's cookies to any port, as browsers do.
	for i, b := range olds {
		before := mockCounter(t, idp, "", "jwks.requests")
		p := b.get(fresh.URL + "/dashboard")
		fetched := mockCounter(t, idp, "", "jwks.requests") - before
		neverServerError(t, p)
		if p.status == http.StatusOK || p.status >= 500 {
			e, _ := fresh.waitLog(hangDeadline, func(e logEntry) bool {
				return e["request_id"] == p.header.Get("X-Request-Id") && e["msg"] == "request failed"
			})
			t.Errorf("old session %d: %d %q (reason %q), want the session ended", i+1, p.status, pageTitle(p.body), e["reason"])
			continue
		}
		if !sessionCleared(p) {
			t.Errorf("old session %d: not cleared", i+1)
		}
		if e := fresh.requestLog(t, p, "session ended"); e["reason"] != "access token kid not in the current key set" {
			t.Errorf("old session %d: serve logged %q", i+1, e["reason"])
		}
		if i == len(olds)-1 && fetched != 0 {
			t.Errorf("old session %d made %d JWKS requests, want none: the reload budget is spent (D3)", i+1, fetched)
		}
	}
}
