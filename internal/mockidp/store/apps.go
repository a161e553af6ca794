package store

import (
	"slices"

	"github.com/skctl/skctl/internal/mockidp/fixture"
)

// Apps indexes the environment's apps (OAuth clients) by client ID. They
// come from the fixtures and never change, so it needs no lock; the
// organizations and users, which do change, are the tenant's.
type Apps struct {
	apps    []*fixture.App
	clients map[string]*fixture.App
}

// NewApps indexes apps, which it keeps.
func NewApps(apps []fixture.App) *Apps {
	a := &Apps{clients: map[string]*fixture.App{}}
	for i := range apps {
		a.apps = append(a.apps, &apps[i])
		a.clients[apps[i].ClientID] = &apps[i]
	}
	return a
}

// HasPublicClient reports whether an app authenticates with no secret.
func (a *Apps) HasPublicClient() bool {
	return slices.ContainsFunc(a.apps, (*fixture.App).Public)
}

// Client returns the app with a client ID, or nil.
func (a *Apps) Client(id string) *fixture.App { return a.clients[id] }

// Apps lists the apps, the default one first.
func (a *Apps) Apps() []*fixture.App { return a.apps }
