package webapp_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
)

// TestCallbackFuzzOracle checks that what FuzzCallback watches does move:
// a callback with this app's own transaction cookie for its state does
// reach the token endpoint (a made-up code, so the mock refuses it and
// no session is set), and the counters see it.
func TestCallbackFuzzOracle(t *testing.T) {
	st := newMockStack(t, mockidp.Options{})
	h := st.App.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/auth/login", nil))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	req := httptest.NewRequest(http.MethodGet, "/api/auth/callback?code=made_up&state="+url.QueryEscape(loc.Query().Get("state")), nil)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge > 0 {
			req.AddCookie(c)
		}
	}
	before := st.TokenRequests.Load()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if n := st.TokenRequests.Load() - before; n != 1 {
		t.Fatalf("%d token-endpoint requests counted, want 1", n)
	}
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a refused code: %d, want 400", rec.Code)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "skctl_session" && c.MaxAge >= 0 {
			t.Errorf("a refused code set a session cookie")
		}
	}
}
