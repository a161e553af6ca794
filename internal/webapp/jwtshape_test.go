package webapp

import "testing"

// TestJWTShaped: what counts as a JWT, and what is opaque.
func TestJWTShaped(t *testing.T) {
	t.Parallel()
	for token, want := range map[string]bool{
		b64(`{"alg":"RS256"}`) + ".e30.c2ln":           true,
		b64(`{"alg":"none"}`) + ".e30.":                true,
		b64(`{"alg":"RS256"}`) + ".e30":                false, // two segments
		b64(`{"alg":"dir"}`) + "..iv.ciphertext.tag":   false, // a JWE: opaque to the client
		"ya29.a0AfH6SMBx.more":                         false, // dotted, but no JOSE header
		"4a1b2c3d-opaque-access-token":                 false,
		"":                                             false,
		"e30." + b64(`{"alg":"RS256"}`) + ".c2ln.more": false,
	} {
		if got := jwtShaped(token); got != want {
			t.Errorf("%q: %v, want %v", token, got, want)
		}
	}
}
