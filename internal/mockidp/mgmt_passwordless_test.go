package mockidp_test

import (
	"net/url"
	"regexp"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	passwordlesspb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

var mgOTP = regexp.MustCompile(`^[0-9]{6}$`)

// mgSend sends a passwordless email.
func mgSend(t *testing.T, c *mgAPI, req *passwordlesspb.SendPasswordlessRequest) (*passwordlesspb.SendPasswordlessResponse, error) {
	r, err := c.pwl.SendPasswordlessEmail(mgCtx(t), connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return r.Msg, nil
}

// mgVerifyCode verifies a one-time code of a request.
func mgVerifyCode(t *testing.T, c *mgAPI, id, code string) (*passwordlesspb.VerifyPasswordLessResponse, error) {
	r, err := c.pwl.VerifyPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.VerifyPasswordLessRequest{
		AuthCredential: &passwordlesspb.VerifyPasswordLessRequest_Code{Code: code}, AuthRequestId: &id}))
	if err != nil {
		return nil, err
	}
	return r.Msg, nil
}

// mgWrongCode is a six-digit code other than code.
func mgWrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// mgCodeOf reads the code of the newest email to an address.
func mgCodeOf(t *testing.T, c *mgAPI, email string) string {
	t.Helper()
	m := mgLastMail(t, c.env, email)
	if m.Kind != "passwordless" || !mgOTP.MatchString(m.Code) {
		t.Fatalf("email to %s: kind %q code %q, want a passwordless one with six digits", email, m.Kind, m.Code)
	}
	return m.Code
}

// TestMgmtPasswordlessCode: a code is sent to the mailbox, a wrong one is
// refused, the right one gives the email and state back once, and a
// second use is refused.
func TestMgmtPasswordlessCode(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	email, state := "otp.user@initech.test", "st-42"
	sent, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email, State: &state,
		Template: passwordlesspb.TemplateType_SIGNIN.Enum()})
	if err != nil {
		t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	if sent.GetAuthRequestId() == "" || sent.GetPasswordlessType() != passwordlesspb.PasswordlessType_OTP || sent.GetExpiresIn() == 0 {
		t.Fatalf("SendPasswordlessEmail = %v, want an auth_request_id of an OTP that expires", sent)
	}
	code := mgCodeOf(t, c, email)

	_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), mgWrongCode(code))
	mgWantField(t, "VerifyPasswordlessEmail with a wrong code", err, "code")

	v, err := mgVerifyCode(t, c, sent.GetAuthRequestId(), code)
	if err != nil {
		t.Fatalf("VerifyPasswordlessEmail with the code sent (after one wrong try): %v%s", err, mgDescribe(err))
	}
	if v.GetEmail() != email || v.GetState() != state || v.GetTemplate() != passwordlesspb.TemplateType_SIGNIN {
		t.Errorf("VerifyPasswordlessEmail = %v, want %s, state %s, SIGNIN", v, email, state)
	}
	_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), code)
	mgWantErr(t, "VerifyPasswordlessEmail with the code again", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "already used")

	_, err = mgVerifyCode(t, c, "pwl_00000000000000001", code)
	mgWantErr(t, "VerifyPasswordlessEmail of an unknown request", err, connect.CodeInvalidArgument, "INVALID_ARGUMENT", "")
	_, err = mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: "not-an-email"})
	mgWantField(t, "SendPasswordlessEmail to a bad address", err, "email")
}

// TestMgmtPasswordlessResendAndRateLimit: a resend issues a new code and
// the old one stops working; an address gets two emails a minute (sends
// and resends), the third is ResourceExhausted until the minute has
// passed.
func TestMgmtPasswordlessResendAndRateLimit(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	email := "resend.user@initech.test"
	sent, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email})
	if err != nil {
		t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	oldCode := mgCodeOf(t, c, email)
	rr, err := c.pwl.ResendPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.ResendPasswordlessRequest{AuthRequestId: sent.GetAuthRequestId()}))
	again := mgMust(t, "ResendPasswordlessEmail", rr, err)
	if again.GetAuthRequestId() != sent.GetAuthRequestId() {
		t.Errorf("ResendPasswordlessEmail: auth_request_id %q, want %q", again.GetAuthRequestId(), sent.GetAuthRequestId())
	}
	newCode := mgCodeOf(t, c, email)
	if n := len(mgMailbox(t, env, email)); n != 2 {
		t.Errorf("the mailbox of %s has %d emails after a send and a resend, want 2", email, n)
	}

	// The third email within the minute.
	_, err = mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email})
	mgWantErr(t, "a third SendPasswordlessEmail within a minute", err, connect.CodeResourceExhausted, "RESOURCE_EXHAUSTED", email)
	_, err = c.pwl.ResendPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.ResendPasswordlessRequest{AuthRequestId: sent.GetAuthRequestId()}))
	mgWantErr(t, "a resend as the third email within a minute", err, connect.CodeResourceExhausted, "RESOURCE_EXHAUSTED", "")
	if n := len(mgMailbox(t, env, email)); n != 2 {
		t.Errorf("refused sends delivered mail: %d emails, want 2", n)
	}
	// Another address is not limited by this one's emails.
	if _, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: "bystander@initech.test"}); err != nil {
		t.Errorf("SendPasswordlessEmail to another address: %v%s", err, mgDescribe(err))
	}

	if newCode != oldCode {
		_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), oldCode)
		mgWantField(t, "VerifyPasswordlessEmail with the code from before the resend", err, "code")
	} else {
		t.Logf("the resend drew the same six digits (1 in a million): the old code cannot be told apart")
	}
	if v, err := mgVerifyCode(t, c, sent.GetAuthRequestId(), newCode); err != nil || v.GetEmail() != email {
		t.Fatalf("VerifyPasswordlessEmail with the resent code: %v, %v%s", v, err, mgDescribe(err))
	}
	_, err = c.pwl.ResendPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.ResendPasswordlessRequest{AuthRequestId: sent.GetAuthRequestId()}))
	mgWantErr(t, "ResendPasswordlessEmail of a verified request", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "already used")

	mgAdvance(t, env, "61s")
	if _, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email}); err != nil {
		t.Errorf("SendPasswordlessEmail a minute later: %v%s", err, mgDescribe(err))
	}
}

// TestMgmtPasswordlessMagicLink: with magiclink_auth_uri the email holds
// a link to the app's page with a link_token, which verifies once.
func TestMgmtPasswordlessMagicLink(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	email, landing := "link.user@initech.test", "http://localhost:4321/auth/passwordless"
	sent, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email, MagiclinkAuthUri: &landing})
	if err != nil {
		t.Fatalf("SendPasswordlessEmail with a magic link: %v%s", err, mgDescribe(err))
	}
	if sent.GetPasswordlessType() != passwordlesspb.PasswordlessType_LINK_OTP {
		t.Errorf("passwordless_type %v, want LINK_OTP", sent.GetPasswordlessType())
	}
	m := mgLastMail(t, env, email)
	u, err := url.Parse(m.Link)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != landing || u.Query().Get("link_token") == "" {
		t.Fatalf("magic link %q, want %s?link_token=…", m.Link, landing)
	}
	verify := func() (*passwordlesspb.VerifyPasswordLessResponse, error) {
		r, err := c.pwl.VerifyPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.VerifyPasswordLessRequest{
			AuthCredential: &passwordlesspb.VerifyPasswordLessRequest_LinkToken{LinkToken: u.Query().Get("link_token")}}))
		if err != nil {
			return nil, err
		}
		return r.Msg, nil
	}
	if v, err := verify(); err != nil || v.GetEmail() != email {
		t.Fatalf("VerifyPasswordlessEmail with the link_token: %v, %v%s", v, err, mgDescribe(err))
	}
	_, err = verify()
	mgWantErr(t, "VerifyPasswordlessEmail with the link_token again", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "")

	bad := "ftp://example.test/land"
	_, err = mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: "other@initech.test", MagiclinkAuthUri: &bad})
	mgWantField(t, "SendPasswordlessEmail with a non-http magiclink_auth_uri", err, "magiclink_auth_uri")
}

// TestMgmtPasswordlessSpentAndExpired: five wrong codes spend a request,
// after which even the right one is refused; a code past expires_in is
// refused.
func TestMgmtPasswordlessSpentAndExpired(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)

	email := "guesser@initech.test"
	sent, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email})
	if err != nil {
		t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	code := mgCodeOf(t, c, email)
	for i := 1; i < 5; i++ {
		_, err := mgVerifyCode(t, c, sent.GetAuthRequestId(), mgWrongCode(code))
		mgWantField(t, "wrong code", err, "code")
	}
	_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), mgWrongCode(code))
	mgWantErr(t, "the fifth wrong code", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "too many")
	_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), code)
	mgWantErr(t, "the right code after five wrong ones", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "")

	email = "slowpoke@initech.test"
	life := uint32(60)
	sent, err = mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email, ExpiresIn: &life})
	if err != nil {
		t.Fatalf("SendPasswordlessEmail expires_in 60: %v%s", err, mgDescribe(err))
	}
	if sent.GetExpiresIn() != 60 {
		t.Errorf("expires_in %d, want 60", sent.GetExpiresIn())
	}
	code = mgCodeOf(t, c, email)
	mgAdvance(t, env, "2m")
	_, err = mgVerifyCode(t, c, sent.GetAuthRequestId(), code)
	mgWantErr(t, "the right code after it expired", err, connect.CodeFailedPrecondition, "FAILED_PRECONDITION", "expired")
}
