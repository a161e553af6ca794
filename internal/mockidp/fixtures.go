package mockidp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/skctl/skctl/fixtures"
	"sigs.k8s.io/yaml"
)

// Fixtures is what a mock environment is seeded with: organizations and
// their connections, users with their memberships, and the apps (OAuth
// clients) allowed to sign users in. The file format is YAML or JSON with
// the json field names below; fixtures/default.yaml is the shipped example.
type Fixtures struct {
	Organizations []Organization `json:"organizations"`
	Users         []User         `json:"users"`
	Apps          []App          `json:"apps"`
	// Scenarios are named sets of modes, e.g. flaky: [token.slow=2s,
	// jwks.status=503]: usable wherever a mode is (--scenario, /<name>).
	Scenarios map[string][]string `json:"scenarios,omitempty"`
}

// Organization is a Scalekit organization (org_…).
type Organization struct {
	ID          string       `json:"id,omitempty"`
	Name        string       `json:"name"`
	ExternalID  string       `json:"external_id,omitempty"` // the xoid claim
	Domains     []string     `json:"domains,omitempty"`     // routes domain_hint / domain
	Connections []Connection `json:"connections,omitempty"`
}

// Connection is an SSO connection of an organization (conn_…).
type Connection struct {
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`     // OIDC or SAML
	Provider string `json:"provider,omitempty"` // OKTA, AZURE_AD, …
}

// User is a seeded user (usr_…).
type User struct {
	ID                  string         `json:"id,omitempty"`
	Email               string         `json:"email"`
	EmailVerified       *bool          `json:"email_verified,omitempty"` // default true
	Name                string         `json:"name,omitempty"`
	GivenName           string         `json:"given_name,omitempty"`
	FamilyName          string         `json:"family_name,omitempty"`
	PreferredUsername   string         `json:"preferred_username,omitempty"`
	Locale              string         `json:"locale,omitempty"`
	Picture             string         `json:"picture,omitempty"`
	PhoneNumber         string         `json:"phone_number,omitempty"`
	PhoneNumberVerified *bool          `json:"phone_number_verified,omitempty"`
	ExternalID          string         `json:"external_id,omitempty"` // the xuid claim
	Memberships         []Membership   `json:"memberships,omitempty"`
	Claims              map[string]any `json:"claims,omitempty"` // custom claims, in both tokens
}

// Membership places a user in an organization with roles and permissions.
// Without roles the first member of an organization is "admin" and later
// ones "member", as in a new Scalekit environment (contract §7).
type Membership struct {
	Organization string   `json:"organization"`
	Roles        []string `json:"roles,omitempty"`
	Permissions  []string `json:"permissions,omitempty"`
}

// App is an OAuth client of the environment.
type App struct {
	Name                   string   `json:"name,omitempty"`
	ClientID               string   `json:"client_id"`
	ClientSecret           string   `json:"client_secret,omitempty"` // empty for public clients
	Type                   string   `json:"type,omitempty"`          // web (default), spa, native or m2m
	RedirectURIs           []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	Grants                 []string `json:"grants,omitempty"` // default by type
	EnforcePKCE            bool     `json:"enforce_pkce,omitempty"`
	Audience               []string `json:"audience,omitempty"`     // aud of client_credentials tokens
	Scopes                 []string `json:"scopes,omitempty"`       // scopes of client_credentials tokens
	Organization           string   `json:"organization,omitempty"` // oid of an organization M2M client
	// InitiateLoginURI is where IdP-initiated sign-ins start (Scalekit's
	// "Initiate login URL", contract §14).
	InitiateLoginURI string `json:"initiate_login_uri,omitempty"`
	// TokenAuthMethod, when set (client_secret_post or
	// client_secret_basic), is the one strict mode expects the app to use.
	TokenAuthMethod string `json:"token_endpoint_auth_method,omitempty"`
}

const (
	grantCode        = "authorization_code"
	grantRefresh     = "refresh_token"
	grantClientCreds = "client_credentials"
)

// public reports whether the app authenticates with no secret (SPA and
// native apps), which makes PKCE mandatory (contract §4).
func (a *App) public() bool { return a.Type == "spa" || a.Type == "native" }

func (a *App) allows(grant string) bool { return slices.Contains(a.Grants, grant) }

// LoadFixtures reads a fixtures file, YAML or JSON.
func LoadFixtures(path string) (*Fixtures, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	f, err := ParseFixtures(data)
	if err != nil {
		return nil, fmt.Errorf("fixtures %s: %w", path, err)
	}
	return f, nil
}

// ParseFixtures decodes YAML or JSON fixtures, fills in defaults and checks
// them. Unknown fields are errors, so a typo does not silently drop a user.
// Every problem is reported, not only the first.
func ParseFixtures(data []byte) (*Fixtures, error) {
	var f Fixtures
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		// JSON directly: six times faster than through the YAML parser.
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, err
		}
		if dec.More() {
			return nil, errors.New("fixtures: data after the JSON object")
		}
	} else if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, err
	}
	if err := f.normalize(); err != nil {
		return nil, err
	}
	return &f, nil
}

// normalize derives missing IDs and defaults, then validates.
func (f *Fixtures) normalize() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	orgs := map[string]bool{}
	for i := range f.Organizations {
		o := &f.Organizations[i]
		if o.ID == "" {
			o.ID = stableID("org_", o.Name)
		}
		checkPrefix(bad, "organizations", o.ID, "org_")
		if orgs[o.ID] {
			bad("organizations: %s appears twice", o.ID)
		}
		orgs[o.ID] = true
		for j := range o.Connections {
			c := &o.Connections[j]
			if c.ID == "" {
				c.ID = stableID("conn_", fmt.Sprintf("%s/%d", o.ID, j))
			}
			checkPrefix(bad, "connections", c.ID, "conn_")
			c.Type = strings.ToUpper(c.Type)
			if c.Type == "" {
				c.Type = "OIDC"
			}
			if c.Type != "OIDC" && c.Type != "SAML" {
				bad("connection %s: type %q: use OIDC or SAML", c.ID, c.Type)
			}
		}
	}

	emails := map[string]bool{}
	members := map[string]int{}
	for i := range f.Users {
		u := &f.Users[i]
		u.Email = strings.ToLower(strings.TrimSpace(u.Email))
		if !strings.Contains(u.Email, "@") {
			bad("users[%d]: email %q is not an email address", i, u.Email)
		}
		if emails[u.Email] {
			bad("users: %s appears twice", u.Email)
		}
		emails[u.Email] = true
		if u.ID == "" {
			u.ID = stableID("usr_", u.Email)
		}
		checkPrefix(bad, "users", u.ID, "usr_")
		for j := range u.Memberships {
			m := &u.Memberships[j]
			if !orgs[m.Organization] {
				bad("user %s: organization %q is not among the organizations", u.Email, m.Organization)
			}
			if len(m.Roles) == 0 {
				m.Roles = []string{"member"}
				if members[m.Organization] == 0 {
					m.Roles = []string{"admin"}
				}
			}
			members[m.Organization]++
		}
		for name := range u.Claims {
			if reservedClaims[name] {
				bad("user %s: custom claim %q is reserved: pick another name", u.Email, name)
			}
		}
	}

	for name, modes := range f.Scenarios {
		if err := checkScenarioName(name); err != nil {
			bad("scenarios: %v", err)
		}
		if _, isMode := modesByName[strings.SplitN(name, "=", 2)[0]]; isMode {
			bad("scenarios: %q is the name of a mode: pick another", name)
		}
		for _, m := range modes {
			if _, err := ParseFault(m); err != nil {
				bad("scenarios: %s: %v", name, err)
			}
		}
	}
	if len(f.Apps) == 0 {
		bad("apps: at least one app is needed")
	}
	ids := map[string]bool{}
	for i := range f.Apps {
		a := &f.Apps[i]
		if a.ClientID == "" {
			bad("apps[%d]: client_id is empty", i)
		}
		if ids[a.ClientID] {
			bad("apps: %s appears twice", a.ClientID)
		}
		ids[a.ClientID] = true
		if a.Type == "" {
			a.Type = "web"
		}
		switch a.Type {
		case "web", "m2m":
			if a.ClientSecret == "" {
				bad("app %s: a %s app needs a client_secret", a.ClientID, a.Type)
			}
		case "spa", "native":
			if a.ClientSecret != "" {
				bad("app %s: a %s app is public and has no client_secret", a.ClientID, a.Type)
			}
		default:
			bad("app %s: type %q: use web, spa, native or m2m", a.ClientID, a.Type)
		}
		if len(a.Grants) == 0 {
			a.Grants = []string{grantCode, grantRefresh}
			switch a.Type {
			case "web":
				a.Grants = append(a.Grants, grantClientCreds)
			case "m2m":
				a.Grants = []string{grantClientCreds}
			}
		}
		for _, g := range a.Grants {
			if g != grantCode && g != grantRefresh && g != grantClientCreds {
				bad("app %s: grant %q: use authorization_code, refresh_token or client_credentials", a.ClientID, g)
			}
		}
		uris := append(slices.Clone(a.RedirectURIs), a.PostLogoutRedirectURIs...)
		if a.InitiateLoginURI != "" {
			uris = append(uris, a.InitiateLoginURI)
		}
		for _, u := range uris {
			if p, err := url.Parse(u); err != nil || !p.IsAbs() || p.Fragment != "" {
				bad("app %s: %q is not an absolute URI without a fragment", a.ClientID, u)
			}
		}
		if m := a.TokenAuthMethod; m != "" && m != "client_secret_post" && m != "client_secret_basic" {
			bad("app %s: token_endpoint_auth_method %q: use client_secret_post or client_secret_basic", a.ClientID, m)
		}
		if a.Organization != "" && !orgs[a.Organization] {
			bad("app %s: organization %q is not among the organizations", a.ClientID, a.Organization)
		}
	}
	return errors.Join(errs...)
}

func checkPrefix(bad func(string, ...any), what, id, prefix string) {
	if !strings.HasPrefix(id, prefix) || len(id) == len(prefix) {
		bad("%s: ID %q must start with %q", what, id, prefix)
	}
}

// OverrideDefaultApp applies the command line's --client-id, --client-secret,
// --redirect-uri and --post-logout-redirect-uri to the first app, the one
// printed for the user's .env. Empty values keep the fixture's.
func (f *Fixtures) OverrideDefaultApp(clientID, secret string, redirects, postLogout []string) error {
	if len(f.Apps) == 0 {
		return errors.New("fixtures: no app to configure")
	}
	a := &f.Apps[0]
	if clientID != "" {
		a.ClientID = clientID
	}
	if secret != "" {
		a.ClientSecret = secret
	}
	if len(redirects) > 0 {
		a.RedirectURIs = redirects
	}
	if len(postLogout) > 0 {
		a.PostLogoutRedirectURIs = postLogout
	}
	return f.normalize()
}

// reservedClaims are the names a custom claim may not take, so it cannot
// overwrite what an app verifies (contract §7).
var reservedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true,
	"azp": true, "client_id": true, "nonce": true, "at_hash": true, "c_hash": true, "sid": true,
	"oid": true, "amr": true, "auth_time": true, "scope": true, "scopes": true, "roles": true,
	"permissions": true, "email": true, "email_verified": true, "xoid": true, "xuid": true,
	"name": true, "given_name": true, "family_name": true, "locale": true, "picture": true,
	"preferred_username": true, "phone_number": true, "phone_number_verified": true,
}

// DefaultFixtures returns a fresh copy of the embedded default fixtures.
func DefaultFixtures() (*Fixtures, error) { return ParseFixtures(fixtures.DefaultJSON) }
