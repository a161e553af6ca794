package scim

import "strings"

// The schemas the endpoint serves (RFC 7643 §4 and §8.7.1): the core User
// and Group and the enterprise extension, with the attributes IdPs send.
// They drive /Schemas, the canonical spelling of an attribute a request
// names in another case, which attributes a client may not write, and how
// a filter compares values.

// URNs of the schemas and messages (RFC 7643 §8.7, RFC 7644 §3.1).
const (
	UserSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorSchema      = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	configSchema     = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	typeSchema       = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
)

// attrType is an attribute's SCIM data type (RFC 7643 §2.3).
type attrType string

const (
	tString    attrType = "string"
	tBoolean   attrType = "boolean"
	tComplex   attrType = "complex"
	tReference attrType = "reference"
	tDateTime  attrType = "dateTime"
)

// mutability says who writes an attribute (RFC 7643 §7).
type mutability string

const (
	readWrite mutability = "readWrite"
	readOnly  mutability = "readOnly"
	writeOnly mutability = "writeOnly"
	immutable mutability = "immutable"
)

// attr is one attribute of a schema.
type attr struct {
	name      string
	typ       attrType
	multi     bool
	required  bool
	caseExact bool
	mut       mutability
	unique    bool // uniqueness "server"
	subs      []attr
}

func str(name string) attr     { return attr{name: name, typ: tString} }
func boolean(name string) attr { return attr{name: name, typ: tBoolean} }

// multiValued is a multi-valued complex attribute of the usual value,
// display, type and primary sub-attributes (emails, phoneNumbers…).
func multiValued(name string, extra ...attr) attr {
	return attr{name: name, typ: tComplex, multi: true,
		subs: append([]attr{str("value"), str("display"), str("type"), boolean("primary")}, extra...)}
}

// schema is a schema the endpoint serves.
type schema struct {
	id, name, description string
	attrs                 []attr
}

// userAttrs are the core User's attributes (RFC 7643 §4.1), groups
// read-only: a user joins a group through the group's members.
func userAttrs() []attr {
	userName := str("userName")
	userName.required, userName.unique = true, true
	password := str("password")
	password.mut = writeOnly
	groups := multiValued("groups", attr{name: "$ref", typ: tReference})
	groups.mut = readOnly
	for i := range groups.subs {
		groups.subs[i].mut = readOnly
	}
	return []attr{
		userName,
		{name: "name", typ: tComplex, subs: []attr{str("formatted"), str("familyName"), str("givenName"), str("middleName"),
			str("honorificPrefix"), str("honorificSuffix")}},
		str("displayName"), str("nickName"), {name: "profileUrl", typ: tReference}, str("title"), str("userType"),
		str("preferredLanguage"), str("locale"), str("timezone"), boolean("active"), password,
		multiValued("emails"), multiValued("phoneNumbers"), multiValued("ims"), multiValued("photos"),
		{name: "addresses", typ: tComplex, multi: true, subs: []attr{str("formatted"), str("streetAddress"), str("locality"),
			str("region"), str("postalCode"), str("country"), str("type"), boolean("primary")}},
		groups, multiValued("entitlements"), multiValued("roles"), multiValued("x509Certificates"),
	}
}

// groupAttrs are the core Group's attributes (RFC 7643 §4.2).
func groupAttrs() []attr {
	display := str("displayName")
	display.required = true
	value := str("value")
	value.mut, value.caseExact = immutable, true
	return []attr{display, {name: "members", typ: tComplex, multi: true,
		subs: []attr{value, {name: "$ref", typ: tReference, mut: immutable}, {name: "type", typ: tString, mut: immutable}, str("display")}}}
}

// enterpriseAttrs are the enterprise User extension's (RFC 7643 §4.3).
func enterpriseAttrs() []attr {
	return []attr{str("employeeNumber"), str("costCenter"), str("organization"), str("division"), str("department"),
		{name: "manager", typ: tComplex, subs: []attr{str("value"), {name: "$ref", typ: tReference}, {name: "displayName", typ: tString, mut: readOnly}}}}
}

func schemas() []schema {
	return []schema{
		{UserSchema, "User", "User Account", userAttrs()},
		{GroupSchema, "Group", "Group", groupAttrs()},
		{EnterpriseSchema, "EnterpriseUser", "Enterprise User", enterpriseAttrs()},
	}
}

// commonAttrs are every resource's (RFC 7643 §3.1): id and meta are the
// service provider's, externalId the client's and case-exact.
func commonAttrs() []attr {
	return []attr{{name: "id", typ: tString, caseExact: true, mut: readOnly}, {name: "externalId", typ: tString, caseExact: true},
		{name: "meta", typ: tComplex, mut: readOnly, subs: []attr{str("resourceType"), {name: "created", typ: tDateTime},
			{name: "lastModified", typ: tDateTime}, {name: "location", typ: tReference}, str("version")}},
		{name: "schemas", typ: tReference, multi: true}}
}

// kind is a resource type the endpoint serves.
type kind struct {
	name     string // User, Group
	endpoint string // /Users, /Groups
	core     string // its core schema
	attrs    []attr // the core schema's and the common attributes
	ext      []attr // the enterprise extension's, for users
}

func userKind() *kind {
	return &kind{name: "User", endpoint: "/Users", core: UserSchema, attrs: append(userAttrs(), commonAttrs()...), ext: enterpriseAttrs()}
}

func groupKind() *kind {
	return &kind{name: "Group", endpoint: "/Groups", core: GroupSchema, attrs: append(groupAttrs(), commonAttrs()...)}
}

// lookup finds an attribute by a name in any case, in the core schema (uri
// "" or the core URN) or the extension; nil when the schema has none.
func (k *kind) lookup(uri, name string) *attr {
	list := k.attrs
	switch {
	case uri == "" || strings.EqualFold(uri, k.core):
	case k.ext != nil && strings.EqualFold(uri, EnterpriseSchema):
		list = k.ext
	default:
		return nil
	}
	return find(list, name)
}

func find(list []attr, name string) *attr {
	for i := range list {
		if strings.EqualFold(list[i].name, name) {
			return &list[i]
		}
	}
	return nil
}

// sub finds a sub-attribute by a name in any case; nil when a has none.
func (a *attr) sub(name string) *attr {
	if a == nil {
		return nil
	}
	return find(a.subs, name)
}
