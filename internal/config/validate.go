package config

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// build reads each setting through get and validates it, collecting every
// problem rather than stopping at the first (CI wants them all at once).
func build(get func(string) (string, bool)) (*Config, error) {
	var ps Problems
	bad := func(env, msg, hint string) { ps = append(ps, Problem{env, flagOf(env), msg, hint}) }
	value := func(env, def string) string {
		v, ok := get(env)
		if !ok {
			return def
		}
		return strings.TrimSpace(v)
	}

	c := &Config{ClockSkew: 90 * time.Second}
	c.EnvironmentURL = value(EnvEnvironmentURL, "")
	if msg, hint := CheckEnvironmentURL(c.EnvironmentURL); msg != "" {
		bad(EnvEnvironmentURL, msg, hint)
	}
	c.ClientID = value(EnvClientID, "")
	switch {
	case c.ClientID == "":
		bad(EnvClientID, "is not set", "copy the client ID from the Scalekit dashboard (Developers > API credentials)")
	case strings.ContainsAny(c.ClientID, " \t/?#"):
		bad(EnvClientID, "contains spaces or URL characters", "paste the client ID alone, e.g. skc_59615193906741387")
	}
	c.ClientSecret = Secret(value(EnvClientSecret, ""))
	if c.ClientSecret == "" {
		bad(EnvClientSecret, "is not set", "copy the client secret from the Scalekit dashboard (Developers > API credentials); it is shown once when created")
	}

	c.RedirectURI = value(EnvRedirectURI, DefaultRedirectURI)
	redirect, msg, hint := CheckAppURL(c.RedirectURI, true)
	if msg == "" && redirect.Path != CallbackPath {
		msg, hint = "has the path "+redirect.Path, "the app's callback is "+CallbackPath+": use "+redirect.Scheme+"://"+redirect.Host+CallbackPath+" and register it in Scalekit under Redirects"
	}
	if msg != "" {
		bad(EnvRedirectURI, msg, hint)
	} else {
		c.Secure = redirect.Scheme == "https"
	}

	c.PostLogoutRedirectURI = value(EnvPostLogoutURI, "")
	if c.PostLogoutRedirectURI == "" && redirect != nil && msg == "" {
		c.PostLogoutRedirectURI = redirect.Scheme + "://" + redirect.Host + "/"
	} else if c.PostLogoutRedirectURI != "" {
		if _, msg, hint := CheckAppURL(c.PostLogoutRedirectURI, false); msg != "" {
			bad(EnvPostLogoutURI, msg, hint)
		}
	}

	switch v := strings.ToLower(value(EnvUserinfo, "false")); v {
	case "true", "1", "yes":
		c.Userinfo = true
	case "false", "0", "no", "":
	default:
		bad(EnvUserinfo, "is "+v, "use true or false")
	}
	switch v := value(EnvTokenAuth, "client_secret_post"); v {
	case "client_secret_post":
	case "client_secret_basic":
		c.TokenAuthBasic = true
	default:
		bad(EnvTokenAuth, "is "+v, "use client_secret_post (Scalekit) or client_secret_basic")
	}
	c.Addr = value(EnvAddr, DefaultAddr)
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad(EnvAddr, "is not host:port", "e.g. localhost:4321, or :4321 for every interface")
	}

	if raw := value(EnvCookieSecret, ""); raw != "" {
		for i, part := range strings.Split(raw, ",") {
			key, err := DecodeCookieKey(part)
			if err != nil {
				bad(EnvCookieSecret, "key "+strconv.Itoa(i+1)+" is not base64 of 32 bytes", "make one with: openssl rand -base64 32")
				continue
			}
			c.CookieKeys = append(c.CookieKeys, key)
		}
	} else if c.ClientSecret != "" {
		// Derived so that a newcomer needs no extra setting; a deployment
		// sets its own so that rotating the client secret does not sign
		// every user out.
		key, err := hkdf.Key(sha256.New, []byte(c.ClientSecret.Reveal()), nil, "skctl serve cookie key v1", 32)
		if err == nil {
			c.CookieKeys = [][]byte{key}
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// DecodeCookieKey decodes one SKCTL_COOKIE_SECRET key: base64 (standard
// or URL-safe, padded or not) of exactly 32 bytes.
func DecodeCookieKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, errors.New("not 32 bytes")
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// CheckEnvironmentURL applies Scalekit's issuer rule (scalekit-contract.md
// §1): absolute, https unless loopback, no trailing slash. It returns
// what is wrong and how to fix it, or "" when the URL is good.
func CheckEnvironmentURL(raw string) (msg, hint string) {
	if raw == "" {
		return "is not set", "copy the environment URL from the Scalekit dashboard (Developers > API credentials), e.g. https://acme.scalekit.dev"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return "is not an absolute URL", "use the form https://acme.scalekit.dev"
	case u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())):
		return "is not https", "Scalekit environments are https; plain http is only for a local mock on loopback"
	case strings.HasSuffix(u.Path, "/"):
		return "ends with a slash", "remove it: the SDKs would build " + strings.TrimSuffix(raw, "/") + "//oauth/authorize, and the issuer in tokens has no slash"
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "has a query, fragment or user", "the environment URL is the scheme and host, e.g. https://acme.scalekit.dev"
	}
	// A path is allowed: Scalekit's own URLs have none, but the mock's
	// scenario environments and other OIDC providers (mockoidc's /oidc) do.
	return "", ""
}

// CheckAppURL checks a URL of the app itself: absolute http(s), https
// unless loopback, no fragment, at most 256 characters; a redirect URI also
// has no query. It returns the parsed URL, or what is wrong and the fix.
func CheckAppURL(raw string, redirect bool) (*url.URL, string, string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return nil, "is not an absolute http(s) URL", "e.g. https://app.example.com" + CallbackPath
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return nil, "is plain http on a host other than loopback", "use https: browsers send the session cookies only over https there"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, "has a fragment", "remove the #… part"
	case redirect && u.RawQuery != "":
		return nil, "has a query", "remove the ?… part: Scalekit matches redirect URIs exactly"
	case len(raw) > 256:
		return nil, "is longer than 256 characters", "use a shorter URL"
	}
	return u, "", ""
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
