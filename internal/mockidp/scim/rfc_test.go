package scim

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The RFCs' own examples as the independent check: no SCIM client is at
// hand to drive the endpoint, so RFC 7643's full user (§8.3) and RFC
// 7644's filters (§3.4.2.2) and PATCH requests (§3.5.2) are the test
// data.

// babs is RFC 7643 §8.3's enterprise user, as a POST would send it.
func babs(t testing.TB) doc {
	t.Helper()
	raw, err := os.ReadFile("testdata/rfc7643-enterprise-user.json")
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := decodeJSON(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestNormalizeRFCUser: what the service provider owns (id, meta), what a
// client may not write (groups) and what is never kept (the password)
// leave the document; the tenant's fields come from it, the primary email
// first.
func TestNormalizeRFCUser(t *testing.T) {
	t.Parallel()
	k := userKind()
	d := babs(t)
	if err := normalize(k, d); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"id", "meta", "groups", "password"} {
		if _, ok := d[gone]; ok {
			t.Errorf("%s is still in the kept document", gone)
		}
	}
	if !strings.Contains(encode(babs(t)), "t1meMa$heen") || strings.Contains(encode(d), "t1meMa$heen") {
		t.Error("the password is kept")
	}
	if got := d["schemas"]; !reflect.DeepEqual(got, []any{UserSchema, EnterpriseSchema}) {
		t.Errorf("schemas %v", got)
	}
	u, err := userOf(d)
	if err != nil {
		t.Fatal(err)
	}
	if u.PreferredUsername != "bjensen@example.com" || u.ExternalID != "701984" || u.Email != "bjensen@example.com" ||
		!slices.Equal(u.Emails, []string{"bjensen@example.com", "babs@jensen.org"}) || u.GivenName != "Barbara" ||
		u.FamilyName != "Jensen" || u.Name != "Ms. Barbara J Jensen, III" || u.DisplayName != "Babs Jensen" || !u.Active {
		t.Errorf("the tenant's user: %+v", u)
	}
}

// TestRFCFilters: RFC 7644 §3.4.2.2's filter examples, against RFC 7643's
// user as the endpoint renders it.
func TestRFCFilters(t *testing.T) {
	t.Parallel()
	k := userKind()
	d := babs(t)
	for f, want := range map[string]bool{
		`userName eq "bjensen@example.com"`:                           true,
		`userName eq "BJENSEN@example.com"`:                           true, // userName is not case-exact
		`externalId eq "701984"`:                                      true,
		`id eq "2819C223-7F76-453A-919D-413861904646"`:                false, // id is
		`name.familyName co "O'Malley"`:                               false,
		`name.familyName co "ens"`:                                    true,
		`userName sw "J"`:                                             false,
		`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj"`: true,
		`title pr`:                                                                                          true,
		`nickName pr and userType eq "Employee"`:                                                            true,
		`title pr or userType eq "Intern"`:                                                                  true,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`:                                                       false,
		`meta.lastModified ge "2011-05-13T04:42:34Z"`:                                                       true,
		`meta.lastModified lt "2011-05-13T04:42:34.5Z"`:                                                     true, // times, not strings
		`meta.lastModified le "2011-05-13T04:42:34Z"`:                                                       true,
		`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`:                           true,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`:             true,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`:         false,
		`userType eq "Employee" and (emails.type eq "work")`:                                                true,
		`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`:                     true,
		`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`: true,
		`emails[type eq "home" and value co "@example.com"]`:                                                false,
		`active eq true`:      true,
		`active eq false`:     false,
		`displayName eq null`: false,
		`nonexistent eq null`: true,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`: true,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr`:           true,
		`userName eq "a\"b"`: false,
	} {
		e, err := parseFilter(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := matches(k, nil, e, d); got != want {
			t.Errorf("%s: %v, want %v", f, got, want)
		}
	}
	for _, bad := range []string{`userName`, `userName eq`, `((userName eq "x"`, `userName xx "x"`, strings.Repeat("a", maxFilterBytes+1)} {
		if _, err := parseFilter(bad); err == nil || err.Type != invalidFilter || err.Status != 400 {
			t.Errorf("%q: %v, want 400 invalidFilter", bad, err)
		}
	}
}

// patch applies a PATCH body to d, failing the test on an error.
func patch(t testing.TB, k *kind, d doc, body string) {
	t.Helper()
	if err := patchErr(k, d, body); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
}

func patchErr(k *kind, d doc, body string) *Error {
	var req patchRequest
	if err := decodeJSON([]byte(body), &req); err != nil {
		return badRequest(invalidSyntax, "%v", err)
	}
	return applyPatch(k, d, req)
}

// TestRFCPatchGroup: RFC 7644 §3.5.2's examples of a group's members:
// add, remove by filter, remove all, replace, and several operations in
// one request; Azure AD's remove by value.
func TestRFCPatchGroup(t *testing.T) {
	t.Parallel()
	k := groupKind()
	d := doc{"schemas": []any{GroupSchema}, "displayName": "Tour Guides"}
	const babsID, jamesID = "2819c223-7f76-453a-919d-413861904646", "08e1d05d-121c-4561-8b96-473d93df9210"
	members := func() []string {
		ids, err := membersOf(d)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	patch(t, k, d, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members",
		"value":[{"display":"Babs Jensen","$ref":"https://example.com/v2/Users/`+babsID+`","value":"`+babsID+`"}]}]}`)
	patch(t, k, d, `{"Operations":[{"op":"add","path":"members","value":[{"value":"`+babsID+`"}]}]}`)
	if got := members(); !slices.Equal(got, []string{babsID}) {
		t.Errorf("after adding Babs twice: %v, want her once", got)
	}
	patch(t, k, d, `{"Operations":[{"op":"remove","path":"members[value eq \"`+babsID+`\"]"},
		{"op":"add","path":"members","value":[{"display":"James Smith","value":"`+jamesID+`"}]}]}`)
	if got := members(); !slices.Equal(got, []string{jamesID}) {
		t.Errorf("after swapping Babs for James: %v", got)
	}
	patch(t, k, d, `{"Operations":[{"op":"replace","path":"members","value":[{"display":"Babs Jensen","value":"`+babsID+`"},{"display":"James Smith","value":"`+jamesID+`"}]}]}`)
	if got := members(); !slices.Equal(got, []string{babsID, jamesID}) {
		t.Errorf("after replacing the members: %v", got)
	}
	patch(t, k, d, `{"Operations":[{"op":"Remove","path":"members","value":[{"value":"`+babsID+`"}]}]}`) // Azure AD
	if got := members(); !slices.Equal(got, []string{jamesID}) {
		t.Errorf("after Azure AD's remove of Babs: %v", got)
	}
	patch(t, k, d, `{"Operations":[{"op":"remove","path":"members"}]}`)
	if got := members(); len(got) != 0 {
		t.Errorf("after removing every member: %v", got)
	}
	// Okta renames a group with a replace that repeats its id.
	d["id"] = "grp-1"
	patch(t, k, d, `{"Operations":[{"op":"replace","value":{"id":"grp-1","displayName":"Guides"}}]}`)
	if d["displayName"] != "Guides" {
		t.Errorf("displayName %v after Okta's rename", d["displayName"])
	}
	if err := patchErr(k, d, `{"Operations":[{"op":"replace","value":{"id":"grp-2"}}]}`); err == nil || err.Type != mutabilityErr {
		t.Errorf("changing the id: %v, want mutability", err)
	}
}

// TestRFCPatchUser: RFC 7644 §3.5.2's examples of a user's attributes,
// and the shapes Okta and Azure AD send.
func TestRFCPatchUser(t *testing.T) {
	t.Parallel()
	k := userKind()
	d := doc{"schemas": []any{UserSchema}, "userName": "bjensen", "emails": []any{doc{"value": "bjensen@example.com", "type": "work", "primary": true}}}
	// §3.5.2.1: add with no path; "nickname" as the RFC spells it.
	patch(t, k, d, `{"Operations":[{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],"nickname":"Babs"}}]}`)
	if err := normalize(k, d); err != nil {
		t.Fatal(err)
	}
	if d["nickName"] != "Babs" || len(getList(d, "emails")) != 2 {
		t.Errorf("after the add: %s", encode(d))
	}
	// §3.5.2.2: remove by a filter.
	patch(t, k, d, `{"Operations":[{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"]"}]}`)
	if es := getList(d, "emails"); len(es) != 1 || es[0].(doc)["value"] != "babs@jensen.org" {
		t.Errorf("after removing the work email: %v", es)
	}
	// §3.5.2.3: replace a filtered value, one of its sub-attributes, and
	// replace with no path.
	patch(t, k, d, `{"Operations":[{"op":"add","path":"addresses","value":[{"type":"work","streetAddress":"100 Universal City Plaza"}]}]}`)
	patch(t, k, d, `{"Operations":[{"op":"replace","path":"addresses[type eq \"work\"]","value":{"type":"work","streetAddress":"911 Universal City Plaza",
		"locality":"Hollywood","region":"CA","postalCode":"91608","country":"US","formatted":"911 Universal City Plaza\nHollywood, CA 91608 US","primary":true}}]}`)
	patch(t, k, d, `{"Operations":[{"op":"replace","path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway Ave"}]}`)
	if a := getList(d, "addresses"); len(a) != 1 || a[0].(doc)["streetAddress"] != "1010 Broadway Ave" || a[0].(doc)["locality"] != "Hollywood" {
		t.Errorf("addresses %v", a)
	}
	patch(t, k, d, `{"Operations":[{"op":"replace","value":{"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],"nickname":"Babs"}}]}`)
	if es := getList(d, "emails"); len(es) != 2 {
		t.Errorf("emails after the replace: %v", es)
	}
	// Okta deactivates; Azure AD reactivates with a string.
	patch(t, k, d, `{"Operations":[{"op":"replace","value":{"active":false}}]}`)
	if d["active"] != false {
		t.Errorf("active %v after Okta's deactivation", d["active"])
	}
	patch(t, k, d, `{"Operations":[{"op":"Replace","path":"active","value":"True"}]}`)
	normalize(k, d)
	if d["active"] != true {
		t.Errorf("active %v after Azure AD's \"True\"", d["active"])
	}
	// Paths into complex attributes, a filtered value that does not exist
	// yet, and the enterprise extension.
	patch(t, k, d, `{"Operations":[{"op":"replace","path":"name.givenName","value":"Barbara"},
		{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555-555-4444"},
		{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"},
		{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Tour Operations"},
		{"op":"replace","value":{"name.familyName":"Jensen","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984"}}}]}`)
	if err := normalize(k, d); err != nil {
		t.Fatal(err)
	}
	u, err := userOf(d)
	if err != nil {
		t.Fatal(err)
	}
	if u.GivenName != "Barbara" || u.FamilyName != "Jensen" || u.Email != "babs@example.com" {
		t.Errorf("user %+v from %s", u, encode(d))
	}
	ext := getMap(d, EnterpriseSchema)
	if ext["department"] != "Tour Operations" || ext["employeeNumber"] != "701984" || !slices.Contains(d["schemas"].([]any), EnterpriseSchema) {
		t.Errorf("the extension %v, schemas %v", ext, d["schemas"])
	}
	if p := getList(d, "phoneNumbers"); len(p) != 1 || p[0].(doc)["type"] != "mobile" || p[0].(doc)["value"] != "555-555-4444" {
		t.Errorf("phoneNumbers %v: the filtered add makes the mobile number", p)
	}
	b, _ := json.Marshal(d)
	for body, want := range map[string]scimType{
		`{"Operations":[{"op":"replace","path":"groups","value":[]}]}`:                      mutabilityErr,
		`{"Operations":[{"op":"remove"}]}`:                                                  noTarget,
		`{"Operations":[{"op":"move","path":"title"}]}`:                                     invalidSyntax,
		`{"Operations":[{"op":"replace","path":"emails[type eq"}]}`:                         invalidPath,
		`{"Operations":[{"op":"replace","path":"urn:example:other:title","value":"x"}]}`:    invalidPath,
		`{"Operations":[{"op":"replace","path":"emails.value","value":"x"}]}`:               invalidPath,
		`{"Operations":[{"op":"replace","path":"addresses[type eq \"home\"]","value":{}}]}`: noTarget,
		`{"Operations":[{"op":"replace","value":"not an object"}]}`:                         invalidValue,
		`{"Operations":[]}`: invalidSyntax,
	} {
		var before doc
		json.Unmarshal(b, &before)
		if err := patchErr(k, before, body); err == nil || err.Type != want || err.Status != 400 {
			t.Errorf("%s: %v, want 400 %s", body, err, want)
		}
	}
}
