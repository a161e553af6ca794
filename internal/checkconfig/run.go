package checkconfig

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/oidcx"
)

// Settings are the raw values check-config judges, by variable name; an
// unset setting is absent.
type Settings map[string]string

// Options configure a run.
type Options struct {
	Settings Settings
	// Strays are the variables of skctl's namespaces that are not settings
	// (config.Strays): probably misspelt ones.
	Strays []config.Stray
	// Offline runs only the checks that need no network.
	Offline bool
	// Client makes every request; it must not follow redirects, and
	// should have a timeout and response caps (oidcx.NewHTTPClient).
	Client *http.Client
	Now    func() time.Time
	// Leeway is the clock skew the app tolerates (serve: 90 s).
	Leeway time.Duration
}

// state is what the checks of one run share: the options, and what the
// earlier checks learnt.
type state struct {
	o Options
	// env is the environment URL without a trailing slash, the base the
	// well-known paths are joined to (as go-oidc joins them), or "" when
	// it is unusable. The issuer is compared with the setting as set.
	env string
	doc oidcx.Metadata // the same fields serve reads
	// date is the IdP's Date header on the discovery response.
	date time.Time
	// mock is set when the environment is skctl mock-idp (isMockIDP):
	// hints then say what to change in the mock, which has no dashboard.
	mock bool
}

// Run runs the declared checks in order, skipping those whose needs are
// unmet.
func Run(ctx context.Context, o Options) *Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	st := &state{o: o, env: usableEnvironment(o.Settings[config.EnvEnvironmentURL])}
	done := map[CheckID]result{}
	var ran []CheckID
	for _, c := range checks() {
		if !c.applies(o) {
			continue
		}
		var res result
		if why := st.unmet(c, done); why != "" {
			res = skip(why)
		} else {
			res = c.run(st, ctx)
		}
		done[c.id] = res
		ran = append(ran, c.id)
	}
	// Only discovery tells whether the environment is the mock, and the
	// settings checks report before it: every hint is chosen at the end.
	r := &Report{EnvironmentURL: o.Settings[config.EnvEnvironmentURL], MockIDP: st.mock}
	for _, id := range ran {
		res := done[id]
		if st.mock && res.mockHint != "" {
			res.hint = res.mockHint
		}
		r.add(id, res)
	}
	return r
}

// unmet returns why c cannot run, or "" when it can.
func (st *state) unmet(c check, done map[CheckID]result) string {
	if c.network {
		switch {
		case st.o.Offline:
			return "--offline"
		case st.env == "":
			return config.EnvEnvironmentURL + " is unusable"
		}
	}
	for _, id := range c.needs {
		switch got := done[id]; got.status {
		case Skipped:
			return got.why // the needed check's own reason
		case Fail:
			return blocksOf(id)
		}
	}
	for _, env := range c.needsSet {
		if st.o.Settings[env] == "" {
			return env + " is not set"
		}
	}
	return ""
}

// blocksOf is why checks that need check id skip when it fails.
func blocksOf(id CheckID) string {
	for _, c := range checks() {
		if c.id == id && c.blocks != "" {
			return c.blocks
		}
	}
	return string(id) + " failed"
}

// usableEnvironment returns the base URL the network checks join paths
// to, or "" when they cannot run: the environment URL without its
// trailing slash, so that an issuer that ends in one (allowed: it is the
// provider's to name) still finds {issuer}/.well-known/openid-configuration
// as OpenID Connect Discovery §4 builds it.
func usableEnvironment(raw string) string {
	if config.ValidateEnvironmentURL(raw) != nil {
		return ""
	}
	return strings.TrimSuffix(raw, "/")
}
