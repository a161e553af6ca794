package mockidp

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/wire"
)

// clientCredentials are what a token request says about its client.
type clientCredentials struct {
	id, secret string
	basic      bool // sent as client_secret_basic
}

// parseClientCredentials reads client_secret_basic and client_secret_post
// (docs/scalekit-contract.md §5). A Bearer token in Authorization is the Go SDK's management
// token, not client authentication, and is ignored. Basic credentials are
// form-decoded after base64 (RFC 6749 §2.3.1): x/oauth2 encodes them.
func parseClientCredentials(authz string, form url.Values) (clientCredentials, *wire.Error) {
	c := clientCredentials{id: form.Get("client_id"), secret: form.Get("client_secret")}
	scheme, value, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return c, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return c, &wire.Error{Code: "invalid_client", Description: "The Basic credentials are not valid base64."}
	}
	rawID, rawSecret, ok := strings.Cut(string(raw), ":")
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if !ok || err1 != nil || err2 != nil || id == "" {
		return c, &wire.Error{Code: "invalid_client", Description: "The Basic credentials must be client_id:client_secret, each form-encoded."}
	}
	// Basic plus body credentials must agree (RFC 6749 §2.3).
	if (c.id != "" && c.id != id) || (c.secret != "" && c.secret != secret) {
		return c, wire.InvalidRequest("The client credentials in the Authorization header and in the body disagree.")
	}
	return clientCredentials{id: id, secret: secret, basic: true}, nil
}

// authenticateClient returns the app that the request's credentials prove.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (*fixture.App, bool, *wire.Error) {
	c, e := parseClientCredentials(r.Header.Get("Authorization"), form)
	if e != nil {
		return nil, c.basic || e.Code == "invalid_client", e
	}
	if c.id == "" {
		return nil, false, &wire.Error{Code: "invalid_client", Description: "No client credentials: send client_id and client_secret."}
	}
	app := s.dir.Client(c.id)
	wrong := &wire.Error{Code: "invalid_client", Description: "The client secret does not match this client ID in this environment."}
	switch {
	case app == nil:
		// Compare anyway, so timing does not reveal which client IDs exist.
		subtle.ConstantTimeCompare([]byte(c.secret), []byte("no-such-client-secret"))
		return nil, c.basic, wrong
	case app.Public():
		if c.secret != "" {
			return nil, c.basic, &wire.Error{Code: "invalid_client", Description: "This app is public and authenticates with no secret."}
		}
	case subtle.ConstantTimeCompare([]byte(c.secret), []byte(app.ClientSecret)) != 1:
		return nil, c.basic, wrong
	}
	return app, c.basic, nil
}
