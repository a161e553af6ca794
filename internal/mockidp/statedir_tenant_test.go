package mockidp_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"golang.org/x/oauth2"
)

// TestTenantSurvivesRestart: with a state directory, what the tenant was
// given (here an organization and a user, as the management API makes
// them) is there after a restart, and signs in.
func TestTenantSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := startEnv(t, mockidp.Options{StateDir: dir})
	o := arranged(env.Tenant().CreateOrg(tenant.Org{DisplayName: "Initech"}))
	u := arranged(env.Tenant().CreateUserAndMembership(o.ID, tenant.User{Email: "peter@initech.test"}, tenant.Membership{}, false))
	env.Stop()
	if _, err := os.Stat(filepath.Join(dir, "tenant.json")); err != nil {
		t.Fatalf("no tenant.json after a graceful stop: %v", err)
	}

	env = startEnv(t, mockidp.Options{StateDir: dir})
	tok := newApp(t, env, app1ID, app1Secret, app1Redirect).login(newBrowser(t), "peter@initech.test")
	if tok.idToken.Subject != u.ID || tok.claims["oid"] != o.ID {
		t.Errorf("after the restart: sub %s oid %v, want %s in %s", tok.idToken.Subject, tok.claims["oid"], u.ID, o.ID)
	}
}

// TestSignUpSurvivesKill: a sign-up through the page is saved before the
// code exchange answers, so a mock killed right after (SIGKILL, its
// background save an hour away) knows the user its tokens name.
func TestSignUpSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	dir := t.TempDir()
	env, child := startKillable(t, dir, "127.0.0.1:0")
	addr := strings.TrimPrefix(env, "http://")
	code, verifier := signUpCode(t, env, "survivor@startup.test")
	r := postToken(t, env, codeForm(code, verifier), nil)
	if r.status != 200 {
		t.Fatalf("code exchange: %d %v", r.status, r.body)
	}
	sub := jwtClaims(t, r.body["id_token"].(string))["sub"]
	child.Process.Kill()
	child.Wait()

	env, _ = startKillable(t, dir, addr)
	// The refresh token, saved with the user, still works, and names them.
	next := postToken(t, env, refreshForm(r.body["refresh_token"].(string), app1ID, app1Secret), nil)
	if next.status != 200 {
		t.Fatalf("refresh after the kill: %d %v", next.status, next.body)
	}
	if got := jwtClaims(t, next.body["id_token"].(string))["sub"]; got != sub {
		t.Errorf("sub after the kill %v, want %v", got, sub)
	}
}

// signUpCode signs a new email up through the page of env and returns
// the code and its PKCE verifier.
func signUpCode(t *testing.T, env, email string) (string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	v := url.Values{
		"response_type": {"code"}, "client_id": {app1ID}, "redirect_uri": {app1Redirect}, "state": {"s"},
		"scope": {"openid email profile offline_access"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
	b := newBrowser(t)
	page := b.get(env + "/oauth/authorize?" + v.Encode())
	m := handleRE.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no sign-in page: %d %.300s", page.status, page.body)
	}
	p := b.byEmailAt(env, b.postForm(env+"/oauth/login", url.Values{"handle": {m[1]}, "email": {email}}), email)
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("sign-up: %d %v", p.status, p.location)
	}
	return p.location.Query().Get("code"), verifier
}
