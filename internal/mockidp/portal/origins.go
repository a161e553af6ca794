package portal

import (
	"net/url"
	"slices"
	"strings"
)

// Origins are the origins that may embed the portal: those of the
// environment's registered redirect URIs, as Scalekit allows the pages of
// the app that registered them to frame its portal, and no other. Only
// http and https URIs of a plain host count (a native app's custom scheme
// frames nothing); sorted, each once.
func Origins(redirectURIs []string) []string {
	var out []string
	for _, raw := range redirectURIs {
		if o, ok := origin(raw); ok && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}

// origin is the scheme://host[:port] of an absolute http(s) URL, lower
// case, when its host is one a CSP source expression can name as it is:
// letters, digits, dots, hyphens, a port, or an IPv6 literal. Anything
// else (a wildcard, a space, a ';' that would end the directive) is
// false: the origins are written into a header.
func origin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return "", false
		}
	}
	return u.Scheme + "://" + host, true
}

// CSP is the portal's Content-Security-Policy: nothing loads but its
// inline styles and the one script that carries the nonce; its forms
// post to the environment only; and it may be framed by the environment
// itself and by the registered origins, as Scalekit's frame-ancestors
// does. Nonce is fresh per response.
func CSP(nonce string, origins []string) string {
	ancestors := append([]string{"'self'"}, origins...)
	return "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-" + nonce + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + strings.Join(ancestors, " ")
}
