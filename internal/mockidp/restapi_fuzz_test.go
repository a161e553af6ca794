package mockidp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzREST: the path, method, body and content type of a REST call are
// the client's. Whatever they are, the answer is JSON; never a 5xx but
// 501 (a route the mock does not serve); and every error is a
// google.rpc.Status with an ErrorInfo detail, as Scalekit documents.
func FuzzREST(f *testing.F) {
	s, err := New(Options{Issuer: "http://127.0.0.1:4400"})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	token := fuzzToken(f, h)

	f.Add(uint8(0), "organizations", "", "")
	f.Add(uint8(1), "organizations", `{"display_name":"Acme","external_id":"acme-1"}`, "application/json")
	f.Add(uint8(1), "organizations", `{"display_name":`, "application/json; charset=UTF-8")
	f.Add(uint8(2), "organizations/org_59615193906282635", `{"metadata":{"a":"b"}}`, "application/json")
	f.Add(uint8(0), "organizations:external/ACME-001", "", "")
	f.Add(uint8(3), "users:external/x", "", "")
	f.Add(uint8(1), "memberships/organizations/org_1/users:external/e", `{"roles":[{"name":"admin"}]}`, "")
	f.Add(uint8(0), "users~external/x", "", "")
	f.Add(uint8(1), "passwordless/email/send", `{"email":"a@b.test","expires_in":"x"}`, "application/x-www-form-urlencoded")
	f.Add(uint8(4), "organizations/org_1/connections/c:enable", "[]", "text/plain")
	f.Add(uint8(0), "organizations?page_size=-1&page_token=%ff", "", "")
	f.Add(uint8(0), "roles", "", "application/grpc")
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut}
	f.Fuzz(func(t *testing.T, m uint8, rest, body, contentType string) {
		path, query, _ := strings.Cut(rest, "?")
		req := httptest.NewRequest(methods[int(m)%len(methods)], "/", strings.NewReader(body))
		req.URL = &url.URL{Path: restPrefix + path, RawQuery: query}
		req.RequestURI = ""
		req.Header.Set("Authorization", "Bearer "+token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %q: status %d: %s", req.Method, rest, rec.Code, rec.Body.Bytes())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %q: Content-Type %q (status %d): %q", req.Method, rest, ct, rec.Code, rec.Body.Bytes())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: status %d, body not JSON: %q", req.Method, rest, rec.Code, rec.Body.Bytes())
		}
		if rec.Code < 400 {
			return
		}
		var st struct {
			Code    int `json:"code"`
			Details []struct {
				Type      string `json:"@type"`
				ErrorCode string `json:"error_code"`
			} `json:"details"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Code == 0 ||
			len(st.Details) == 0 || st.Details[0].Type != "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo" || st.Details[0].ErrorCode == "" {
			t.Fatalf("%s %q: status %d, not a google.rpc.Status with an ErrorInfo: %s", req.Method, rest, rec.Code, rec.Body.Bytes())
		}
	})
}

// fuzzToken gets a client_credentials token of the default app from the
// environment's handler itself.
func fuzzToken(f *testing.F, h http.Handler) string {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"skc_59615193906741387"}, "client_secret": {"test_secret_d8f1c5a2e0b94f7a9c3e6b1d"}}
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		f.Fatalf("client_credentials token: %d %s", rec.Code, rec.Body.Bytes())
	}
	return tok.AccessToken
}
