package checkconfig

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
)

// Options configure a run.
type Options struct {
	Settings Settings
	// Offline runs only the checks that need no network.
	Offline bool
	// Client makes every request; it must not follow redirects, and
	// should have a timeout and response caps (oidcx.NewHTTPClient).
	Client *http.Client
	Now    func() time.Time
	// Leeway is the clock skew the app tolerates (serve: 90 s).
	Leeway time.Duration
}

// The checks that need the network, in the order they run.
var remoteChecks = []string{
	"discovery.fetch", "discovery.issuer", "discovery.endpoints", "discovery.pkce", "discovery.signing_alg",
	"keys.jwks", "credentials.client_credentials", "redirect.registered", "redirect.post_logout", "clock.skew",
}

// Run runs every check it can.
func Run(ctx context.Context, o Options) *Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Report{EnvironmentURL: o.Settings[config.EnvEnvironmentURL]}
	envURL := checkSettings(r, o.Settings)
	switch {
	case o.Offline:
		skipRest(r, "skipped: --offline")
		return r
	case envURL == nil:
		skipRest(r, "skipped: "+config.EnvEnvironmentURL+" is unusable")
		return r
	}
	// A trailing slash was already flagged; the rest is checked as the
	// IdP would see the URL without it.
	env := strings.TrimRight(o.Settings[config.EnvEnvironmentURL], "/")
	c := &checker{r: r, o: o, env: env}
	c.run(ctx)
	return r
}

func skipRest(r *Report, why string) {
	for _, id := range remoteChecks {
		if _, done := r.status(id); !done {
			r.skip(id, why)
		}
	}
}
