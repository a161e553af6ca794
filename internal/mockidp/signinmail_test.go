package mockidp_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	passwordlesspb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// emailEnv is an environment whose logs a test reads, and an app of it.
type emailEnv struct {
	*testenv.Env
	logs *syncBuffer
	app  *app
}

func startEmailEnv(t *testing.T) *emailEnv {
	t.Helper()
	logs := &syncBuffer{}
	env := startEnv(t, mockidp.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return &emailEnv{Env: env, logs: logs, app: newApp(t, env, app1ID, app1Secret, app1Redirect)}
}

// checkPage types an email on a new sign-in and returns the flow and the
// "check your email" page.
func (e *emailEnv) checkPage(t *testing.T, b *browser, email string) (*flow, page) {
	t.Helper()
	f := e.app.start()
	p := b.pick(e.Env, b.get(f.authURL), url.Values{"email": {email}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "<h1>Check your email</h1>") {
		t.Fatalf("typing %s: %d %.400s, want the \"check your email\" page", email, p.status, p.body)
	}
	return f, p
}

// post answers a "check your email" page's form.
func (e *emailEnv) post(t *testing.T, b *browser, p page, form url.Values) page {
	t.Helper()
	m := handleRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the page has no handle: %.400s", p.body)
	}
	form.Set("handle", m[1])
	return b.postForm(e.URL+"/oauth/passwordless", form)
}

// wantRefusal checks a refusal: its status, that the page says why, that
// the log says why, and that no session was made.
func (e *emailEnv) wantRefusal(t *testing.T, what string, p page, status int, says, logReason string, sessions int) {
	t.Helper()
	if p.status != status || !strings.Contains(p.body, says) {
		t.Errorf("%s: %d %.600s, want %d saying %q", what, p.status, p.body, status, says)
	}
	if p.location != nil {
		t.Errorf("%s redirected to %v", what, p.location)
	}
	if logs := e.logs.String(); logReason != "" && !strings.Contains(logs, "reason="+logReason+" ") && !strings.Contains(logs, `reason="`+logReason+`"`) {
		t.Errorf("%s: the log does not say reason=%q:\n%s", what, logReason, e.logs.String())
	}
	if n := e.Stats().Sessions; n != sessions {
		t.Errorf("%s: %d IdP sessions, want %d", what, n, sessions)
	}
}

// noCodeInLogs fails when a code sent appears in the logs.
func (e *emailEnv) noCodeInLogs(t *testing.T, codes ...string) {
	t.Helper()
	for _, c := range codes {
		if c != "" && strings.Contains(e.logs.String(), c) {
			t.Errorf("the logs hold the one-time code %s", c)
		}
	}
}

// TestEmailSignInByCode: an email typed on the sign-in page gets a code
// and a magic link in the mailbox, and a "check your email" page; the
// right code completes the sign-in (a sign-up here) with a redirect to
// the app whose code the app redeems; the page cannot be answered twice.
func TestEmailSignInByCode(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	email := "new.person@startup.test"
	f, check := e.checkPage(t, b, email)
	for what, want := range map[string]string{
		"the address":          "<strong>" + email + "</strong>",
		"the code form":        `name="code"`,
		"the mailbox link":     `local mailbox</a>`,
		"the mailbox's URL":    `href="/__mock/mail?to=new.person%40startup.test"`,
		"resend":               `name="resend"`,
		"how long codes last":  "for 5 minutes",
		"another email option": `name="restart"`,
	} {
		if !strings.Contains(check.body, want) {
			t.Errorf("the \"check your email\" page lacks %s (%s)", what, want)
		}
	}
	m := mgLastMail(t, e.Env, email)
	if m.Kind != "passwordless" || !mgOTP.MatchString(m.Code) || !strings.HasPrefix(m.Link, e.URL+"/oauth/magic?link_token=") || !strings.Contains(m.Subject, m.Code) {
		t.Fatalf("the sign-in email %+v, want a six-digit code and a magic link to %s/oauth/magic", m, e.URL)
	}
	if _, err := e.Tenant().UserByEmail(email); err == nil {
		t.Fatal("typing the email signed the user up before the code was entered")
	}

	done := e.post(t, b, check, url.Values{"code": {m.Code}})
	tok, err := e.app.exchange(f, e.app.callback(f, done))
	if err != nil {
		t.Fatalf("exchange after the code: %v", err)
	}
	u, err := e.Tenant().UserByEmail(email)
	if err != nil || tok.idToken.Subject != u.ID || tok.claims["email"] != email {
		t.Fatalf("the ID token's sub %s, email %v; the tenant's user %+v, %v", tok.idToken.Subject, tok.claims["email"], u, err)
	}
	if !strings.Contains(e.logs.String(), `msg="email sign-in verified" via=code`) {
		t.Errorf("the log does not record the sign-in by code:\n%s", e.logs.String())
	}
	// Back and submit again: the sign-in is done.
	again := e.post(t, newBrowser(t), check, url.Values{"code": {m.Code}})
	e.wantRefusal(t, "the code page answered twice", again, http.StatusBadRequest, "already complete", "no sign-in waits behind this page", 1)
	e.noCodeInLogs(t, m.Code)

	// A user the environment knows signs in as that user.
	b2 := newBrowser(t)
	f2, check2 := e.checkPage(t, b2, "Ada@Acme.test")
	tok2, err := e.app.exchange(f2, e.app.callback(f2, e.post(t, b2, check2, url.Values{"code": {mailedCode(t, e.URL, "ada@acme.test")}})))
	if err != nil || tok2.idToken.Subject != ada {
		t.Fatalf("Ada by email: sub %v, %v; want %s", tok2, err, ada)
	}
}

// TestEmailSignInByMagicLink: the emailed link completes the sign-in
// once; a link preview (HEAD) does not spend it; a second opening, in
// another browser, is refused and makes no session; the code of the same
// email no longer works.
func TestEmailSignInByMagicLink(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	email := "linker@startup.test"
	f, check := e.checkPage(t, b, email)
	m := mgLastMail(t, e.Env, email)
	req, _ := http.NewRequest(http.MethodHead, m.Link, nil)
	if p := b.do(req); p.status != http.StatusOK || p.location != nil {
		t.Fatalf("HEAD of the magic link: %d %v", p.status, p.location)
	}
	tok, err := e.app.exchange(f, e.app.callback(f, b.get(m.Link)))
	if err != nil || tok.claims["email"] != email {
		t.Fatalf("sign-in by the magic link: %v, %v", tok, err)
	}
	if !strings.Contains(e.logs.String(), `msg="email sign-in verified" via=link`) {
		t.Errorf("the log does not record the sign-in by link:\n%s", e.logs.String())
	}
	e.wantRefusal(t, "the magic link opened again", newBrowser(t).get(m.Link), http.StatusBadRequest,
		"This sign-in link was already used: each link works once.", "already used", 1)
	e.wantRefusal(t, "the code after the link", e.post(t, newBrowser(t), check, url.Values{"code": {m.Code}}), http.StatusBadRequest,
		"already complete", "", 1)
	e.wantRefusal(t, "a made-up link", newBrowser(t).get(e.URL+"/oauth/magic?link_token=forged"), http.StatusBadRequest,
		"not one this environment sent", "unknown link", 1)
	e.noCodeInLogs(t, m.Code)
}

// TestEmailSignInExpired: five minutes on (the mock's clock moved), the
// code and the link are refused with a page that offers a new code, and
// no session is made; the new code works.
func TestEmailSignInExpired(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	email := "slow@startup.test"
	f, check := e.checkPage(t, b, email)
	old := mgLastMail(t, e.Env, email)
	mgAdvance(t, e.Env, "5m")

	late := e.post(t, b, check, url.Values{"code": {old.Code}})
	e.wantRefusal(t, "the code after five minutes", late, http.StatusBadRequest, "This code has expired: codes and links last 5 minutes. Send a new code.", "expired", 0)
	if strings.Contains(late.body, `name="code"`) || !strings.Contains(late.body, "Send a new code</button>") {
		t.Errorf("the expired page still asks for the code, or offers no new one: %.800s", late.body)
	}
	e.wantRefusal(t, "the link after five minutes", b.get(old.Link), http.StatusBadRequest, "This link has expired", "expired", 0)

	fresh := e.post(t, b, late, url.Values{"resend": {"1"}})
	if fresh.status != http.StatusOK || !strings.Contains(fresh.body, "We sent a new email") {
		t.Fatalf("send a new code: %d %.400s", fresh.status, fresh.body)
	}
	m := mgLastMail(t, e.Env, email)
	if n := len(mgMailbox(t, e.Env, email)); n != 2 || m.Link == old.Link {
		t.Fatalf("after sending a new code: %d emails, link replaced %v; want 2 and a new link", n, m.Link != old.Link)
	}
	if _, err := e.app.exchange(f, e.app.callback(f, e.post(t, b, fresh, url.Values{"code": {m.Code}}))); err != nil {
		t.Fatalf("the new code: %v", err)
	}
	e.noCodeInLogs(t, old.Code, m.Code)
}

// TestEmailSignInWrongCodes: each wrong code costs one of five attempts
// and says how many are left; the fifth burns the code, the link too, and
// the page asks for a new one; no session is made until a new code is
// entered.
func TestEmailSignInWrongCodes(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	email := "guesser@startup.test"
	f, p := e.checkPage(t, b, email)
	m := mgLastMail(t, e.Env, email)
	for left := 4; left > 0; left-- {
		p = e.post(t, b, p, url.Values{"code": {mgWrongCode(m.Code)}})
		e.wantRefusal(t, "a wrong code", p, http.StatusBadRequest, "That is not the code we sent. "+plural(left, "attempt")+" left.", "wrong code", 0)
	}
	p = e.post(t, b, p, url.Values{"code": {mgWrongCode(m.Code)}})
	e.wantRefusal(t, "the fifth wrong code", p, http.StatusBadRequest, "Too many wrong codes: this code no longer works. Send a new code.", "too many wrong codes", 0)
	if strings.Contains(p.body, `name="code"`) {
		t.Errorf("the page still asks for the burned code")
	}
	e.wantRefusal(t, "the right code after five wrong ones", e.post(t, b, p, url.Values{"code": {m.Code}}), http.StatusBadRequest, "Too many wrong codes", "", 0)
	e.wantRefusal(t, "the link after five wrong codes", b.get(m.Link), http.StatusBadRequest, "its link no longer works either", "", 0)
	if bad := e.post(t, b, p, url.Values{"code": {"12ab"}}); bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "Enter the 6-digit code") {
		t.Errorf("a code that is not six digits: %d %.300s", bad.status, bad.body)
	}

	p = e.post(t, b, p, url.Values{"resend": {"1"}})
	if _, err := e.app.exchange(f, e.app.callback(f, e.post(t, b, p, url.Values{"code": {mailedCode(t, e.URL, email)}}))); err != nil {
		t.Fatalf("a new code after the burned one: %v", err)
	}
	e.noCodeInLogs(t, m.Code)
}

// TestEmailSignInRateLimit: an address gets two emails a minute, sends
// and resends together and the management API's too: the third is
// refused with a page saying when to try again, sends nothing and makes
// no session; a minute later it goes through, and a resend replaces the
// code.
func TestEmailSignInRateLimit(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	email := "eager@startup.test"
	f, p := e.checkPage(t, b, email)
	first := mgLastMail(t, e.Env, email)
	p = e.post(t, b, p, url.Values{"resend": {"1"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "We sent a new email. The code and link before it no longer work.") {
		t.Fatalf("resend: %d %.400s", p.status, p.body)
	}
	second := mgLastMail(t, e.Env, email)

	third := e.post(t, b, p, url.Values{"resend": {"1"}})
	e.wantRefusal(t, "a third email within the minute", third, http.StatusTooManyRequests,
		"We already sent 2 emails to "+email+" in the last minute", "rate limited", 0)
	if !strings.Contains(third.body, "Wait 60 seconds") && !strings.Contains(third.body, "Wait 59 seconds") {
		t.Errorf("the rate-limit page does not say how long to wait: %.600s", third.body)
	}
	// Another sign-in with the same address, from the sign-in page.
	b2 := newBrowser(t)
	again := b2.pick(e.Env, b2.get(e.app.start().authURL), url.Values{"email": {email}})
	e.wantRefusal(t, "a new sign-in within the minute", again, http.StatusTooManyRequests, "We already sent 2 emails", "rate limited", 0)
	if !strings.Contains(again.body, `value="`+email+`"`) || !strings.Contains(again.body, `name="email"`) {
		t.Errorf("the refused sign-in page does not keep the address typed: %.600s", again.body)
	}
	// The management API counts against the same address.
	c := newMgAPI(t, e.Env)
	_, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email})
	mgWantErr(t, "SendPasswordlessEmail to an address the page emailed twice", err, connect.CodeResourceExhausted, "RESOURCE_EXHAUSTED", email)
	if n := len(mgMailbox(t, e.Env, email)); n != 2 {
		t.Errorf("refused emails were delivered: %d in the mailbox, want 2", n)
	}

	if first.Code != second.Code {
		e.wantRefusal(t, "the code from before the resend", e.post(t, b, third, url.Values{"code": {first.Code}}), http.StatusBadRequest, "That is not the code we sent", "wrong code", 0)
	}
	mgAdvance(t, e.Env, "61s")
	p = e.post(t, b, third, url.Values{"resend": {"1"}})
	if p.status != http.StatusOK || len(mgMailbox(t, e.Env, email)) != 3 {
		t.Fatalf("a resend a minute later: %d, %d emails", p.status, len(mgMailbox(t, e.Env, email)))
	}
	if _, err := e.app.exchange(f, e.app.callback(f, e.post(t, b, p, url.Values{"code": {mailedCode(t, e.URL, email)}}))); err != nil {
		t.Fatalf("the newest code: %v", err)
	}
}

// TestEmailSignInTestUser: an address holding +sktest gets the static
// code 424242, which signs in without reading the mailbox.
func TestEmailSignInTestUser(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	email := "qa+sktest@startup.test"
	f, p := e.checkPage(t, b, email)
	if !strings.Contains(p.body, "its code is always 424242") {
		t.Errorf("the page does not tell a test address its static code")
	}
	if _, err := e.app.exchange(f, e.app.callback(f, e.post(t, b, p, url.Values{"code": {"424242"}}))); err != nil {
		t.Fatalf("424242 for a +sktest address: %v", err)
	}
	if m := mgLastMail(t, e.Env, email); m.Code != "424242" {
		t.Errorf("the mailbox has code %q for a test address, want 424242", m.Code)
	}
}

// TestEmailSignInPageForms: the "check your email" page's handle does not
// answer the sign-in page's forms (it would skip the code); "use another
// email" goes back to the sign-in page with the address typed; in a
// scenario environment the page links that environment's mailbox.
func TestEmailSignInPageForms(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	b := newBrowser(t)
	_, p := e.checkPage(t, b, "skipper@startup.test")
	m := handleRE.FindStringSubmatch(p.body)
	skip := b.postForm(e.URL+"/oauth/login", url.Values{"handle": {m[1]}, "user": {ada}, "org": {acmeOrg}})
	e.wantRefusal(t, "the check page's handle on the sign-in form", skip, http.StatusBadRequest, "expired or was already used", "", 0)

	_, p = e.checkPage(t, b, "changer@startup.test")
	back := e.post(t, b, p, url.Values{"restart": {"1"}})
	if back.status != http.StatusOK || !strings.Contains(back.body, "Or sign in with an email") || !strings.Contains(back.body, `value="changer@startup.test"`) {
		t.Errorf("use another email: %d %.500s, want the sign-in page with the address", back.status, back.body)
	}

	scenario := e.URL + "/at.opaque"
	sb := newBrowser(t)
	v := url.Values{"response_type": {"code"}, "client_id": {app1ID}, "redirect_uri": {app1Redirect}, "state": {"s"}, "scope": {"openid"}}
	login := sb.get(scenario + "/oauth/authorize?" + v.Encode())
	lm := handleRE.FindStringSubmatch(login.body)
	if lm == nil {
		t.Fatalf("the scenario environment's sign-in page: %d %.300s", login.status, login.body)
	}
	sp := sb.postForm(scenario+"/oauth/login", url.Values{"handle": {lm[1]}, "email": {"scen@startup.test"}})
	link := `href="/__mock/mail?scenario=at.opaque&amp;to=scen%40startup.test"`
	if !strings.Contains(sp.body, link) {
		t.Fatalf("the scenario's \"check your email\" page lacks its mailbox link %s: %.600s", link, sp.body)
	}
	if status, _, _ := mailGet(t, e.Env, "/__mock/mail?to=scen@startup.test&last=1"); status != http.StatusNotFound {
		t.Errorf("the root mailbox has the scenario environment's email: %d", status)
	}
	if status, _, body := mailGet(t, e.Env, "/__mock/mail?scenario=at.opaque&to=scen@startup.test&last=1"); status != http.StatusOK || !strings.Contains(body, `"kind":"passwordless"`) {
		t.Errorf("the scenario's mailbox: %d %.200s", status, body)
	}
}

// plural writes "1 attempt", "4 attempts".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
