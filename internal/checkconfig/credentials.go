package checkconfig

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/skctl/skctl/internal/config"
)

// checkCredentials proves the client ID and secret the way any OAuth 2.0
// server allows, with no browser and no token issued: an
// authorization_code grant for a code that cannot exist, sent as serve
// sends its own (the configured token auth method, the redirect URI, a
// PKCE verifier). A server authenticates the client before it looks at
// the grant, so invalid_client means the credentials are wrong and
// invalid_grant means they passed and only the made-up code was refused
// (RFC 6749 §5.2). It is the grant serve needs, so it also tells a client
// that may not use it; client_credentials, which this check used before,
// is refused to web clients by some providers and not enabled for every
// Scalekit app. The check keeps its ID: CI configurations look for it.
func (st *state) checkCredentials(ctx context.Context) result {
	id, secret := st.o.Settings[config.EnvClientID], st.o.Settings[config.EnvClientSecret]
	method := st.value(config.EnvTokenAuth)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {bogusCode()}, "code_verifier": {bogusCode()},
		"redirect_uri": {st.value(config.EnvRedirectURI)}}
	header := http.Header{}
	if method == "client_secret_basic" {
		// RFC 6749 §2.3.1: each part form-encoded, then base64.
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	} else {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	resp, body, err := st.doWith(ctx, http.MethodPost, st.doc.TokenEndpoint, form, header)
	if err != nil {
		return fail("the token endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
	}
	var answer struct {
		Error string `json:"error"`
	}
	json.Unmarshal(body, &answer)
	switch {
	case answer.Error == "invalid_grant":
		return pass("the client ID and secret are valid: the token endpoint authenticated the client (" + method + ") and refused only a made-up authorization code (invalid_grant)")
	case answer.Error == "invalid_client" || (answer.Error == "" && resp.StatusCode == http.StatusUnauthorized):
		return fail("the client secret does not match this client ID in this environment (the token endpoint answered invalid_client to "+method+")",
			"copy "+config.EnvClientID+" and "+config.EnvClientSecret+" again from the "+config.DashCredentials+" of this environment (development and production differ); if they are right, the provider may want the other "+config.EnvTokenAuth+" (client_secret_post or client_secret_basic)").
			onMock(mockCredentialsHint)
	case answer.Error == "unauthorized_client":
		return fail("the client ID and secret are valid, but this client may not use the authorization_code grant, which sign-in needs",
			"use a web app's client ID, or enable the authorization code grant for this client in the "+config.Dashboard).
			onMock(mockGrantHint)
	case answer.Error == "unsupported_grant_type":
		return fail("the token endpoint does not support the authorization_code grant, which sign-in needs",
			"check that "+config.EnvEnvironmentURL+" is the environment URL")
	case resp.StatusCode == http.StatusOK:
		return fail("the token endpoint issued tokens for a made-up authorization code", "this environment cannot be trusted to check codes; check that "+config.EnvEnvironmentURL+" is the environment URL").
			onMock(mockFaultHint)
	case answer.Error != "" && resp.StatusCode < 500:
		return warn(fmt.Sprintf("the token endpoint answered %d %s to a made-up authorization code, so the secret was not verified", resp.StatusCode, answer.Error),
			"sign in once with skctl serve to verify the secret")
	}
	return fail(fmt.Sprintf("the token endpoint answered %d %s", resp.StatusCode, answer.Error), "try again; if it persists, contact Scalekit support").
		onMock(mockFaultHint)
}

// bogusCode is a code, or a PKCE verifier, that no server issued: 256
// random bits in the 43 characters RFC 7636 §4.1 allows.
func bogusCode() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
