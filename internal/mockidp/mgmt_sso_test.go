package mockidp_test

import (
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/skctl/skctl/internal/mockidp"
	connectionspb "github.com/skctl/skctl/internal/scalekitpb/connections"
	directoriespb "github.com/skctl/skctl/internal/scalekitpb/directories"
	domainspb "github.com/skctl/skctl/internal/scalekitpb/domains"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
)

// mgDomainNames lists an organization's domains of a type (0: all).
func mgDomainNames(t *testing.T, c *mgAPI, org string, typ domainspb.DomainType) []string {
	t.Helper()
	r, err := c.domains.ListDomains(mgCtx(t), connect.NewRequest(&domainspb.ListDomainRequest{
		Identities: &domainspb.ListDomainRequest_OrganizationId{OrganizationId: org},
		PageSize:   wrapperspb.Int32(100), DomainType: typ}))
	var out []string
	for _, d := range mgMust(t, "ListDomains "+org, r, err).GetDomains() {
		out = append(out, d.GetDomain())
	}
	return out
}

// TestMgmtDomains: create, read, list (by type) and delete an
// organization's domain; a domain is one organization's only.
func TestMgmtDomains(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Domain Holder", "")
	create := func(org, name string, typ domainspb.DomainType) (*domainspb.Domain, error) {
		r, err := c.domains.CreateDomain(mgCtx(t), connect.NewRequest(&domainspb.CreateDomainRequest{
			Identities: &domainspb.CreateDomainRequest_OrganizationId{OrganizationId: org},
			Domain:     &domainspb.CreateDomain{Domain: name, DomainType: typ}}))
		if err != nil {
			return nil, err
		}
		return r.Msg.GetDomain(), nil
	}

	d, err := create(o.GetId(), "NewCo.test", domainspb.DomainType_ORGANIZATION_DOMAIN)
	if err != nil {
		t.Fatalf("CreateDomain: %v%s", err, mgDescribe(err))
	}
	if !strings.HasPrefix(d.GetId(), "dom_") || d.GetDomain() != "newco.test" || d.GetOrganizationId() != o.GetId() || d.GetDomainType() != domainspb.DomainType_ORGANIZATION_DOMAIN {
		t.Errorf("CreateDomain = %v, want dom_… newco.test of %s, ORGANIZATION_DOMAIN", d, o.GetId())
	}
	gr, err := c.domains.GetDomain(mgCtx(t), connect.NewRequest(&domainspb.GetDomainRequest{
		Identities: &domainspb.GetDomainRequest_OrganizationId{OrganizationId: o.GetId()}, Id: d.GetId()}))
	if g := mgMust(t, "GetDomain", gr, err).GetDomain(); g.GetId() != d.GetId() || g.GetDomain() != "newco.test" {
		t.Errorf("GetDomain = %v", g)
	}
	_, err = create(o.GetId(), "staff.newco.test", domainspb.DomainType_ALLOWED_EMAIL_DOMAIN)
	if err != nil {
		t.Fatalf("CreateDomain ALLOWED_EMAIL_DOMAIN: %v%s", err, mgDescribe(err))
	}
	if got := mgDomainNames(t, c, o.GetId(), 0); !slices.Equal(got, []string{"newco.test", "staff.newco.test"}) {
		t.Errorf("ListDomains = %v, want newco.test, staff.newco.test", got)
	}
	if got := mgDomainNames(t, c, o.GetId(), domainspb.DomainType_ORGANIZATION_DOMAIN); !slices.Equal(got, []string{"newco.test"}) {
		t.Errorf("ListDomains ORGANIZATION_DOMAIN = %v, want newco.test", got)
	}
	if got := mgDomainNames(t, c, o.GetId(), domainspb.DomainType_ALLOWED_EMAIL_DOMAIN); !slices.Equal(got, []string{"staff.newco.test"}) {
		t.Errorf("ListDomains ALLOWED_EMAIL_DOMAIN = %v, want staff.newco.test", got)
	}
	if got := mgDomainNames(t, c, acmeOrg, 0); !slices.Contains(got, "acme.test") || slices.Contains(got, "newco.test") {
		t.Errorf("ListDomains(acme) = %v, want acme.test and not newco.test", got)
	}
	_, err = c.domains.ListDomains(mgCtx(t), connect.NewRequest(&domainspb.ListDomainRequest{
		Identities: &domainspb.ListDomainRequest_ExternalId{ExternalId: "ACME-001"}}))
	if err != nil {
		t.Errorf("ListDomains by external_id ACME-001: %v%s", err, mgDescribe(err))
	}

	_, err = create(o.GetId(), "acme.test", domainspb.DomainType_ORGANIZATION_DOMAIN)
	mgWantErr(t, "CreateDomain of Acme's domain", err, connect.CodeAlreadyExists, "ALREADY_EXISTS", "acme.test")
	_, err = create(o.GetId(), "https://acme.example/", domainspb.DomainType_ORGANIZATION_DOMAIN)
	mgWantField(t, "CreateDomain of a URL", err, "domain.domain")
	_, err = create("org_00000000000000007", "nowhere.test", domainspb.DomainType_ORGANIZATION_DOMAIN)
	mgWantErr(t, "CreateDomain in an unknown organization", err, connect.CodeNotFound, "NOT_FOUND", "")
	_, err = c.domains.GetDomain(mgCtx(t), connect.NewRequest(&domainspb.GetDomainRequest{
		Identities: &domainspb.GetDomainRequest_OrganizationId{OrganizationId: acmeOrg}, Id: d.GetId()}))
	mgWantErr(t, "GetDomain through another organization", err, connect.CodeNotFound, "NOT_FOUND", "")

	del := func(id string) error {
		_, err := c.domains.DeleteDomain(mgCtx(t), connect.NewRequest(&domainspb.DeleteDomainRequest{
			Identities: &domainspb.DeleteDomainRequest_OrganizationId{OrganizationId: o.GetId()}, Id: id}))
		return err
	}
	if err := del(d.GetId()); err != nil {
		t.Fatalf("DeleteDomain: %v%s", err, mgDescribe(err))
	}
	_, err = c.domains.GetDomain(mgCtx(t), connect.NewRequest(&domainspb.GetDomainRequest{
		Identities: &domainspb.GetDomainRequest_OrganizationId{OrganizationId: o.GetId()}, Id: d.GetId()}))
	mgWantErr(t, "GetDomain of the deleted domain", err, connect.CodeNotFound, "NOT_FOUND", "")
	if got := mgDomainNames(t, c, o.GetId(), 0); !slices.Equal(got, []string{"staff.newco.test"}) {
		t.Errorf("ListDomains after the delete = %v, want staff.newco.test", got)
	}
	mgWantErr(t, "DeleteDomain again", del(d.GetId()), connect.CodeNotFound, "NOT_FOUND", "")
	// The name is free again.
	if _, err := create(o.GetId(), "newco.test", domainspb.DomainType_ORGANIZATION_DOMAIN); err != nil {
		t.Errorf("CreateDomain of the deleted name: %v%s", err, mgDescribe(err))
	}
}

// TestMgmtDomainsRouteSignIn: the domains the API adds are the sign-in's
// too: domain=<it> routes to its organization, and a new email at an
// ALLOWED_EMAIL_DOMAIN signs up into the organization that allows it.
func TestMgmtDomainsRouteSignIn(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	o := c.createOrg("Routed Co", "")
	for name, typ := range map[string]domainspb.DomainType{"routed.test": domainspb.DomainType_ORGANIZATION_DOMAIN, "jit.test": domainspb.DomainType_ALLOWED_EMAIL_DOMAIN} {
		r, err := c.domains.CreateDomain(mgCtx(t), connect.NewRequest(&domainspb.CreateDomainRequest{
			Identities: &domainspb.CreateDomainRequest_OrganizationId{OrganizationId: o.GetId()},
			Domain:     &domainspb.CreateDomain{Domain: name, DomainType: typ}}))
		mgMust(t, "CreateDomain "+name, r, err)
	}
	// A user of Acme first, then of the routed organization: without
	// routing they sign in to Acme.
	u := c.createUser(acmeOrg, "two.homes@acme.test", false)
	cr, err := c.users.CreateMembership(mgCtx(t), connect.NewRequest(&userspb.CreateMembershipRequest{
		OrganizationId: o.GetId(), Identities: &userspb.CreateMembershipRequest_Id{Id: u.GetId()}}))
	mgMust(t, "CreateMembership", cr, err)

	login := func(opts ...oauth2.AuthCodeOption) map[string]any {
		t.Helper()
		f := a.start(opts...)
		tok, err := a.exchange(f, a.callback(f, newBrowser(t).get(f.authURL)))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		return mgJWTClaims(t, tok.AccessToken)
	}
	hint := oauth2.SetAuthURLParam("login_hint", "two.homes@acme.test")
	if oid := login(hint)["oid"]; oid != acmeOrg {
		t.Fatalf("sign-in without routing: oid %v, want the first membership's %s", oid, acmeOrg)
	}
	if oid := login(hint, oauth2.SetAuthURLParam("domain", "routed.test"))["oid"]; oid != o.GetId() {
		t.Errorf("sign-in with domain=routed.test: oid %v, want %s, the domain's organization", oid, o.GetId())
	}

	b := newBrowser(t)
	f := a.start()
	tok, err := a.exchange(f, a.callback(f, b.byEmail(env, b.get(f.authURL), "newhire@jit.test")))
	if err != nil {
		t.Fatalf("sign-up exchange: %v", err)
	}
	nu := c.mustUser(tok.idToken.Subject)
	if len(nu.GetMemberships()) != 1 || nu.GetMemberships()[0].GetOrganizationId() != o.GetId() {
		t.Errorf("sign-up at an ALLOWED_EMAIL_DOMAIN of %s: memberships %v", o.GetId(), nu.GetMemberships())
	}
}

// TestMgmtConnectionsSeeded: the fixtures' connections, by organization,
// by domain and one by one.
func TestMgmtConnectionsSeeded(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	list := func(what string, req *connectionspb.ListConnectionsRequest) []*connectionspb.ListConnection {
		t.Helper()
		r, err := c.conns.ListConnections(mgCtx(t), connect.NewRequest(req))
		return mgMust(t, what, r, err).GetConnections()
	}
	check := func(what string, cs []*connectionspb.ListConnection) {
		t.Helper()
		i := slices.IndexFunc(cs, func(x *connectionspb.ListConnection) bool { return x.GetId() == acmeConn })
		if i < 0 {
			t.Fatalf("%s lacks %s: %v", what, acmeConn, cs)
		}
		if x := cs[i]; x.GetProvider() != connectionspb.ConnectionProvider_OKTA || x.GetType() != connectionspb.ConnectionType_OIDC || !x.GetEnabled() || x.GetOrganizationName() != "Acme Corp" {
			t.Errorf("%s: %s = %v, want an enabled OKTA OIDC connection of Acme Corp", what, acmeConn, x)
		}
		for _, x := range cs {
			if x.GetOrganizationId() != acmeOrg {
				t.Errorf("%s lists %s of %s", what, x.GetId(), x.GetOrganizationId())
			}
		}
	}
	org, dom := acmeOrg, "acme.test"
	check("ListConnections(acme)", list("ListConnections(acme)", &connectionspb.ListConnectionsRequest{OrganizationId: &org}))
	check("ListConnections(domain acme.test)", list("ListConnections(domain)", &connectionspb.ListConnectionsRequest{Domain: &dom}))

	gr, err := c.conns.GetConnection(mgCtx(t), connect.NewRequest(&connectionspb.GetConnectionRequest{OrganizationId: acmeOrg, Id: acmeConn}))
	g := mgMust(t, "GetConnection", gr, err).GetConnection()
	if g.GetId() != acmeConn || g.GetProvider() != connectionspb.ConnectionProvider_OKTA || g.GetType() != connectionspb.ConnectionType_OIDC || g.GetOrganizationId() != acmeOrg || !g.GetEnabled() {
		t.Errorf("GetConnection = %v", g)
	}
	_, err = c.conns.GetConnection(mgCtx(t), connect.NewRequest(&connectionspb.GetConnectionRequest{OrganizationId: globexOrg, Id: acmeConn}))
	mgWantErr(t, "GetConnection of Acme's connection through Globex", err, connect.CodeNotFound, "NOT_FOUND", acmeConn)
	bad := "org_00000000000000008"
	_, err = c.conns.ListConnections(mgCtx(t), connect.NewRequest(&connectionspb.ListConnectionsRequest{OrganizationId: &bad}))
	mgWantErr(t, "ListConnections of an unknown organization", err, connect.CodeNotFound, "NOT_FOUND", "")
}

// mgAuthorizeError runs an authorization request that must come back to
// the app with an error, and returns its code and description.
func mgAuthorizeError(t *testing.T, a *app, opts ...oauth2.AuthCodeOption) (string, string) {
	t.Helper()
	f := a.start(opts...)
	p := newBrowser(t).get(f.authURL)
	if p.location == nil {
		t.Fatalf("authorize answered %d without a redirect: %.300s", p.status, p.body)
	}
	q := p.location.Query()
	if q.Get("state") != f.state || q.Get("code") != "" {
		t.Fatalf("authorize redirected to %s, want an error with the state", p.location)
	}
	return q.Get("error"), q.Get("error_description")
}

// TestMgmtConnectionLifecycle: a connection the API creates is off until
// enabled; enabled, connection_id signs in through it (amr); disabled, it
// is not used — connection_id is refused and organization_id signs in
// another way; deleted, it is gone.
func TestMgmtConnectionLifecycle(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	o := c.createOrg("Connected Co", "")
	c.createUser(o.GetId(), "sso.user@connected.test", false)

	cr, err := c.conns.CreateConnection(mgCtx(t), connect.NewRequest(&connectionspb.CreateConnectionRequest{
		OrganizationId: o.GetId(),
		Connection:     &connectionspb.CreateConnection{Type: connectionspb.ConnectionType_OIDC, Provider: connectionspb.ConnectionProvider_OKTA}}))
	conn := mgMust(t, "CreateConnection", cr, err).GetConnection()
	if !strings.HasPrefix(conn.GetId(), "conn_") || conn.GetType() != connectionspb.ConnectionType_OIDC || conn.GetProvider() != connectionspb.ConnectionProvider_OKTA || conn.GetOrganizationId() != o.GetId() {
		t.Fatalf("CreateConnection = %v", conn)
	}
	if conn.GetEnabled() {
		t.Errorf("a new connection is enabled; Scalekit leaves it off until enabled")
	}
	org := o.GetId()
	lr, err := c.conns.ListConnections(mgCtx(t), connect.NewRequest(&connectionspb.ListConnectionsRequest{OrganizationId: &org}))
	if l := mgMust(t, "ListConnections", lr, err).GetConnections(); len(l) != 1 || l[0].GetId() != conn.GetId() {
		t.Errorf("ListConnections(%s) = %v, want the new connection alone", org, l)
	}

	toggle := func(on bool) bool {
		t.Helper()
		req := connect.NewRequest(&connectionspb.ToggleConnectionRequest{OrganizationId: o.GetId(), Id: conn.GetId()})
		var (
			r   *connect.Response[connectionspb.ToggleConnectionResponse]
			err error
		)
		if on {
			r, err = c.conns.EnableConnection(mgCtx(t), req)
		} else {
			r, err = c.conns.DisableConnection(mgCtx(t), req)
		}
		got := mgMust(t, "Enable/DisableConnection", r, err).GetEnabled()
		gr, err := c.conns.GetConnection(mgCtx(t), connect.NewRequest(&connectionspb.GetConnectionRequest{OrganizationId: o.GetId(), Id: conn.GetId()}))
		if back := mgMust(t, "GetConnection", gr, err).GetConnection().GetEnabled(); back != got {
			t.Errorf("the toggle answered enabled=%v, GetConnection reads %v", got, back)
		}
		return got
	}
	hint := oauth2.SetAuthURLParam("login_hint", "sso.user@connected.test")
	byOrg := oauth2.SetAuthURLParam("organization_id", o.GetId())
	byConn := oauth2.SetAuthURLParam("connection_id", conn.GetId())
	amr := func(opts ...oauth2.AuthCodeOption) []any {
		t.Helper()
		f := a.start(opts...)
		tok, err := a.exchange(f, a.callback(f, newBrowser(t).get(f.authURL)))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		v, _ := tok.claims["amr"].([]any)
		return v
	}

	if code, desc := mgAuthorizeError(t, a, hint, byOrg, byConn); code != "invalid_connection_id" || !strings.Contains(desc, conn.GetId()) {
		t.Errorf("authorize through the new, disabled connection: %s %q, want invalid_connection_id naming it", code, desc)
	}
	if !toggle(true) {
		t.Fatalf("EnableConnection answered enabled=false")
	}
	gr, err := c.conns.GetConnection(mgCtx(t), connect.NewRequest(&connectionspb.GetConnectionRequest{OrganizationId: conn.GetOrganizationId(), Id: conn.GetId()}))
	if got := mgMust(t, "GetConnection", gr, err).GetConnection(); got.GetStatus() != connectionspb.ConnectionStatus_COMPLETED {
		t.Errorf("a draft connection once enabled has status %v, want COMPLETED: the mock's sign-in is its IdP", got.GetStatus())
	}
	if got := amr(hint, byOrg, byConn); !slices.Equal(got, []any{conn.GetId()}) {
		t.Errorf("sign-in through the enabled connection: amr %v, want [%s]", got, conn.GetId())
	}
	if got := amr(hint, byOrg); !slices.Equal(got, []any{conn.GetId()}) {
		t.Errorf("sign-in by organization_id with one enabled connection: amr %v, want [%s]", got, conn.GetId())
	}

	if toggle(false) {
		t.Fatalf("DisableConnection answered enabled=true")
	}
	if code, desc := mgAuthorizeError(t, a, hint, byOrg, byConn); code != "invalid_connection_id" || !strings.Contains(desc, conn.GetId()) {
		t.Errorf("authorize through the disabled connection: %s %q, want invalid_connection_id naming it", code, desc)
	}
	if got := amr(hint, byOrg); slices.Contains(got, any(conn.GetId())) {
		t.Errorf("sign-in by organization_id used the disabled connection: amr %v", got)
	}

	dr, err := c.conns.DeleteConnection(mgCtx(t), connect.NewRequest(&connectionspb.DeleteConnectionRequest{OrganizationId: o.GetId(), Id: conn.GetId()}))
	mgMust(t, "DeleteConnection", dr, err)
	_, err = c.conns.GetConnection(mgCtx(t), connect.NewRequest(&connectionspb.GetConnectionRequest{OrganizationId: o.GetId(), Id: conn.GetId()}))
	mgWantErr(t, "GetConnection of the deleted connection", err, connect.CodeNotFound, "NOT_FOUND", "")
	lr, err = c.conns.ListConnections(mgCtx(t), connect.NewRequest(&connectionspb.ListConnectionsRequest{OrganizationId: &org}))
	if l := mgMust(t, "ListConnections after the delete", lr, err).GetConnections(); len(l) != 0 {
		t.Errorf("ListConnections after the delete = %v", l)
	}

	_, err = c.conns.CreateConnection(mgCtx(t), connect.NewRequest(&connectionspb.CreateConnectionRequest{
		OrganizationId: o.GetId(), Connection: &connectionspb.CreateConnection{Provider: connectionspb.ConnectionProvider_OKTA}}))
	mgWantField(t, "CreateConnection without a type", err, "connection.type")
}

// The seeded directory of Acme Corp (fixtures/default.yaml).
const (
	mgEngineering = "Engineering"
	mgSales       = "Sales"
)

// TestMgmtDirectories: Acme's seeded SCIM directory, its users (paged,
// and by group) and groups, and switching it off and on.
func TestMgmtDirectories(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)

	lr, err := c.dirs.ListDirectories(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoriesRequest{OrganizationId: acmeOrg}))
	dirs := mgMust(t, "ListDirectories(acme)", lr, err).GetDirectories()
	if len(dirs) != 1 {
		t.Fatalf("ListDirectories(acme) = %d directories, want the seeded one", len(dirs))
	}
	d := dirs[0]
	if !strings.HasPrefix(d.GetId(), "dir_") || d.GetOrganizationId() != acmeOrg || !d.GetEnabled() ||
		d.GetDirectoryType() != directoriespb.DirectoryType_SCIM || d.GetDirectoryProvider() != directoriespb.DirectoryProvider_OKTA {
		t.Errorf("seeded directory = %v, want an enabled OKTA SCIM directory of Acme", d)
	}
	gr, err := c.dirs.GetDirectory(mgCtx(t), connect.NewRequest(&directoriespb.GetDirectoryRequest{OrganizationId: acmeOrg, Id: d.GetId()}))
	g := mgMust(t, "GetDirectory", gr, err).GetDirectory()
	if g.GetId() != d.GetId() || g.GetName() != d.GetName() || g.GetTotalUsers() != d.GetTotalUsers() {
		t.Errorf("GetDirectory = %v, want what ListDirectories listed", g)
	}
	_, err = c.dirs.GetDirectory(mgCtx(t), connect.NewRequest(&directoriespb.GetDirectoryRequest{OrganizationId: globexOrg, Id: d.GetId()}))
	mgWantErr(t, "GetDirectory through Globex", err, connect.CodeNotFound, "NOT_FOUND", "")
	gl, err := c.dirs.ListDirectories(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoriesRequest{OrganizationId: globexOrg}))
	if n := len(mgMust(t, "ListDirectories(globex)", gl, err).GetDirectories()); n != 0 {
		t.Errorf("ListDirectories(globex) = %d directories, want none", n)
	}

	// Every user, one a page.
	byEmail := map[string]*directoriespb.DirectoryUser{}
	var token string
	var total uint32
	for page := 0; ; page++ {
		r, err := c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{
			OrganizationId: acmeOrg, DirectoryId: d.GetId(), PageSize: 1, PageToken: token}))
		res := mgMust(t, "ListDirectoryUsers", r, err)
		if page == 0 {
			total = res.GetTotalSize()
		}
		if res.GetTotalSize() != total || len(res.GetUsers()) != 1 || page > int(total) {
			t.Fatalf("ListDirectoryUsers page %d: %d users, total_size %d (was %d)", page, len(res.GetUsers()), res.GetTotalSize(), total)
		}
		u := res.GetUsers()[0]
		if byEmail[u.GetEmail()] != nil {
			t.Fatalf("ListDirectoryUsers page %d repeats %s", page, u.GetEmail())
		}
		byEmail[u.GetEmail()] = u
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(byEmail) != int(total) || int(d.GetTotalUsers()) != len(byEmail) {
		t.Errorf("paged %d directory users, total_size %d, the directory's total_users %d", len(byEmail), total, d.GetTotalUsers())
	}
	for _, e := range []string{"ada@acme.test", "grace@acme.test", "alan@acme.test"} {
		if byEmail[e] == nil {
			t.Errorf("ListDirectoryUsers lacks %s (has %d)", e, len(byEmail))
		}
	}

	r, err := c.dirs.ListDirectoryGroups(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryGroupsRequest{OrganizationId: acmeOrg, DirectoryId: d.GetId()}))
	groups := mgMust(t, "ListDirectoryGroups", r, err)
	byName := map[string]*directoriespb.DirectoryGroup{}
	for _, grp := range groups.GetGroups() {
		byName[grp.GetDisplayName()] = grp
	}
	if groups.GetTotalSize() != 2 || byName[mgEngineering] == nil || byName[mgSales] == nil {
		t.Fatalf("ListDirectoryGroups = %v (total %d), want Engineering and Sales", groups.GetGroups(), groups.GetTotalSize())
	}
	inGroup := func(name string) map[string]bool {
		t.Helper()
		id := byName[name].GetId()
		r, err := c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{
			OrganizationId: acmeOrg, DirectoryId: d.GetId(), PageSize: 100, DirectoryGroupId: &id}))
		res := mgMust(t, "ListDirectoryUsers directory_group_id="+name, r, err)
		out := map[string]bool{}
		for _, u := range res.GetUsers() {
			out[u.GetEmail()] = true
			if !slices.ContainsFunc(u.GetGroups(), func(g *directoriespb.DirectoryGroup) bool { return g.GetId() == id }) {
				t.Errorf("%s listed under %s without the group in its groups %v", u.GetEmail(), name, u.GetGroups())
			}
			if byEmail[u.GetEmail()] == nil {
				t.Errorf("%s listed under %s is not a user of the directory", u.GetEmail(), name)
			}
		}
		if int(res.GetTotalSize()) != len(out) || int(byName[name].GetTotalUsers()) != len(out) {
			t.Errorf("group %s: %d users listed, total_size %d, the group's total_users %d", name, len(out), res.GetTotalSize(), byName[name].GetTotalUsers())
		}
		return out
	}
	eng, sales := inGroup(mgEngineering), inGroup(mgSales)
	if !eng["ada@acme.test"] || !eng["grace@acme.test"] || eng["alan@acme.test"] {
		t.Errorf("Engineering lists %v, want Ada and Grace, not Alan", eng)
	}
	if !sales["alan@acme.test"] || sales["ada@acme.test"] {
		t.Errorf("Sales lists %v, want Alan, not Ada", sales)
	}

	dirToggle := func(on bool) bool {
		t.Helper()
		req := connect.NewRequest(&directoriespb.ToggleDirectoryRequest{OrganizationId: acmeOrg, Id: d.GetId()})
		var (
			r   *connect.Response[directoriespb.ToggleDirectoryResponse]
			err error
		)
		if on {
			r, err = c.dirs.EnableDirectory(mgCtx(t), req)
		} else {
			r, err = c.dirs.DisableDirectory(mgCtx(t), req)
		}
		got := mgMust(t, "Enable/DisableDirectory", r, err).GetEnabled()
		gr, err := c.dirs.GetDirectory(mgCtx(t), connect.NewRequest(&directoriespb.GetDirectoryRequest{OrganizationId: acmeOrg, Id: d.GetId()}))
		if back := mgMust(t, "GetDirectory", gr, err).GetDirectory().GetEnabled(); back != got {
			t.Errorf("the toggle answered enabled=%v, GetDirectory reads %v", got, back)
		}
		return got
	}
	if dirToggle(false) {
		t.Errorf("DisableDirectory answered enabled=true")
	}
	if !dirToggle(true) {
		t.Errorf("EnableDirectory answered enabled=false")
	}

	_, err = c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{OrganizationId: acmeOrg}))
	mgWantField(t, "ListDirectoryUsers without a directory", err, "directory_id")
	_, err = c.dirs.ListDirectoryUsers(mgCtx(t), connect.NewRequest(&directoriespb.ListDirectoryUsersRequest{OrganizationId: acmeOrg, DirectoryId: "dir_00000000000000001"}))
	mgWantErr(t, "ListDirectoryUsers of an unknown directory", err, connect.CodeNotFound, "NOT_FOUND", "")
}
