package config

import (
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Where the Scalekit dashboard shows each value, for hints. A hint that
// contains Dashboard sends the user there; check-config replaces such
// hints when the environment is skctl mock-idp, which has no dashboard.
const (
	Dashboard       = "Scalekit dashboard"
	DashCredentials = Dashboard + " > Developers > API credentials"
	DashRedirects   = Dashboard + " > Developers > Redirects"
)

// ValidateEnvironmentURL checks the environment URL as an OpenID issuer:
// absolute, https unless loopback, no query, fragment or user. A trailing
// slash is allowed: an issuer is whatever its discovery document names
// (discovery then checks it byte for byte), and some providers' end in
// "/". Scalekit's never do: EnvironmentURLAdvice warns of that.
func ValidateEnvironmentURL(raw string) *Fault {
	if raw == "" {
		return fault("is not set", "copy the environment URL from the "+DashCredentials+", e.g. https://acme.scalekit.dev")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fault("is not an absolute URL", "use the form https://acme.scalekit.dev")
	case u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())):
		return fault("is not https", "Scalekit environments are https; plain http is only for a local mock on loopback")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fault("has a query, fragment or user", "the environment URL is the scheme and host, e.g. https://acme.scalekit.dev")
	}
	// A path is allowed: Scalekit's own URLs have none, but the mock's
	// scenario environments and other OIDC providers (mockoidc's /oidc) do.
	return nil
}

func validateClientID(id string) *Fault {
	switch {
	case id == "":
		return fault("is not set", "copy the client ID from the "+DashCredentials)
	case strings.ContainsAny(id, " \t/?#"):
		return fault("contains spaces or URL characters", "paste the client ID alone, e.g. skc_59615193906741387")
	}
	return nil
}

func validateClientSecret(secret string) *Fault {
	if secret == "" {
		return fault("is not set", "copy the client secret from the "+DashCredentials+" (it is shown once when created; create a new one if lost)")
	}
	return nil
}

func validateRedirectURI(raw string) *Fault {
	u, f := ParseAppURL(raw, true)
	if f == nil && u.Path != CallbackPath {
		// The app serves its callback at one path only.
		f = fault("has the path "+u.Path+", not the app's callback "+CallbackPath,
			"use "+u.Scheme+"://"+u.Host+CallbackPath+" and register it under Redirects in the "+DashRedirects)
	}
	return f
}

func validatePostLogoutURI(raw string) *Fault {
	if raw == "" {
		return nil // the default is derived from the redirect URI
	}
	_, f := ParseAppURL(raw, false)
	return f
}

func validateCookieSecret(raw string) *Fault {
	if raw == "" {
		return nil // the key is derived from the client secret
	}
	if _, bad := ParseCookieKeys(raw); len(bad) > 0 {
		names := make([]string, len(bad))
		for i, n := range bad {
			names[i] = strconv.Itoa(n)
		}
		msg := "key " + names[0] + " is not base64 of 32 bytes"
		if len(bad) > 1 {
			msg = "keys " + strings.Join(names, ", ") + " are not base64 of 32 bytes"
		}
		return fault(msg, "make one with: openssl rand -base64 32")
	}
	return nil
}

// validateAddr checks the address serve listens on as net.Listen would
// take it, but only a numeric port: a bad port is then reported with every
// other problem, not by the listen after them, and a service name
// (localhost:http-alt) is refused rather than looked up.
func validateAddr(addr string) *Fault { return checkAddr(addr, "4321") }

// validateMetricsAddr checks the metrics' own address as validateAddr
// does the app's; unset, they are served on the app's address.
func validateMetricsAddr(addr string) *Fault {
	if addr == "" {
		return nil
	}
	return checkAddr(addr, "9464")
}

// checkAddr is validateAddr with port in the hints' examples.
func checkAddr(addr, port string) *Fault {
	_, got, err := net.SplitHostPort(addr)
	switch {
	case err != nil:
		return fault("is not host:port", "e.g. localhost:"+port+", or :"+port+" for every interface")
	case got == "":
		return fault("has no port", "e.g. localhost:"+port+" (port 0 picks a free one)")
	}
	if _, err := strconv.ParseUint(got, 10, 16); err != nil {
		shown := strconv.Quote(got)
		if errors.Is(err, strconv.ErrRange) {
			shown = got // a number, only too big
		}
		return fault("has the port "+shown+", not a number from 0 to 65535", "e.g. localhost:"+port+" (port 0 picks a free one)")
	}
	return nil
}

// validateBool checks a yes/no setting's value with ParseBool.
func validateBool(v string) *Fault {
	if _, ok := ParseBool(v); !ok {
		return fault("is "+strconv.Quote(v)+", not a yes/no value", "use one of "+strings.Join(boolWords(), ", ")+" (any case)")
	}
	return nil
}

func validateTokenAuth(v string) *Fault {
	if v != "client_secret_post" && v != "client_secret_basic" {
		return fault("is "+v, "use client_secret_post (Scalekit) or client_secret_basic")
	}
	return nil
}

// boolWords are the values a yes/no setting takes, as its error lists
// them: the words people reach for first (those of strconv.ParseBool,
// systemd and YAML 1.1). ParseBool takes exactly these.
func boolWords() []string { return []string{"true", "false", "1", "0", "yes", "no", "on", "off"} }

// ParseBool reads the value of every yes/no setting, whatever its case;
// "" (unset) is no. ok is false for any other value.
func ParseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off", "":
		return false, true
	}
	return false, false
}

// ParseAppURL checks a URL of the app itself: absolute http(s), https
// unless loopback, no fragment, at most 256 characters; a redirect URI also
// has no query.
func ParseAppURL(raw string, redirect bool) (*url.URL, *Fault) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return nil, fault("is not an absolute http(s) URL", "e.g. https://app.example.com"+CallbackPath)
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return nil, fault("is plain http on a host other than loopback", "use https: browsers send the session cookies only over https there")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fault("has a fragment", "remove the #… part")
	case redirect && u.RawQuery != "":
		return nil, fault("has a query", "remove the ?… part: Scalekit matches redirect URIs exactly")
	case len(raw) > 256:
		return nil, fault("is longer than 256 characters", "use a shorter URL")
	}
	return u, nil
}

// ParseCookieKeys decodes SKCTL_COOKIE_SECRET: comma-separated keys. bad
// holds the 1-based positions of the keys that do not decode.
func ParseCookieKeys(raw string) (keys [][]byte, bad []int) {
	for i, part := range strings.Split(raw, ",") {
		key, err := DecodeCookieKey(part)
		if err != nil {
			bad = append(bad, i+1)
			continue
		}
		keys = append(keys, key)
	}
	return keys, bad
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

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
