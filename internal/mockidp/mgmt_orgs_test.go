package mockidp_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func mgOrgID(id string) *organizationspb.GetOrganizationRequest {
	return &organizationspb.GetOrganizationRequest{Identities: &organizationspb.GetOrganizationRequest_Id{Id: id}}
}

func mgOrgExt(ext string) *organizationspb.GetOrganizationRequest {
	return &organizationspb.GetOrganizationRequest{Identities: &organizationspb.GetOrganizationRequest_ExternalId{ExternalId: ext}}
}

// TestMgmtOrgCreateValidation: a create without a display name is refused
// as Scalekit refuses it, naming the field, and creates nothing.
func TestMgmtOrgCreateValidation(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	count := func() uint32 {
		r, err := c.orgs.ListOrganization(mgCtx(t), connect.NewRequest(&organizationspb.ListOrganizationsRequest{PageSize: 1}))
		return mgMust(t, "ListOrganization", r, err).GetTotalSize()
	}
	before := count()
	for name, in := range map[string]*organizationspb.CreateOrganization{
		"no display_name":    {},
		"blank display_name": {DisplayName: "  \t"},
	} {
		_, err := c.orgs.CreateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{Organization: in}))
		mgWantField(t, "CreateOrganization with "+name, err, "organization.display_name")
	}
	_, err := c.orgs.CreateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{}))
	mgWantField(t, "CreateOrganization without an organization", err, "organization")
	if after := count(); after != before {
		t.Errorf("refused creates changed total_size from %d to %d", before, after)
	}
}

// TestMgmtOrgGet: an organization is found by id and by external_id with
// what it was created with; an external_id is one organization's only;
// an unknown one is NotFound.
func TestMgmtOrgGet(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	ext := "GET-EXT-1"
	r, err := c.orgs.CreateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{
		Organization: &organizationspb.CreateOrganization{DisplayName: "Getters Inc", ExternalId: &ext,
			Metadata: map[string]string{"tier": "gold"}}}))
	o := mgMust(t, "CreateOrganization", r, err).GetOrganization()
	if o.GetCreateTime() == nil {
		t.Errorf("CreateOrganization: no create_time")
	}

	for what, req := range map[string]*organizationspb.GetOrganizationRequest{"id": mgOrgID(o.GetId()), "external_id": mgOrgExt(ext)} {
		gr, err := c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(req))
		g := mgMust(t, "GetOrganization by "+what, gr, err).GetOrganization()
		if g.GetId() != o.GetId() || g.GetDisplayName() != "Getters Inc" || g.GetExternalId() != ext || g.GetMetadata()["tier"] != "gold" {
			t.Errorf("GetOrganization by %s = %v, want %s Getters Inc %s tier=gold", what, g, o.GetId(), ext)
		}
	}
	// The seeded organization, by its fixtures' external ID.
	gr, err := c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt("ACME-001")))
	if g := mgMust(t, "GetOrganization ACME-001", gr, err).GetOrganization(); g.GetId() != acmeOrg || g.GetDisplayName() != "Acme Corp" {
		t.Errorf("GetOrganization ACME-001 = %s %q, want %s Acme Corp", g.GetId(), g.GetDisplayName(), acmeOrg)
	}

	_, err = c.orgs.CreateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{
		Organization: &organizationspb.CreateOrganization{DisplayName: "Copycat", ExternalId: &ext}}))
	mgWantErr(t, "CreateOrganization with a taken external_id", err, connect.CodeAlreadyExists, "ALREADY_EXISTS", ext)
	taken := "ACME-001"
	_, err = c.orgs.CreateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{
		Organization: &organizationspb.CreateOrganization{DisplayName: "Copycat", ExternalId: &taken}}))
	mgWantErr(t, "CreateOrganization with the seeded external_id", err, connect.CodeAlreadyExists, "ALREADY_EXISTS", taken)

	_, err = c.getOrg("org_00000000000000001")
	mgWantErr(t, "GetOrganization of an unknown id", err, connect.CodeNotFound, "NOT_FOUND", "org_00000000000000001")
	_, err = c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt("NO-SUCH-EXT")))
	mgWantErr(t, "GetOrganization of an unknown external_id", err, connect.CodeNotFound, "NOT_FOUND", "")
	_, err = c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(&organizationspb.GetOrganizationRequest{}))
	mgWantField(t, "GetOrganization without id or external_id", err, "id")
}

// TestMgmtOrgUpdate: an update changes the fields it sends and no other
// (the SDKs send no update mask), by id or by external_id.
func TestMgmtOrgUpdate(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	ext := "UPD-1"
	r, err := c.orgs.CreateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.CreateOrganizationRequest{
		Organization: &organizationspb.CreateOrganization{DisplayName: "Before", ExternalId: &ext,
			Metadata: map[string]string{"tier": "gold"}}}))
	o := mgMust(t, "CreateOrganization", r, err).GetOrganization()
	update := func(what string, req *organizationspb.UpdateOrganizationRequest) *organizationspb.Organization {
		t.Helper()
		r, err := c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(req))
		return mgMust(t, what, r, err).GetOrganization()
	}

	name := "After"
	u := update("UpdateOrganization display_name", &organizationspb.UpdateOrganizationRequest{
		Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: o.GetId()},
		Organization: &organizationspb.UpdateOrganization{DisplayName: &name}})
	if u.GetDisplayName() != "After" || u.GetExternalId() != ext || u.GetMetadata()["tier"] != "gold" {
		t.Errorf("after changing display_name: %v, want After with %s and tier=gold kept", u, ext)
	}

	newExt := "UPD-2"
	u = update("UpdateOrganization external_id by external_id", &organizationspb.UpdateOrganizationRequest{
		Identities:   &organizationspb.UpdateOrganizationRequest_ExternalId{ExternalId: ext},
		Organization: &organizationspb.UpdateOrganization{ExternalId: &newExt}})
	if u.GetId() != o.GetId() || u.GetDisplayName() != "After" || u.GetExternalId() != newExt {
		t.Errorf("after changing external_id: %v, want %s After %s", u, o.GetId(), newExt)
	}
	gr, err := c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt(newExt)))
	if g := mgMust(t, "GetOrganization by the new external_id", gr, err).GetOrganization(); g.GetId() != o.GetId() {
		t.Errorf("GetOrganization %s = %s, want %s", newExt, g.GetId(), o.GetId())
	}
	_, err = c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt(ext)))
	mgWantErr(t, "GetOrganization by the old external_id", err, connect.CodeNotFound, "NOT_FOUND", "")

	got, err := c.getOrg(o.GetId())
	if err != nil || got.GetDisplayName() != "After" || got.GetExternalId() != newExt || got.GetMetadata()["tier"] != "gold" {
		t.Errorf("GetOrganization after the updates = %v, %v", got, err)
	}

	empty := " "
	_, err = c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationRequest{
		Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: o.GetId()},
		Organization: &organizationspb.UpdateOrganization{DisplayName: &empty}}))
	mgWantField(t, "UpdateOrganization to a blank display_name", err, "organization.display_name")
	taken := "ACME-001"
	_, err = c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationRequest{
		Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: o.GetId()},
		Organization: &organizationspb.UpdateOrganization{ExternalId: &taken}}))
	mgWantErr(t, "UpdateOrganization to Acme's external_id", err, connect.CodeAlreadyExists, "ALREADY_EXISTS", taken)
	_, err = c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationRequest{
		Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: "org_00000000000000002"},
		Organization: &organizationspb.UpdateOrganization{DisplayName: &name}}))
	mgWantErr(t, "UpdateOrganization of an unknown id", err, connect.CodeNotFound, "NOT_FOUND", "")

	if got, err := c.getOrg(o.GetId()); err != nil || got.GetDisplayName() != "After" || got.GetExternalId() != newExt {
		t.Errorf("refused updates changed the organization: %v, %v", got, err)
	}
}

// mgFeatures are an organization's settings features by name.
func mgFeatures(o *organizationspb.Organization) map[string]bool {
	out := map[string]bool{}
	for _, f := range o.GetSettings().GetFeatures() {
		out[f.GetName()] = f.GetEnabled()
	}
	return out
}

// TestMgmtOrgSettings: the sso and dir_sync features are switched on and
// off; a feature not sent keeps its value; an unknown one is refused.
func TestMgmtOrgSettings(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Settings Co", "")
	set := func(what string, features ...*organizationspb.OrganizationSettingsFeature) (*organizationspb.Organization, error) {
		r, err := c.orgs.UpdateOrganizationSettings(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationSettingsRequest{
			Id: o.GetId(), Settings: &organizationspb.OrganizationSettings{Features: features}}))
		if err != nil {
			return nil, err
		}
		return r.Msg.GetOrganization(), nil
	}

	u, err := set("sso on, dir_sync off", &organizationspb.OrganizationSettingsFeature{Name: "sso", Enabled: true},
		&organizationspb.OrganizationSettingsFeature{Name: "dir_sync", Enabled: false})
	if err != nil {
		t.Fatalf("UpdateOrganizationSettings: %v%s", err, mgDescribe(err))
	}
	if f := mgFeatures(u); !f["sso"] || f["dir_sync"] {
		t.Errorf("after sso on, dir_sync off: features %v", f)
	}
	if _, ok := mgFeatures(u)["dir_sync"]; !ok {
		t.Errorf("features %v lack dir_sync, which was set off", mgFeatures(u))
	}

	if _, err := set("dir_sync on", &organizationspb.OrganizationSettingsFeature{Name: "dir_sync", Enabled: true}); err != nil {
		t.Fatalf("UpdateOrganizationSettings dir_sync: %v%s", err, mgDescribe(err))
	}
	g, err := c.getOrg(o.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if f := mgFeatures(g); !f["sso"] || !f["dir_sync"] {
		t.Errorf("GetOrganization after dir_sync on: features %v, want sso (kept) and dir_sync on", f)
	}

	_, err = set("mfa", &organizationspb.OrganizationSettingsFeature{Name: "mfa", Enabled: true})
	mgWantField(t, "UpdateOrganizationSettings with an unknown feature", err, "settings.features[0].name")
	_, err = c.orgs.UpdateOrganizationSettings(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationSettingsRequest{
		Id: "org_00000000000000003", Settings: &organizationspb.OrganizationSettings{}}))
	mgWantErr(t, "UpdateOrganizationSettings of an unknown organization", err, connect.CodeNotFound, "NOT_FOUND", "")
}

// TestMgmtOrgListPaging pages through every organization one at a time:
// total_size stays the count, each page holds one, next_page_token leads
// to the next until the last, prev_page_token back to the one before,
// and no organization is listed twice or skipped.
func TestMgmtOrgListPaging(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	want := map[string]bool{acmeOrg: true, globexOrg: true}
	for _, n := range []string{"Page One", "Page Two", "Page Three"} {
		want[c.createOrg(n, "").GetId()] = true
	}

	list := func(token string) *organizationspb.ListOrganizationsResponse {
		t.Helper()
		r, err := c.orgs.ListOrganization(mgCtx(t), connect.NewRequest(&organizationspb.ListOrganizationsRequest{PageSize: 1, PageToken: token}))
		return mgMust(t, "ListOrganization page_token="+token, r, err)
	}
	var (
		order []string
		seen  = map[string]bool{}
		token string
		prevs []string // the token that led to each page
	)
	for page := 0; ; page++ {
		if page > len(want)+2 {
			t.Fatalf("more than %d pages of one for %d organizations: next_page_token never ends", page, len(want))
		}
		r := list(token)
		if r.GetTotalSize() != uint32(len(want)) {
			t.Errorf("page %d: total_size %d, want %d", page, r.GetTotalSize(), len(want))
		}
		if len(r.GetOrganizations()) != 1 {
			t.Fatalf("page %d: %d organizations, want 1", page, len(r.GetOrganizations()))
		}
		id := r.GetOrganizations()[0].GetId()
		if seen[id] {
			t.Fatalf("page %d repeats %s (order so far %v)", page, id, order)
		}
		seen[id] = true
		order = append(order, id)
		prevs = append(prevs, token)
		if (page == 0) != (r.GetPrevPageToken() == "") {
			t.Errorf("page %d: prev_page_token %q", page, r.GetPrevPageToken())
		}
		if page > 0 && r.GetPrevPageToken() != "" {
			back := list(r.GetPrevPageToken())
			if len(back.GetOrganizations()) != 1 || back.GetOrganizations()[0].GetId() != order[page-1] {
				t.Errorf("page %d: prev_page_token leads to %v, want %s", page, back.GetOrganizations(), order[page-1])
			}
		}
		token = r.GetNextPageToken()
		if token == "" {
			break
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("paging skipped %s (listed %v)", id, order)
		}
	}
	if len(order) != len(want) {
		t.Errorf("listed %d organizations, want %d", len(order), len(want))
	}

	// Creation order: the seeded ones first.
	if order[0] != acmeOrg || order[1] != globexOrg {
		t.Errorf("order %v, want the seeded %s, %s first", order, acmeOrg, globexOrg)
	}

	_, err := c.orgs.ListOrganization(mgCtx(t), connect.NewRequest(&organizationspb.ListOrganizationsRequest{PageToken: "bm90LWEtdG9rZW4"}))
	mgWantField(t, "ListOrganization with a forged page_token", err, "page_token")

	// external_id filters the list.
	ext := "ACME-001"
	r, err := c.orgs.ListOrganization(mgCtx(t), connect.NewRequest(&organizationspb.ListOrganizationsRequest{ExternalId: &ext}))
	l := mgMust(t, "ListOrganization external_id=ACME-001", r, err)
	if len(l.GetOrganizations()) != 1 || l.GetOrganizations()[0].GetId() != acmeOrg || l.GetTotalSize() != 1 {
		t.Errorf("ListOrganization external_id=ACME-001 = %d orgs (total %d), want Acme alone", len(l.GetOrganizations()), l.GetTotalSize())
	}
}

var mgUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// mgGet is a plain GET without redirects.
func mgGet(t testing.TB, u string) (int, string) {
	t.Helper()
	resp, err := newBrowser(t).client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMgmtOrgPortalLink: a portal link points at the environment's
// /magicLink/<uuid>, opens once (into a session whose page names the
// organization), and is refused after (single use) or when it has
// expired.
func TestMgmtOrgPortalLink(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Portal Test Org", "")
	link := func() string {
		t.Helper()
		r, err := c.orgs.GeneratePortalLink(mgCtx(t), connect.NewRequest(&organizationspb.GeneratePortalLinkRequest{Id: o.GetId()}))
		l := mgMust(t, "GeneratePortalLink", r, err).GetLink()
		id, ok := strings.CutPrefix(l.GetLocation(), env.URL+"/magicLink/")
		if !ok || !mgUUID.MatchString(id) {
			t.Fatalf("portal link location %q, want %s/magicLink/<uuid>", l.GetLocation(), env.URL)
		}
		if l.GetId() != id {
			t.Errorf("portal link id %q, want the location's %q", l.GetId(), id)
		}
		if l.GetExpireTime() == nil {
			t.Errorf("portal link has no expire_time")
		}
		return l.GetLocation()
	}

	loc := link()
	b := newBrowser(t)
	opened := b.get(loc)
	if opened.status != http.StatusSeeOther || opened.location == nil {
		t.Fatalf("GET %s: %d, want a 303 to the portal session: %.300s", loc, opened.status, opened.body)
	}
	if p := b.get(opened.location.String()); p.status != http.StatusOK || !strings.Contains(p.body, "Portal Test Org") || !strings.Contains(p.body, o.GetId()) {
		t.Fatalf("GET the portal session: %d, want 200 naming Portal Test Org and %s: %.300s", p.status, o.GetId(), p.body)
	}
	if status, body := mgGet(t, loc); status != http.StatusNotFound || !strings.Contains(body, "already opened") {
		t.Errorf("GET %s again: %d, want 404 \"already opened\": %.300s", loc, status, body)
	}
	if loc2 := link(); loc2 == loc {
		t.Errorf("a second link is the first again: %s", loc2)
	}

	if status, body := mgGet(t, env.URL+"/magicLink/0b8f7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"); status != http.StatusNotFound || strings.Contains(body, "Portal Test Org") {
		t.Errorf("GET of a link never issued: %d: %.300s", status, body)
	}

	late := link()
	mgAdvance(t, env, "2m")
	if status, body := mgGet(t, late); status != http.StatusNotFound || !strings.Contains(body, "expired") {
		t.Errorf("GET of a link 2 min old: %d, want 404 \"expired\": %.300s", status, body)
	}

	_, err := c.orgs.GeneratePortalLink(mgCtx(t), connect.NewRequest(&organizationspb.GeneratePortalLinkRequest{Id: "org_00000000000000004"}))
	mgWantErr(t, "GeneratePortalLink of an unknown organization", err, connect.CodeNotFound, "NOT_FOUND", "")
}

// TestMgmtOrgDelete: a deleted organization is NotFound by id and by
// external_id, and so is deleting it again; its members stay users,
// without the membership.
func TestMgmtOrgDelete(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Doomed Ltd", "DOOMED-1")
	u := c.createUser(o.GetId(), "member@doomed.test", false)

	del := func() error {
		_, err := c.orgs.DeleteOrganization(mgCtx(t), connect.NewRequest(&organizationspb.DeleteOrganizationRequest{
			Identities: &organizationspb.DeleteOrganizationRequest_Id{Id: o.GetId()}}))
		return err
	}
	if err := del(); err != nil {
		t.Fatalf("DeleteOrganization: %v%s", err, mgDescribe(err))
	}
	_, err := c.getOrg(o.GetId())
	mgWantErr(t, "GetOrganization of the deleted organization", err, connect.CodeNotFound, "NOT_FOUND", o.GetId())
	_, err = c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt("DOOMED-1")))
	mgWantErr(t, "GetOrganization by the deleted organization's external_id", err, connect.CodeNotFound, "NOT_FOUND", "")
	mgWantErr(t, "DeleteOrganization again", del(), connect.CodeNotFound, "NOT_FOUND", "")

	got := c.mustUser(u.GetId())
	if m := mgMembership(got, o.GetId()); m != nil {
		t.Errorf("the member still has a membership of the deleted organization: %v", m)
	}
	// The external_id is free again.
	c.createOrg("Reborn Ltd", "DOOMED-1")
}

// TestMgmtOrgConcurrentExternalID: creates racing for one external_id
// make one organization; every other create is AlreadyExists.
func TestMgmtOrgConcurrentExternalID(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env, mgOver(mgH2C))
	const n = 8
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var (
		wg   sync.WaitGroup
		errs [n]error
		ids  [n]string
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ext := "RACE-1"
			r, err := c.orgs.CreateOrganization(ctx, connect.NewRequest(&organizationspb.CreateOrganizationRequest{
				Organization: &organizationspb.CreateOrganization{DisplayName: "Racer", ExternalId: &ext}}))
			errs[i] = err
			if err == nil {
				ids[i] = r.Msg.GetOrganization().GetId()
			}
		}()
	}
	close(start)
	wg.Wait()
	won := ""
	for i, err := range errs {
		switch {
		case err == nil && won == "":
			won = ids[i]
		case err == nil:
			t.Errorf("two creates with external_id RACE-1 succeeded: %s and %s", won, ids[i])
		default:
			mgWantErr(t, "a losing create", err, connect.CodeAlreadyExists, "ALREADY_EXISTS", "RACE-1")
		}
	}
	if won == "" {
		t.Fatalf("no create succeeded")
	}
	r, err := c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt("RACE-1")))
	if g := mgMust(t, "GetOrganization RACE-1", r, err).GetOrganization(); g.GetId() != won {
		t.Errorf("RACE-1 is %s, want the winner %s", g.GetId(), won)
	}
}

// TestMgmtOrgUpdateMask: with an update_mask, the fields it names change
// and an absent one is cleared; a path that names no updatable field is
// refused naming it.
func TestMgmtOrgUpdateMask(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	o := c.createOrg("Masked Inc", "MASK-1")
	update := func(paths []string, in *organizationspb.UpdateOrganization) (*organizationspb.Organization, error) {
		r, err := c.orgs.UpdateOrganization(mgCtx(t), connect.NewRequest(&organizationspb.UpdateOrganizationRequest{
			Identities:   &organizationspb.UpdateOrganizationRequest_Id{Id: o.GetId()},
			Organization: in,
			UpdateMask:   &fieldmaskpb.FieldMask{Paths: paths},
		}))
		if err != nil {
			return nil, err
		}
		return r.Msg.GetOrganization(), nil
	}
	name := "Renamed Inc"
	got, err := update([]string{"external_id"}, &organizationspb.UpdateOrganization{DisplayName: &name})
	if err != nil {
		t.Fatalf("UpdateOrganization with mask [external_id]: %s", mgDescribe(err))
	}
	if got.ExternalId != nil || got.GetDisplayName() != "Masked Inc" {
		t.Errorf("mask [external_id] with only display_name sent: external_id %v, display_name %q; want external_id cleared and the name unchanged (not in the mask)",
			got.ExternalId, got.GetDisplayName())
	}
	if _, err := c.orgs.GetOrganization(mgCtx(t), connect.NewRequest(mgOrgExt("MASK-1"))); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("the cleared external id still finds the organization: %v", err)
	}
	_, err = update([]string{"region_code"}, &organizationspb.UpdateOrganization{})
	mgWantField(t, "mask [region_code]", err, "update_mask.paths[0]")
}
