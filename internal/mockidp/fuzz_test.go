package mockidp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
)

// FuzzClientCredentials: the Authorization header and form of a token
// request are untrusted; parsing never panics, and Basic credentials that
// parse always name a client.
func FuzzClientCredentials(f *testing.F) {
	f.Add("Basic YTpi", "client_id=a&client_secret=b")
	f.Add("Bearer xyz", "client_id=a")
	f.Add("basic !!!", "")
	f.Add("Basic YSUyMGI6Yw==", "client_id=a+b")
	f.Fuzz(func(t *testing.T, authz, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		c, e := parseClientCredentials(authz, form)
		if e == nil && c.basic && c.id == "" {
			t.Fatalf("Basic credentials with an empty client ID accepted")
		}
	})
}

// FuzzAuthorize: whatever the query, the authorize endpoint never answers
// 500, and it redirects only to a redirect URI registered for the client.
func FuzzAuthorize(f *testing.F) {
	s, err := New(Options{Issuer: "http://127.0.0.1:4400"})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	f.Add("response_type=code&client_id=skc_59615193906741387&redirect_uri=http%3A%2F%2Flocalhost%3A4321%2Fapi%2Fauth%2Fcallback&scope=openid&login_hint=ada%40acme.test")
	f.Add("client_id=skc_59615193906741387&redirect_uri=http%3A%2F%2Flocalhost%3A4321%2Fapi%2Fauth%2Fcallback&prompt=none&state=%00")
	f.Add("client_id=skc_59615193906741387&redirect_uri=http%3A%2F%2Fevil&response_type=code")
	f.Add("response_type=code&client_id=skc_59615193906741387&redirect_uri=http%3A%2F%2Flocalhost%3A4321%2Fapi%2Fauth%2Fcallback&scope=openid&code_challenge=x&code_challenge_method=S256&organization_id=org_1&domain=acme.test")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, query)
		}
		if loc := rec.Header().Get("Location"); loc != "" {
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatalf("bad Location %q", loc)
			}
			u.RawQuery = ""
			app := s.dir.Client(req.URL.Query().Get("client_id"))
			if app == nil || !slices.Contains(app.RedirectURIs, u.String()) {
				t.Fatalf("redirected to %q, not a registered URI of the client (query %q)", loc, query)
			}
		}
	})
}
