package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	orgpb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
)

// stubOrgs is an OrganizationService that records what reached it.
type stubOrgs struct {
	organizationspbconnect.UnimplementedOrganizationServiceHandler
	mu   sync.Mutex
	auth []string
	ext  []string
}

func (s *stubOrgs) CreateOrganization(_ context.Context, req *connect.Request[orgpb.CreateOrganizationRequest]) (*connect.Response[orgpb.CreateOrganizationResponse], error) {
	s.mu.Lock()
	s.auth = append(s.auth, req.Header().Get("Authorization"))
	s.mu.Unlock()
	if req.Header().Get("Authorization") == "" {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("Token empty"))
	}
	return connect.NewResponse(&orgpb.CreateOrganizationResponse{Organization: &orgpb.Organization{
		Id: "org_1", DisplayName: req.Msg.GetOrganization().GetDisplayName()}}), nil
}

func (s *stubOrgs) GetOrganizationByExternalId(_ context.Context, req *connect.Request[orgpb.GetOrganizationRequest]) (*connect.Response[orgpb.GetOrganizationResponse], error) {
	s.mu.Lock()
	s.ext = append(s.ext, req.Msg.GetExternalId())
	s.mu.Unlock()
	return connect.NewResponse(&orgpb.GetOrganizationResponse{Organization: &orgpb.Organization{Id: "org_1"}}), nil
}

// stubREST is the REST API in front of a stub OrganizationService, and
// the procedures it reported reached.
func stubREST(t *testing.T) (*Handler, *stubOrgs, *[]string) {
	t.Helper()
	orgs := &stubOrgs{}
	_, h := organizationspbconnect.NewOrganizationServiceHandler(orgs)
	var mu sync.Mutex
	var reached []string
	rh, err := New(Config{
		Handler:  h,
		Services: []string{organizationspbconnect.OrganizationServiceName},
		Reached: func(p string) {
			mu.Lock()
			reached = append(reached, p)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rh, orgs, &reached
}

func serve(h http.Handler, method, path, contentType, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func statusOf(t *testing.T, rec *httptest.ResponseRecorder) (int, string, string) {
	t.Helper()
	var st struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Details []struct {
			ErrorCode string `json:"error_code"`
		} `json:"details"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || len(st.Details) != 1 {
		t.Fatalf("status %d: not a google.rpc.Status with one detail: %v: %s", rec.Code, err, rec.Body.Bytes())
	}
	return st.Code, st.Message, st.Details[0].ErrorCode
}

// TestRESTReachesHandler: a REST call reaches the procedure's connect
// handler with the client's Authorization header (which the management
// API's interceptor checks), and the procedure is reported reached.
func TestRESTReachesHandler(t *testing.T) {
	t.Parallel()
	h, orgs, reached := stubREST(t)
	rec := serve(h, http.MethodPost, "/api/v1/organizations", "application/json", `{"display_name":"Acme"}`, "Authorization", "Bearer tok")
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("create: %d %s %s, want 201 JSON", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	}
	if got := rec.Body.String(); !strings.Contains(got, `"display_name":"Acme"`) || !strings.Contains(got, `"id":"org_1"`) {
		t.Errorf("create body %s, want proto-named fields", got)
	}
	if len(orgs.auth) != 1 || orgs.auth[0] != "Bearer tok" {
		t.Errorf("the handler saw Authorization %q, want the client's", orgs.auth)
	}
	if want := organizationspbconnect.OrganizationServiceCreateOrganizationProcedure; len(*reached) != 1 || (*reached)[0] != want {
		t.Errorf("reached %v, want [%s]", *reached, want)
	}

	// The handler's error is the client's, in REST terms.
	rec = serve(h, http.MethodPost, "/api/v1/organizations", "application/json", `{"display_name":"Acme"}`)
	if code, msg, ec := statusOf(t, rec); rec.Code != http.StatusUnauthorized || code != 16 || msg != "Token empty" || ec != "UNAUTHENTICATED" {
		t.Errorf("without a token: %d %s, want 401 code 16 with ErrorInfo", rec.Code, rec.Body.Bytes())
	}
}

// TestRESTColonRoute: the route with a colon inside its path, which
// vanguard cannot parse as written, reaches its procedure with the path
// variable filled.
func TestRESTColonRoute(t *testing.T) {
	t.Parallel()
	h, orgs, _ := stubREST(t)
	rec := serve(h, http.MethodGet, "/api/v1/organizations:external/acme-1", "", "")
	if rec.Code != http.StatusOK || len(orgs.ext) != 1 || orgs.ext[0] != "acme-1" {
		t.Fatalf("GET organizations:external/acme-1: %d %s, the handler saw external_id %q", rec.Code, rec.Body.Bytes(), orgs.ext)
	}
	rec = serve(h, http.MethodGet, "/api/v1/organizations~external/acme-1", "", "")
	if code, msg, _ := statusOf(t, rec); rec.Code != http.StatusNotImplemented || code != 12 || !strings.Contains(msg, "organizations~external") {
		t.Errorf("the rewritten spelling: %d %s, want 501 naming it", rec.Code, rec.Body.Bytes())
	}
	if len(orgs.ext) != 1 {
		t.Errorf("the rewritten spelling reached the handler")
	}
}

// TestRESTClientFaults: what the client got wrong is a 4xx JSON status
// saying what to do, before or instead of the handler.
func TestRESTClientFaults(t *testing.T) {
	t.Parallel()
	h, orgs, _ := stubREST(t)
	cases := []struct {
		name, method, path, ct, body string
		status, code                 int
		msg                          string
	}{
		{"malformed body", http.MethodPost, "/api/v1/organizations", "application/json", `{"display_name":`, 400, 3,
			"the request body is not the JSON of a scalekit.v1.organizations.CreateOrganization"},
		{"a body for a route with none", http.MethodGet, "/api/v1/organizations:external/x", "application/json", `{"a":1}`, 400, 3,
			"GET /api/v1/organizations:external/x takes no request body"},
		{"not JSON", http.MethodPost, "/api/v1/organizations", "text/csv", "a,b", 415, 3, "send it with Content-Type: application/json"},
		{"too large", http.MethodPost, "/api/v1/organizations", "application/json", `{"display_name":"` + strings.Repeat("a", maxBodyBytes) + `"}`, 413, 8, "larger than 1 MiB"},
		{"not UTF-8", http.MethodGet, "/api/v1/organizations:external/%ff", "", "", 400, 3, "not UTF-8"},
		{"wrong method", http.MethodDelete, "/api/v1/organizations", "", "", 405, 12, "this path takes GET, POST"},
		{"no such route", http.MethodGet, "/api/v1/roles", "", "", 501, 12, "GET /api/v1/roles is not served by skctl mock-idp"},
	}
	for _, tc := range cases {
		rec := serve(h, tc.method, tc.path, tc.ct, tc.body, "Authorization", "Bearer tok")
		code, msg, ec := statusOf(t, rec)
		if rec.Code != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) || ec != errorCode(connect.Code(tc.code)) {
			t.Errorf("%s: %d %s, want %d code %d containing %q", tc.name, rec.Code, rec.Body.Bytes(), tc.status, tc.code, tc.msg)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
	}
	// vanguard decodes a body as the handler reads it, and would hand it
	// an empty request when that fails: none ran.
	if len(orgs.auth) != 0 || len(orgs.ext) != 0 {
		t.Errorf("refused requests ran CreateOrganization %d times, GetOrganizationByExternalId %d times", len(orgs.auth), len(orgs.ext))
	}
	// {} is no body at all, even where the route takes none.
	if rec := serve(h, http.MethodGet, "/api/v1/organizations:external/x", "application/json", " { } "); rec.Code != http.StatusOK {
		t.Errorf("GET with {}: %d %s, want 200", rec.Code, rec.Body.Bytes())
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); err == nil {
		t.Error("New with no handler succeeded")
	}
	_, err := New(Config{Handler: http.NotFoundHandler(), Services: []string{"scalekit.v1.nope.NopeService"}})
	if err == nil || !strings.Contains(err.Error(), "scalekit.v1.nope.NopeService") {
		t.Errorf("New with an unknown service: %v, want an error naming it", err)
	}
}
