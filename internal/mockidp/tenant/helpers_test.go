package tenant_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/fixture"
	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// The default fixtures' IDs (fixtures/default.yaml).
const (
	acme      = "org_59615193906282635"
	globex    = "org_59615193906413707"
	acmeConn  = "conn_59615193906348171"
	acmeDir   = "dir_55631105591072318"
	engGroup  = "dirgroup_79844505749161046"
	ada       = "usr_59615193906544779"
	grace     = "usr_59615193906610315"
	hank      = "usr_59615193906675851"
	adaEmail  = "ada@acme.test"
	hankEmail = "hank@globex.test"
)

// clock is a clock a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTenant seeds a tenant from the default fixtures on a hand clock.
func newTenant(t testing.TB) (*tenant.Tenant, *clock) {
	t.Helper()
	fx, err := fixture.Default()
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	var g ids.Gen
	return tenant.New(fx, c.Now, g.New), c
}

// must returns v, and panics (failing the test) on an error: a step that
// is not what the test is about.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// wantErr checks that err is an *E and returns it.
func wantErr[E error](t testing.TB, err error, what string) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("%s: err = %v (%T), want a %T", what, err, err, e)
	}
	return e
}
