package mockidp

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/store"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// pkceChallenge is the RFC 7636 §4.2 form of an S256 challenge: 43
// base64url characters (the SHA-256 of the verifier).
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// parseAuthRequest checks the parameters in the order that decides where an
// error goes. A problem with client_id or redirect_uri is a page (never a
// redirect to an unchecked URI), so it comes back as pageErr; every later
// problem goes to the redirect URI as redirectErr.
func (s *Server) parseAuthRequest(form url.Values) (req store.AuthRequest, app *fixture.App, pageErr, redirectErr *wire.Error) {
	one := func(name string) (string, bool) {
		v := form[name]
		if len(v) > 1 {
			return "", false
		}
		if len(v) == 0 {
			return "", true
		}
		return v[0], true
	}
	clientID, ok := one("client_id")
	app = s.dir.Client(clientID)
	if !ok || app == nil {
		return req, nil, &wire.Error{Code: "invalid_client", Description: "No app with this client_id exists in this environment."}, nil
	}
	req.ClientID = clientID
	redirect, ok := one("redirect_uri")
	if !ok || redirect == "" || !slices.Contains(app.RedirectURIs, redirect) {
		return req, app, &wire.Error{Code: "invalid_redirect_uri", Description: "The redirect_uri is missing or not registered for this app."}, nil
	}
	req.RedirectURI = redirect
	req.State = form.Get("state")

	// From here on the redirect URI is trusted, and errors go back to it.
	for name, v := range form {
		if len(v) > 1 {
			return req, app, nil, wire.InvalidRequest("The parameter " + name + " is repeated.")
		}
	}
	switch rt := form.Get("response_type"); rt {
	case "code":
	case "":
		return req, app, nil, wire.InvalidRequest("response_type is required.")
	default:
		return req, app, nil, &wire.Error{Code: "unsupported_response_type", Description: "Only response_type=code is supported."}
	}
	if !app.Allows(wire.GrantCode) {
		return req, app, nil, &wire.Error{Code: "unauthorized_client", Description: "This app may not use the authorization code grant."}
	}
	req.Scope = form.Get("scope")
	if !slices.Contains(strings.Fields(req.Scope), "openid") {
		return req, app, nil, &wire.Error{Code: "invalid_scope", Description: "The scope must include openid."}
	}
	req.Nonce = form.Get("nonce")

	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return req, app, nil, wire.InvalidRequest("code_challenge_method was sent without code_challenge.")
	case challenge != "" && method != "S256":
		// The mock always refuses plain, and any method but S256.
		s.drills.PlainRefused(clientID)
		return req, app, nil, wire.InvalidRequest("code_challenge_method must be S256.")
	case challenge != "" && !pkceChallenge.MatchString(challenge):
		return req, app, nil, wire.InvalidRequest("code_challenge must be 43 base64url characters (RFC 7636 §4.2).")
	case challenge == "" && (app.Public() || app.EnforcePKCE):
		return req, app, nil, wire.InvalidRequest("This app requires PKCE: send code_challenge with code_challenge_method=S256.")
	case challenge == "" && s.drills.RequirePKCE(clientID):
		return req, app, nil, wire.InvalidRequest("This environment requires PKCE from every app (authz.require_pkce): send code_challenge with code_challenge_method=S256.")
	}
	req.Challenge = challenge

	req.Prompt = strings.Fields(form.Get("prompt"))
	for _, p := range req.Prompt {
		if !slices.Contains([]string{"none", "login", "consent", "create", "select_account"}, p) {
			return req, app, nil, wire.InvalidRequest("Unknown prompt value " + p + ".")
		}
	}
	if req.Prompts("none") && len(req.Prompt) > 1 {
		return req, app, nil, wire.InvalidRequest("prompt=none cannot be combined with other values.")
	}
	req.LoginHint = strings.ToLower(strings.TrimSpace(form.Get("login_hint")))
	if e := s.route(&req, form); e != nil {
		return req, app, nil, e
	}
	return req, app, nil, nil
}

// route resolves Scalekit's routing parameters, most specific first:
// provider > connection_id > organization_id > domain > login_hint
// (docs/scalekit-contract.md §4). An unmatched domain falls through to the default sign-in.
func (s *Server) route(req *store.AuthRequest, form url.Values) *wire.Error {
	if p := strings.ToLower(form.Get("provider")); p != "" {
		if !slices.Contains(store.SocialProviders, p) {
			return wire.InvalidRequest("Unknown provider " + p + ": use one of " + strings.Join(store.SocialProviders, ", ") + ".")
		}
		req.ConnID = store.SocialConnection(p).ID
		return nil
	}
	if id := form.Get("connection_id"); id != "" {
		ref, ok := s.dir.Conn(id)
		if !ok {
			return &wire.Error{Code: "invalid_connection_id", Description: "No connection " + id + " exists in this environment."}
		}
		req.ConnID = id
		if ref.Org != nil {
			req.OrgID = ref.Org.ID
		}
		return nil
	}
	if id := form.Get("organization_id"); id != "" {
		org := s.dir.Org(id)
		if org == nil {
			return &wire.Error{Code: "invalid_organization_id", Description: "No organization " + id + " exists in this environment."}
		}
		req.OrgID = org.ID
		req.ConnID = org.FirstConnection().ID
		return nil
	}
	// The SDKs send domain and domain_hint with the same value.
	domain := form.Get("domain")
	if domain == "" {
		domain = form.Get("domain_hint")
	}
	if org := s.dir.OrgByDomain(domain); org != nil {
		req.OrgID = org.ID
		req.ConnID = org.FirstConnection().ID
	}
	return nil
}
