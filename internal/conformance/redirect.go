package conformance

import (
	"net/url"
	"strings"
)

// browserTarget resolves a Location header against the URL of the page
// that sent it, as a browser does, not as Go's parser does: browsers
// strip tabs and newlines anywhere and spaces and control characters at
// the ends, read a backslash as a slash in an http(s) URL's path
// ("/\evil.example" is the host evil.example), and read
// "https:evil.example" from an http page as a URL of another host. ok is
// false when the Location does not parse even so.
func browserTarget(raw string, base *url.URL) (*url.URL, bool) {
	s := strings.TrimFunc(raw, func(c rune) bool { return c <= ' ' })
	s = strings.Map(func(c rune) rune {
		if c == '\t' || c == '\n' || c == '\r' {
			return -1
		}
		return c
	}, s)
	if special(base.Scheme) {
		// Only before the query: a backslash in a query stays one.
		end := strings.IndexAny(s, "?#")
		if end < 0 {
			end = len(s)
		}
		s = strings.ReplaceAll(s[:end], `\`, "/") + s[end:]
	}
	if scheme, rest, ok := cutScheme(s); ok && special(scheme) && !strings.HasPrefix(rest, "//") {
		if strings.EqualFold(scheme, base.Scheme) {
			s = rest // "http:path" on an http page is relative to it
		} else {
			s = scheme + "://" + strings.TrimLeft(rest, "/") // "https:evil.example": a host
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	return base.ResolveReference(u), true
}

// special reports whether a scheme is one whose URLs browsers parse with
// the backslash rules: http and https (ws and ftp too, beside the point
// here).
func special(scheme string) bool {
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")
}

// cutScheme splits "scheme:rest" where scheme is a URL scheme (RFC 3986
// §3.1: a letter, then letters, digits, +, - or .).
func cutScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return s[:i], s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// offOrigin reports whether a browser following the Location raw, sent
// by the page at base, leaves every one of origins, and where it goes.
// A Location that does not parse counts as leaving unless it is plainly
// a path of base's origin (one slash, then not a second): the runner
// cannot say where a browser would take it.
func offOrigin(raw string, base *url.URL, origins ...string) (string, bool) {
	u, ok := browserTarget(raw, base)
	if !ok {
		s := strings.ReplaceAll(strings.TrimSpace(raw), `\`, "/")
		return redactRaw(raw), !(strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//"))
	}
	for _, o := range origins {
		if special(u.Scheme) && sameOrigin(u, o) {
			return shortURL(u), false
		}
	}
	return shortURL(u), true
}

// redactRaw is a Location as the app wrote it, for the evidence: the
// values of its secret query parameters hidden (as redactURL does), the
// rest kept as written, since the way it is written is the point.
func redactRaw(raw string) string {
	if before, _, ok := strings.Cut(raw, "#"); ok && !strings.Contains(before, "?") {
		return clip(before+"#…", maxEvidenceURL)
	}
	path, query, ok := strings.Cut(raw, "?")
	if !ok {
		return clip(raw, maxEvidenceURL)
	}
	// A fragment may carry tokens (the implicit flow's): hidden whole.
	query, _, hasFragment := strings.Cut(query, "#")
	var parts []string
	for _, kv := range strings.Split(query, "&") {
		k, _, _ := strings.Cut(kv, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || secretParam(name) {
			kv = k + "=…"
		}
		parts = append(parts, kv)
	}
	s := path + "?" + strings.Join(parts, "&")
	if hasFragment {
		s += "#…"
	}
	return clip(s, maxEvidenceURL)
}
