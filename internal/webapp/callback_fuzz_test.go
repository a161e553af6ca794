package webapp_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/mockidp"
)

// FuzzCallback sends GET /api/auth/callback with a fuzzed raw query and
// Cookie header through the app's whole handler. Whatever the input, the
// callback must never answer 500 (or panic), never set a session cookie,
// and never call the IdP: without a transaction cookie sealed by this app
// for the request's state (which no input can forge) there is nothing to
// redeem, so no code may reach the token endpoint (B2, B3). The mock's
// requests are counted to check the last point.
//
// Transaction cookies in the seeds are real ones, but sealed by another
// app (other cookie keys), so they have the right shape and never open.
//
//	go test -run '^$' -fuzz FuzzCallback -fuzztime 30s ./internal/webapp/
func FuzzCallback(f *testing.F) {
	st := newMockStack(f, mockidp.Options{})
	h := st.App.Handler()

	// A foreign transaction: its state and its cookie, from another app's
	// login.
	key := make([]byte, 32)
	rand.Read(key)
	other := st.newApp(f, map[string]string{config.EnvCookieSecret: base64.StdEncoding.EncodeToString(key)})
	rec := httptest.NewRecorder()
	other.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/auth/login?return_to=/dashboard", nil))
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil {
		f.Fatalf("login of the other app: %d %v", rec.Code, rec.Header())
	}
	state := loc.Query().Get("state")
	var txCookie string
	for _, c := range rec.Result().Cookies() {
		if strings.HasPrefix(c.Name, "skctl_tx_") {
			txCookie = c.Name + "=" + c.Value
		}
	}
	if state == "" || txCookie == "" {
		f.Fatalf("the other app's login gave no state or transaction cookie: %v", rec.Header())
	}
	txValue := txCookie[strings.IndexByte(txCookie, '=')+1:]

	code := "code_" + strings.Repeat("Zx9", 20)
	iss := url.QueryEscape(st.IdPURL)
	for _, seed := range []struct{ query, cookie string }{
		{"", ""},
		{"code=" + code + "&state=" + state, ""},
		{"code=" + code + "&state=" + state, txCookie},
		{"code=" + code + "&state=" + state + "&iss=" + iss, txCookie},
		{"code=" + code + "&state=" + state + "&iss=https%3A%2F%2Fevil.example", txCookie},
		{"code=" + code + "&state=" + state, "skctl_session=" + txValue + "; " + txCookie},
		{"code=" + code + "&state=" + state, "skctl_session=" + txValue + "; skctl_session_1=" + txValue},
		{"error=access_denied&state=" + state, txCookie},
		{"error=access_denied&error_description=The+user+cancelled&state=" + state, ""},
		{"error=login_required&state=" + state, ""},
		{"error=temporarily_unavailable&state=" + state, ""},
		{"error=server_error&error_description=%3Cscript%3E&state=" + state, ""},
		{"error=invalid_request_uri&state=" + state, ""},
		{"error=&code=" + code + "&state=" + state, txCookie},
		{"code=a&code=b&state=" + state, txCookie},
		{"code=" + code + "&state=a&state=b", ""},
		{"error=a&error=b&state=" + state, ""},
		{"code=" + code + "&state=" + state + "&iss=a&iss=b", txCookie},
		{"code=" + strings.Repeat("A", 2049) + "&state=" + state, txCookie},
		{"code=" + code + "&state=" + strings.Repeat("s", 513), ""},
		{"code=" + strings.Repeat("%41", 5000) + "&state=" + state, ""},
		{strings.Repeat("a=1&", 5000), ""},
		{"code=%zz&state=%", ""},
		{"code=%00%0a%0d&state=%E2%80%AE%FF", ""},
		{"%%%&&&===;;;", ""},
		{"code=a;state=b", ""},
		{"state=" + state + "&code", txCookie},
		{"state&code&error&iss", ""},
		{"code=" + code + "&state=" + state + "&code=", txCookie},
		{"code=" + code + "&state=", "skctl_tx_e3b0c44298fc1c14=" + txValue},
		{"code=" + code + "&state=" + state, txCookie + "; " + txCookie},
		{"code=" + code + "&state=" + state, "__Host-" + txCookie},
		{"code=" + code + "&state=" + state, txCookie + "x"},
		{"code=" + code + "&state=" + state, strings.Repeat("c=1; ", 3100)},
		{"code=" + code + "&state=" + state, "skctl_tx_" + strings.Repeat("0", 16) + "=%; =; ;;"},
	} {
		f.Add(seed.query, seed.cookie)
	}

	f.Fuzz(func(t *testing.T, rawQuery, cookie string) {
		// Only what a Go server could hand the handler: a request target it
		// parses, and a Cookie header it accepts (trimmed, no control bytes).
		target := "/api/auth/callback?" + rawQuery
		u, err := url.ParseRequestURI(target)
		if err != nil || strings.ContainsAny(rawQuery, " ") || !validHeaderValue(cookie) {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/api/auth/callback", nil)
		req.URL, req.RequestURI = u, target
		if cookie = strings.Trim(cookie, " \t"); cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		idpBefore, tokenBefore := st.IdPRequests.Load(), st.TokenRequests.Load()

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code == http.StatusInternalServerError {
			t.Errorf("500 for query %q, cookie %q:\n%.500s", rawQuery, cookie, rec.Body)
		}
		if n := st.TokenRequests.Load() - tokenBefore; n != 0 {
			t.Errorf("%d token-endpoint requests for query %q, cookie %q", n, rawQuery, cookie)
		}
		if n := st.IdPRequests.Load() - idpBefore; n != 0 {
			t.Errorf("%d requests to the IdP for query %q, cookie %q", n, rawQuery, cookie)
		}
		for _, c := range rec.Result().Cookies() {
			name := strings.TrimPrefix(c.Name, "__Host-")
			isSession := name == "skctl_session" || strings.HasPrefix(name, "skctl_session_")
			expired := c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
			if isSession && !expired {
				t.Errorf("session cookie set for query %q, cookie %q: %s", rawQuery, cookie, c)
			}
		}
		for _, leak := range []string{"oauth2:", "oidc:", "goroutine ", "panic"} {
			if strings.Contains(rec.Body.String(), leak) {
				t.Errorf("page shows %q for query %q", leak, rawQuery)
			}
		}
	})
}

// validHeaderValue reports whether a Go server would accept v as a header
// value: no control bytes other than tab (httpguts.ValidHeaderFieldValue).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}
