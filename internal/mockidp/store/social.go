package store

import (
	"slices"

	"github.com/skctl/skctl/internal/mockidp/ids"
)

// SocialProviders are the values of the provider parameter the SDKs send
// (docs/scalekit-contract.md §4). Each routes to a fake social connection
// with a stable ID, which belongs to no organization.
var SocialProviders = []string{"google", "microsoft", "github", "gitlab", "linkedin", "salesforce"}

// SocialConnectionID is the ID of the fake connection a provider routes to.
func SocialConnectionID(provider string) string { return ids.Stable("conn_", "social/"+provider) }

// IsSocialConnection reports whether id is one of the social connections.
func IsSocialConnection(id string) bool {
	return slices.ContainsFunc(SocialProviders, func(p string) bool { return SocialConnectionID(p) == id })
}
