package mockidp

import (
	"net/http"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// handleUserinfo handles GET and POST /userinfo (docs/scalekit-contract.md §13), which only
// standard OIDC clients call. The access token comes as a Bearer header,
// or as access_token in a form body (RFC 6750 §2.2).
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token := ""
	header := false
	if scheme, v, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		token, header = strings.TrimSpace(v), true
	} else if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		token = r.PostFormValue("access_token")
	}
	// A drill may refuse a token in the body or the query (which the mock
	// otherwise ignores): the header is then the one way in.
	if !header && (token != "" || r.URL.Query().Get("access_token") != "") && s.drills.RequireBearerHeader(userinfoClient(r)) {
		const desc = "Send the access token in the Authorization: Bearer header, not in the body or the query (userinfo.require_bearer_header)."
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request", error_description="`+desc+`"`)
		wire.WriteJSON(w, http.StatusUnauthorized, wire.InvalidRequest(desc))
		return
	}
	claims, ok := s.accessTokenClaims(token)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is missing, expired or not an access token of this environment."`)
		wire.WriteJSON(w, http.StatusUnauthorized, s.withCanary(&wire.Error{Code: "invalid_token", Description: "The access token is missing, expired or not an access token of this environment."}))
		return
	}
	u, err := s.tenant.User(claims["sub"].(string))
	if err != nil {
		wire.WriteJSON(w, http.StatusUnauthorized, &wire.Error{Code: "invalid_token", Description: "The token's user no longer exists."})
		return
	}
	scopes, _ := claims["scope"].(string)
	out := map[string]any{"sub": u.ID}
	if slices.Contains(strings.Fields(scopes), "email") {
		out["email"], out["email_verified"] = u.Email, u.EmailVerified
	}
	if slices.Contains(strings.Fields(scopes), "profile") {
		for k, v := range map[string]string{
			"name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName,
			"preferred_username": u.PreferredUsername, "locale": u.Locale, "picture": u.Picture,
		} {
			if v != "" {
				out[k] = v
			}
		}
	}
	if c, _ := claims["client_id"].(string); s.drills.Userinfo(out, c) {
		s.signedUserinfo(w, out, claims)
		return
	}
	wire.WriteJSON(w, http.StatusOK, out)
}

// signedUserinfo answers with the claims as a JWT signed by the current
// key, Content-Type application/jwt (OIDC Core §5.3.2), with iss and aud
// added as that section asks: userinfo.signed_jwt.
func (s *Server) signedUserinfo(w http.ResponseWriter, out, token map[string]any) {
	out["iss"] = s.issuer
	if c, ok := token["client_id"].(string); ok {
		out["aud"] = []string{c}
	}
	jwt, err := s.keys.Sign(out)
	if err != nil {
		wire.WriteJSON(w, http.StatusInternalServerError, &wire.Error{Code: "server_error", Description: "The mock could not sign the userinfo response."})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwt")
	h.Set("Cache-Control", "no-store")
	w.Write([]byte(jwt))
}

// accessTokenClaims verifies a user's access token of this environment. ID
// tokens (they carry at_hash), client_credentials tokens (no sid) and
// expired tokens are refused.
func (s *Server) accessTokenClaims(token string) (map[string]any, bool) {
	if token == "" {
		return nil, false
	}
	claims, err := s.keys.Verify(token, s.issuer)
	if err != nil {
		return nil, false
	}
	exp, _ := claims["exp"].(float64)
	_, isID := claims["at_hash"]
	_, hasJTI := claims["jti"].(string)
	_, hasSID := claims["sid"].(string)
	_, hasSub := claims["sub"].(string)
	if isID || !hasJTI || !hasSID || !hasSub || float64(s.now().Unix()) >= exp {
		return nil, false
	}
	return claims, true
}
