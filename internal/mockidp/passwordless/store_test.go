package passwordless

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"
)

var t0 = time.Unix(1_800_000_000, 0)

// wantRefusal checks that err is a Refusal for reason and returns it.
func wantRefusal(t *testing.T, what string, err error, reason Reason) *Refusal {
	t.Helper()
	var ref *Refusal
	if !errors.As(err, &ref) || ref.Reason != reason {
		t.Fatalf("%s: %v, want a refusal %q", what, err, reason)
	}
	return ref
}

func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// A code works once, within its life; a link likewise; each says why it
// is refused after.
func TestCodeAndLinkWorkOnceWithinTheirLife(t *testing.T) {
	s := NewStore(nil)
	r, err := s.Send(Params{Email: " Ada@Acme.test ", State: "st", LinkBase: "http://app.test/land?x=1"}, "pwl_1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Email != "ada@acme.test" || !sixDigits.MatchString(r.Code) || r.Life != DefaultLife || !r.Expires.Equal(t0.Add(DefaultLife)) {
		t.Fatalf("Send = %+v, want the address lower-cased, six digits, five minutes", r)
	}
	u, err := url.Parse(r.Link)
	if err != nil || u.Query().Get("x") != "1" || u.Query().Get("link_token") == "" {
		t.Fatalf("link %q, want the landing's query kept and a link_token added", r.Link)
	}
	v, err := s.VerifyCode("pwl_1", r.Code, t0.Add(time.Minute))
	if err != nil || v.State != "st" || v.Email != "ada@acme.test" {
		t.Fatalf("VerifyCode = %+v, %v", v, err)
	}
	_, err = s.VerifyCode("pwl_1", r.Code, t0.Add(time.Minute))
	wantRefusal(t, "the code again", err, Used)
	_, err = s.VerifyLink(u.Query().Get("link_token"), "", t0.Add(time.Minute))
	wantRefusal(t, "the link of a verified request", err, Used)

	r2, _ := s.Send(Params{Email: "bob@acme.test", LinkBase: "http://app.test/land"}, "pwl_2", t0)
	tok := mustToken(t, r2.Link)
	_, err = s.VerifyLink(tok, "pwl_1", t0)
	wantRefusal(t, "the link with another request's id", err, LinkUnknown)
	if _, err := s.VerifyLink(tok, "pwl_2", t0); err != nil {
		t.Fatalf("the link with its own request id: %v", err)
	}
	_, err = s.VerifyLink(tok, "", t0)
	wantRefusal(t, "the link again", err, Used)

	r3, _ := s.Send(Params{Email: "cy@acme.test", Life: time.Minute}, "pwl_3", t0)
	if r3.HasLink() {
		t.Errorf("a send without LinkBase has a link %q", r3.Link)
	}
	_, err = s.VerifyCode("pwl_3", r3.Code, t0.Add(time.Minute))
	ref := wantRefusal(t, "the code at its expiry", err, Expired)
	if ref.Request.Email != "cy@acme.test" {
		t.Errorf("the expired refusal carries %+v, want its request", ref.Request)
	}
	// Kept past a sweep, so that a late code is "expired", not "unknown".
	s.Send(Params{Email: "dee@acme.test"}, "pwl_4", t0.Add(2*time.Minute))
	_, err = s.VerifyCode("pwl_3", r3.Code, t0.Add(3*time.Minute))
	wantRefusal(t, "the code after a sweep", err, Expired)
	_, err = s.VerifyCode("pwl_9", "123456", t0)
	wantRefusal(t, "an unknown request", err, Unknown)
}

func mustToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("link_token") == "" {
		t.Fatalf("link %q has no link_token", link)
	}
	return u.Query().Get("link_token")
}

// Wrong codes count down; the last one spends the request, link and all.
func TestWrongCodesSpendTheRequest(t *testing.T) {
	s := NewStore(nil)
	r, _ := s.Send(Params{Email: "g@acme.test", LinkBase: "http://app.test/l"}, "pwl_1", t0)
	for left := MaxWrongCodes - 1; left > 0; left-- {
		_, err := s.VerifyCode("pwl_1", wrong(r.Code), t0)
		if ref := wantRefusal(t, "a wrong code", err, WrongCode); ref.Left != left {
			t.Fatalf("attempts left %d, want %d", ref.Left, left)
		}
	}
	_, err := s.VerifyCode("pwl_1", wrong(r.Code), t0)
	wantRefusal(t, "the last wrong code", err, Spent)
	_, err = s.VerifyCode("pwl_1", r.Code, t0)
	wantRefusal(t, "the right code after", err, Spent)
	_, err = s.VerifyLink(mustToken(t, r.Link), "", t0)
	wantRefusal(t, "the link after", err, Spent)
	_, err = s.Resend("pwl_1", t0)
	wantRefusal(t, "a resend of a spent request", err, Spent)
}

// A resend replaces the code and link and resets the attempts; it counts
// against the address's two emails a minute, which two stores sharing a
// limiter count together.
func TestResendAndTheSharedRateLimit(t *testing.T) {
	l := NewLimiter()
	api, page := NewStore(l), NewStore(l)
	r, _ := api.Send(Params{Email: "h@acme.test", LinkBase: "http://app.test/l"}, "pwl_1", t0)
	api.VerifyCode("pwl_1", wrong(r.Code), t0)
	r2, err := api.Resend("pwl_1", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if r2.Link == r.Link {
		t.Error("the resend kept the link")
	}
	_, err = api.VerifyLink(mustToken(t, r.Link), "", t0)
	wantRefusal(t, "the link from before the resend", err, LinkUnknown)

	_, err = page.Send(Params{Email: "H@acme.test"}, "pwl_2", t0.Add(2*time.Second))
	ref := wantRefusal(t, "a third email within the minute, from the other store", err, RateLimited)
	if want := Window - 2*time.Second; ref.RetryAfter != want {
		t.Errorf("retry after %s, want %s (the first email leaves the window then)", ref.RetryAfter, want)
	}
	if _, err := page.Send(Params{Email: "other@acme.test"}, "pwl_3", t0); err != nil {
		t.Errorf("another address: %v", err)
	}
	if _, err := page.Send(Params{Email: "h@acme.test"}, "pwl_4", t0.Add(Window)); err != nil {
		t.Errorf("a minute after the first email: %v", err)
	}
	// One wrong code before the resend; after it the count starts again.
	_, err = api.VerifyCode("pwl_1", wrong(r2.Code), t0)
	if ref := wantRefusal(t, "a wrong code after the resend", err, WrongCode); ref.Left != MaxWrongCodes-1 {
		t.Errorf("attempts left after the resend and one wrong code: %d, want %d", ref.Left, MaxWrongCodes-1)
	}
}

// Test users (+sktest) get the static code; others never are told it.
func TestTestUsersGetTheStaticCode(t *testing.T) {
	s := NewStore(nil)
	for i, email := range []string{"qa+sktest@acme.test", "QA+SKTEST1@acme.test"} {
		r, err := s.Send(Params{Email: email}, fmt.Sprint("pwl_t", i), t0)
		if err != nil || r.Code != TestCode {
			t.Errorf("%s: code %q, %v; want %s", email, r.Code, err, TestCode)
		}
	}
	if IsTestUser("qa@sktest.test") || IsTestUser("qa@acme+sktest.test") {
		t.Error("a domain with sktest makes a test user; the marker belongs in the local part")
	}
}

// Requests are bounded: past the bound the ones that can no longer be
// verified go first, and a send is refused only while every kept one is
// live; the mock never grows without end for a client that sends to ever
// new addresses.
func TestRequestsAreBounded(t *testing.T) {
	s := NewStore(nil)
	send := func(i int, at time.Time) error {
		_, err := s.Send(Params{Email: fmt.Sprintf("u%d@bound.test", i), Life: time.Minute}, fmt.Sprintf("pwl_%d", i), at)
		return err
	}
	for i := range maxRequests {
		if err := send(i, t0); err != nil {
			t.Fatalf("send %d of %d: %v", i+1, maxRequests, err)
		}
	}
	wantRefusal(t, "a send past the bound", send(maxRequests, t0), Full)
	if n := s.Len(); n != maxRequests {
		t.Errorf("%d requests kept, want the bound %d", n, maxRequests)
	}
	if err := send(maxRequests+1, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("a send after the requests expired: %v", err)
	}
	if n := s.Len(); n != 1 {
		t.Errorf("after the expired ones were dropped: %d requests kept, want the new one alone", n)
	}
}

// The limiter forgets quiet addresses, and stops remembering new ones
// past its bound.
func TestLimiterIsBounded(t *testing.T) {
	l := NewLimiter()
	for i := range maxAddresses {
		if _, ok := l.take(fmt.Sprintf("a%d@x.test", i), t0); !ok {
			t.Fatalf("address %d refused", i)
		}
	}
	if _, ok := l.take("one-more@x.test", t0); ok {
		t.Error("an address past the bound was counted")
	}
	if _, ok := l.take("a1@x.test", t0); !ok {
		t.Error("a second email to a known address was refused by the bound")
	}
	if _, ok := l.take("one-more@x.test", t0.Add(Window)); !ok || len(l.sent) != 1 {
		t.Errorf("a minute later: allowed %v, %d addresses kept; want the new one alone", ok, len(l.sent))
	}
}

// The type decides what an email carries: OTP a code alone even when
// the sender has a landing page; LINK a link alone, whose request takes
// no code (refused without costing an attempt, so the link still works);
// a resend of a LINK request is a new link, still without a code.
func TestTypeDecidesCodeAndLink(t *testing.T) {
	s := NewStore(nil)
	otp, err := s.Send(Params{Email: "o@acme.test", Type: OTP, LinkBase: "http://app.test/land"}, "pwl_o", t0)
	if err != nil || otp.Type != OTP || !sixDigits.MatchString(otp.Code) || otp.Link != "" {
		t.Fatalf("Send OTP with a landing = %+v, %v; want a code and no link", otp, err)
	}

	link, err := s.Send(Params{Email: "l@acme.test", Type: Link, LinkBase: "http://app.test/land"}, "pwl_l", t0)
	if err != nil || link.Type != Link || link.Code != "" || link.Link == "" {
		t.Fatalf("Send LINK = %+v, %v; want a link and no code", link, err)
	}
	for i := 0; i < MaxWrongCodes+1; i++ {
		_, err = s.VerifyCode("pwl_l", "000000", t0)
		wantRefusal(t, "a code for a LINK request", err, NoCode)
	}
	_, err = s.VerifyCode("pwl_l", "", t0)
	wantRefusal(t, "an empty code for a LINK request", err, NoCode)
	again, err := s.Resend("pwl_l", t0.Add(time.Second))
	if err != nil || again.Code != "" || again.Link == "" || again.Link == link.Link {
		t.Fatalf("Resend LINK = %+v, %v; want a new link and no code", again, err)
	}
	if v, err := s.VerifyLink(mustToken(t, again.Link), "pwl_l", t0.Add(time.Second)); err != nil || v.Type != Link {
		t.Fatalf("the LINK request's link after codes were tried: %+v, %v; want it verified (codes cost no attempt)", v, err)
	}

	both, err := s.Send(Params{Email: "b@acme.test", Type: LinkOTP, LinkBase: "http://app.test/land"}, "pwl_b", t0)
	if err != nil || both.Type != LinkOTP || both.Code == "" || both.Link == "" {
		t.Fatalf("Send LINK_OTP = %+v, %v; want a code and a link", both, err)
	}
	for p, want := range map[Params]Type{{Email: "d1@acme.test"}: OTP, {Email: "d2@acme.test", LinkBase: "http://app.test/land"}: LinkOTP} {
		if r, err := s.Send(p, "pwl_"+p.Email, t0); err != nil || r.Type != want {
			t.Errorf("Send with no type, landing %q: type %q, %v; want %s", p.LinkBase, r.Type, err, want)
		}
	}
}
