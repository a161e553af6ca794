package conformance

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// Bounds on what cookieTokens reads of a cookie an app set: its value is
// untrusted input.
const (
	maxCookieScan   = 64 << 10 // bytes of a value
	maxCookieTexts  = 64       // decoded forms tried
	maxJWTSegments  = 256      // dot-separated segments of one run
	maxJWTSegLength = 16 << 10 // bytes of one segment
)

// cookieToken is a token of the mock found in a cookie's value.
type cookieToken struct {
	kind string // "ID token", "access token" or "token"
	how  string // how the value carries it: "as is", "URL-escaped", "base64-encoded"
}

// cookieTokens looks for the JWTs of issuer in a cookie's value, readable
// by anyone who sees the cookie: as is, URL-escaped, base64-encoded
// (standard or URL alphabet, padded or not), whole or as one
// dot-separated part of a signed cookie ("payload.signature"), or inside
// the JSON such an encoding holds. An encrypted value shows nothing.
func cookieTokens(value, issuer string) []cookieToken {
	if len(value) > maxCookieScan {
		value = value[:maxCookieScan]
	}
	type text struct{ s, how string }
	texts := []text{{value, "as is"}}
	add := func(s, how string) {
		if s != "" && len(texts) < maxCookieTexts && !slices.ContainsFunc(texts, func(t text) bool { return t.s == s }) {
			texts = append(texts, text{s, how})
		}
	}
	if u, err := url.PathUnescape(value); err == nil {
		add(u, "URL-escaped")
	}
	if u, err := url.QueryUnescape(value); err == nil {
		add(u, "URL-escaped")
	}
	for _, t := range slices.Clone(texts) {
		for _, part := range append([]string{t.s}, strings.Split(t.s, ".")...) {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(strings.TrimSpace(part)); err == nil {
					add(string(b), "base64-encoded")
				}
			}
		}
	}
	var found []cookieToken
	for _, t := range texts {
		for _, kind := range jwtsOf(t.s, issuer) {
			ct := cookieToken{kind: kind, how: t.how}
			if !slices.Contains(found, ct) {
				found = append(found, ct)
			}
		}
	}
	return found
}

// jwtsOf returns the kinds of the JWTs of issuer in s: any three
// consecutive dot-separated segments of a run of base64url characters
// whose first decodes to a JOSE header (a JSON object with alg) and
// whose second to claims with that iss.
func jwtsOf(s, issuer string) []string {
	var kinds []string
	runs := strings.FieldsFunc(s, func(c rune) bool { return !isBase64URL(c) && c != '.' })
	for _, run := range runs {
		segs := strings.Split(run, ".")
		if len(segs) > maxJWTSegments {
			segs = segs[:maxJWTSegments]
		}
		for i := 0; i+2 < len(segs); i++ {
			// A JSON object's base64url starts with e ("{" is 011110…).
			if !strings.HasPrefix(segs[i], "e") || len(segs[i]) > maxJWTSegLength || len(segs[i+1]) > maxJWTSegLength {
				continue
			}
			var header, claims map[string]any
			if decodeSegment(segs[i], &header) != nil || decodeSegment(segs[i+1], &claims) != nil {
				continue
			}
			if alg, _ := header["alg"].(string); alg == "" {
				continue
			}
			if iss, _ := claims["iss"].(string); sameIssuer(iss, issuer) {
				kinds = append(kinds, tokenKind(claims))
			}
		}
	}
	return kinds
}

// tokenKind tells the mock's tokens apart by claims only one kind
// carries: an ID token has at_hash (and the nonce), an access token a
// scope and a jti.
func tokenKind(claims map[string]any) string {
	has := func(k string) bool { _, ok := claims[k]; return ok }
	switch {
	case has("nonce") || has("at_hash"):
		return "ID token"
	case has("scope") || has("jti"):
		return "access token"
	}
	return "token"
}

func isBase64URL(c rune) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
