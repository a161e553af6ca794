package checkconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/skctl/skctl/internal/config"
)

// checkCredentials proves the client ID and secret with a
// client_credentials request: the one grant that needs no browser.
func (st *state) checkCredentials(ctx context.Context) result {
	id, secret := st.o.Settings[config.EnvClientID], st.o.Settings[config.EnvClientSecret]
	resp, body, err := st.do(ctx, http.MethodPost, st.doc.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if err != nil {
		return fail("the token endpoint could not be reached: "+describe(err), "try again; if it persists, check this machine's network")
	}
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode == http.StatusOK && answer.AccessToken != "":
		return pass("the client ID and secret are valid (a client_credentials token was issued)")
	case answer.Error == "invalid_client" || resp.StatusCode == http.StatusUnauthorized:
		return fail("the client secret does not match this client ID in this environment",
			"copy "+config.EnvClientID+" and "+config.EnvClientSecret+" again from the "+config.DashCredentials+" of this environment (development and production differ)").
			onMock(mockCredentialsHint)
	case answer.Error == "unauthorized_client":
		return warn("the credentials are valid but the client_credentials grant is not enabled for this client",
			"the secret could not be fully verified this way: sign in once with skctl serve, or enable the grant in the "+config.Dashboard).
			onMock(mockGrantHint)
	case answer.Error == "unsupported_grant_type":
		return warn("this environment does not support client_credentials, so the secret was not verified",
			"sign in once with skctl serve to verify the secret")
	}
	return fail(fmt.Sprintf("the token endpoint answered %d %s", resp.StatusCode, answer.Error), "try again; if it persists, contact Scalekit support").
		onMock(mockFaultHint)
}
