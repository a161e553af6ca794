package mockidp_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/tenant"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	directoriespb "github.com/skctl/skctl/internal/scalekitpb/directories"
	domainspb "github.com/skctl/skctl/internal/scalekitpb/domains"
)

// globexConn is the default fixtures' SAML connection of Globex.
const globexConn = "conn_59615193906479243"

// TestPortalDomains: a domain added in the portal is pending (the API
// says so too) and routes no sign-in until Verify, which emits the DNS
// verification event; bad and taken names are refused in words, with no
// event.
func TestPortalDomains(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)

	pg := p.act("domains", url.Values{"domain": {" Portal-Corp.TEST "}})
	if !strings.Contains(pg.body, "Domain portal-corp.test added") || !strings.Contains(pg.body, "Pending") ||
		!strings.Contains(pg.body, "_scalekit-verification.portal-corp.test") {
		t.Errorf("the page after adding a domain lacks its notice, its Pending badge or its TXT record: %.3000s", pg.body)
	}
	d := portalDomainNamed(t, env, globexOrg, "portal-corp.test")
	if api := mgGetDomain(t, c, globexOrg, d.ID); api.GetVerificationStatus() != domainspb.VerificationStatus_PENDING {
		t.Errorf("the API shows the portal's new domain %v, want PENDING", api.GetVerificationStatus())
	}
	if _, routes := env.Tenant().OrgByDomain("portal-corp.test"); routes {
		t.Error("a pending domain routes sign-ins")
	}

	for name, want := range map[string]string{
		"not a domain":     "“not a domain” cannot be added: not a domain name",
		"acme.test":        "acme.test is already a domain of another organization",
		"portal-corp.test": "portal-corp.test is already a domain of this organization",
		"":                 "Type the domain to add",
	} {
		pg := p.act("domains", url.Values{"domain": {name}})
		if !strings.Contains(pg.body, `class="error" role="alert">`+want) {
			t.Errorf("adding %q: the page does not say %q: %.2000s", name, want, pg.body)
		}
	}
	if got := loggedTypes(env, globexOrg, events.DomainCreated); len(got) != 1 {
		t.Errorf("%d domain_created events, want 1: refused names make none", len(got))
	}

	pg = p.act("domains/verify", url.Values{"id": {d.ID}})
	if !strings.Contains(pg.body, "Domain portal-corp.test verified") || !strings.Contains(pg.body, "Verified") {
		t.Errorf("the page after Verify: %.2000s", pg.body)
	}
	if api := mgGetDomain(t, c, globexOrg, d.ID); api.GetVerificationStatus() != domainspb.VerificationStatus_VERIFIED {
		t.Errorf("the API shows the verified domain %v, want VERIFIED", api.GetVerificationStatus())
	}
	if o, routes := env.Tenant().OrgByDomain("portal-corp.test"); !routes || o.ID != globexOrg {
		t.Errorf("the verified domain routes to %q (%v), want Globex", o.ID, routes)
	}
	evs := env.Events().List(events.Filter{OrganizationID: globexOrg, Types: []events.Type{events.DomainVerificationPassed}})
	if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"domain":"portal-corp.test"`) {
		t.Errorf("domain_dns_verification_success events %+v, want one of portal-corp.test", evs)
	}
	if pg := p.act("domains/verify", url.Values{"id": {"dom_00000000000000001"}}); !strings.Contains(pg.body, "That domain no longer exists") {
		t.Errorf("Verify of an unknown domain: %.2000s", pg.body)
	}
}

// TestPortalSSOSignsIn: a connection created in the portal is a disabled
// draft; enabled, it takes the organization's sign-ins at once through
// the mock's own sign-in page, by organization_id and by connection_id,
// and the ID token and the IdP session carry it. Each toggle is the
// API's event, and the page's next load posts the browser event.
func TestPortalSSOSignsIn(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)

	pg := p.act("sso", url.Values{"type": {"OIDC"}, "provider": {"OKTA"}})
	conns := env.Tenant().ListConnections(globexOrg, "")
	if len(conns) != 2 || conns[0].ID != globexConn {
		t.Fatalf("Globex's connections after the portal's create: %+v, want the fixture's and a new one", conns)
	}
	conn := conns[1]
	if conn.Type != "OIDC" || conn.Provider != "OKTA" || conn.Enabled || conn.Status != "DRAFT" {
		t.Errorf("the portal's connection %+v, want a disabled OIDC draft of OKTA", conn)
	}
	if !strings.Contains(pg.body, "Created the OIDC connection "+conn.ID) || !slices.Equal(browserEventTypes(t, pg.body), nil) {
		t.Errorf("the page after create: notice or browser events wrong: %q %.2000s", browserEventTypes(t, pg.body), pg.body)
	}

	if pg := p.act("sso/disable", url.Values{"id": {globexConn}}); !slices.Equal(browserEventTypes(t, pg.body), []string{"ORGANIZATION_SSO_DISABLED"}) {
		t.Errorf("the page after disabling posts %q, want ORGANIZATION_SSO_DISABLED", browserEventTypes(t, pg.body))
	}
	pg = p.act("sso/enable", url.Values{"id": {conn.ID}})
	evs, _ := pageEvents(t, pg.body)
	if len(evs) != 1 || evs[0].EventType != "ORGANIZATION_SSO_ENABLED" || evs[0].Object != "connection" || evs[0].OrganizationID != globexOrg ||
		evs[0].Data["id"] != conn.ID || evs[0].Data["enabled"] != true || evs[0].Data["type"] != "OIDC" || evs[0].Data["connection_type"] != "SSO" {
		t.Errorf("the page after enabling posts %+v, want ORGANIZATION_SSO_ENABLED of %s", evs, conn.ID)
	}
	if got := browserEventTypes(t, p.get().body); !slices.Equal(got, []string{"PORTAL_LOAD_SUCCESS"}) {
		t.Errorf("a reload posts %q, want only PORTAL_LOAD_SUCCESS: an action's event is posted once", got)
	}
	want := []events.Type{events.SSOCreated, events.SSODisabled, events.SSOEnabled}
	if got := loggedTypes(env, globexOrg, events.SSOCreated, events.SSOEnabled, events.SSODisabled); !slices.Equal(got, want) {
		t.Errorf("logged SSO events %v, want %v", got, want)
	}
	if cur, _ := env.Tenant().ConnectionByID(conn.ID); !cur.Enabled || cur.Status != "COMPLETED" {
		t.Errorf("the enabled connection %+v, want enabled and COMPLETED", cur)
	}

	a := newApp(t, env, app1ID, app1Secret, app1Redirect)
	for _, param := range []string{"organization_id", "connection_id"} {
		value := map[string]string{"organization_id": globexOrg, "connection_id": conn.ID}[param]
		f := a.start(oauth2.SetAuthURLParam(param, value))
		b := newBrowser(t)
		login := b.get(f.authURL)
		if !strings.Contains(login.body, "Hank Scorpio") {
			t.Fatalf("%s=%s: the sign-in page does not list Globex's Hank: %.500s", param, value, login.body)
		}
		tok, err := a.exchange(f, a.callback(f, b.pick(env, login, url.Values{"user": {hank}, "org": {globexOrg}})))
		if err != nil {
			t.Fatalf("%s: exchange: %v", param, err)
		}
		if amr := strs(tok.claims["amr"]); tok.claims["oid"] != globexOrg || !slices.Equal(amr, []string{conn.ID}) {
			t.Errorf("%s=%s: oid %v amr %v, want Globex through %s", param, value, tok.claims["oid"], amr, conn.ID)
		}
	}
	sessions := env.SessionsOfUser(hank)
	if len(sessions) != 2 || sessions[0].ConnID != conn.ID || sessions[1].ConnID != conn.ID {
		t.Errorf("Hank's IdP sessions %+v, want two through %s", sessions, conn.ID)
	}

	if pg := p.act("sso", url.Values{"type": {"PASSWORD"}, "provider": {"OKTA"}}); !strings.Contains(pg.body, "Choose a type (OIDC or SAML)") {
		t.Errorf("a connection of a type the portal does not offer: %.1500s", pg.body)
	}
}

// TestPortalSCIM: a directory created in the portal shows the API's SCIM
// endpoint; its bearer token is shown once when generated, and rotating
// it makes the old one stop working; enabling it is the API's
// directory_enabled event and posts ORGANIZATION_DIRECTORY_ENABLED.
func TestPortalSCIM(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)

	pg := p.act("scim", url.Values{"name": {"Globex Entra"}, "provider": {"MICROSOFT_AD"}})
	dirs, _ := env.Tenant().ListDirectories(globexOrg)
	if len(dirs) != 1 || dirs[0].Name != "Globex Entra" || dirs[0].Provider != "MICROSOFT_AD" || dirs[0].Enabled || dirs[0].Token != "" {
		t.Fatalf("Globex's directories after the portal's create: %+v, want a disabled Globex Entra without a token", dirs)
	}
	dir := dirs[0]
	gr, err := c.dirs.GetDirectory(mgCtx(t), connect.NewRequest(&directoriespb.GetDirectoryRequest{OrganizationId: globexOrg, Id: dir.ID}))
	endpoint := mgMust(t, "GetDirectory", gr, err).GetDirectory().GetDirectoryEndpoint()
	if endpoint != env.URL+"/api/v1/directories/"+dir.ID+"/scim/v2" || !strings.Contains(pg.body, "<code>"+endpoint+"</code>") {
		t.Errorf("the API's endpoint %q is not the page's: %.2000s", endpoint, pg.body)
	}

	first := portalSecret(t, p.act("scim/token", url.Values{"id": {dir.ID}}))
	if _, ok := env.Tenant().DirectoryByToken(dir.ID, first); !ok {
		t.Error("the token the page shows does not authenticate the directory")
	}
	if pg := p.get(); strings.Contains(pg.body, first) || !strings.Contains(pg.body, "Rotate token") {
		t.Error("the token is shown a second time, or the directory does not say it has one")
	}
	second := portalSecret(t, p.act("scim/token", url.Values{"id": {dir.ID}}))
	if _, ok := env.Tenant().DirectoryByToken(dir.ID, first); ok || second == first {
		t.Error("the rotated-out token still works")
	}

	pg = p.act("scim/enable", url.Values{"id": {dir.ID}})
	evs, _ := pageEvents(t, pg.body)
	if len(evs) != 1 || evs[0].EventType != "ORGANIZATION_DIRECTORY_ENABLED" || evs[0].Data["id"] != dir.ID || evs[0].Data["provider"] != "MICROSOFT_AD" {
		t.Errorf("the page after enabling posts %+v, want ORGANIZATION_DIRECTORY_ENABLED of %s", evs, dir.ID)
	}
	p.act("scim/disable", url.Values{"id": {dir.ID}})
	want := []events.Type{events.DirectoryEnabled, events.DirectoryDisabled}
	if got := loggedTypes(env, globexOrg, events.DirectoryEnabled, events.DirectoryDisabled); !slices.Equal(got, want) {
		t.Errorf("logged directory events %v, want %v", got, want)
	}
	if pg := p.act("scim", url.Values{"provider": {"LDAP_SERVER"}}); !strings.Contains(pg.body, "identity provider from the list") {
		t.Errorf("a directory provider the portal does not offer: %.1500s", pg.body)
	}
}

// portalSecret is the secret a page shows once.
func portalSecret(t testing.TB, pg page) string {
	t.Helper()
	_, rest, ok := strings.Cut(pg.body, `<div class="secret" id="secret">`)
	_, rest, ok2 := strings.Cut(rest, "<code>")
	tok, _, ok3 := strings.Cut(rest, "</code>")
	if !ok || !ok2 || !ok3 || !strings.HasPrefix(tok, "scim_") {
		t.Fatalf("the page shows no token: %.2000s", pg.body)
	}
	return tok
}

func portalDomainNamed(t testing.TB, env *testenv.Env, orgID, name string) tenant.Domain {
	t.Helper()
	l, err := env.Tenant().ListDomains(orgID, "", tenant.Page{Size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range l.Items {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("%s has no domain %s", orgID, name)
	return tenant.Domain{}
}

func mgGetDomain(t testing.TB, c *mgAPI, orgID, id string) *domainspb.Domain {
	t.Helper()
	r, err := c.domains.GetDomain(mgCtx(t), connect.NewRequest(&domainspb.GetDomainRequest{
		Identities: &domainspb.GetDomainRequest_OrganizationId{OrganizationId: orgID}, Id: id}))
	return mgMust(t, "GetDomain", r, err).GetDomain()
}

// TestPortalChangeIsSavedBeforeAnswered: with --state-dir, a portal
// action is in tenant.json by the time its 303 comes back, as an API
// change is: the background save is an hour away here.
func TestPortalChangeIsSavedBeforeAnswered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := startEnv(t, mockidp.Options{StateDir: dir, SaveEvery: time.Hour, SweepEvery: time.Hour})
	c := newMgAPI(t, env)
	p := openPortal(t, env, c, globexOrg)
	if r := p.post("domains", url.Values{"domain": {"saved-first.test"}}); r.status != http.StatusSeeOther {
		t.Fatalf("POST domains: %d, want 303: %.300s", r.status, r.body)
	}
	b, err := os.ReadFile(filepath.Join(dir, "tenant.json"))
	if err != nil || !strings.Contains(string(b), "saved-first.test") {
		t.Errorf("tenant.json when the action was answered (%v) lacks the domain", err)
	}
}
