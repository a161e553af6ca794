package scim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// From a SCIM document to the tenant's records and back. What an IdP
// writes is kept as it sent it, but for what the service provider owns
// (id, meta), what a client may not write (a user's groups) and what is
// never kept (a password); the tenant's fields (email, names, active) are
// read from it.

// normalize readies a document an IdP wrote for keeping: known attributes
// spelled as the schema spells them, the service provider's attributes
// dropped, active a boolean, schemas naming what the document holds.
func normalize(k *kind, d doc) *Error {
	for name, v := range cloneTop(d) {
		if strings.EqualFold(name, EnterpriseSchema) && k.ext != nil {
			ext, ok := v.(doc)
			if !ok {
				return badRequest(invalidValue, "%s is an object of the enterprise user's attributes, such as {\"employeeNumber\": \"701984\"}", EnterpriseSchema)
			}
			delete(d, name)
			canonical(k.ext, ext)
			d[EnterpriseSchema] = ext
		}
	}
	canonical(k.attrs, d)
	for _, a := range k.attrs {
		if a.mut == readOnly || a.mut == writeOnly {
			delete(d, a.name) // id, meta, a user's groups; a password is never kept
		}
	}
	if v, ok := d["active"]; ok {
		b, ok := boolOf(v)
		if !ok {
			return badRequest(invalidValue, "active is true or false, not %s", describe(v))
		}
		d["active"] = b
	}
	schemas := []any{k.core}
	if _, ok := d[EnterpriseSchema]; ok {
		schemas = append(schemas, EnterpriseSchema)
	}
	d["schemas"] = schemas
	return nil
}

// cloneTop is a shallow copy of d, to range over while d changes.
func cloneTop(d doc) doc {
	out := make(doc, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}

// canonical renames the attributes of d that attrs define to the schema's
// spelling, down into complex and multi-valued ones.
func canonical(attrs []attr, d doc) {
	names := make([]string, 0, len(d))
	for name := range d {
		names = append(names, name)
	}
	for _, name := range names {
		v := d[name]
		a := find(attrs, name)
		if a == nil {
			continue
		}
		if name != a.name {
			delete(d, name)
			d[a.name] = v
		}
		if a.typ != tComplex {
			continue
		}
		for _, e := range asList(v) {
			if m, ok := e.(doc); ok {
				canonical(a.subs, m)
			}
		}
	}
}

// boolOf reads a boolean the way IdPs send one: true, or "True" as Azure
// AD's PATCH does.
func boolOf(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// describe names a JSON value in an error, shortened.
func describe(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "…"
	}
	return string(b)
}

// userOf reads the tenant's user from a normalized document.
func userOf(d doc) (tenant.DirUser, *Error) {
	userName, ok := d["userName"].(string)
	if !ok || strings.TrimSpace(userName) == "" {
		return tenant.DirUser{}, badRequest(invalidValue, "userName is required and is a string: every SCIM user has one, such as the user's email (RFC 7643 §4.1.1)")
	}
	if v, ok := d["externalId"]; ok {
		if _, isStr := v.(string); !isStr {
			return tenant.DirUser{}, badRequest(invalidValue, "externalId is a string, not %s", describe(v))
		}
	}
	u := tenant.DirUser{PreferredUsername: strings.TrimSpace(userName), ExternalID: getString(d, "externalId"),
		DisplayName: getString(d, "displayName"), Active: true}
	if a, ok := d["active"].(bool); ok {
		u.Active = a
	}
	if name := getMap(d, "name"); name != nil {
		u.GivenName, u.FamilyName, u.Name = getString(name, "givenName"), getString(name, "familyName"), getString(name, "formatted")
	}
	emails, err := emailsOf(d)
	if err != nil {
		return tenant.DirUser{}, err
	}
	u.Emails = emails
	switch {
	case len(emails) > 0:
		u.Email = emails[0]
	case strings.Contains(u.PreferredUsername, "@"):
		u.Email = u.PreferredUsername // Okta's and Azure AD's userName is the email
	}
	if u.Name == "" {
		u.Name = u.DisplayName
	}
	return u, nil
}

// emailsOf is a user's email addresses, the primary first, then the work
// ones, then the rest.
func emailsOf(d doc) ([]string, *Error) {
	v, ok := d["emails"]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest(invalidValue, "emails is an array, such as [{\"value\": \"bjensen@example.com\", \"type\": \"work\", \"primary\": true}], not %s", describe(v))
	}
	type email struct {
		value string
		rank  int
	}
	var es []email
	for _, e := range list {
		m, ok := e.(doc)
		value, isStr := m["value"].(string)
		if !ok || !isStr {
			return nil, badRequest(invalidValue, "each of emails is an object with a string value, such as {\"value\": \"bjensen@example.com\"}, not %s", describe(e))
		}
		rank := 2
		if p, _ := boolOf(m["primary"]); p {
			rank = 0
		} else if strings.EqualFold(getString(m, "type"), "work") {
			rank = 1
		}
		es = append(es, email{strings.TrimSpace(value), rank})
	}
	slices.SortStableFunc(es, func(a, b email) int { return a.rank - b.rank })
	out := make([]string, 0, len(es))
	for _, e := range es {
		if e.value != "" {
			out = append(out, e.value)
		}
	}
	return out, nil
}

// groupOf reads the tenant's group and its member IDs from a normalized
// document, taking the members out of it: the tenant keeps membership
// once, in its users.
func groupOf(d doc) (tenant.DirGroup, []string, *Error) {
	name, ok := d["displayName"].(string)
	if !ok || strings.TrimSpace(name) == "" {
		return tenant.DirGroup{}, nil, badRequest(invalidValue, "displayName is required and is a string: every SCIM group has one (RFC 7643 §4.2)")
	}
	if v, ok := d["externalId"]; ok {
		if _, isStr := v.(string); !isStr {
			return tenant.DirGroup{}, nil, badRequest(invalidValue, "externalId is a string, not %s", describe(v))
		}
	}
	members, err := membersOf(d)
	if err != nil {
		return tenant.DirGroup{}, nil, err
	}
	delete(d, "members")
	return tenant.DirGroup{DisplayName: strings.TrimSpace(name), ExternalID: getString(d, "externalId")}, members, nil
}

// membersOf is the user IDs a group document's members name, each once.
func membersOf(d doc) ([]string, *Error) {
	v, ok := d["members"]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest(invalidValue, "members is an array, such as [{\"value\": \"diruser_…\"}], not %s", describe(v))
	}
	var ids []string
	seen := make(map[string]bool, len(list)) // a look-up, not a scan of ids: a group can have thousands
	for _, e := range list {
		m, ok := e.(doc)
		id, isStr := m["value"].(string)
		if !ok || !isStr || id == "" {
			return nil, badRequest(invalidValue, "each of members is an object whose value is a user's id, such as {\"value\": \"diruser_…\"}, not %s", describe(e))
		}
		if t := getString(m, "type"); t != "" && !strings.EqualFold(t, "User") {
			return nil, badRequest(invalidValue, "member %s is a %s: the mock's groups hold users only, so push the nested group's users instead", id, t)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// encode is a normalized document as the tenant keeps it.
func encode(d doc) string {
	b, _ := json.Marshal(d)
	return string(b)
}

// stamp is a time as SCIM's dateTime (RFC 7643 §2.3.5).
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// meta is a resource's meta attribute (RFC 7643 §3.1).
func meta(resourceType, location string, created, modified time.Time) doc {
	if created.IsZero() {
		created = modified // a state file from before creation times were kept
	}
	return doc{"resourceType": resourceType, "created": stamp(created), "lastModified": stamp(modified), "location": location}
}

// storedDoc is the document the tenant kept, or nil when it kept none or
// it does not decode.
func storedDoc(s string) doc {
	if s == "" {
		return nil
	}
	var d doc
	if decodeJSON([]byte(s), &d) != nil {
		return nil
	}
	return d
}

// userDoc is a user as the IdP wrote it, or, for a user of the fixtures,
// as an IdP would have.
func userDoc(u tenant.DirUser) doc {
	if d := storedDoc(u.SCIM); d != nil {
		return d
	}
	d := doc{"schemas": []any{UserSchema}, "userName": u.UserName(), "active": u.Active}
	if u.ExternalID != "" {
		d["externalId"] = u.ExternalID
	}
	name := doc{}
	for k, v := range map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName, "formatted": u.Name} {
		if v != "" {
			name[k] = v
		}
	}
	if len(name) > 0 {
		d["name"] = name
	}
	if u.DisplayName != "" {
		d["displayName"] = u.DisplayName
	}
	var emails []any
	for i, e := range u.Emails {
		emails = append(emails, doc{"value": e, "type": "work", "primary": i == 0})
	}
	if len(emails) == 0 && u.Email != "" {
		emails = []any{doc{"value": u.Email, "type": "work", "primary": true}}
	}
	if emails != nil {
		d["emails"] = emails
	}
	return d
}

// groupDoc is a group as the IdP wrote it (members aside), or as an IdP
// would have.
func groupDoc(g tenant.DirGroup) doc {
	if d := storedDoc(g.SCIM); d != nil {
		return d
	}
	d := doc{"schemas": []any{GroupSchema}, "displayName": g.DisplayName}
	if g.ExternalID != "" {
		d["externalId"] = g.ExternalID
	}
	return d
}
