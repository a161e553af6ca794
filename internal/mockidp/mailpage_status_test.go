package mockidp_test

import (
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"

	passwordlesspb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// mailArticles are the mailbox page's messages to an address, newest
// first, each its <article> element.
func mailArticles(t *testing.T, e *emailEnv, to string) []string {
	t.Helper()
	_, _, body := mailGet(t, e.Env, "/__mock/mail?format=html&to="+url.QueryEscape(to))
	var out []string
	for _, part := range strings.Split(body, "<article ")[1:] {
		a, _, _ := strings.Cut(part, "</article>")
		if strings.Contains(a, ">"+to+"</a>") {
			out = append(out, a)
		}
	}
	return out
}

// wantArticle checks a message's class and what the page says of its
// code and link.
func wantArticle(t *testing.T, what, article, class, says string) {
	t.Helper()
	if !strings.HasPrefix(article, `class="`+class+`"`) || !strings.Contains(article, says) {
		t.Errorf("%s: the mailbox shows %.500s\nwant class %q saying %q", what, article, class, says)
	}
	if class != "msg" && strings.Contains(article, "expires in") {
		t.Errorf("%s: the mailbox still says the code expires later, as if it worked: %.500s", what, article)
	}
}

// TestMailboxPageMarksSettledEmails: the mailbox page tells a code or
// link that no longer works from one that does: verified (through the
// API, the sign-in page's code or its magic link), replaced by a resend,
// or spent by wrong codes, rather than "expires in 5 min"; a live one
// still says when it expires.
func TestMailboxPageMarksSettledEmails(t *testing.T) {
	t.Parallel()
	e := startEmailEnv(t)
	c := newMgAPI(t, e.Env)
	send := func(email string) string {
		t.Helper()
		r, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email})
		if err != nil {
			t.Fatalf("SendPasswordlessEmail to %s: %v%s", email, err, mgDescribe(err))
		}
		return r.GetAuthRequestId()
	}

	used := "used.by.api@initech.test"
	id := send(used)
	if _, err := mgVerifyCode(t, c, id, mgCodeOf(t, c, used)); err != nil {
		t.Fatalf("VerifyPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	live := "still.live@initech.test"
	send(live)

	resent := "resent@initech.test"
	id = send(resent)
	rr, err := c.pwl.ResendPasswordlessEmail(mgCtx(t), connect.NewRequest(&passwordlesspb.ResendPasswordlessRequest{AuthRequestId: id}))
	mgMust(t, "ResendPasswordlessEmail", rr, err)

	spent := "guesser@initech.test"
	id = send(spent)
	code := mgCodeOf(t, c, spent)
	for range 5 {
		mgVerifyCode(t, c, id, mgWrongCode(code))
	}

	// The sign-in page's email, by code and by magic link.
	byCode, byLink := "page.code@startup.test", "page.link@startup.test"
	b := newBrowser(t)
	f, check := e.checkPage(t, b, byCode)
	if _, err := e.app.exchange(f, e.app.callback(f, e.post(t, b, check, url.Values{"code": {mailedCode(t, e.URL, byCode)}}))); err != nil {
		t.Fatalf("sign-in by code: %v", err)
	}
	b = newBrowser(t)
	f, _ = e.checkPage(t, b, byLink)
	if _, err := e.app.exchange(f, e.app.callback(f, b.get(mgLastMail(t, e.Env, byLink).Link))); err != nil {
		t.Fatalf("sign-in by magic link: %v", err)
	}

	for _, tc := range []struct{ what, to, class, says string }{
		{"a code verified through the API", used, "msg used settled", "used just now: it works once"},
		{"a code not used yet", live, "msg", "expires in 5 min"},
		{"a code spent by five wrong codes", spent, "msg spent settled", "no longer works: too many wrong codes"},
		{"a code typed on the sign-in page", byCode, "msg used settled", "used just now"},
		{"a magic link opened from the sign-in page's email", byLink, "msg used settled", "used just now"},
	} {
		arts := mailArticles(t, e, tc.to)
		if len(arts) != 1 {
			t.Errorf("%s: %d emails to %s on the page, want 1", tc.what, len(arts), tc.to)
			continue
		}
		wantArticle(t, tc.what, arts[0], tc.class, tc.says)
	}
	arts := mailArticles(t, e, resent)
	if len(arts) != 2 {
		t.Fatalf("%d emails to %s on the page, want the send and the resend", len(arts), resent)
	}
	wantArticle(t, "the resend", arts[0], "msg", "expires in 5 min")
	wantArticle(t, "the email a resend replaced", arts[1], "msg replaced settled", "no longer works: a newer email replaced it")

	// Minutes on, a used code says how long ago it was used, not that
	// it expired: that is not why it no longer works.
	mgAdvance(t, e.Env, "6m")
	wantArticle(t, "a used code six minutes on", mailArticles(t, e, used)[0], "msg used settled", "used 6 min ago")
	wantArticle(t, "an unused code six minutes on", mailArticles(t, e, live)[0], "msg expired settled", "expired 1 min ago")
}
