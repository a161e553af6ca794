package fault

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// otherClient is a client ID of no app: the audience of tokens meant for
// someone else.
const otherClient = "skc_00000000000000001"

// IDTokenClaims changes ID-token claims as the idt.* and refresh.* modes
// say, before signing.
func (e *Env) IDTokenClaims(c map[string]any, client string, now time.Time, refresh bool) {
	if !e.faults.Any() {
		return
	}
	on := func(m Mode) bool { return e.faults.On(m, client) }
	if on(IDTIssWrong) {
		c["iss"] = "https://evil.example"
	}
	if on(IDTAudWrong) {
		c["aud"], c["azp"] = []string{otherClient}, otherClient
	}
	if on(IDTAudMissing) {
		delete(c, "aud")
	}
	if on(IDTAudMultiNoAzp) {
		c["aud"] = []string{client, otherClient}
		delete(c, "azp")
	}
	if on(IDTAzpWrong) {
		c["azp"] = otherClient
	}
	if on(IDTAudMultiUntrusted) {
		c["aud"] = []string{client, otherClient}
	}
	if on(IDTSubMissing) {
		delete(c, "sub")
	}
	if on(IDTIatMissing) {
		delete(c, "iat")
	}
	if on(IDTIatFuture) {
		c["iat"] = now.Add(time.Hour).Unix()
	}
	if on(IDTIatOld) {
		c["iat"] = now.Add(-24 * time.Hour).Unix()
	}
	if on(IDTExpPast) {
		c["exp"] = now.Add(-time.Hour).Unix()
	}
	if on(IDTExpMissing) {
		delete(c, "exp")
	}
	if on(IDTNbfFuture) {
		c["nbf"] = now.Add(time.Hour).Unix()
	}
	if _, sent := c["nonce"]; sent && on(IDTNonceWrong) {
		c["nonce"] = "nonce-the-app-never-sent"
	}
	if on(IDTNonceMissing) {
		delete(c, "nonce")
	}
	if on(IDTAtHashWrong) {
		c["at_hash"] = HalfHash("another access token")
	}
	if refresh && on(RefreshIDTokenIssChanged) {
		c["iss"] = e.issuer + "/changed"
	}
	if refresh && on(RefreshIDTokenSubChanged) {
		c["sub"] = "usr_00000000000000002"
	}
	if on(IDTHuge) {
		for k, v := range hugeIDTokenClaims() {
			c[k] = v
		}
	}
}

// hugeIDTokenClaims are idt.huge's 16 KB of extra claims: 64 of 256
// characters each.
var hugeIDTokenClaims = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for i := range 64 {
		m[fmt.Sprintf("x_huge_%02d", i)] = strings.Repeat(string(rune('a'+i%26)), 256)
	}
	return m
})

// hugeRoles and hugePermissions are what at.huge adds to the user's own:
// over 6 KB of JSON, more than a 4 KB cookie holds (F3).
var hugeRoles, hugePermissions = func() ([]string, []string) {
	var roles, perms []string
	for i := range 100 {
		roles = append(roles, fmt.Sprintf("role_%03d", i))
	}
	actions := []string{"read", "write", "delete", "admin"}
	for i := range 256 {
		perms = append(perms, fmt.Sprintf("resource_%03d:%s", i/4, actions[i%4]))
	}
	return roles, perms
}()

// AccessTokenClaims changes access-token claims (at.*).
func (e *Env) AccessTokenClaims(c map[string]any, client string) {
	if !e.faults.Any() {
		return
	}
	if e.faults.On(ATAudOther, client) {
		c["aud"] = []string{otherClient}
	}
	if e.faults.On(ATIssWrong, client) {
		c["iss"] = "https://evil.example"
	}
	if e.faults.On(ATAudMissing, client) {
		delete(c, "aud")
	}
	if iat, ok := c["iat"].(int64); ok && e.faults.On(ATExpPast, client) {
		// Issued two hours ago, expired an hour ago: an old token, while
		// the token response's expires_in still says it is fresh.
		c["iat"], c["nbf"], c["exp"] = iat-7200, iat-7200, iat-3600
	}
	if e.faults.On(ATHuge, client) {
		// Concat copies: the user's own slices belong to the fixtures.
		roles, _ := c["roles"].([]string)
		perms, _ := c["permissions"].([]string)
		c["roles"] = slices.Concat(roles, hugeRoles)
		c["permissions"] = slices.Concat(perms, hugePermissions)
	}
}

// AccessTokenLife is how long access tokens live: at.exp_short, or the
// environment's lifetime.
func (e *Env) AccessTokenLife(client string, life time.Duration) time.Duration {
	if p, ok := e.faults.Take(ATExpShort, client); ok {
		return Duration(p)
	}
	return life
}

// SameAsIDToken reports whether the ID token is returned as the access
// token (at.same_as_id_token).
func (e *Env) SameAsIDToken(client string) bool { return e.faults.On(ATSameAsIDToken, client) }

// HalfHash is at_hash / c_hash: base64url of the left half of the SHA-256
// of the value (OIDC Core §3.1.3.6, for RS256).
func HalfHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
