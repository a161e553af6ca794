package webapp

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// maxTokenBytes bounds a token before any parsing (D3).
const maxTokenBytes = 16 << 10

// maxIDTokenAge is how old an ID token's iat may be at the callback (C3).
const maxIDTokenAge = 10 * time.Minute

// The outcome classes of D4.
var (
	errExpired      = errors.New("token expired")                // refresh
	errInvalid      = errors.New("token invalid")                // clear the session
	errUnverifiable = errors.New("token cannot be verified now") // 503, keep the session
)

// idClaims are the ID-token claims serve checks beyond go-oidc's (C2–C5)
// and shows (the profile).
type idClaims struct {
	Subject  string   `json:"sub"`
	IssuedAt *int64   `json:"iat"`
	Nonce    string   `json:"nonce"`
	AZP      string   `json:"azp"`
	Audience audience `json:"aud"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	OrgID    string   `json:"oid"`
	SID      string   `json:"sid"`
}

// audience decodes aud as a string or an array (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// verifyIDToken runs go-oidc's checks (C1), then what it leaves out: sub
// (C2), iat (C3), nonce (C4, unless wantNonce is "" on refresh), azp and
// extra audiences (C5), and at_hash (C6).
func (a *App) verifyIDToken(ctx context.Context, p *idp, raw, wantNonce, accessToken string) (*oidc.IDToken, *idClaims, error) {
	tok, err := p.idVerifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("ID token %w", classify(err))
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return nil, nil, fmt.Errorf("ID token claims: %w", errInvalid)
	}
	now := a.now()
	switch {
	case c.Subject == "" || len(c.Subject) > 255 || !isASCII(c.Subject):
		return nil, nil, fmt.Errorf("ID token sub missing or malformed: %w", errInvalid)
	case c.IssuedAt == nil:
		return nil, nil, fmt.Errorf("ID token iat missing: %w", errInvalid)
	case time.Unix(*c.IssuedAt, 0).After(now.Add(a.cfg.ClockSkew)):
		return nil, nil, fmt.Errorf("ID token iat in the future: %w", errInvalid)
	case wantNonce != "" && time.Unix(*c.IssuedAt, 0).Before(now.Add(-maxIDTokenAge-a.cfg.ClockSkew)):
		return nil, nil, fmt.Errorf("ID token iat too old: %w", errInvalid)
	case wantNonce != "" && subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(wantNonce)) != 1:
		return nil, nil, fmt.Errorf("ID token nonce mismatch: %w", errInvalid)
	case len(c.Audience) > 1 && c.AZP == "":
		return nil, nil, fmt.Errorf("ID token has several audiences and no azp: %w", errInvalid)
	case c.AZP != "" && c.AZP != a.cfg.ClientID:
		return nil, nil, fmt.Errorf("ID token azp is another client: %w", errInvalid)
	}
	for _, aud := range c.Audience {
		if aud != a.cfg.ClientID {
			return nil, nil, fmt.Errorf("ID token trusts an untrusted audience: %w", errInvalid)
		}
	}
	if tok.AccessTokenHash != "" {
		if err := tok.VerifyAccessToken(accessToken); err != nil {
			return nil, nil, fmt.Errorf("ID token at_hash: %w", errInvalid)
		}
	}
	return tok, &c, nil
}

// atClaims are the access-token claims serve reads.
type atClaims struct {
	Subject string `json:"sub"`
	JTI     string `json:"jti"`
	OrgID   string `json:"oid"`
	SID     string `json:"sid"`
	// Claims only an ID token carries (D2).
	Nonce  *string         `json:"nonce"`
	AtHash *string         `json:"at_hash"`
	AZP    *string         `json:"azp"`
	AMR    json.RawMessage `json:"amr"`
	Email  *string         `json:"email"`
}

// verifyAccessToken checks an access token (D1) after cheap rejections
// that need no key (D3), and refuses an ID token posing as one (D2). It
// returns the claims and the expiry.
func (a *App) verifyAccessToken(ctx context.Context, p *idp, raw string) (*atClaims, time.Time, error) {
	if err := precheck(raw, p.provider.Meta.Issuer); err != nil {
		return nil, time.Time{}, err
	}
	tok, err := p.atVerifier.Verify(ctx, raw)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("access token %w", classify(err))
	}
	var c atClaims
	if err := tok.Claims(&c); err != nil {
		return nil, time.Time{}, fmt.Errorf("access token claims: %w", errInvalid)
	}
	if c.Subject == "" || c.JTI == "" || c.Nonce != nil || c.AtHash != nil || c.AZP != nil || len(c.AMR) > 0 || c.Email != nil {
		return nil, time.Time{}, fmt.Errorf("access token has ID-token claims or lacks jti: %w", errInvalid)
	}
	return &c, tok.Expiry, nil
}

// precheck rejects, before any signature work or key fetch, a token that
// is too large, not three segments, not RS256 or from another issuer (D3).
func precheck(raw, issuer string) error {
	parts := strings.Split(raw, ".")
	if len(raw) > maxTokenBytes || len(parts) != 3 {
		return fmt.Errorf("access token malformed: %w", errInvalid)
	}
	var header struct{ Alg, Kid string }
	var payload struct{ Iss string }
	if decodeSegment(parts[0], &header) != nil || header.Alg != oidc.RS256 || header.Kid == "" {
		return fmt.Errorf("access token header: %w", errInvalid)
	}
	if decodeSegment(parts[1], &payload) != nil || payload.Iss != issuer {
		return fmt.Errorf("access token issuer: %w", errInvalid)
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// classify sorts a go-oidc error into the classes of D4: expired, cannot
// verify now (the key set could not be fetched), or invalid. The error it
// returns says what failed in fixed words, for the log: go-oidc's own
// text quotes the token's claims.
func classify(err error) error {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return fmt.Errorf("expired: %w", errExpired)
	case isTimeout(err) || isNetwork(err) || strings.Contains(msg, "fetching keys"):
		return fmt.Errorf("keys unavailable: %w", errUnverifiable)
	}
	problem := "invalid"
	for _, p := range oidcProblems {
		if strings.Contains(msg, p.text) {
			problem = p.problem
			break
		}
	}
	return fmt.Errorf("%s: %w", problem, errInvalid)
}

// oidcProblems name go-oidc's (and go-jose's) refusals, first match wins.
var oidcProblems = []struct{ text, problem string }{
	// Before go-oidc's "failed to verify signature", which wraps it: the
	// key set answered, and no key of it has this kid (oidcx.KeySet).
	{"kid not in the current key set", "kid not in the current key set"},
	{"unexpected signature algorithm", "algorithm not allowed"},
	{"issued by a different provider", "issuer mismatch"},
	{"expected audience", "audience mismatch"},
	{"failed to verify signature", "signature invalid"},
	{"before the nbf", "not yet valid"},
	{"malformed", "malformed"},
	{"failed to unmarshal claims", "malformed"},
	{"multiple signatures", "malformed"},
	{"not signed", "malformed"},
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
