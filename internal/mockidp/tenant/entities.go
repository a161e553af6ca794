package tenant

import "time"

// The entities of a tenant, as the management API shows them and the
// sign-in flow reads them. Values are copies: changing one changes
// nothing in the tenant.

// Org is an organization (org_…).
type Org struct {
	ID          string // org_…
	DisplayName string
	ExternalID  string // unique in the environment when not ""
	Slug        string // unique when not ""
	LogoURL     string
	RegionCode  string // "US" by default
	Metadata    map[string]string
	// Features are the organization settings' features (sso, dir_sync, …)
	// by name. Scalekit's are off until the app turns them on with
	// updateOrganizationSettings (docs.scalekit.com, "Implement enterprise
	// SSO"), so a new organization gets DefaultFeatures: every one false.
	Features   map[string]bool
	CreateTime time.Time
	UpdateTime time.Time
}

// DefaultFeatures are the features of a new organization: the two that
// Scalekit's settings name, both off.
func DefaultFeatures() map[string]bool { return map[string]bool{"sso": false, "dir_sync": false} }

// User is a user of the environment (usr_…).
type User struct {
	ID                  string // usr_…
	Email               string // unique, compared case-insensitively, stored lower-case
	EmailVerified       bool
	ExternalID          string // unique when not ""
	GivenName           string
	FamilyName          string
	Name                string
	PhoneNumber         string
	PhoneNumberVerified *bool // nil: not in tokens
	Locale              string
	Picture             string
	PreferredUsername   string
	Metadata            map[string]string
	Claims              map[string]any // custom claims (fixtures), put in tokens
	Memberships         []Membership   // in the order they were made
	CreateTime          time.Time
	UpdateTime          time.Time
	LastLogin           time.Time // zero until the first sign-in
}

// Membership returns the user's membership of an organization.
func (u User) Membership(orgID string) (Membership, bool) {
	for _, m := range u.Memberships {
		if m.OrgID == orgID {
			return m, true
		}
	}
	return Membership{}, false
}

// SignInOrg is the organization a sign-in that asks for requested lands
// in: requested when the user is a member of it, else the user's first
// organization; a membership whose invitation has expired does not
// count. "" when the user is a member of none (removed from the last
// one): such a sign-in has no organization, never the one it asked for.
func (u User) SignInOrg(requested string) string {
	first := ""
	for _, m := range u.Memberships {
		if m.Status == MembershipInviteExpired {
			continue
		}
		if m.OrgID == requested {
			return requested
		}
		if first == "" {
			first = m.OrgID
		}
	}
	return first
}

// MembershipStatus is the MembershipStatus enum name of Scalekit's API.
type MembershipStatus string

const (
	MembershipActive        MembershipStatus = "ACTIVE"
	MembershipPendingInvite MembershipStatus = "PENDING_INVITE"
	MembershipInviteExpired MembershipStatus = "INVITE_EXPIRED"
)

// Membership is a user's membership of one organization.
type Membership struct {
	OrgID       string
	Roles       []string // role names; default "admin" for an org's first member, else "member"
	Permissions []string // explicit permissions of the fixtures; tokens get these ∪ the roles' permissions
	// Status reads INVITE_EXPIRED once a pending invitation's ExpiresAt
	// has passed: nothing has to run for an invitation to expire.
	Status     MembershipStatus
	Metadata   map[string]string
	CreateTime time.Time
	AcceptTime time.Time // zero while pending
	// Invite is set while an invitation exists for this membership.
	Invite *Invite
}

// InviteLifetime is how long an invitation can be accepted. Scalekit's
// invitations expire; the mock gives them 15 days.
const InviteLifetime = 15 * 24 * time.Hour

// Invite is an invitation to an organization.
type Invite struct {
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ResentAt    time.Time
	ResentCount int
	InvitedBy   string // user id, may be ""
}

// DomainType is the DomainType enum name of Scalekit's API.
type DomainType string

const (
	DomainOrganization DomainType = "ORGANIZATION_DOMAIN"  // routes sign-in (domain / domain_hint)
	DomainAllowedEmail DomainType = "ALLOWED_EMAIL_DOMAIN" // admits sign-ups of that email domain (JIT membership)
)

// Domain is a domain of an organization (dom_…).
type Domain struct {
	ID    string // dom_…
	OrgID string
	Name  string // lower-case
	Type  DomainType
	// Verified: the fixtures' domains and the API's are, since the mock
	// has no DNS to check; one added in the admin portal is not until its
	// Verify button (VerifyDomain). Only a verified domain routes sign-ins.
	Verified   bool
	CreateTime time.Time
	UpdateTime time.Time
}

// Connection is an SSO connection of an organization (conn_…).
type Connection struct {
	ID       string // conn_…
	OrgID    string
	Type     string // OIDC, SAML, OAUTH, PASSWORD, MAGIC_LINK (the ConnectionType enum names)
	Provider string // OKTA, AZURE_AD, GOOGLE, IDP_SIMULATOR, CUSTOM… (ConnectionProvider enum names)
	Enabled  bool   // a disabled connection is never offered by /oauth/authorize
	// Status is DRAFT, IN_PROGRESS or COMPLETED (ConnectionStatus enum
	// names): COMPLETED for the fixtures', DRAFT by default for the API's.
	Status     string
	Domains    []string
	KeyID      string
	CreateTime time.Time
	UpdateTime time.Time
}

// Directory is a SCIM directory of an organization (dir_…).
type Directory struct {
	ID       string // dir_…
	OrgID    string
	Name     string
	Type     string // SCIM (DirectoryType enum name)
	Provider string // OKTA, AZURE_AD, GOOGLE, … (DirectoryProvider enum names)
	Enabled  bool
	Status   string // COMPLETED for the fixtures'
	Users    []DirUser
	Groups   []DirGroup
	// Token is the bearer token the organization's IdP pushes SCIM
	// requests with; "" until the fixtures give one or NewDirectoryToken
	// makes one.
	Token      string `json:",omitempty"`
	CreateTime time.Time
	UpdateTime time.Time
	LastSync   time.Time
}

// DirUser is a user a directory has provisioned (diruser_…): from the
// fixtures, or pushed by the organization's IdP over SCIM.
type DirUser struct {
	ID string // diruser_…
	// ExternalID is the IdP's own ID of the user (SCIM externalId; dp_id
	// in Scalekit's events).
	ExternalID string `json:",omitempty"`
	Email      string // the primary email, "" when the IdP sent none
	// PreferredUsername is the SCIM userName, unique in the directory
	// compared case-insensitively; UserName falls back to Email.
	PreferredUsername string
	GivenName         string
	FamilyName        string
	Name              string   `json:",omitempty"` // the formatted name (SCIM name.formatted)
	DisplayName       string   `json:",omitempty"`
	Emails            []string `json:",omitempty"` // every email, the primary first
	Active            bool
	Groups            []string // DirGroup IDs
	Roles             []string
	// SCIM is the resource as the IdP last wrote it (POST, PUT, or what a
	// PATCH made of it), as JSON without id, meta, groups or password:
	// what a SCIM GET answers with and events carry as raw_attributes.
	// "" for a user of the fixtures.
	SCIM       string `json:",omitempty"`
	CreateTime time.Time
	UpdateTime time.Time
}

// UserName is the user's SCIM userName: PreferredUsername, or Email for
// a user of the fixtures that has none.
func (u *DirUser) UserName() string {
	if u.PreferredUsername != "" {
		return u.PreferredUsername
	}
	return u.Email
}

// DirGroup is a group of a directory (dirgroup_…). Its members are the
// users whose Groups name it: one record of each membership.
type DirGroup struct {
	ID          string // dirgroup_…
	DisplayName string // unique in the directory
	ExternalID  string `json:",omitempty"`
	// SCIM is the group as the IdP last wrote it, without id, meta and
	// members; "" for a group of the fixtures.
	SCIM       string `json:",omitempty"`
	CreateTime time.Time
	UpdateTime time.Time
}

// Role is a role of the environment, which memberships name.
type Role struct {
	Name        string // e.g. admin, member
	DisplayName string
	Description string
	Permissions []string
}
