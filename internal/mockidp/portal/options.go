package portal

import "slices"

// Option is a choice of a portal form: an enum name of Scalekit's API and
// what the page calls it.
type Option struct{ Value, Label string }

// The choices of the portal's forms. A connection of any of them signs
// in through the mock's own sign-in page; the provider only labels it, as
// it labels the connection in the API and the webhooks.
var (
	ConnectionTypes     = []Option{{"OIDC", "OpenID Connect (OIDC)"}, {"SAML", "SAML 2.0"}}
	ConnectionProviders = []Option{
		{"OKTA", "Okta"}, {"MICROSOFT_AD", "Microsoft Entra ID"}, {"GOOGLE", "Google Workspace"},
		{"JUMPCLOUD", "JumpCloud"}, {"ONELOGIN", "OneLogin"}, {"PING_IDENTITY", "PingIdentity"},
		{"ADFS", "Microsoft AD FS"}, {"IDP_SIMULATOR", "IdP Simulator"}, {"CUSTOM", "Custom"},
	}
	DirectoryProviders = []Option{
		{"OKTA", "Okta"}, {"MICROSOFT_AD", "Microsoft Entra ID"}, {"GOOGLE", "Google Workspace"},
		{"JUMPCLOUD", "JumpCloud"}, {"ONELOGIN", "OneLogin"}, {"PING_IDENTITY", "PingIdentity"},
	}
)

// Allowed reports whether a posted value is one of the options.
func Allowed(opts []Option, v string) bool {
	return slices.ContainsFunc(opts, func(o Option) bool { return o.Value == v })
}

// Label is what the page calls a value: its option's label, or the value
// itself (a fixture's provider the forms do not offer, such as AZURE_AD,
// which is Entra ID).
func Label(opts []Option, v string) string {
	if v == "AZURE_AD" || v == "ENTRA_ID" {
		v = "MICROSOFT_AD"
	}
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}
