package config

import (
	"net/url"
	"strings"
)

// scalekitDomains are the domains of Scalekit's environment URLs
// (contract §1): development, production, and the docs examples'.
// A custom domain is not among them: serve also recognises a Scalekit
// environment by its endpoints (webapp), check-config by its own rules.
var scalekitDomains = []string{"scalekit.dev", "scalekit.com", "scalekit.cloud"}

// IsScalekitHost reports whether host (no port) is a Scalekit
// environment's: a subdomain of one of Scalekit's domains.
func IsScalekitHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range scalekitDomains {
		if strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// EnvironmentURLAdvice is what a valid environment URL breaks of
// Scalekit's own rules, which only apply to a Scalekit environment: nil
// elsewhere. serve logs it as a warning at start and check-config
// reports it as one, in the same words. Any other provider's issuer is
// taken exactly as its discovery document names it, a trailing slash
// included (OpenID Connect Discovery §4.3).
func EnvironmentURLAdvice(raw string) *Fault {
	u, err := url.Parse(raw)
	if err != nil || !IsScalekitHost(u.Hostname()) || !strings.HasSuffix(u.Path, "/") {
		return nil
	}
	bare := strings.TrimRight(raw, "/")
	return fault("ends with a slash, and a Scalekit environment's issuer has none",
		"use "+bare+": the tokens' iss is "+bare+", checked byte for byte, and Scalekit's SDKs would build "+bare+"//oauth/authorize")
}

// IssuerHint is what to do when the discovery document names another
// issuer than SCALEKIT_ENVIRONMENT_URL: serve and check-config give the
// same advice, whatever the provider, so that they never contradict
// each other.
func IssuerHint(discovered string) string {
	return "set " + EnvEnvironmentURL + " to exactly " + discovered + ": tokens are checked against it byte for byte"
}
