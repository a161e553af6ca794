// Package events is an environment's event log: every change to its
// tenant, through the management API, the sign-in flow, the admin portal
// or SCIM, becomes an event of one of Scalekit's webhook types, in the
// envelope Scalekit delivers (its ScalekitEvent message), which the
// webhook deliveries and EventsService read.
package events

// Type is a webhook event type, as Scalekit names it.
type Type string

// Object is the kind of object an event is about (Scalekit's ObjectType
// enum names).
type Object string

const (
	ObjectOrganization   Object = "Organization"
	ObjectMembership     Object = "OrgMembership"
	ObjectUser           Object = "User"
	ObjectConnection     Object = "Connection"
	ObjectDirectory      Object = "Directory"
	ObjectDirectoryUser  Object = "DirectoryUser"
	ObjectDirectoryGroup Object = "DirectoryGroup"
	ObjectRole           Object = "Role"
	ObjectPermission     Object = "Permission"
)

// The 32 B2B event types of Scalekit's webhooks (its AgentKit types are
// not the mock's).
const (
	OrgCreated Type = "organization.created"
	OrgUpdated Type = "organization.updated"
	OrgDeleted Type = "organization.deleted"

	DomainCreated            Type = "organization.domain_created"
	DomainDeleted            Type = "organization.domain_deleted"
	DomainVerificationPassed Type = "organization.domain_dns_verification_success"
	DomainVerificationFailed Type = "organization.domain_dns_verification_failed"

	SSOCreated  Type = "organization.sso_created"
	SSOEnabled  Type = "organization.sso_enabled"
	SSODisabled Type = "organization.sso_disabled"
	SSODeleted  Type = "organization.sso_deleted"

	DirectoryEnabled  Type = "organization.directory_enabled"
	DirectoryDisabled Type = "organization.directory_disabled"

	DirUserCreated  Type = "organization.directory.user_created"
	DirUserUpdated  Type = "organization.directory.user_updated"
	DirUserDeleted  Type = "organization.directory.user_deleted"
	DirGroupCreated Type = "organization.directory.group_created"
	DirGroupUpdated Type = "organization.directory.group_updated"
	DirGroupDeleted Type = "organization.directory.group_deleted"

	UserSignup Type = "user.signup"
	UserLogin  Type = "user.login"
	UserLogout Type = "user.logout"

	MembershipInvited Type = "user.organization_invitation"
	MembershipCreated Type = "user.organization_membership_created"
	MembershipUpdated Type = "user.organization_membership_updated"
	MembershipDeleted Type = "user.organization_membership_deleted"

	RoleCreated       Type = "role.created"
	RoleUpdated       Type = "role.updated"
	RoleDeleted       Type = "role.deleted"
	PermissionCreated Type = "permission.created"
	PermissionUpdated Type = "permission.updated"
	PermissionDeleted Type = "permission.deleted"
)

// The role and permission events have no change of the mock behind them:
// its roles are the fixtures', and nothing changes them, so a trigger of
// one only sends the event. --list says so, as the docs do.
const (
	rolesOnlySent       = "; trigger only: the mock keeps the fixtures' roles and nothing changes them, so this trigger changes nothing and only sends the event, about a made-up role"
	permissionsOnlySent = "; trigger only: the mock keeps the fixtures' permissions and nothing changes them, so this trigger changes nothing and only sends the event, about a made-up permission"
)

// Info describes an event type: the object it is about, the display name
// Scalekit gives it, and when it happens, for `trigger --list` and the
// docs.
type Info struct {
	Type        Type
	Object      Object
	DisplayName string
	When        string
}

// catalog lists every type the mock emits, in the order the docs list them.
var catalog = [...]Info{
	{OrgCreated, ObjectOrganization, "Organization Created", "an organization is created (API, sign-up, portal)"},
	{OrgUpdated, ObjectOrganization, "Organization Updated", "an organization's name, external ID, metadata or settings change"},
	{OrgDeleted, ObjectOrganization, "Organization Deleted", "an organization is deleted"},
	{DomainCreated, ObjectOrganization, "Organization Domain Created", "a domain is added to an organization"},
	{DomainDeleted, ObjectOrganization, "Organization Domain Deleted", "a domain is removed"},
	{DomainVerificationPassed, ObjectOrganization, "Organization Domain DNS Verification Success", "a domain's DNS record is verified (portal)"},
	{DomainVerificationFailed, ObjectOrganization, "Organization Domain DNS Verification Failed", "a domain's DNS record could not be verified (trigger)"},
	{SSOCreated, ObjectConnection, "Organization SSO Created", "an SSO connection is created"},
	{SSOEnabled, ObjectConnection, "Organization SSO Enabled", "an SSO connection is enabled"},
	{SSODisabled, ObjectConnection, "Organization SSO Disabled", "an SSO connection is disabled"},
	{SSODeleted, ObjectConnection, "Organization SSO Deleted", "an SSO connection is deleted"},
	{DirectoryEnabled, ObjectDirectory, "Organization Directory Enabled", "a SCIM directory is enabled"},
	{DirectoryDisabled, ObjectDirectory, "Organization Directory Disabled", "a SCIM directory is disabled"},
	{DirUserCreated, ObjectDirectoryUser, "Directory User Created", "a directory provisions a user (SCIM POST /Users)"},
	{DirUserUpdated, ObjectDirectoryUser, "Directory User Updated", "a directory changes a user (SCIM PUT or PATCH)"},
	{DirUserDeleted, ObjectDirectoryUser, "Directory User Deleted", "a directory deprovisions a user (SCIM DELETE)"},
	{DirGroupCreated, ObjectDirectoryGroup, "Directory Group Created", "a directory pushes a group"},
	{DirGroupUpdated, ObjectDirectoryGroup, "Directory Group Updated", "a directory changes a group or its members"},
	{DirGroupDeleted, ObjectDirectoryGroup, "Directory Group Deleted", "a directory removes a group"},
	{UserSignup, ObjectMembership, "User Signup", "a new user signs up through the sign-in page"},
	{UserLogin, ObjectUser, "User Login", "a user signs in (an IdP session starts)"},
	{UserLogout, ObjectUser, "User Logout", "a user signs out, or a session is revoked"},
	{MembershipInvited, ObjectMembership, "User Organization Invitation", "a user is invited to an organization"},
	{MembershipCreated, ObjectMembership, "User Organization Membership Created", "a user becomes a member of an organization"},
	{MembershipUpdated, ObjectMembership, "User Organization Membership Updated", "a membership's roles, metadata or status change"},
	{MembershipDeleted, ObjectMembership, "User Organization Membership Deleted", "a user leaves an organization, or is deleted"},
	{RoleCreated, ObjectRole, "Role Created", "a role is created" + rolesOnlySent},
	{RoleUpdated, ObjectRole, "Role Updated", "a role changes" + rolesOnlySent},
	{RoleDeleted, ObjectRole, "Role Deleted", "a role is deleted" + rolesOnlySent},
	{PermissionCreated, ObjectPermission, "Permission Created", "a permission is created" + permissionsOnlySent},
	{PermissionUpdated, ObjectPermission, "Permission Updated", "a permission changes" + permissionsOnlySent},
	{PermissionDeleted, ObjectPermission, "Permission Deleted", "a permission is deleted" + permissionsOnlySent},
}

// Types lists every event type the mock emits.
func Types() []Info { return catalog[:] }

// Lookup describes a type; ok is false for a type the mock does not emit.
func Lookup(t Type) (Info, bool) {
	for _, i := range catalog {
		if i.Type == t {
			return i, true
		}
	}
	return Info{}, false
}
