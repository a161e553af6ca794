package checkconfig

import (
	"context"

	"github.com/skctl/skctl/internal/config"
)

// CheckID names a check. IDs are stable across versions: CI
// configurations look for them.
type CheckID string

// The checks, in the order they run.
const (
	SettingsEnvironmentURL CheckID = "settings.environment_url"
	SettingsClientID       CheckID = "settings.client_id"
	SettingsClientSecret   CheckID = "settings.client_secret"
	SettingsRedirectURI    CheckID = "settings.redirect_uri"
	SettingsPostLogoutURI  CheckID = "settings.post_logout_redirect_uri"
	SettingsCookieSecret   CheckID = "settings.cookie_secret"
	SettingsAddr           CheckID = "settings.addr"
	SettingsUserinfo       CheckID = "settings.userinfo"
	SettingsTokenAuth      CheckID = "settings.token_auth_method"
	SettingsMetricsAddr    CheckID = "settings.metrics_addr"
	SettingsRedisURL       CheckID = "settings.redis_url"
	SettingsUnknown        CheckID = "settings.unknown_variables"

	DiscoveryFetch      CheckID = "discovery.fetch"
	DiscoveryIssuer     CheckID = "discovery.issuer"
	DiscoveryEndpoints  CheckID = "discovery.endpoints"
	DiscoveryPKCE       CheckID = "discovery.pkce"
	DiscoverySigningAlg CheckID = "discovery.signing_alg"
	KeysJWKS            CheckID = "keys.jwks"
	Credentials         CheckID = "credentials.client_credentials"
	RedirectRegistered  CheckID = "redirect.registered"
	RedirectPostLogout  CheckID = "redirect.post_logout"
	ClockSkew           CheckID = "clock.skew"
)

// check is one entry of the declared list: what it needs and what it
// does. The runner (Run) does every skip; a check's run function only
// judges.
type check struct {
	id CheckID
	// setting, for a settings check, is the variable it judges. The check
	// is left out of the report when the variable is unset, unless
	// always (then the default is judged: the default redirect URI is the
	// one that must be registered).
	setting string
	always  bool
	// strays is the check of the variables that are not settings
	// (Options.Strays): left out of the report when there are none.
	strays bool
	// network checks need the environment: skipped with --offline or an
	// unusable SCALEKIT_ENVIRONMENT_URL.
	network bool
	// needs are earlier checks that must have passed (or warned).
	needs []CheckID
	// needsSet are settings that must be set and non-empty.
	needsSet []string
	// blocks says, for the checks that need this one, why they are
	// skipped when it fails.
	blocks string
	run    func(*state, context.Context) result
}

// noDiscovery is why the checks that read the discovery document skip
// when it could not be fetched.
const noDiscovery = "no discovery document"

// checks returns the declared list, in the order the checks run and
// report. A check may only need checks declared before it
// (TestChecksDeclared).
func checks() []check {
	return []check{
		settingCheck(SettingsEnvironmentURL, config.EnvEnvironmentURL, true, adviseEnvironmentURL, nil),
		settingCheck(SettingsClientID, config.EnvClientID, true, adviseClientID, mockClientIDHint),
		settingCheck(SettingsClientSecret, config.EnvClientSecret, true, adviseClientSecret, mockClientSecretHint),
		settingCheck(SettingsRedirectURI, config.EnvRedirectURI, true, nil, mockRedirectURIHint),
		settingCheck(SettingsPostLogoutURI, config.EnvPostLogoutURI, false, nil, nil),
		settingCheck(SettingsCookieSecret, config.EnvCookieSecret, false, nil, nil),
		settingCheck(SettingsAddr, config.EnvAddr, false, nil, nil),
		settingCheck(SettingsUserinfo, config.EnvUserinfo, false, nil, nil),
		settingCheck(SettingsTokenAuth, config.EnvTokenAuth, false, nil, nil),
		settingCheck(SettingsMetricsAddr, config.EnvMetricsAddr, false, nil, nil),
		settingCheck(SettingsRedisURL, config.EnvRedisURL, false, nil, nil),
		{id: SettingsUnknown, strays: true, run: (*state).checkStrays},

		{id: DiscoveryFetch, network: true, run: (*state).discover, blocks: noDiscovery},
		{id: DiscoveryIssuer, network: true, needs: []CheckID{DiscoveryFetch}, run: (*state).checkIssuer},
		{id: DiscoveryEndpoints, network: true, needs: []CheckID{DiscoveryFetch}, run: (*state).checkEndpoints,
			// Never send the client secret (or the client ID) to an
			// endpoint on another origin or over plain http.
			blocks: "the endpoints are not trustworthy (see " + string(DiscoveryEndpoints) + "); no secret was sent"},
		{id: DiscoveryPKCE, network: true, needs: []CheckID{DiscoveryFetch}, run: (*state).checkPKCE},
		{id: DiscoverySigningAlg, network: true, needs: []CheckID{DiscoveryFetch}, run: (*state).checkSigningAlg},
		{id: KeysJWKS, network: true, needs: []CheckID{DiscoveryFetch}, run: (*state).checkKeys},
		{id: Credentials, network: true, needs: []CheckID{DiscoveryFetch, DiscoveryEndpoints},
			needsSet: []string{config.EnvClientID, config.EnvClientSecret}, run: (*state).checkCredentials},
		{id: RedirectRegistered, network: true, needs: []CheckID{DiscoveryFetch, DiscoveryEndpoints},
			needsSet: []string{config.EnvClientID}, run: (*state).checkRedirect},
		{id: RedirectPostLogout, network: true, needs: []CheckID{DiscoveryFetch, DiscoveryEndpoints}, run: (*state).checkPostLogout},
		// The clock is read off the discovery response's Date header; it
		// sends nothing, so untrustworthy endpoints do not stop it.
		{id: ClockSkew, network: true, needs: []CheckID{DiscoveryFetch}, run: (*state).checkClock},
	}
}

// applies reports whether c belongs in the report of a run with o.
func (c check) applies(o Options) bool {
	switch {
	case c.strays:
		return len(o.Strays) > 0
	case c.setting == "" || c.always:
		return true
	}
	_, set := o.Settings[c.setting]
	return set
}

// IDs returns the checks a run with o reports, in order: every check but
// the settings checks of optional settings left unset, and the check of
// stray variables when there are none. Tests compute expected counts from
// it.
func IDs(o Options) []CheckID {
	var ids []CheckID
	for _, c := range checks() {
		if c.applies(o) {
			ids = append(ids, c.id)
		}
	}
	return ids
}
