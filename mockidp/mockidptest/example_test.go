package mockidptest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/mockidp/mockidptest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// exampleT lets the Example run Start outside a test function; in a test,
// pass the test's *testing.T.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                   {}
func (t *exampleT) Cleanup(f func())          { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// An M2M client gets a token from the environment, then sees the token
// endpoint fail once after a failure mode is armed.
func Example() {
	t := &exampleT{}
	defer t.done()
	env := mockidptest.Start(t, mockidptest.Options{})

	cc := clientcredentials.Config{ClientID: env.ClientID, ClientSecret: env.ClientSecret,
		TokenURL: env.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: 30 * time.Second})
	tok, err := cc.Token(ctx)
	fmt.Println("token:", err == nil && tok.AccessToken != "", tok.TokenType)

	if err := env.Arm("token.invalid_client", 1, ""); err != nil {
		panic(err)
	}
	_, err = cc.Token(ctx)
	re, _ := err.(*oauth2.RetrieveError)
	fmt.Println("armed:", re != nil && re.ErrorCode == "invalid_client")
	fmt.Println("token requests:", env.Requests()["token.requests"])
	// Output:
	// token: true Bearer
	// armed: true
	// token requests: 2
}

// TestStartSignsInWithAutoLogin: the environment a Go test starts signs a
// user in through its authorize endpoint, redirecting to the app's own
// callback with a code, and a mistyped mode is refused by name.
func TestStartSignsInWithAutoLogin(t *testing.T) {
	env := mockidptest.Start(t, mockidptest.Options{AutoLogin: "ada@acme.test",
		RedirectURIs: []string{"http://127.0.0.1:9/callback"}})
	q := url.Values{"client_id": {env.ClientID}, "redirect_uri": {"http://127.0.0.1:9/callback"},
		"response_type": {"code"}, "scope": {"openid"}, "state": {"s1"}}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(env.URL + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "127.0.0.1:9" || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s1" {
		t.Fatalf("authorize answered %d, Location %q: want a redirect to the callback with a code and the state", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := env.Requests()["authorize.requests"]; n != 1 {
		t.Errorf("authorize.requests = %d, want 1", n)
	}
	if err := env.Arm("idt.nonce_wrng", 0, ""); err == nil || !strings.Contains(err.Error(), "did you mean idt.nonce_wrong") {
		t.Errorf("a mistyped mode: %v", err)
	}
}
