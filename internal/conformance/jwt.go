package conformance

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// decodeJWT reads a compact JWS's header and claims without verifying
// it: the runner only looks at what an app sent or kept, to say which
// token it is, never to trust it. ok is false for anything that is not
// three segments whose first two are base64url JSON objects.
func decodeJWT(token string) (header, claims map[string]any, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, false
	}
	if decodeSegment(parts[0], &header) != nil || header == nil ||
		decodeSegment(parts[1], &claims) != nil || claims == nil {
		return nil, nil, false
	}
	return header, claims, true
}

// decodeSegment decodes one base64url segment of a JWT into v; padding
// is tolerated, as some libraries write it.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// audContains reports whether a token's aud (a string or an array of
// strings) names id.
func audContains(claims map[string]any, id string) bool {
	switch aud := claims["aud"].(type) {
	case string:
		return aud == id
	case []any:
		for _, a := range aud {
			if s, _ := a.(string); s == id {
				return true
			}
		}
	}
	return false
}

// sameIssuer compares two issuer URLs, a trailing slash aside.
func sameIssuer(a, b string) bool {
	return a != "" && strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
