package tenant_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// createRate measures CreateUserAndMembership with n users stored: the
// best of a few rounds, so that a GC pause does not decide it.
func createRate(t testing.TB, tn *tenant.Tenant, orgID string, prefix string) time.Duration {
	best := time.Duration(1 << 62)
	for round := range 5 {
		start := time.Now()
		for i := range 200 {
			must(tn.CreateUserAndMembership(orgID, tenant.User{Email: fmt.Sprintf("%s-%d-%d@x.test", prefix, round, i)}, tenant.Membership{}, false))
		}
		best = min(best, time.Since(start)/200)
	}
	return best
}

// fill adds users to the tenant, spread over organizations of 100.
func fill(tn *tenant.Tenant, n int) string {
	var org string
	for i := range n {
		if i%100 == 0 {
			org = must(tn.CreateOrg(tenant.Org{DisplayName: fmt.Sprintf("Org %d", i/100)})).ID
		}
		must(tn.CreateUserAndMembership(org, tenant.User{Email: fmt.Sprintf("user%d@x.test", i), GivenName: "Given", FamilyName: "Family"}, tenant.Membership{}, false))
	}
	return org
}

// TestScale: a tenant of 100,000 users creates one as fast, within a
// factor, as a tenant of 100 (every create is indexed look-ups, never a
// walk over the users), and fits well within 150 MB.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a tenant with 100,000 users")
	}
	if raceEnabled {
		t.Skip("measures memory and time, which the race detector multiplies")
	}
	small, _ := newTenant(t)
	smallOrg := fill(small, 100)
	perSmall := createRate(t, small, smallOrg, "s")

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	big, _ := newTenant(t)
	bigOrg := fill(big, 100_000)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("100,000 users: %d MB of heap", heap>>20)
	if heap > 100<<20 {
		t.Errorf("100,000 users take %d MB of heap, want well under 150 MB of RSS", heap>>20)
	}
	if rss, ok := residentKB(); ok {
		t.Logf("resident set: %d MB", rss>>10)
		if rss > 150<<10 {
			t.Errorf("the test process holds %d MB with 100,000 users, want under 150 MB", rss>>10)
		}
	}
	perBig := createRate(t, big, bigOrg, "b")
	t.Logf("CreateUserAndMembership: %v with 100 users, %v with 100,000", perSmall, perBig)
	// A linear scan would be ~1000 times slower; the factor leaves room
	// for the bigger heap's slower allocation and a loaded machine.
	if perBig > 3*perSmall+20*time.Microsecond {
		t.Errorf("with 100,000 users a create takes %v, with 100 %v: it walks the users", perBig, perSmall)
	}
	runtime.KeepAlive(big)
}

// residentKB reads the process's resident set size where /proc has it
// (Linux). The test runs alone: the package's parallel tests wait for the
// serial ones.
func residentKB() (int64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// BenchmarkCreateUserAndMembership reports a create's cost in tenants of
// 100 and 100,000 users.
func BenchmarkCreateUserAndMembership(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			tn, _ := newTenant(b)
			org := fill(tn, n)
			b.ResetTimer()
			for i := range b.N {
				must(tn.CreateUserAndMembership(org, tenant.User{Email: fmt.Sprintf("bench%d@x.test", i)}, tenant.Membership{}, false))
			}
		})
	}
}
