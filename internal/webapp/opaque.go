package webapp

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/oidcx"
)

// Access tokens are opaque to an OAuth 2.0 client (RFC 6749 §1.4), and
// many providers issue them so. Scalekit's are RS256 JWTs, which serve
// verifies on every request (D1). So:
//
//   - A JWT-shaped access token (jwtShaped) is verified as a JWT, from
//     any provider: a malformed or forged JWT is refused, never taken for
//     an opaque token.
//   - An access token that is not JWT-shaped at all is refused from a
//     Scalekit environment (scalekitLike), which never issues one.
//   - From any other provider it is opaque: the session rests on the ID
//     token verified at sign-in (C) and on the expiry of the token
//     response, kept in the encrypted session cookie; at that expiry the
//     session refreshes (E1) or ends.
//
// The expiry of an opaque access token is expires_in from the token
// response (RFC 6749 §5.1). Without expires_in it is the exp of the ID
// token of the same response: the time the provider vouches for the
// sign-in. A refresh answer with neither (no expires_in, no new ID token
// that verifies) leaves the expiry unknown, and the session ends.

// jwtShaped reports whether an access token is a JWS in the compact
// serialization: three base64url segments, the first a JSON object (the
// JOSE header). Anything else, a random string or a JWE (five segments,
// encrypted for the resource server), is opaque to serve.
func jwtShaped(raw string) bool {
	head, rest, ok := strings.Cut(raw, ".")
	if !ok || strings.Count(rest, ".") != 1 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	return err == nil && len(b) > 0 && b[0] == '{'
}

// scalekitLike reports whether the IdP is held to Scalekit's rules: its
// issuer is on a Scalekit host, or its discovery names the endpoints that
// Scalekit's SDKs hard-code (contract §2), as Scalekit environments on a
// custom domain and skctl mock-idp do.
func scalekitLike(issuer string, m *oidcx.Metadata) bool {
	if u, err := url.Parse(issuer); err == nil && config.IsScalekitHost(u.Hostname()) {
		return true
	}
	return m.AuthorizationEndpoint == issuer+"/oauth/authorize" && m.TokenEndpoint == issuer+"/oauth/token" && m.JWKSURI == issuer+"/keys"
}

// verifyAccess checks an access token by its kind: a JWT by
// verifyAccessToken, an opaque one by the expiry the session keeps for it
// (zero when unknown). For an opaque token the claims are nil: the ID
// token is the only statement of who signed in.
func (a *App) verifyAccess(ctx context.Context, p *idp, raw string, opaqueExpiry time.Time) (*atClaims, time.Time, error) {
	if jwtShaped(raw) {
		return a.verifyAccessToken(ctx, p, raw)
	}
	switch {
	case p.scalekit:
		return nil, time.Time{}, fmt.Errorf("access token is not a JWT, as every Scalekit access token is: %w", errInvalid)
	case raw == "" || len(raw) > maxTokenBytes:
		return nil, time.Time{}, fmt.Errorf("access token empty or too large: %w", errInvalid)
	case opaqueExpiry.IsZero():
		return nil, time.Time{}, fmt.Errorf("opaque access token with no known expiry: %w", errInvalid)
	}
	return nil, opaqueExpiry, nil
}

// opaqueExpiry is when an opaque access token expires: expires_in
// seconds from now when the token response had it, else the exp of its
// ID token (zero when there is none either).
func opaqueExpiry(now time.Time, expiresIn float64, hasExpiresIn bool, idExpiry time.Time) time.Time {
	if hasExpiresIn && expiresIn > 0 {
		return now.Add(time.Duration(expiresIn * float64(time.Second)))
	}
	return idExpiry
}

// expiry is the stored expiry of an opaque access token, zero for a JWT.
func (t *tokens) expiry() time.Time {
	if t.Expires == 0 {
		return time.Time{}
	}
	return time.Unix(t.Expires, 0)
}
