package conformance_test

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// naiveApp is a web app signing in with Scalekit the way many tutorials
// do. It makes exactly five mistakes, which the runner must report, and
// nothing else wrong:
//
//  1. the tokens are kept as they are in cookies (HttpOnly, so only the
//     plain token shows);
//  2. it sends no nonce and checks none;
//  3. it decodes the ID token's payload without checking its signature;
//  4. on refresh it drops the rotated refresh token and keeps using the
//     first one;
//  5. it fetches the key set once, at the first access-token check, and
//     never again.
//
// Everything else follows Scalekit's guides: state and PKCE S256, the
// redirect URI as registered, the code exchanged with client_secret_post,
// the ID token's claims checked, the access token verified on every
// protected request, refresh on expiry, 503 while the IdP is down,
// RP-initiated logout with id_token_hint.
type naiveApp struct {
	env, appURL      string // origins, without a trailing slash
	clientID, secret string
	idp              *http.Client // the IdP's endpoints, with a timeout
	now              func() time.Time

	mu   sync.Mutex
	keys *jose.JSONWebKeySet // mistake 5: once set, never fetched again
}

// The cookies. The token cookies hold the tokens as the IdP issued them
// (mistake 1).
const (
	cookieIDToken  = "id_token"
	cookieAccess   = "access_token"
	cookieRefresh  = "refresh_token"
	cookieState    = "oauth_state"
	cookieVerifier = "pkce_verifier"
)

// naiveScope asks for a refresh token, as Scalekit's guides do.
const naiveScope = "openid profile email offline_access"

// naiveIdPTimeout bounds every call to the IdP: the app answers 503
// rather than hang when the IdP does.
const naiveIdPTimeout = 2 * time.Second

func newNaiveApp(env, appURL string) *naiveApp {
	return &naiveApp{
		env: env, appURL: appURL, clientID: app1ID, secret: app1Secret,
		idp: &http.Client{Timeout: naiveIdPTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		now: time.Now,
	}
}

func (a *naiveApp) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /api/auth/login", a.login)
	mux.HandleFunc("GET /api/auth/callback", a.callback)
	mux.HandleFunc("GET /api/auth/logout", a.logout)
	mux.HandleFunc("GET /dashboard", a.dashboard)
	return mux
}

func (a *naiveApp) redirectURI() string { return a.appURL + "/api/auth/callback" }

// home is the landing page: a sign-in link, or the dashboard's.
func (a *naiveApp) home(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(cookieAccess); err == nil {
		page(w, http.StatusOK, "Home", `<a href="/dashboard">Dashboard</a> · <a href="/api/auth/logout">Sign out</a>`)
		return
	}
	page(w, http.StatusOK, "Signed out", `You are signed out. <a href="/api/auth/login">Sign in</a>`)
}

// login starts a sign-in: a fresh state and PKCE verifier, kept in
// HttpOnly cookies for the callback, and no nonce (mistake 2).
func (a *naiveApp) login(w http.ResponseWriter, r *http.Request) {
	state, verifier := randomToken(), randomToken()
	sum := sha256.Sum256([]byte(verifier))
	setCookie(w, cookieState, state, 600)
	setCookie(w, cookieVerifier, verifier, 600)
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {a.clientID},
		"redirect_uri":          {a.redirectURI()},
		"scope":                 {naiveScope},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.env+"/oauth/authorize?"+q.Encode(), http.StatusFound)
}

// callback checks and consumes the state, exchanges the code, checks the
// tokens and keeps them in cookies.
func (a *naiveApp) callback(w http.ResponseWriter, r *http.Request) {
	state, verifier := cookieValue(r, cookieState), cookieValue(r, cookieVerifier)
	clearCookies(w, cookieState, cookieVerifier) // one use, whatever happens next
	q := r.URL.Query()
	switch {
	case q.Get("error") != "":
		signInFailed(w, "the identity provider refused the sign-in")
		return
	case state == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
		signInFailed(w, "the sign-in's state does not match this browser's")
		return
	case q.Get("code") == "" || verifier == "":
		signInFailed(w, "the callback carries no code")
		return
	}
	tr, err := a.exchange(r.Context(), url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {q.Get("code")},
		"redirect_uri":  {a.redirectURI()},
		"code_verifier": {verifier},
	})
	if err != nil {
		a.failWith(w, err, "the code could not be exchanged")
		return
	}
	if _, err := a.checkIDToken(tr.IDToken); err != nil {
		signInFailed(w, "the ID token was refused: "+err.Error())
		return
	}
	if _, err := a.verifyAccess(r.Context(), tr.AccessToken); err != nil {
		a.failWith(w, err, "the access token was refused")
		return
	}
	setCookie(w, cookieIDToken, tr.IDToken, 0)
	setCookie(w, cookieAccess, tr.AccessToken, 0)
	if tr.RefreshToken != "" {
		setCookie(w, cookieRefresh, tr.RefreshToken, 0)
	} else {
		clearCookies(w, cookieRefresh) // an earlier session's
	}
	http.Redirect(w, r, "/dashboard", http.StatusFound)
}

// dashboard is the protected page, behind the access-token check.
func (a *naiveApp) dashboard(w http.ResponseWriter, r *http.Request) {
	access, idToken, refresh := cookieValue(r, cookieAccess), cookieValue(r, cookieIDToken), cookieValue(r, cookieRefresh)
	if access == "" || idToken == "" {
		http.Redirect(w, r, "/api/auth/login", http.StatusFound)
		return
	}
	_, err := a.verifyAccess(r.Context(), access)
	if errors.Is(err, errTokenExpired) {
		idToken, err = a.refresh(w, r, idToken, refresh)
	}
	switch {
	case errors.Is(err, errIdPDown):
		idpDown(w)
		return
	case err != nil:
		a.signOut(w, r)
		return
	}
	claims, err := decodeIDToken(idToken)
	if err != nil {
		a.signOut(w, r)
		return
	}
	page(w, http.StatusOK, "Dashboard", "Welcome, "+html.EscapeString(displayName(claims)))
}

// refresh redeems the refresh token and stores the new access and ID
// tokens, but not the rotated refresh token (mistake 4). It returns the ID
// token to show.
func (a *naiveApp) refresh(w http.ResponseWriter, r *http.Request, oldID, refresh string) (string, error) {
	if refresh == "" {
		return "", errInvalidToken
	}
	tr, err := a.exchange(r.Context(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if err != nil {
		return "", err
	}
	if _, err := a.verifyAccess(r.Context(), tr.AccessToken); err != nil {
		return "", err
	}
	if tr.IDToken != "" {
		if err := a.checkRefreshedIDToken(oldID, tr.IDToken); err != nil {
			return "", err
		}
		setCookie(w, cookieIDToken, tr.IDToken, 0)
		oldID = tr.IDToken
	}
	setCookie(w, cookieAccess, tr.AccessToken, 0)
	return oldID, nil
}

// logout ends the app's session, then the IdP's.
func (a *naiveApp) logout(w http.ResponseWriter, r *http.Request) {
	idToken := cookieValue(r, cookieIDToken)
	clearCookies(w, cookieIDToken, cookieAccess, cookieRefresh)
	if idToken == "" {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {a.appURL + "/"}}
	http.Redirect(w, r, a.env+"/oidc/logout?"+q.Encode(), http.StatusFound)
}

// signOut clears the session and starts a new sign-in.
func (a *naiveApp) signOut(w http.ResponseWriter, r *http.Request) {
	clearCookies(w, cookieIDToken, cookieAccess, cookieRefresh)
	http.Redirect(w, r, "/api/auth/login", http.StatusFound)
}

// failWith answers 503 while the IdP is down, else the sign-in's error
// page.
func (a *naiveApp) failWith(w http.ResponseWriter, err error, what string) {
	if errors.Is(err, errIdPDown) {
		idpDown(w)
		return
	}
	signInFailed(w, what)
}

func signInFailed(w http.ResponseWriter, why string) {
	page(w, http.StatusBadRequest, "Sign-in failed", "Sign-in failed: "+html.EscapeString(why)+`. <a href="/api/auth/login">Try again</a>`)
}

func idpDown(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	page(w, http.StatusServiceUnavailable, "Try again shortly", "The sign-in service is not answering. Please try again in a moment.")
}

func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><p>%s</p>\n", html.EscapeString(title), body)
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func clearCookies(w http.ResponseWriter, names ...string) {
	for _, n := range names {
		setCookie(w, n, "", -1)
	}
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// randomToken is 32 random bytes, base64url: a state or a PKCE verifier.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
