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
// (docs/scalekit-contract.md §4), against the tenant as it is now: an
// organization signs in through its first enabled connection, and a
// disabled connection is not there to be asked for. An unmatched domain
// falls through to the default sign-in.
func (s *Server) route(req *store.AuthRequest, form url.Values) *wire.Error {
	if p := strings.ToLower(form.Get("provider")); p != "" {
		if !slices.Contains(store.SocialProviders, p) {
			return wire.InvalidRequest("Unknown provider " + p + ": use one of " + strings.Join(store.SocialProviders, ", ") + ".")
		}
		req.ConnID = store.SocialConnectionID(p)
		return nil
	}
	if id := form.Get("connection_id"); id != "" {
		if store.IsSocialConnection(id) {
			req.ConnID = id
			return nil
		}
		c, ok := s.tenant.ConnectionByID(id)
		if !ok || !c.Enabled {
			return &wire.Error{Code: "invalid_connection_id", Description: "No enabled connection " + id + " exists in this environment."}
		}
		req.ConnID, req.OrgID = c.ID, c.OrgID
		return nil
	}
	if id := form.Get("organization_id"); id != "" {
		if _, err := s.tenant.Org(id); err != nil {
			return &wire.Error{Code: "invalid_organization_id", Description: "No organization " + id + " exists in this environment."}
		}
		req.OrgID = id
		req.ConnID = s.connectionFor(id)
		return nil
	}
	// The SDKs send domain and domain_hint with the same value.
	domain := strings.ToLower(strings.TrimSpace(form.Get("domain")))
	if domain == "" {
		domain = strings.ToLower(strings.TrimSpace(form.Get("domain_hint")))
	}
	if domain == "" {
		return nil
	}
	if org, ok := s.tenant.OrgByDomain(domain); ok {
		req.OrgID = org.ID
		req.ConnID = s.connectionFor(org.ID)
		return nil
	}
	// Else a connection that names the domain itself.
	for _, c := range s.tenant.ListConnections("", domain) {
		if c.Enabled && slices.Contains(c.Domains, domain) {
			req.ConnID, req.OrgID = c.ID, c.OrgID
			return nil
		}
	}
	return nil
}
