package checkconfig

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

// A grant that cannot succeed is answered invalid_client when client
// authentication fails and invalid_grant when it passed (RFC 6749 §5.2),
// provided the server authenticates the client before it looks at the
// grant. Most do; some look at the grant first (zitadel/oidc's op does
// for the code grant, not for the refresh grant), and then invalid_grant
// says nothing of the secret. So each probe that gets invalid_grant is
// sent once more with a secret that is certainly wrong: only a server
// that then answers invalid_client has shown that it checks the secret
// first. No probe can issue a token, and each is sent the way serve
// sends its own requests: the configured token auth method, the redirect
// URI, a PKCE verifier. client_credentials, which this check used
// before, is refused to web clients by some providers and not enabled
// for every Scalekit app. The check keeps its ID: CI configurations look
// for it.

// probe is a token request that cannot succeed.
type probe struct {
	what string // "a made-up authorization code"
	form func(st *state) url.Values
	// needed: sign-in cannot work when the client may not use the grant.
	needed bool
}

var probes = []probe{
	{what: "a made-up authorization code", needed: true, form: func(st *state) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {madeUp()}, "code_verifier": {madeUp()},
			"redirect_uri": {st.value(config.EnvRedirectURI)}}
	}},
	{what: "a made-up refresh token", form: func(*state) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {madeUp()}}
	}},
}

// checkCredentials proves the client ID and secret by probes (above).
func (st *state) checkCredentials(ctx context.Context) result {
	id, secret := st.o.Settings[config.EnvClientID], st.o.Settings[config.EnvClientSecret]
	method := st.value(config.EnvTokenAuth)
	var unproven []string // what each probe that proved nothing got
	for _, p := range probes {
		status, code, err := st.tokenError(ctx, method, id, secret, p.form(st))
		if err != nil {
			return fail("the token endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
		}
		switch {
		case code == "invalid_client" || (code == "" && status == http.StatusUnauthorized):
			return fail("the client secret does not match this client ID in this environment (the token endpoint answered invalid_client to "+method+")",
				"copy "+config.EnvClientID+" and "+config.EnvClientSecret+" again from the "+config.DashCredentials+" of this environment (development and production differ); if they are right, the provider may want the other "+config.EnvTokenAuth+" (client_secret_post or client_secret_basic)").
				onMock(mockCredentialsHint)
		case code == "invalid_grant":
			// The control: the same probe with a secret nobody has.
			_, ctrl, err := st.tokenError(ctx, method, id, "skctl-check-config-wrong-"+madeUp(), p.form(st))
			if err != nil {
				return fail("the token endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
			}
			if ctrl == "invalid_client" {
				return pass("the client ID and secret are valid (" + method + "): the token endpoint answered " + p.what + " with invalid_grant, and the same request with a wrong secret with invalid_client")
			}
			// This grant is looked at before the client: try the next.
			unproven = append(unproven, p.what+" got invalid_grant even with a wrong secret")
			continue
		case p.needed && code == "unauthorized_client":
			return fail("this client may not use the authorization_code grant, which sign-in needs",
				"use a web app's client ID, or enable the authorization code grant for this client in the "+config.Dashboard).
				onMock(mockGrantHint)
		case p.needed && code == "unsupported_grant_type":
			return fail("the token endpoint does not support the authorization_code grant, which sign-in needs",
				"check that "+config.EnvEnvironmentURL+" is the environment URL")
		case status == http.StatusOK:
			return fail("the token endpoint issued tokens for "+p.what, "this environment cannot be trusted to check its grants; check that "+config.EnvEnvironmentURL+" is the environment URL").
				onMock(mockFaultHint)
		case status >= 500 || (status < 400 && code == ""):
			return fail(fmt.Sprintf("the token endpoint answered %d %s", status, code), "try again; if it persists, contact Scalekit support").
				onMock(mockFaultHint)
		}
		unproven = append(unproven, fmt.Sprintf("%s got %d %s", p.what, status, code))
	}
	return warn("the secret could not be verified: "+strings.Join(unproven, "; "),
		"sign in once with skctl serve to verify the secret")
}

// tokenError sends form to the token endpoint with the client's
// credentials, the configured way, and returns the answer's status and
// error code.
func (st *state) tokenError(ctx context.Context, method, id, secret string, form url.Values) (int, string, error) {
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
		return 0, "", err
	}
	var answer struct {
		Error string `json:"error"`
	}
	json.Unmarshal(body, &answer)
	return resp.StatusCode, answer.Error, nil
}

// madeUp is a code, refresh token or PKCE verifier that no server issued:
// 256 random bits in the 43 characters RFC 7636 §4.1 allows.
func madeUp() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
