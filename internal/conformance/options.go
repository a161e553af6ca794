package conformance

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Options say where the app and the mock are and how the app shows a
// signed-in user. Zero values take the defaults of Defaults.
type Options struct {
	IdPURL   string // the running mock's root environment
	ClientID string // "": the mock's first web app
	AppURL   string // the app's origin, e.g. http://localhost:3000

	LoginPath     string // where a sign-in starts
	ProtectedPath string // a page only a signed-in user sees
	LogoutPath    string // where a sign-out starts
	// SignedInStatus is the status of the protected path for a signed-in
	// user, answered without a redirect.
	SignedInStatus int
	// SignedInText, when set, must be in that answer too.
	SignedInText string
	// ReturnToParam is the login's query parameter naming where to land
	// after sign-in, tried with open-redirect vectors.
	ReturnToParam string
	// User is the email of the mock's user to sign in as; "": the first
	// user the mock's sign-in page lists.
	User string

	Only, Skip []string      // test IDs or group names
	Timeout    time.Duration // per test

	Log *slog.Logger // progress, one line per test; nil: none
	// UserAgent is sent with every request.
	UserAgent string
}

// Defaults returns the options a run takes where Options leaves a zero:
// the paths of Scalekit's guides, for the flags' help too.
func Defaults() Options {
	return Options{
		LoginPath:      "/api/auth/login",
		ProtectedPath:  "/dashboard",
		LogoutPath:     "/api/auth/logout",
		SignedInStatus: 200,
		ReturnToParam:  "return_to",
		Timeout:        10 * time.Second,
		UserAgent:      "skctl-conformance",
	}
}

// ErrUsage marks an error in the options: the command exits 2.
var ErrUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// withDefaults fills the zero options and checks the rest.
func (o Options) withDefaults() (Options, error) {
	defaults := Defaults()
	fill := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	fill(&o.LoginPath, defaults.LoginPath)
	fill(&o.ProtectedPath, defaults.ProtectedPath)
	fill(&o.LogoutPath, defaults.LogoutPath)
	fill(&o.ReturnToParam, defaults.ReturnToParam)
	fill(&o.UserAgent, defaults.UserAgent)
	if o.SignedInStatus == 0 {
		o.SignedInStatus = defaults.SignedInStatus
	}
	if o.Timeout == 0 {
		o.Timeout = defaults.Timeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	for name, v := range map[string]*string{"--idp-url": &o.IdPURL, "--app-url": &o.AppURL} {
		if *v == "" {
			return o, usagef("%s is required", name)
		}
		u, err := url.Parse(*v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, usagef("%s %q: give an http or https URL with a host, such as %s", name, *v, map[string]string{"--idp-url": "http://127.0.0.1:4400", "--app-url": "http://localhost:3000"}[name])
		}
		if u.User != nil {
			return o, usagef("%s: put no user name or password in the URL: the report would show them", name)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return o, usagef("%s %q: give the origin only (scheme, host and port), no path", name, *v)
		}
		*v = strings.TrimSuffix(u.String(), "/")
	}
	for name, p := range map[string]string{"--login-path": o.LoginPath, "--protected-path": o.ProtectedPath, "--logout-path": o.LogoutPath} {
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
			return o, usagef("%s %q: give a path on the app, starting with one /", name, p)
		}
	}
	if o.SignedInStatus < 200 || o.SignedInStatus > 299 {
		return o, usagef("--signed-in-status %d: a signed-in page answers a 2xx status", o.SignedInStatus)
	}
	if o.Timeout < 0 {
		return o, usagef("--timeout %s: give a positive duration such as 10s", o.Timeout)
	}
	return o, nil
}
