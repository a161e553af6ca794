package mockidp

import (
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// authRequest is a checked authorization request (contract §4).
type authRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string
	State       string
	Nonce       string
	Challenge   string
	Prompt      []string
	LoginHint   string

	// Routing, resolved: the organization and connection the request asks
	// for, if any.
	OrgID  string
	ConnID string
}

// LogValue keeps state, nonce and the challenge out of logs (zitadel's
// AuthRequest does the same).
func (r authRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", r.ClientID), slog.String("org", r.OrgID), slog.String("conn", r.ConnID))
}

func (r *authRequest) prompts(p string) bool { return slices.Contains(r.Prompt, p) }

// pkceChallenge is the RFC 7636 §4.2 form of an S256 challenge: 43
// base64url characters (the SHA-256 of the verifier).
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// parseAuthRequest checks the parameters in the order that decides where an
// error goes. A problem with client_id or redirect_uri is a page (never a
// redirect to an unchecked URI), so it comes back as pageErr; every later
// problem goes to the redirect URI as redirectErr.
func (s *Server) parseAuthRequest(form url.Values) (req authRequest, app *App, pageErr, redirectErr *oauthError) {
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
	app = s.dir.clients[clientID]
	if !ok || app == nil {
		return req, nil, &oauthError{"invalid_client", "No app with this client_id exists in this environment."}, nil
	}
	req.ClientID = clientID
	redirect, ok := one("redirect_uri")
	if !ok || redirect == "" || !slices.Contains(app.RedirectURIs, redirect) {
		return req, app, &oauthError{"invalid_redirect_uri", "The redirect_uri is missing or not registered for this app."}, nil
	}
	req.RedirectURI = redirect
	req.State = form.Get("state")

	// From here on the redirect URI is trusted, and errors go back to it.
	for name, v := range form {
		if len(v) > 1 {
			return req, app, nil, errInvalidRequest("The parameter " + name + " is repeated.")
		}
	}
	switch rt := form.Get("response_type"); rt {
	case "code":
	case "":
		return req, app, nil, errInvalidRequest("response_type is required.")
	default:
		return req, app, nil, &oauthError{"unsupported_response_type", "Only response_type=code is supported."}
	}
	if !app.allows(grantCode) {
		return req, app, nil, &oauthError{"unauthorized_client", "This app may not use the authorization code grant."}
	}
	req.Scope = form.Get("scope")
	if !slices.Contains(strings.Fields(req.Scope), "openid") {
		return req, app, nil, &oauthError{"invalid_scope", "The scope must include openid."}
	}
	req.Nonce = form.Get("nonce")

	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return req, app, nil, errInvalidRequest("code_challenge_method was sent without code_challenge.")
	case challenge != "" && method != "S256":
		// authz.reject_plain: the mock always refuses plain (and any
		// method but S256), so the mode changes nothing. It is kept for the
		// scenario names, and only uses up its count here.
		s.faults.on("authz.reject_plain", clientID)
		return req, app, nil, errInvalidRequest("code_challenge_method must be S256.")
	case challenge != "" && !pkceChallenge.MatchString(challenge):
		return req, app, nil, errInvalidRequest("code_challenge must be 43 base64url characters (RFC 7636 §4.2).")
	case challenge == "" && (app.public() || app.EnforcePKCE):
		return req, app, nil, errInvalidRequest("This app requires PKCE: send code_challenge with code_challenge_method=S256.")
	case challenge == "" && s.faults.on("authz.require_pkce", clientID):
		return req, app, nil, errInvalidRequest("This environment requires PKCE from every app (authz.require_pkce): send code_challenge with code_challenge_method=S256.")
	}
	req.Challenge = challenge

	req.Prompt = strings.Fields(form.Get("prompt"))
	for _, p := range req.Prompt {
		if !slices.Contains([]string{"none", "login", "consent", "create", "select_account"}, p) {
			return req, app, nil, errInvalidRequest("Unknown prompt value " + p + ".")
		}
	}
	if req.prompts("none") && len(req.Prompt) > 1 {
		return req, app, nil, errInvalidRequest("prompt=none cannot be combined with other values.")
	}
	req.LoginHint = strings.ToLower(strings.TrimSpace(form.Get("login_hint")))
	if e := s.route(&req, form); e != nil {
		return req, app, nil, e
	}
	return req, app, nil, nil
}

// route resolves Scalekit's routing parameters, most specific first:
// provider > connection_id > organization_id > domain > login_hint
// (contract §4). An unmatched domain falls through to the default sign-in.
func (s *Server) route(req *authRequest, form url.Values) *oauthError {
	if p := strings.ToLower(form.Get("provider")); p != "" {
		if !slices.Contains(socialProviders, p) {
			return errInvalidRequest("Unknown provider " + p + ": use one of " + strings.Join(socialProviders, ", ") + ".")
		}
		req.ConnID = socialConnection(p).ID
		return nil
	}
	if id := form.Get("connection_id"); id != "" {
		ref, ok := s.dir.conns[id]
		if !ok {
			return &oauthError{"invalid_connection_id", "No connection " + id + " exists in this environment."}
		}
		req.ConnID = id
		if ref.org != nil {
			req.OrgID = ref.org.ID
		}
		return nil
	}
	if id := form.Get("organization_id"); id != "" {
		org, ok := s.dir.orgs[id]
		if !ok {
			return &oauthError{"invalid_organization_id", "No organization " + id + " exists in this environment."}
		}
		req.OrgID = org.ID
		req.ConnID = org.firstConnection().ID
		return nil
	}
	// The SDKs send domain and domain_hint with the same value.
	domain := form.Get("domain")
	if domain == "" {
		domain = form.Get("domain_hint")
	}
	if org, ok := s.dir.domains[strings.ToLower(domain)]; ok {
		req.OrgID = org.ID
		req.ConnID = org.firstConnection().ID
	}
	return nil
}
