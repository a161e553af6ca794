package mockidp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/mailbox"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
	"github.com/skctl/skctl/internal/mockidp/store"
)

// The sign-in page's email path, as Scalekit's hosted page does
// passwordless: an email typed in gets a six-digit code, a magic link, or
// both, as the environment's passwordless type says (both unless the
// fixtures say otherwise), delivered to the environment's mailbox; the
// "check your email" page takes the code, and the link lands on
// /oauth/magic. Either completes the sign-in (the user of that email, or
// a new one signed up). Codes and
// links follow the passwordless rules (package passwordless): five
// minutes, once, five wrong codes, two emails a minute an address
// counted with the management API's.
//
// The authorization request waits behind the page's handle, server-side
// as every sign-in page's does; the code's request carries that handle as
// its state, so the magic link finds the sign-in it belongs to.

const (
	passwordlessPath = "/oauth/passwordless" // the "check your email" page's forms
	magicLinkPath    = "/oauth/magic"        // where a magic link lands
	// emailSignInWait is how long a sign-in waits for its email, counted
	// from the last one sent: past a code's five minutes, so that "send a
	// new code" still finds the sign-in.
	emailSignInWait = 30 * time.Minute
)

// checkEmailData fills checkemail.html.
type checkEmailData struct {
	Issuer, Title, AppName, Action, Handle, Email, Problem, Notice string
	MailboxURL, Life                                               string
	// Code and Link say what the emails carry, so that the page asks for
	// a code only when there is one; Noun is what "Send a new …" sends.
	Code, Link bool
	Noun       string
	// CanVerify: the code or link sent can still be used; false once it
	// is spent or expired, when the page offers a new one alone.
	CanVerify bool
	TestUser  bool
	TestCode  string
}

// signInType is what the sign-in page's emails carry: the environment's
// passwordless type, or a code and a link when the fixtures leave it to
// the mock (what the page sent before the setting existed).
func (s *Server) signInType() passwordless.Type {
	if t := s.opts.Fixtures.PasswordlessType(); t != "" {
		return t
	}
	return passwordless.LinkOTP
}

// newNoun is what the page offers to send again: a link when the emails
// carry no code, else a code.
func newNoun(t passwordless.Type) string {
	if !t.SendsCode() {
		return "link"
	}
	return "code"
}

// credentials names what an email of a type carries, for the page's
// sentences: "code and link", "code", "link".
func credentials(t passwordless.Type) string {
	switch t {
	case passwordless.OTP:
		return "code"
	case passwordless.Link:
		return "link"
	}
	return "code and link"
}

// sendSignInEmail emails a code and link for the sign-in p waits for and
// shows the "check your email" page, or the sign-in page again with the
// reason the email was not sent.
func (s *Server) sendSignInEmail(w http.ResponseWriter, p *store.PendingLogin, app *fixture.App, email string, now time.Time) {
	handle := ids.Token()
	sent, err := s.signinMail.Send(passwordless.Params{Email: email, State: handle, Type: s.signInType(), LinkBase: s.issuer + magicLinkPath},
		s.ids.New("pwl_"), now)
	if err != nil {
		ref := refusalOf(err)
		s.log.Info("sign-in email not sent", "reason", string(ref.Reason), "to", email)
		s.showLoginStatus(w, http.StatusTooManyRequests, p.Request, app, s.onlyUser(p), email, rateLimitProblem(ref))
		return
	}
	waiting := &store.PendingLogin{Request: p.Request, Only: p.Only, Email: email}
	s.emailSent(handle, waiting, sent, app, now)
	s.showCheckEmail(w, http.StatusOK, handle, waiting, app, "", "", true)
}

// emailSent delivers a sent code and link and keeps the sign-in waiting
// for them behind handle.
func (s *Server) emailSent(handle string, p *store.PendingLogin, sent passwordless.Request, app *fixture.App, now time.Time) {
	p.Passwordless, p.Expires = sent.ID, now.Add(emailSignInWait)
	s.store.AddPending(handle, p)
	subject := "Your code to sign in to " + appName(app) + " is " + sent.Code
	if sent.Code == "" {
		subject = "Your link to sign in to " + appName(app)
	}
	s.mail.Deliver(mailbox.Message{To: sent.Email, Kind: mailbox.Passwordless, Code: sent.Code, Link: sent.Link,
		Created: now, Expires: sent.Expires, Subject: subject, Request: sent.ID})
	s.log.Info("sign-in email sent", "to", sent.Email, "request", sent.ID)
}

// showCheckEmail renders the "check your email" page of a waiting sign-in.
func (s *Server) showCheckEmail(w http.ResponseWriter, status int, handle string, p *store.PendingLogin, app *fixture.App, problem, notice string, canVerify bool) {
	typ := s.signInType()
	renderPage(w, status, checkEmailPage, checkEmailData{
		Code: typ.SendsCode(), Link: typ.SendsLink(), Noun: newNoun(typ),
		Issuer: s.issuer, Title: "Check your email", AppName: appName(app), Action: s.issuer + passwordlessPath,
		Handle: handle, Email: p.Email, Problem: problem, Notice: notice,
		MailboxURL: s.mailboxURL(p.Email), Life: lifeText(passwordless.DefaultLife),
		CanVerify: canVerify, TestUser: passwordless.IsTestUser(p.Email), TestCode: passwordless.TestCode,
	})
}

// handlePasswordless handles POST /oauth/passwordless, the "check your
// email" page's forms: a code, "resend", or "use another email".
func (s *Server) handlePasswordless(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "The form could not be read.", "Go back to the app and sign in again.")
		return
	}
	now := s.now()
	handle := r.PostForm.Get("handle")
	p := s.store.TakePending(handle, now)
	if p == nil || p.Passwordless == "" {
		s.log.Info("email sign-in refused", "reason", "no sign-in waits behind this page")
		s.errorPage(w, http.StatusBadRequest, "", "This sign-in has expired or is already complete.", "Go back to the app and sign in again.")
		return
	}
	app := s.dir.Client(p.Request.ClientID)
	switch {
	case r.PostForm.Get("restart") != "":
		s.showLogin(w, p.Request, app, s.onlyUser(p), p.Email, "")
	case r.PostForm.Get("resend") != "":
		s.resendSignInEmail(w, handle, p, app, now)
	default:
		s.verifySignInCode(w, r, handle, p, app, strings.TrimSpace(r.PostForm.Get("code")), now)
	}
}

// verifySignInCode checks a code typed on the page: the right one signs
// in; a wrong one costs an attempt; a spent or expired one asks for a new
// email. The code itself is never logged.
func (s *Server) verifySignInCode(w http.ResponseWriter, r *http.Request, handle string, p *store.PendingLogin, app *fixture.App, code string, now time.Time) {
	if !s.signInType().SendsCode() {
		// The page has no code box then; a posted code is refused
		// before the store is asked, as the store would refuse it.
		s.log.Info("email sign-in refused", "reason", string(passwordless.NoCode), "via", "code", "request", p.Passwordless)
		s.store.AddPending(handle, p)
		s.showCheckEmail(w, http.StatusBadRequest, handle, p, app, "This email has no code: open the sign-in link in it.", "", true)
		return
	}
	if !isSixDigits(code) {
		s.store.AddPending(handle, p)
		s.showCheckEmail(w, http.StatusBadRequest, handle, p, app, "Enter the 6-digit code from the email.", "", true)
		return
	}
	if _, err := s.signinMail.VerifyCode(p.Passwordless, code, now); err != nil {
		ref := refusalOf(err)
		attrs := []any{"reason", string(ref.Reason), "via", "code", "request", p.Passwordless}
		if ref.Reason == passwordless.WrongCode {
			attrs = append(attrs, "attempts_left", ref.Left)
		}
		s.log.Info("email sign-in refused", attrs...)
		if ref.Reason == passwordless.Used {
			s.errorPage(w, http.StatusBadRequest, "", "This code was already used: each code works once.", "Go back to the app and sign in again.")
			return
		}
		s.store.AddPending(handle, p) // the sign-in still waits: a new code can be sent
		switch ref.Reason {
		case passwordless.WrongCode:
			s.showCheckEmail(w, http.StatusBadRequest, handle, p, app, fmt.Sprintf("That is not the code we sent. %s left.", plural(ref.Left, "attempt")), "", true)
		case passwordless.Spent:
			s.mail.Settle(p.Passwordless, mailbox.Spent, now)
			s.showCheckEmail(w, http.StatusBadRequest, handle, p, app, "Too many wrong codes: this code no longer works. Send a new code.", "", false)
		default: // expired, or forgotten since
			s.showCheckEmail(w, http.StatusBadRequest, handle, p, app, "This code has expired: "+lastFor(s.signInType())+". Send a new code.", "", false)
		}
		return
	}
	s.log.Info("email sign-in verified", "via", "code", "request", p.Passwordless)
	s.mail.Settle(p.Passwordless, mailbox.Used, now)
	s.completeEmailSignIn(w, r, p, now)
}

// resendSignInEmail sends the waiting sign-in a new code and link: a
// resend of its request while that works (the old code and link stop
// working), else a new request. It counts against the address's limit.
func (s *Server) resendSignInEmail(w http.ResponseWriter, handle string, p *store.PendingLogin, app *fixture.App, now time.Time) {
	sent, err := s.signinMail.Resend(p.Passwordless, now)
	var ref *passwordless.Refusal
	if errors.As(err, &ref) && ref.Reason != passwordless.RateLimited {
		// Spent, expired or forgotten: a new request for the same sign-in.
		sent, err = s.signinMail.Send(passwordless.Params{Email: p.Email, State: handle, Type: s.signInType(), LinkBase: s.issuer + magicLinkPath},
			s.ids.New("pwl_"), now)
	}
	if err != nil {
		ref := refusalOf(err)
		s.log.Info("sign-in email not sent", "reason", string(ref.Reason), "to", p.Email, "request", p.Passwordless)
		s.store.AddPending(handle, p)
		s.showCheckEmail(w, http.StatusTooManyRequests, handle, p, app, rateLimitProblem(ref), "", true)
		return
	}
	s.emailSent(handle, p, sent, app, now)
	before := "The " + credentials(s.signInType()) + " before it no longer work"
	if s.signInType() != passwordless.LinkOTP {
		before += "s"
	}
	s.showCheckEmail(w, http.StatusOK, handle, p, app, "", "We sent a new email. "+before+".", true)
}

// handleMagicLink handles GET /oauth/magic?link_token=…: a magic link of
// the sign-in page's email, which completes its sign-in once. A HEAD (a
// link preview, a prefetch) does not spend it.
func (s *Server) handleMagicLink(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return
	}
	now := s.now()
	sent, err := s.signinMail.VerifyLink(r.URL.Query().Get("link_token"), "", now)
	if err != nil {
		ref := refusalOf(err)
		s.log.Info("email sign-in refused", "reason", string(ref.Reason), "via", "link", "request", ref.Request.ID)
		switch ref.Reason {
		case passwordless.Expired, passwordless.Spent:
			// If its sign-in still waits for this email, offer a new one.
			handle := ref.Request.State
			if p := s.store.TakePending(handle, now); p != nil {
				s.store.AddPending(handle, p)
				if p.Passwordless == ref.Request.ID {
					why := "This link has expired: " + lastFor(s.signInType()) + ". Send a new " + newNoun(s.signInType()) + "."
					if ref.Reason == passwordless.Spent {
						why = "Too many wrong codes were entered for this email, so its link no longer works either. Send a new code."
					}
					s.showCheckEmail(w, http.StatusBadRequest, handle, p, s.dir.Client(p.Request.ClientID), why, "", false)
					return
				}
			}
			s.errorPage(w, http.StatusBadRequest, "", "This sign-in link has expired.", "Go back to the app and sign in again.")
		case passwordless.Used:
			s.errorPage(w, http.StatusBadRequest, "", "This sign-in link was already used: each link works once.", "Go back to the app and sign in again.")
		default:
			s.errorPage(w, http.StatusBadRequest, "", "This sign-in link is not one this environment sent, or a newer email replaced it.", "Open the newest email in the mailbox, or go back to the app and sign in again.")
		}
		return
	}
	s.mail.Settle(sent.ID, mailbox.Used, now) // the store spent it, whether a sign-in still waits or not
	p := s.store.TakePending(sent.State, now)
	if p == nil || p.Passwordless != sent.ID {
		s.log.Info("email sign-in refused", "reason", "no sign-in waits for this link", "via", "link", "request", sent.ID)
		s.errorPage(w, http.StatusBadRequest, "", "The sign-in this link was sent for has expired or is already complete.", "Go back to the app and sign in again.")
		return
	}
	s.log.Info("email sign-in verified", "via", "link", "request", sent.ID)
	s.completeEmailSignIn(w, r, p, now)
}

// refusalOf is the passwordless refusal of a non-nil err; the store
// returns no other error, but one would still be logged by its text.
func refusalOf(err error) *passwordless.Refusal {
	var ref *passwordless.Refusal
	if errors.As(err, &ref) {
		return ref
	}
	return &passwordless.Refusal{Reason: passwordless.Reason(err.Error())}
}

// rateLimitProblem says why an email was not sent and what to do.
func rateLimitProblem(ref *passwordless.Refusal) string {
	if ref.Reason == passwordless.RateLimited {
		return fmt.Sprintf("We already sent %d emails to %s in the last minute, the most an address gets. Wait %s and try again, or use the code already sent.",
			passwordless.EmailsPerWindow, ref.Email, plural(int(max(time.Second, ref.RetryAfter.Round(time.Second))/time.Second), "second"))
	}
	return "The mock holds too many sign-in emails waiting to be used. Wait a minute and try again."
}

func appName(app *fixture.App) string {
	if app == nil {
		return "the app"
	}
	if app.Name != "" {
		return app.Name
	}
	return app.ClientID
}

func isSixDigits(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// lastFor says how long the emails' credentials last: "codes and links
// last 5 minutes".
func lastFor(t passwordless.Type) string {
	what := "codes and links"
	switch t {
	case passwordless.OTP:
		what = "codes"
	case passwordless.Link:
		what = "links"
	}
	return what + " last " + lifeText(passwordless.DefaultLife)
}

// lifeText writes a life for a page: "5 minutes".
func lifeText(d time.Duration) string {
	if d%time.Minute == 0 {
		return plural(int(d/time.Minute), "minute")
	}
	return plural(int(d/time.Second), "second")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
