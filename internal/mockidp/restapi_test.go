package mockidp_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
)

// Counters of the REST API tests.
const (
	restRequests        = "rest.requests"
	restCreateOrgCount  = "grpc.scalekit.v1.organizations.OrganizationService/CreateOrganization"
	restOrgByExternalID = "grpc.scalekit.v1.organizations.OrganizationService/GetOrganizationByExternalId"
)

// TestRESTOrganizations drives the organization routes as the curl
// commands of Scalekit's docs do: create (201, as the API reference
// documents), list, get, update (PATCH) and get by external id (the
// /api/v1/organizations:external/{external_id} route, whose colon vanguard
// cannot parse unless rewritten). The JSON is Scalekit's: snake_case
// names, RFC 3339 times; and the object is the one the gRPC API sees.
func TestRESTOrganizations(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newREST(t, env.URL, false)
	before := mgCounters(env)

	raw := c.call(http.MethodPost, "/api/v1/organizations", `{"display_name":"Acme","external_id":"acme-1"}`, http.StatusCreated, nil)
	org := restObject(t, raw, "organization")
	id, _ := org["id"].(string)
	if !strings.HasPrefix(id, "org_") || org["display_name"] != "Acme" || org["external_id"] != "acme-1" {
		t.Fatalf("created %s, want an org_ id, display_name Acme, external_id acme-1", raw)
	}
	created, err := time.Parse(time.RFC3339Nano, org["create_time"].(string))
	if err != nil || time.Since(created) > time.Hour || time.Until(created) > time.Minute {
		t.Errorf("create_time %v (%v), want an RFC 3339 time of now", org["create_time"], err)
	}
	for _, camel := range []string{"displayName", "externalId", "createTime", "regionCode"} {
		if _, ok := org[camel]; ok {
			t.Errorf("created organization has the camelCase name %s; the REST API uses proto names: %s", camel, raw)
		}
	}
	if org["region_code"] != "US" {
		t.Errorf("region_code %v, want the enum's name US", org["region_code"])
	}

	var list struct {
		TotalSize     int    `json:"total_size"`
		NextPageToken string `json:"next_page_token"`
		Organizations []struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"organizations"`
	}
	c.call(http.MethodGet, "/api/v1/organizations?page_size=10", "", http.StatusOK, &list)
	if !slices.ContainsFunc(list.Organizations, func(o struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	}) bool {
		return o.ID == id && o.DisplayName == "Acme"
	}) || list.TotalSize != len(list.Organizations) {
		t.Errorf("GET /api/v1/organizations?page_size=10: %+v, want %s among all of them", list, id)
	}
	c.call(http.MethodGet, "/api/v1/organizations?page_size=1", "", http.StatusOK, &list)
	if len(list.Organizations) != 1 || list.NextPageToken == "" {
		t.Errorf("page_size=1: %d organizations, next_page_token %q; want one and a token (the query reached the request)", len(list.Organizations), list.NextPageToken)
	}

	got := restObject(t, c.call(http.MethodGet, "/api/v1/organizations/"+id, "", http.StatusOK, nil), "organization")
	if got["id"] != id || got["create_time"] != org["create_time"] {
		t.Errorf("GET /api/v1/organizations/%s: %v, want the created organization %v", id, got, org)
	}

	upd := restObject(t, c.call(http.MethodPatch, "/api/v1/organizations/"+id, `{"display_name":"Acme Inc","metadata":{"plan":"pro"}}`, http.StatusOK, nil), "organization")
	if upd["display_name"] != "Acme Inc" || upd["external_id"] != "acme-1" {
		t.Errorf("PATCH: %v, want display_name Acme Inc and external_id kept", upd)
	}

	ext := restObject(t, c.call(http.MethodGet, "/api/v1/organizations:external/acme-1", "", http.StatusOK, nil), "organization")
	if ext["id"] != id {
		t.Errorf("GET /api/v1/organizations:external/acme-1: %v, want %s", ext, id)
	}

	// One store: the gRPC API sees the REST API's change.
	g := newMgAPI(t, env)
	o, err := g.getOrg(id)
	if err != nil {
		t.Fatalf("gRPC GetOrganization %s: %v", id, err)
	}
	if o.GetDisplayName() != "Acme Inc" || o.GetExternalId() != "acme-1" || o.GetMetadata()["plan"] != "pro" {
		t.Errorf("gRPC sees %v, want the REST API's update", o)
	}

	after := mgCounters(env)
	if n := after[restRequests] - before[restRequests]; n != 6 {
		t.Errorf("rest.requests grew by %d, want 6 (one per REST call; the gRPC call is not one)", n)
	}
	if n := after[restCreateOrgCount] - before[restCreateOrgCount]; n != 1 {
		t.Errorf("%s grew by %d, want 1: the REST create reached the procedure", restCreateOrgCount, n)
	}
	if n := after[restOrgByExternalID] - before[restOrgByExternalID]; n != 1 {
		t.Errorf("%s grew by %d, want 1", restOrgByExternalID, n)
	}
}

// TestRESTUsersAndMemberships: a user created in one organization over
// REST (201) joins a second one (201), is found by external id through
// the users:external route, and the gRPC API sees both memberships.
func TestRESTUsersAndMemberships(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newREST(t, env.URL, false)
	org := func(name string) string {
		o := restObject(t, c.call(http.MethodPost, "/api/v1/organizations", `{"display_name":"`+name+`"}`, http.StatusCreated, nil), "organization")
		return o["id"].(string)
	}
	first, second := org("First"), org("Second")

	raw := c.call(http.MethodPost, "/api/v1/organizations/"+first+"/users",
		`{"email":"ada@first.test","external_id":"ada-1","user_profile":{"given_name":"Ada"}}`, http.StatusCreated, nil)
	u := restObject(t, raw, "user")
	uid, _ := u["id"].(string)
	if !strings.HasPrefix(uid, "usr_") || u["email"] != "ada@first.test" {
		t.Fatalf("created user %s, want a usr_ id and the email", raw)
	}

	raw = c.call(http.MethodPost, "/api/v1/memberships/organizations/"+second+"/users/"+uid, `{"roles":[{"name":"member"}]}`, http.StatusCreated, nil)
	ms, _ := restObject(t, raw, "user")["memberships"].([]any)
	if len(ms) != 2 {
		t.Fatalf("after CreateMembership: memberships %v, want two", ms)
	}

	byExt := restObject(t, c.call(http.MethodGet, "/api/v1/users:external/ada-1", "", http.StatusOK, nil), "user")
	if byExt["id"] != uid {
		t.Errorf("GET /api/v1/users:external/ada-1: %v, want %s", byExt, uid)
	}

	var members struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	c.call(http.MethodGet, "/api/v1/organizations/"+second+"/users", "", http.StatusOK, &members)
	if len(members.Users) != 1 || members.Users[0].ID != uid {
		t.Errorf("members of the second organization: %+v, want %s", members.Users, uid)
	}

	g := newMgAPI(t, env)
	gu := g.mustUser(uid)
	var orgs []string
	for _, m := range gu.GetMemberships() {
		orgs = append(orgs, m.GetOrganizationId())
	}
	slices.Sort(orgs)
	want := []string{first, second}
	slices.Sort(want)
	if !slices.Equal(orgs, want) || gu.GetExternalId() != "ada-1" || gu.GetUserProfile().GetGivenName() != "Ada" {
		t.Errorf("gRPC GetUser: memberships %v, external_id %q, given_name %q; want %v, ada-1, Ada",
			orgs, gu.GetExternalId(), gu.GetUserProfile().GetGivenName(), want)
	}
}

// TestRESTErrors: every failure is a google.rpc.Status in JSON with
// Scalekit's ErrorInfo, under grpc-gateway's HTTP status for its code. A
// missing token is the body Scalekit documents, byte for byte, answered by
// the management API's own interceptor (the call reached the procedure).
func TestRESTErrors(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})

	anon := newREST(t, env.URL, true)
	before := restCounter(env, restCreateOrgCount)
	status, h, raw := anon.do(http.MethodPost, "/api/v1/organizations", `{"display_name":"Acme"}`)
	const documented = `{"code":16,"message":"Token empty","details":[{"@type":"type.googleapis.com/scalekit.v1.errdetails.ErrorInfo","error_code":"UNAUTHENTICATED"}]}`
	if status != http.StatusUnauthorized || string(raw) != documented || h.Get("Content-Type") != "application/json" {
		t.Errorf("without a token: %d %s %s, want 401 application/json %s", status, h.Get("Content-Type"), raw, documented)
	}
	if n := restCounter(env, restCreateOrgCount) - before; n != 1 {
		t.Errorf("%s grew by %d, want 1: the interceptor, not the router, refused the call", restCreateOrgCount, n)
	}

	c := newREST(t, env.URL, false)
	c.wantStatus(http.MethodGet, "/api/v1/organizations/org_0000", "", http.StatusNotFound, 5, "NOT_FOUND", "org_0000 not found")
	c.wantStatus(http.MethodGet, "/api/v1/users:external/nobody", "", http.StatusNotFound, 5, "NOT_FOUND", "nobody")
	c.wantStatus(http.MethodPost, "/api/v1/organizations", `{"display_name": Acme}`, http.StatusBadRequest, 3, "INVALID_ARGUMENT",
		"the request body is not the JSON of a scalekit.v1.organizations.CreateOrganization: syntax error (line 1:18)")
	c.wantStatus(http.MethodPost, "/api/v1/organizations", `{"external_id":"x"}`, http.StatusBadRequest, 3, "INVALID_ARGUMENT",
		"organization.display_name: is required")
	c.wantStatus(http.MethodPost, "/api/v1/organizations", `{"display_name":"Twin","external_id":"ACME-001"}`, http.StatusConflict, 6, "ALREADY_EXISTS", "ACME-001")

	// Routes the mock has not: one of Scalekit's it does not emulate,
	// a method a path does not take, a body that is not JSON.
	c.wantStatus(http.MethodGet, "/api/v1/roles", "", http.StatusNotImplemented, 12, "UNIMPLEMENTED",
		"GET /api/v1/roles is not served by skctl mock-idp")
	st := c.wantStatus(http.MethodDelete, "/api/v1/organizations", "", http.StatusMethodNotAllowed, 12, "UNIMPLEMENTED",
		"DELETE /api/v1/organizations")
	if !strings.Contains(st.Message, "GET, POST") {
		t.Errorf("405 message %q, want the methods the path takes", st.Message)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+"/api/v1/organizations", strings.NewReader("display_name=Acme"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("a text/csv body: %d %s, want 415 with a JSON status", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestRESTCurlDefaults: curl -d sends application/x-www-form-urlencoded
// unless told otherwise; like grpc-gateway, the mock reads that body as
// JSON rather than refuse a command copied without its -H line.
func TestRESTCurlDefaults(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newREST(t, env.URL, false)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+"/api/v1/organizations", strings.NewReader(`{"display_name":"Curl Co"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("curl -d without a Content-Type: %d, want 201", resp.StatusCode)
	}
	g := newMgAPI(t, env)
	r, err := g.orgs.ListOrganization(mgCtx(t), connect.NewRequest(&organizationspb.ListOrganizationsRequest{PageSize: 100}))
	found := slices.ContainsFunc(mgMust(t, "ListOrganization", r, err).GetOrganizations(), func(o *organizationspb.Organization) bool {
		return o.GetDisplayName() == "Curl Co"
	})
	if !found {
		t.Errorf("the organization created with curl's default Content-Type is not in the store")
	}
}

// TestRESTDrills: the grpc.* drills apply to REST calls as to gRPC ones,
// in a scenario environment's path too, answered in REST's terms: 503
// with code 14 for grpc.unavailable, 429 with code 8 for
// grpc.resource_exhausted. The token comes from the scenario
// environment's own /oauth/token, as an app's SDK would get it there.
func TestRESTDrills(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	sc := newREST(t, env.URL+"/grpc.unavailable", false)
	sc.wantStatus(http.MethodGet, "/api/v1/organizations", "", http.StatusServiceUnavailable, 14, "UNAVAILABLE", "grpc.unavailable")

	c := newREST(t, env.URL, false)
	if err := env.Arm("grpc.resource_exhausted", 1, ""); err != nil {
		t.Fatal(err)
	}
	c.wantStatus(http.MethodGet, "/api/v1/organizations", "", http.StatusTooManyRequests, 8, "RESOURCE_EXHAUSTED", "grpc.resource_exhausted")
	// Armed once: the next call goes through.
	c.call(http.MethodGet, "/api/v1/organizations", "", http.StatusOK, nil)
}

// TestGetOrganizationByExternalIdRPC: the RPC behind
// /api/v1/organizations:external/{external_id}, over gRPC, looks up by
// external id only.
func TestGetOrganizationByExternalIdRPC(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	g := newMgAPI(t, env)
	r, err := g.orgs.GetOrganizationByExternalId(mgCtx(t), connect.NewRequest(&organizationspb.GetOrganizationRequest{
		Identities: &organizationspb.GetOrganizationRequest_ExternalId{ExternalId: "ACME-001"}}))
	if o := mgMust(t, "GetOrganizationByExternalId ACME-001", r, err).GetOrganization(); o.GetId() != acmeOrg {
		t.Errorf("GetOrganizationByExternalId ACME-001: %s, want %s", o.GetId(), acmeOrg)
	}
	_, err = g.orgs.GetOrganizationByExternalId(mgCtx(t), connect.NewRequest(&organizationspb.GetOrganizationRequest{
		Identities: &organizationspb.GetOrganizationRequest_Id{Id: acmeOrg}}))
	mgWantField(t, "GetOrganizationByExternalId by id", err, "external_id")
}

// TestRESTEvents: POST /api/v1/events/paginated lists the event log, with
// the filter as the body and paging in the query, as the docs' curl does.
func TestRESTEvents(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newREST(t, env.URL, false)
	raw := c.call(http.MethodPost, "/api/v1/organizations", `{"display_name":"Evented"}`, http.StatusCreated, nil)
	id := restObject(t, raw, "organization")["id"].(string)
	c.call(http.MethodPatch, "/api/v1/organizations/"+id, `{"display_name":"Evented Inc"}`, http.StatusOK, nil)

	var page struct {
		Events []struct {
			ID             string         `json:"id"`
			Type           string         `json:"type"`
			OrganizationID string         `json:"organization_id"`
			Object         string         `json:"object"`
			Data           map[string]any `json:"data"`
		} `json:"events"`
		NextPageToken string `json:"next_page_token"`
	}
	c.call(http.MethodPost, "/api/v1/events/paginated?page_size=1", `{"organization_id":"`+id+`"}`, http.StatusOK, &page)
	if len(page.Events) != 1 || page.Events[0].Type != "organization.created" || page.Events[0].Object != "Organization" ||
		page.Events[0].Data["display_name"] != "Evented" || page.NextPageToken == "" {
		t.Fatalf("the first page of %s's events: %+v", id, page)
	}
	next := page.NextPageToken
	c.call(http.MethodPost, "/api/v1/events/paginated?page_size=1&page_token="+next, `{"organization_id":"`+id+`"}`, http.StatusOK, &page)
	if len(page.Events) != 1 || page.Events[0].Type != "organization.updated" || page.Events[0].Data["display_name"] != "Evented Inc" {
		t.Errorf("the second page: %+v", page)
	}
	if e, ok := env.Events().Get(page.Events[0].ID); !ok || e.OrganizationID != id {
		t.Errorf("the listed event %s is not the log's", page.Events[0].ID)
	}
}
