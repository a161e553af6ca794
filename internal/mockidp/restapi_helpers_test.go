package mockidp_test

// Helpers of the REST API tests (restapi_test.go): a plain net/http
// client that does what the curl commands of Scalekit's docs do.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/testenv"
)

// restStatusBody is a google.rpc.Status as the REST API sends it.
type restStatusBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type      string `json:"@type"`
		ErrorCode string `json:"error_code"`
	} `json:"details"`
}

// restClient calls an environment's REST API: JSON bodies, and a bearer
// token unless it has none.
type restClient struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client
}

// newREST is a client of the REST API at base (env.URL, or a scenario
// environment's URL), with a client_credentials token from base's
// /oauth/token unless noToken.
func newREST(t testing.TB, base string, noToken bool) *restClient {
	t.Helper()
	c := &restClient{t: t, base: base, hc: &http.Client{Timeout: 20 * time.Second}}
	if !noToken {
		c.token = restToken(t, base)
	}
	return c
}

// restToken gets an access token as the docs' curl command does: a form
// POST of grant_type, client_id and client_secret to /oauth/token.
func restToken(t testing.TB, base string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app1ID}, "client_secret": {app1Secret}}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).PostForm(base+"/oauth/token", form)
	if err != nil {
		t.Fatalf("POST %s/oauth/token: %v", base, err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("POST %s/oauth/token: %d, token %q, decode error %v", base, resp.StatusCode, tok.AccessToken, err)
	}
	if !strings.EqualFold(tok.TokenType, "Bearer") {
		t.Fatalf("token_type %q, want Bearer", tok.TokenType)
	}
	return tok.AccessToken
}

// do sends a request (a body is sent as JSON) and returns the status,
// headers and body.
func (c *restClient) do(method, path, body string) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, out
}

// call sends a request that must answer want, and decodes its JSON body
// into out (unless nil). It returns the raw body.
func (c *restClient) call(method, path, body string, want int, out any) []byte {
	c.t.Helper()
	status, h, raw := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, status, raw, want)
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: not JSON: %v: %s", method, path, err, raw)
		}
	}
	return raw
}

// wantStatus sends a request that must fail with HTTP status want and a
// google.rpc.Status of code with Scalekit's ErrorInfo (error_code), whose
// message contains msg.
func (c *restClient) wantStatus(method, path, body string, want, code int, errorCode, msg string) restStatusBody {
	c.t.Helper()
	var st restStatusBody
	raw := c.call(method, path, body, want, &st)
	if st.Code != code {
		c.t.Errorf("%s %s: code %d, want %d: %s", method, path, st.Code, code, raw)
	}
	if !strings.Contains(st.Message, msg) {
		c.t.Errorf("%s %s: message %q, want it to contain %q", method, path, st.Message, msg)
	}
	if len(st.Details) != 1 || st.Details[0].Type != "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo" || st.Details[0].ErrorCode != errorCode {
		c.t.Errorf("%s %s: details %+v, want one ErrorInfo with error_code %s: %s", method, path, st.Details, errorCode, raw)
	}
	return st
}

// restObject decodes the JSON object under key of a body, keeping every
// field as the wire had it.
func restObject(t testing.TB, raw []byte, key string) map[string]any {
	t.Helper()
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, raw)
	}
	obj, ok := top[key].(map[string]any)
	if !ok {
		t.Fatalf("no object %q in %s", key, raw)
	}
	return obj
}

// restCounter is a counter of env's /__mock/requests.
func restCounter(env *testenv.Env, name string) int64 { return mgCounters(env)[name] }
