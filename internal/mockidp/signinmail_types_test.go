package mockidp_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
)

// startEmailEnvOf is startEmailEnv with a passwordless type in the
// fixtures.
func startEmailEnvOf(t *testing.T, typ passwordless.Type) *emailEnv {
	t.Helper()
	logs := &syncBuffer{}
	env := startEnv(t, mockidp.Options{Fixtures: pwlFixtures(t, typ), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return &emailEnv{Env: env, logs: logs, app: newApp(t, env, app1ID, app1Secret, app1Redirect)}
}

// TestEmailSignInTypes: the sign-in page's email path sends what the
// environment's passwordless type says (OTP a code, LINK a link, LINK_OTP
// both), its "check your email" page asks for a code only when one was
// sent and says what to look for, and the credential sent completes the
// sign-in.
func TestEmailSignInTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ        passwordless.Type
		code, link bool
		says       string
	}{
		{passwordless.OTP, true, false, "We sent a 6-digit code to"},
		{passwordless.Link, false, true, "We sent a sign-in link to"},
		{passwordless.LinkOTP, true, true, "We sent a 6-digit code and a sign-in link to"},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			t.Parallel()
			e := startEmailEnvOf(t, tc.typ)
			b := newBrowser(t)
			email := strings.ToLower(string(tc.typ)) + ".person@startup.test"
			f, check := e.checkPage(t, b, email)
			if !strings.Contains(check.body, tc.says) {
				t.Errorf("the \"check your email\" page does not say %q: %.900s", tc.says, check.body)
			}
			if got := strings.Contains(check.body, `name="code"`); got != tc.code {
				t.Errorf("the page has a code box: %v, want %v", got, tc.code)
			}
			m := mgLastMail(t, e.Env, email)
			if (m.Code != "") != tc.code || (m.Code != "" && !mgOTP.MatchString(m.Code)) {
				t.Errorf("the email's code %q: want a six-digit code %v", m.Code, tc.code)
			}
			if got := strings.HasPrefix(m.Link, e.URL+"/oauth/magic?link_token="); got != tc.link || (m.Link != "") != tc.link {
				t.Errorf("the email's link %q: want a magic link %v", m.Link, tc.link)
			}

			var done page
			if tc.code {
				done = e.post(t, b, check, url.Values{"code": {m.Code}})
			} else {
				if !strings.Contains(check.body, "open the link</a>") && !strings.Contains(check.body, "open the link in the") {
					t.Errorf("the page of a link alone does not say to open the link: %.900s", check.body)
				}
				done = b.get(m.Link)
			}
			tok, err := e.app.exchange(f, e.app.callback(f, done))
			if err != nil || tok.claims["email"] != email {
				t.Fatalf("sign-in by the email's %s: %v, %v", map[bool]string{true: "code", false: "link"}[tc.code], tok, err)
			}
			e.noCodeInLogs(t, m.Code)
		})
	}
}

// TestEmailSignInLinkOnlyRefusesACode: in a LINK environment a code
// posted to the "check your email" page (there is no box for one) is
// refused with the reason, on the page and in the log, and signs no one
// in; the link still works after it.
func TestEmailSignInLinkOnlyRefusesACode(t *testing.T) {
	t.Parallel()
	e := startEmailEnvOf(t, passwordless.Link)
	b := newBrowser(t)
	email := "qa+sktest@startup.test"
	f, check := e.checkPage(t, b, email)
	if strings.Contains(check.body, passwordless.TestCode) {
		t.Errorf("the page of a link alone offers the test code %s: %.900s", passwordless.TestCode, check.body)
	}
	got := e.post(t, b, check, url.Values{"code": {passwordless.TestCode}})
	e.wantRefusal(t, "a code in a LINK environment", got, http.StatusBadRequest, "This email has no code: open the sign-in link in it.", string(passwordless.NoCode), 0)
	resend := e.post(t, b, got, url.Values{"resend": {"1"}})
	if resend.status != http.StatusOK || !strings.Contains(resend.body, "The link before it no longer works.") {
		t.Errorf("resend in a LINK environment: %d %.900s, want a notice about the link", resend.status, resend.body)
	}
	m := mgLastMail(t, e.Env, email)
	if m.Code != "" || m.Link == "" {
		t.Fatalf("the resent email: code %q, link %q; want a link alone", m.Code, m.Link)
	}
	if tok, err := e.app.exchange(f, e.app.callback(f, b.get(m.Link))); err != nil || tok.claims["email"] != email {
		t.Fatalf("the link after a refused code: %v, %v", tok, err)
	}
}
