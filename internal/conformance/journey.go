package conformance

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxHops bounds the redirects the runner follows on one side (the app's
// or the mock's) before it calls the journey broken: a loop.
const maxHops = 10

// Outcome is what a sign-in came to, as the runner saw it.
type Outcome string

// The outcomes.
const (
	// SignedIn: the protected path answered as it does for a signed-in
	// user.
	SignedIn Outcome = "signed in"
	// Refused: no session; the app answered, never with a 5xx, and the
	// protected path did not show its content.
	Refused Outcome = "refused"
	// Broken: a 5xx, no answer within the timeout, a redirect loop, or a
	// login that never reached the mock.
	Broken Outcome = "broken"
)

// journey is one sign-in as the runner walked it.
type journey struct {
	authorize *url.URL // the app's authorization request (nil: none reached the mock)
	callback  *url.URL // where the mock sent the browser back (nil: never)
	landed    page     // the app's last answer after the callback
	protected page     // the protected path's answer
	outcome   Outcome
	why       string // what made it broken, or refused, in words
}

// signInOptions vary a journey.
type signInOptions struct {
	query           url.Values // added to the login path's query
	stopAtAuthorize bool       // stop at the app's redirect to the mock
	toCallback      bool       // stop at the mock's redirect to the callback
}

// userButton finds the mock's sign-in page's user buttons: the form's
// handle, the organization and the user, with the user's label and email.
var userButton = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">\s*<input type="hidden" name="handle" value="([^"]+)">\s*<input type="hidden" name="org" value="([^"]*)">\s*<button class="user" type="submit" name="user" value="([^"]+)">(.*?)</button>`)

// signIn walks a sign-in in b: the app's login path, its redirects to the
// mock's authorize endpoint, the mock's page (a user picked), the
// callback, the app's redirects after it, then the protected path.
func (r *run) signIn(ctx context.Context, b *browser, o signInOptions) *journey {
	j := &journey{}
	login := r.app(r.opts.LoginPath)
	if len(o.query) > 0 {
		login += "?" + o.query.Encode()
	}
	p := b.navigate(ctx, login, r.app("/"))
	// The app's side: its own redirects, until one leaves for the mock.
	for hops := 0; ; hops++ {
		if why := r.appBroken(p); why != "" {
			return j.broken("the login path: " + why)
		}
		switch {
		case p.location == nil:
			return j.broken(fmt.Sprintf("the login path answered %d without sending the browser to the mock's /oauth/authorize", p.status))
		case r.onMock(p.location) && p.location.Path == "/oauth/authorize":
		case r.onApp(p.location) && hops < maxHops:
			p = b.follow(ctx, p)
			continue
		default:
			return j.broken("the login path redirected to " + redactURL(p.location) + ", not to the mock's /oauth/authorize")
		}
		break
	}
	j.authorize = p.location
	if o.stopAtAuthorize {
		return j
	}
	// The mock's side: its page, a user picked, until it sends the
	// browser back to the app.
	p = b.follow(ctx, p)
	for hops := 0; ; hops++ {
		if p.err != nil || p.status >= 500 {
			return j.broken("the mock did not answer the authorization request: " + statusOrErr(p))
		}
		if p.location == nil {
			if p.status != 200 {
				return j.broken(fmt.Sprintf("the mock refused the app's authorization request (%d): %s", p.status, pageProblem(p.body)))
			}
			form, action, ok := r.pickUser(p.body)
			if !ok || hops >= maxHops {
				return j.broken("the mock's sign-in page lists no user to sign in as" + r.userHint())
			}
			p = b.submit(ctx, resolve(p.url, action), p.url.String(), form)
			continue
		}
		if r.onMock(p.location) && hops < maxHops {
			p = b.follow(ctx, p)
			continue
		}
		break
	}
	j.callback = p.location
	if o.toCallback {
		return j
	}
	r.finish(ctx, b, j, b.follow(ctx, p))
	return j
}

// finish follows the app's redirects from p (the callback's answer),
// then asks the protected path and decides the journey's outcome.
func (r *run) finish(ctx context.Context, b *browser, j *journey, p page) {
	for hops := 0; p.location != nil && r.onApp(p.location) && hops < maxHops; hops++ {
		if why := r.appBroken(p); why != "" {
			break
		}
		p = b.follow(ctx, p)
	}
	j.landed = p
	if why := r.appBroken(p); why != "" {
		j.broken("after the callback: " + why)
		return
	}
	if p.location != nil && r.onApp(p.location) {
		j.broken(fmt.Sprintf("after the callback: more than %d redirects on the app", maxHops))
		return
	}
	j.protected = r.askProtected(ctx, b)
	j.outcome, j.why = r.judge(j.protected)
	if j.outcome == Refused {
		j.why = landing(p) + "; " + j.why
	}
}

// landing says where the app's redirects after the callback ended:
// "after the callback the app answered 400 (Sign-in failed)".
func landing(p page) string {
	if p.location != nil {
		return fmt.Sprintf("after the callback the app redirected (%d) to %s", p.status, shortURL(p.location))
	}
	s := fmt.Sprintf("after the callback the app answered %d", p.status)
	if m := titleTag.FindStringSubmatch(p.body); m != nil && strings.TrimSpace(m[1]) != "" {
		s += " (" + clip(html.UnescapeString(m[1]), 80) + ")"
	}
	return s
}

// askProtected asks the protected path as a link on the app's pages.
func (r *run) askProtected(ctx context.Context, b *browser) page {
	return b.navigate(ctx, r.app(r.opts.ProtectedPath), r.app("/"))
}

// judge decides what the protected path's answer shows.
func (r *run) judge(p page) (Outcome, string) {
	if why := r.appBroken(p); why != "" {
		return Broken, "the protected path: " + why
	}
	if r.signedIn(p) {
		return SignedIn, ""
	}
	if p.location != nil {
		return Refused, fmt.Sprintf("the protected path redirected (%d) to %s", p.status, shortURL(p.location))
	}
	return Refused, fmt.Sprintf("the protected path answered %d", p.status)
}

// signedIn reports whether an answer of the protected path is a signed-in
// one: the status, no redirect, and the text when one was given.
func (r *run) signedIn(p page) bool {
	return p.err == nil && p.status == r.opts.SignedInStatus && p.location == nil &&
		(r.opts.SignedInText == "" || strings.Contains(p.body, r.opts.SignedInText))
}

// appBroken says why an answer of the app counts as broken: no answer in
// time, or a 5xx. "" when it does not.
func (r *run) appBroken(p page) string {
	if p.err != nil || p.status >= 500 {
		return p.method + " " + pathOf(p.url) + ": " + statusOrErr(p)
	}
	return ""
}

func (j *journey) broken(why string) *journey {
	j.outcome, j.why = Broken, why
	return j
}

// pickUser returns the form that signs in the chosen user from the mock's
// sign-in page.
func (r *run) pickUser(body string) (url.Values, string, bool) {
	for _, m := range userButton.FindAllStringSubmatch(body, -1) {
		if r.opts.User != "" && !strings.Contains(strings.ToLower(m[5]), strings.ToLower(r.opts.User)) {
			continue
		}
		return url.Values{"handle": {html.UnescapeString(m[2])}, "org": {html.UnescapeString(m[3])}, "user": {html.UnescapeString(m[4])}}, html.UnescapeString(m[1]), true
	}
	return nil, "", false
}

func (r *run) userHint() string {
	if r.opts.User != "" {
		return " (--user " + r.opts.User + " is not among them)"
	}
	return ""
}

func (r *run) app(path string) string { return r.opts.AppURL + path }

func (r *run) onApp(u *url.URL) bool  { return sameOrigin(u, r.opts.AppURL) }
func (r *run) onMock(u *url.URL) bool { return sameOrigin(u, r.opts.IdPURL) }

func sameOrigin(u *url.URL, origin string) bool {
	o, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Scheme, o.Scheme) && strings.EqualFold(u.Host, o.Host)
}

func resolve(base *url.URL, ref string) string {
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

func pathOf(u *url.URL) string {
	if u == nil {
		return "?"
	}
	return u.Path
}

func statusOrErr(p page) string {
	if p.err != nil {
		return describeErr(p.err)
	}
	return fmt.Sprintf("answered %d", p.status)
}

// pageProblem is what an error page says, to quote: the mock's error
// pages put the reason in <p class="error">, then a description.
func pageProblem(body string) string {
	if m := errorPara.FindStringSubmatch(body); m != nil {
		return clip(html.UnescapeString(tags.ReplaceAllString(m[1], "")), 300)
	}
	if m := titleTag.FindStringSubmatch(body); m != nil {
		return clip(html.UnescapeString(m[1]), 200)
	}
	return "no reason given"
}

var (
	errorPara = regexp.MustCompile(`(?s)<p class="error"[^>]*>(.*?)</p>`)
	titleTag  = regexp.MustCompile(`<title>([^<]*)</title>`)
	tags      = regexp.MustCompile(`<[^>]*>`)
)

// clip shortens s to n bytes at most, on a rune boundary, with its
// control characters made spaces: a page's text quoted in a report must
// not start a line of its own (a CI runner reads "::error" at a line's
// start as a command) nor reach a terminal as an escape sequence.
func clip(s string, n int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
