package mockidp_test

import (
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
	passwordlesspb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// pwlFixtures are the default fixtures with a passwordless type.
func pwlFixtures(t testing.TB, typ passwordless.Type) *fixture.Fixtures {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	fx.Passwordless = &fixture.Passwordless{Type: typ}
	return fx
}

// mgVerifyLink verifies a magic link's token.
func mgVerifyLink(t *testing.T, c *mgAPI, link string) (*passwordlesspb.VerifyPasswordLessResponse, error) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("link_token") == "" {
		t.Fatalf("magic link %q has no link_token", link)
	}
	r, err := c.pwl.VerifyPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.VerifyPasswordLessRequest{
		AuthCredential: &passwordlesspb.VerifyPasswordLessRequest_LinkToken{LinkToken: u.Query().Get("link_token")}}))
	if err != nil {
		return nil, err
	}
	return r.Msg, nil
}

// TestMgmtPasswordlessTypes: the fixtures' passwordless.type decides
// what sendPasswordlessEmail sends, whatever the call passes: its
// passwordless_type, the mailbox's code and link, and which credential
// verifies. LINK and LINK_OTP refuse a send without magiclink_auth_uri,
// naming the field and delivering nothing; a LINK request refuses a
// code, without costing its link.
func TestMgmtPasswordlessTypes(t *testing.T) {
	t.Parallel()
	landing := "http://localhost:4321/auth/passwordless"
	for _, tc := range []struct {
		typ        passwordless.Type
		want       passwordlesspb.PasswordlessType
		code, link bool
	}{
		{passwordless.OTP, passwordlesspb.PasswordlessType_OTP, true, false},
		{passwordless.Link, passwordlesspb.PasswordlessType_LINK, false, true},
		{passwordless.LinkOTP, passwordlesspb.PasswordlessType_LINK_OTP, true, true},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			t.Parallel()
			env := startEnv(t, mockidp.Options{Fixtures: pwlFixtures(t, tc.typ)})
			c := newMgAPI(t, env)
			email := strings.ToLower(string(tc.typ)) + ".user@initech.test"

			if tc.link {
				_, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email})
				mgWantField(t, "SendPasswordlessEmail without magiclink_auth_uri", err, "magiclink_auth_uri")
				mgWantErr(t, "SendPasswordlessEmail without magiclink_auth_uri", err, connect.CodeInvalidArgument, "INVALID_ARGUMENT", "is required: this environment's passwordless type is "+string(tc.typ))
				if n := len(mgMailbox(t, env, email)); n != 0 {
					t.Errorf("a refused send delivered %d emails", n)
				}
			}

			sent, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email, MagiclinkAuthUri: &landing})
			if err != nil {
				t.Fatalf("SendPasswordlessEmail with magiclink_auth_uri: %v%s", err, mgDescribe(err))
			}
			if sent.GetPasswordlessType() != tc.want {
				t.Errorf("passwordless_type %v, want %v (the fixtures')", sent.GetPasswordlessType(), tc.want)
			}
			m := mgLastMail(t, env, email)
			if got := mgOTP.MatchString(m.Code); got != tc.code || (m.Code != "") != tc.code {
				t.Errorf("the email's code %q: want a code %v", m.Code, tc.code)
			}
			if got := strings.HasPrefix(m.Link, landing+"?link_token="); got != tc.link || (m.Link != "") != tc.link {
				t.Errorf("the email's link %q: want a link to %s %v", m.Link, landing, tc.link)
			}
			if !tc.code && strings.Contains(m.Subject, "code") {
				t.Errorf("the subject of a link alone %q speaks of a code", m.Subject)
			}

			var v *passwordlesspb.VerifyPasswordLessResponse
			if tc.code {
				v, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), m.Code)
			} else {
				// A code is refused: the email had none. Trying
				// several costs no attempt: the link still works.
				for range passwordless.MaxWrongCodes {
					_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), "123456")
					mgWantField(t, "VerifyPasswordlessEmail with a code for a LINK request", err, "code")
				}
				mgWantErr(t, "VerifyPasswordlessEmail with a code for a LINK request", err, connect.CodeInvalidArgument, "INVALID_ARGUMENT", "link_token")
				v, err = mgVerifyLink(t, c, m.Link)
			}
			if err != nil || v.GetEmail() != email || v.GetPasswordlessType() != tc.want {
				t.Fatalf("VerifyPasswordlessEmail: %v, %v%s; want %s and %v", v, err, mgDescribe(err), email, tc.want)
			}

			// A resend sends the same kind of email.
			other := "again." + email
			sent, err = mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: other, MagiclinkAuthUri: &landing})
			if err != nil {
				t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
			}
			rr, err := c.pwl.ResendPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.ResendPasswordlessRequest{AuthRequestId: sent.GetAuthRequestId()}))
			if r := mgMust(t, "ResendPasswordlessEmail", rr, err); r.GetPasswordlessType() != tc.want {
				t.Errorf("resend: passwordless_type %v, want %v", r.GetPasswordlessType(), tc.want)
			}
			if m := mgLastMail(t, env, other); (m.Code != "") != tc.code || (m.Link != "") != tc.link {
				t.Errorf("the resent email: code %q, link %q; want a code %v, a link %v", m.Code, m.Link, tc.code, tc.link)
			}
		})
	}
}

// TestMgmtPasswordlessTypeOTPIgnoresTheLanding: an OTP environment's
// emails carry no link even when the app passes magiclink_auth_uri, so
// a link_token the app made up or kept from elsewhere is refused.
func TestMgmtPasswordlessTypeOTPIgnoresTheLanding(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Fixtures: pwlFixtures(t, passwordless.OTP)})
	c := newMgAPI(t, env)
	landing := "http://localhost:4321/auth/passwordless"
	if _, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: "plain@initech.test", MagiclinkAuthUri: &landing}); err != nil {
		t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	_, err := mgVerifyLink(t, c, landing+"?link_token=made-up")
	mgWantField(t, "VerifyPasswordlessEmail with a link_token in an OTP environment", err, "link_token")
}

// TestPasswordlessTypeExported: GET /__mock/export keeps the
// environment's passwordless type, so that a state handed to CI as
// --fixtures sends the same emails.
func TestPasswordlessTypeExported(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{Fixtures: pwlFixtures(t, passwordless.Link)})
	for _, format := range []string{"json", "yaml"} {
		status, body := mgControl(t, env, "GET", "/__mock/export?format="+format, nil)
		if status != 200 {
			t.Fatalf("GET /__mock/export?format=%s: %d %.300s", format, status, body)
		}
		fx, err := fixture.Parse(body)
		if err != nil || fx.PasswordlessType() != passwordless.Link {
			t.Errorf("the %s export parsed back: passwordless type %q, %v; want LINK", format, fx.PasswordlessType(), err)
		}
	}
}
