package mockidp_test

// Helpers of the management API tests (mgmt_*_test.go): connect-go
// clients of every served service, built the way an app builds them
// (gRPC, a client_credentials token of the default app), over HTTP/1.1 or
// h2c, with a record of the protocol each answer came over.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/skctl/skctl/internal/mockidp/testenv"
	"github.com/skctl/skctl/internal/scalekitpb/auth/passwordless/passwordlesspbconnect"
	commonspb "github.com/skctl/skctl/internal/scalekitpb/commons"
	"github.com/skctl/skctl/internal/scalekitpb/connections/connectionspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/directories/directoriespbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/domains/domainspbconnect"
	errdetailspb "github.com/skctl/skctl/internal/scalekitpb/errdetails"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/sessions/sessionspbconnect"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
	"github.com/skctl/skctl/internal/scalekitpb/users/userspbconnect"
)

// Procedures and their counters in /__mock/requests.
const (
	mgOrgService  = "/scalekit.v1.organizations.OrganizationService/"
	mgUserService = "/scalekit.v1.users.UserService/"
)

// mgCounter is the /__mock/requests counter of a served procedure
// ("/scalekit.v1.organizations.OrganizationService/CreateOrganization").
func mgCounter(procedure string) string {
	return "grpc." + strings.TrimPrefix(procedure, "/")
}

// mgEmpty is the message of a procedure the tests call without its
// generated client.
type mgEmpty = emptypb.Empty

// mgProto is the HTTP version a client speaks.
type mgProto int

const (
	mgHTTP1 mgProto = iota // gRPC over HTTP/1.1, as the Go SDK on http://
	mgH2C                  // gRPC over cleartext HTTP/2 (prior knowledge), as Node
)

func (p mgProto) String() string {
	if p == mgH2C {
		return "h2c"
	}
	return "HTTP/1.1"
}

// wantProto is the resp.Proto of an answer over p.
func (p mgProto) wantProto() string {
	if p == mgH2C {
		return "HTTP/2.0"
	}
	return "HTTP/1.1"
}

// mgTransport is a fresh transport speaking p only.
func mgTransport(p mgProto) *http.Transport {
	var protos http.Protocols
	if p == mgH2C {
		protos.SetUnencryptedHTTP2(true)
	} else {
		protos.SetHTTP1(true)
	}
	return &http.Transport{Protocols: &protos, Proxy: nil, MaxIdleConnsPerHost: 8}
}

// mgRecorder is a RoundTripper that records the protocol of every answer
// and can add a bearer token to every request.
type mgRecorder struct {
	base  http.RoundTripper
	token string

	mu     sync.Mutex
	protos map[string]int
}

func (r *mgRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.token != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.base.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.protos[resp.Proto]++
		r.mu.Unlock()
	}
	return resp, err
}

// seen returns the protocols answers came over, with their counts.
func (r *mgRecorder) seen() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.protos))
	for k, v := range r.protos {
		out[k] = v
	}
	return out
}

// mgAPI is a set of management API clients of one environment.
type mgAPI struct {
	t     testing.TB
	env   *testenv.Env
	base  string
	proto mgProto
	rec   *mgRecorder
	http  *http.Client

	orgs     organizationspbconnect.OrganizationServiceClient
	users    userspbconnect.UserServiceClient
	sessions sessionspbconnect.SessionServiceClient
	domains  domainspbconnect.DomainServiceClient
	conns    connectionspbconnect.ConnectionServiceClient
	dirs     directoriespbconnect.DirectoryServiceClient
	pwl      passwordlesspbconnect.PasswordlessServiceClient
}

type mgOptions struct {
	proto   mgProto
	base    string // default env.URL
	token   string
	noToken bool
}

type mgOption func(*mgOptions)

// mgOver picks the HTTP version.
func mgOver(p mgProto) mgOption { return func(o *mgOptions) { o.proto = p } }

// mgBase sets the base URL the procedures are called under (a scenario
// environment: env.URL+"/grpc.unavailable"); its token comes from there.
func mgBase(u string) mgOption { return func(o *mgOptions) { o.base = u } }

// mgToken sends this bearer token instead of the default app's.
func mgToken(tok string) mgOption { return func(o *mgOptions) { o.token = tok } }

// mgNoToken sends no Authorization header.
func mgNoToken() mgOption { return func(o *mgOptions) { o.noToken = true } }

// newMgAPI builds clients of env's management API. By default they speak
// gRPC over HTTP/1.1 with a client_credentials token of the default app.
func newMgAPI(t testing.TB, env *testenv.Env, opts ...mgOption) *mgAPI {
	t.Helper()
	o := mgOptions{base: env.URL}
	for _, f := range opts {
		f(&o)
	}
	if !o.noToken && o.token == "" {
		o.token = mgClientToken(t, o.base, app1ID, app1Secret)
	}
	if o.noToken {
		o.token = ""
	}
	tr := mgTransport(o.proto)
	t.Cleanup(tr.CloseIdleConnections)
	rec := &mgRecorder{base: tr, token: o.token, protos: map[string]int{}}
	hc := &http.Client{Transport: rec}
	grpc := connect.WithGRPC()
	return &mgAPI{
		t: t, env: env, base: o.base, proto: o.proto, rec: rec, http: hc,
		orgs:     organizationspbconnect.NewOrganizationServiceClient(hc, o.base, grpc),
		users:    userspbconnect.NewUserServiceClient(hc, o.base, grpc),
		sessions: sessionspbconnect.NewSessionServiceClient(hc, o.base, grpc),
		domains:  domainspbconnect.NewDomainServiceClient(hc, o.base, grpc),
		conns:    connectionspbconnect.NewConnectionServiceClient(hc, o.base, grpc),
		dirs:     directoriespbconnect.NewDirectoryServiceClient(hc, o.base, grpc),
		pwl:      passwordlesspbconnect.NewPasswordlessServiceClient(hc, o.base, grpc),
	}
}

// mgClientToken gets a client_credentials access token from the
// environment at base, as the SDKs do.
func mgClientToken(t testing.TB, base, id, secret string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 20 * time.Second})
	cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: base + "/oauth/token"}
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatalf("client_credentials token of %s from %s: %v", id, base, err)
	}
	return tok.AccessToken
}

// mgCtx is a context for a call expected to succeed (or fail for a
// reason other than time): generous, bound to the test.
func mgCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mgMust fails the test when a call failed, and returns its message.
func mgMust[T any](t testing.TB, what string, r *connect.Response[T], err error) *T {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v%s", what, err, mgDescribe(err))
	}
	if r == nil || r.Msg == nil {
		t.Fatalf("%s: no response message", what)
	}
	return r.Msg
}

// mgDescribe is the ErrorInfo of a call's error, for failure messages.
func mgDescribe(err error) string {
	info := mgInfo(err)
	if info == nil {
		return ""
	}
	b, _ := json.Marshal(info)
	return " (ErrorInfo " + string(b) + ")"
}

// mgInfo is the ErrorInfo detail of a connect error, or nil.
func mgInfo(err error) *errdetailspb.ErrorInfo {
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		return nil
	}
	for _, d := range cerr.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if info, ok := v.(*errdetailspb.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// mgWantErr checks that a call failed with a gRPC status of code, whose
// ErrorInfo has error_code errorCode (unless "") and whose message
// contains msg (unless ""). It returns the ErrorInfo (nil if errorCode is
// "" and there is none).
func mgWantErr(t testing.TB, what string, err error, code connect.Code, errorCode, msg string) *errdetailspb.ErrorInfo {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want %v", what, code)
	}
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("%s: %T %v, want a connect error %v", what, err, err, code)
	}
	if cerr.Code() != code {
		t.Fatalf("%s: code %v (%q)%s, want %v", what, cerr.Code(), cerr.Message(), mgDescribe(err), code)
	}
	if msg != "" && !strings.Contains(cerr.Message(), msg) {
		t.Errorf("%s: message %q, want it to contain %q", what, cerr.Message(), msg)
	}
	info := mgInfo(err)
	if errorCode == "" {
		return info
	}
	if info == nil {
		t.Fatalf("%s: %v %q has no ErrorInfo detail, want error_code %s", what, code, cerr.Message(), errorCode)
	}
	if info.GetErrorCode() != errorCode {
		t.Errorf("%s: ErrorInfo error_code %q, want %q", what, info.GetErrorCode(), errorCode)
	}
	return info
}

// mgWantField checks that an InvalidArgument names a field among its
// violations.
func mgWantField(t testing.TB, what string, err error, field string) {
	t.Helper()
	info := mgWantErr(t, what, err, connect.CodeInvalidArgument, "INVALID_ARGUMENT", field)
	var fields []string
	for _, v := range info.GetValidationErrorInfo().GetFieldViolations() {
		if v.GetField() == field {
			return
		}
		fields = append(fields, v.GetField())
	}
	t.Errorf("%s: field violations %q, want one for %s", what, fields, field)
}

// mgCounters is env's request counters.
func mgCounters(env *testenv.Env) map[string]int64 { return env.Requests() }

// mgControl calls a /__mock endpoint with a JSON body (nil: none) and
// returns the status and body.
func mgControl(t testing.TB, env *testenv.Env, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, env.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// mgAdvance moves env's clock forward.
func mgAdvance(t testing.TB, env *testenv.Env, d string) {
	t.Helper()
	if status, body := mgControl(t, env, http.MethodPost, "/__mock/clock", map[string]string{"advance": d}); status != http.StatusOK {
		t.Fatalf("POST /__mock/clock advance %s: %d %s", d, status, body)
	}
}

// mgMessage is one email of GET /__mock/mail.
type mgMessage struct {
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Code      string    `json:"code"`
	Link      string    `json:"link"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

// mgLastMail is the newest email to an address; it fails the test when
// there is none.
func mgLastMail(t testing.TB, env *testenv.Env, to string) mgMessage {
	t.Helper()
	status, body := mgControl(t, env, http.MethodGet, "/__mock/mail?to="+url.QueryEscape(to)+"&last=1", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /__mock/mail?to=%s&last=1: %d %s", to, status, body)
	}
	var m mgMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET /__mock/mail?to=%s&last=1: not a message: %v: %s", to, err, body)
	}
	if !strings.EqualFold(m.To, to) {
		t.Fatalf("GET /__mock/mail?to=%s&last=1: a message to %q", to, m.To)
	}
	return m
}

// mgMailbox is every email to an address, newest first.
func mgMailbox(t testing.TB, env *testenv.Env, to string) []mgMessage {
	t.Helper()
	status, body := mgControl(t, env, http.MethodGet, "/__mock/mail?to="+url.QueryEscape(to), nil)
	if status != http.StatusOK {
		t.Fatalf("GET /__mock/mail?to=%s: %d %s", to, status, body)
	}
	var ms []mgMessage
	if err := json.Unmarshal(body, &ms); err != nil {
		t.Fatalf("GET /__mock/mail?to=%s: not a list of messages: %v: %s", to, err, body)
	}
	return ms
}

// mgJWTClaims is the payload of a compact JWS, unverified (the caller has
// verified it, or only reads it).
func mgJWTClaims(t testing.TB, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWS payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("JWS payload: %v", err)
	}
	return claims
}

// ---- calls used by several files ----

// createOrg creates an organization and checks the answer.
func (c *mgAPI) createOrg(name, externalID string) *organizationspb.Organization {
	c.t.Helper()
	in := &organizationspb.CreateOrganization{DisplayName: name}
	if externalID != "" {
		in.ExternalId = &externalID
	}
	r, err := c.orgs.CreateOrganization(mgCtx(c.t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{Organization: in}))
	o := mgMust(c.t, "CreateOrganization "+name, r, err).GetOrganization()
	if !strings.HasPrefix(o.GetId(), "org_") {
		c.t.Fatalf("CreateOrganization %s: id %q, want org_…", name, o.GetId())
	}
	if o.GetDisplayName() != name {
		c.t.Fatalf("CreateOrganization %s: display_name %q", name, o.GetDisplayName())
	}
	return o
}

// getOrg gets an organization by id.
func (c *mgAPI) getOrg(id string) (*organizationspb.Organization, error) {
	r, err := c.orgs.GetOrganization(mgCtx(c.t), connect.NewRequest(&organizationspb.GetOrganizationRequest{
		Identities: &organizationspb.GetOrganizationRequest_Id{Id: id}}))
	if err != nil {
		return nil, err
	}
	return r.Msg.GetOrganization(), nil
}

// createUser creates a user with a membership of org (roles: the
// default), optionally inviting them.
func (c *mgAPI) createUser(org, email string, invite bool, roles ...string) *userspb.User {
	c.t.Helper()
	in := &userspb.CreateUser{Email: email}
	if len(roles) > 0 {
		in.Membership = &userspb.CreateMembership{Roles: mgRoles(roles...)}
	}
	r, err := c.users.CreateUserAndMembership(mgCtx(c.t), connect.NewRequest(&userspb.CreateUserAndMembershipRequest{
		OrganizationId: org, User: in, SendInvitationEmail: &invite}))
	u := mgMust(c.t, "CreateUserAndMembership "+email, r, err).GetUser()
	if !strings.HasPrefix(u.GetId(), "usr_") || u.GetEmail() != email {
		c.t.Fatalf("CreateUserAndMembership %s: id %q email %q", email, u.GetId(), u.GetEmail())
	}
	return u
}

// getUser gets a user by id.
func (c *mgAPI) getUser(id string) (*userspb.User, error) {
	r, err := c.users.GetUser(mgCtx(c.t), connect.NewRequest(&userspb.GetUserRequest{
		Identities: &userspb.GetUserRequest_Id{Id: id}}))
	if err != nil {
		return nil, err
	}
	return r.Msg.GetUser(), nil
}

// mustUser gets a user that must exist.
func (c *mgAPI) mustUser(id string) *userspb.User {
	c.t.Helper()
	u, err := c.getUser(id)
	if err != nil {
		c.t.Fatalf("GetUser %s: %v%s", id, err, mgDescribe(err))
	}
	return u
}

// mgRoles are roles by name, as a request names them.
func mgRoles(names ...string) []*commonspb.Role {
	var out []*commonspb.Role
	for _, n := range names {
		out = append(out, &commonspb.Role{Name: n})
	}
	return out
}

// mgMembership is a user's membership of org, or nil.
func mgMembership(u *userspb.User, org string) *commonspb.OrganizationMembership {
	for _, m := range u.GetMemberships() {
		if m.GetOrganizationId() == org {
			return m
		}
	}
	return nil
}

// mgRoleNames are the names of a membership's roles.
func mgRoleNames(m *commonspb.OrganizationMembership) []string {
	var out []string
	for _, r := range m.GetRoles() {
		out = append(out, r.GetName())
	}
	return out
}
