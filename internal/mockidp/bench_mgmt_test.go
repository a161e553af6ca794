package mockidp_test

// Benchmarks of the management API, end to end: a connect-go client with
// connect.WithGRPC(), as an SDK calls, over loopback HTTP to the mock's
// own http.Server (HTTPServer), authorized with a real client_credentials
// token of the default app from the mock's /oauth/token. Nothing here
// runs without -bench: the setup (100,000-user environments, RSA keys)
// stays out of go test.
//
//	go test -run '^$' -bench '^BenchmarkMgmt$' -benchtime 3s ./internal/mockidp/
//
// runs them all (scripts/bench-mgmt.sh does this, and judges the targets).
// Sub-benchmarks and what each reports besides ns/op (0: an iteration is
// a round of both sides, not a useful time):
//
//	rss-100k-users           rss-MB: the process's VmRSS (/proc/self/status)
//	                         with one environment of 100,000 users serving,
//	                         after a collection and debug.FreeOSMemory, the
//	                         worst of the iterations; target ≤ 150.
//	                         Context: rss-before-MB (the same process before
//	                         the environment was made), heap-MB (HeapInuse
//	                         plus StackInuse after the collection).
//	get-organization-http1   calls/s of GetOrganization against the mock,
//	get-organization-h2c     base-calls/s against a bare connect-go handler
//	                         returning the same Organization, on its own
//	                         listener with the same http.Server settings and
//	                         the same client transport; mock/bare is their
//	                         ratio, target ≥ 0.8. HTTP/1.1 is Go's default
//	                         transport (the Go SDK); h2c is HTTP/2 with prior
//	                         knowledge (the Node SDK).
//	create-user-100k-vs-100  calls/s of CreateUserAndMembership against an
//	                         environment with 100,000 users stored,
//	                         base-calls/s against one with 100, of the same
//	                         shape otherwise (the default fixtures, the
//	                         seeded users members of Acme, where the new
//	                         ones go); users-100k/100 is their ratio, target
//	                         ≥ 0.5. Both live in this one process, so the
//	                         collector's work on the large one's heap falls
//	                         on both sides alike: the ratio is of the API's
//	                         own cost with 100,000 users (indexes, copies),
//	                         not of a larger heap's.
//
// The two sides of a ratio are measured in one run, in alternating phases:
// in a phase every goroutine (GOMAXPROCS of them) makes a block of calls to
// one side, and the phase's wall time per call is the inverse of that
// side's throughput; the next phase goes to the other side, and the order
// swaps from round to round. A round's two phases follow each other
// within milliseconds, so the machine's drift and bursts of other load
// fall on both alike: the ratio reported is the median over the rounds of
// each round's ratio, so that a round during which the noisy machine
// descheduled a goroutine counts for no more than one round. (A ratio of
// the two sides' medians would not do on a loaded machine: when the phase
// times fall in two clusters, loaded and not, each median may land in
// either.) calls/s and base-calls/s are the medians of each side's phases.
// Unlike benchInterleave (bench_test.go), no two sides run at once: a
// side's calls are not slowed by the other's, which would pull the ratio
// towards 1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/skctl/skctl/fixtures"
	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/fixture"
	orgpb "github.com/skctl/skctl/internal/scalekitpb/organizations"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
	userspb "github.com/skctl/skctl/internal/scalekitpb/users"
	"github.com/skctl/skctl/internal/scalekitpb/users/userspbconnect"
)

// BenchmarkMgmt runs the management API's benchmarks; the doc comment at
// the top of this file says what each reports.
func BenchmarkMgmt(b *testing.B) {
	// First, while the process holds nothing else: the RSS is the whole
	// process's.
	b.Run("rss-100k-users", benchMgmtRSS)
	b.Run("get-organization-http1", func(b *testing.B) { benchMgmtGetOrg(b, false) })
	b.Run("get-organization-h2c", func(b *testing.B) { benchMgmtGetOrg(b, true) })
	b.Run("create-user-100k-vs-100", benchMgmtCreateUser)
}

// benchMgmtUsers is the size of the large environment.
const benchMgmtUsers = 100_000

// ---------------------------------------------------------------------------
// Alternating phases

// benchMgmtSide is one side of a comparison: newCall is called once per
// goroutine and returns that goroutine's call; after, when set, runs
// untimed after each of the side's phases (to undo what the phase did).
type benchMgmtSide struct {
	newCall func() func() error
	after   func() error
}

// benchMgmtAlternate runs phases of the two sides in turn, a round (one
// phase of each, the order swapping from round to round) per iteration of
// b.Loop. It returns each side's median nanoseconds per call with all the
// goroutines at work (the inverse of its throughput), and the median over
// the rounds of side 0's throughput over side 1's.
func benchMgmtAlternate(b *testing.B, block int, sides [2]benchMgmtSide) (ns [2]float64, ratio float64) {
	procs := runtime.GOMAXPROCS(0)
	var calls [2][]func() error
	for k, s := range sides {
		for range procs {
			calls[k] = append(calls[k], s.newCall())
		}
	}
	var phases [2][]time.Duration
	phase := func(k int) {
		var wg sync.WaitGroup
		var failed atomic.Pointer[error]
		t0 := time.Now()
		for _, call := range calls[k] {
			wg.Go(func() {
				for range block {
					if err := call(); err != nil {
						failed.CompareAndSwap(nil, &err)
						return
					}
				}
			})
		}
		wg.Wait()
		d := time.Since(t0)
		if err := failed.Load(); err != nil {
			b.Fatalf("side %d: %v", k, *err)
		}
		phases[k] = append(phases[k], d)
		if sides[k].after != nil {
			if err := sides[k].after(); err != nil {
				b.Fatalf("side %d, after its phase: %v", k, err)
			}
		}
	}
	round := 0
	for b.Loop() {
		phase(round % 2)
		phase((round + 1) % 2)
		round++
	}
	for k := range ns {
		ns[k] = benchMedian(phases[k]) / float64(block*procs)
	}
	// The rounds' ratios, as durations scaled by 1e9 so that benchMedian
	// serves.
	ratios := make([]time.Duration, round)
	for r := range ratios {
		ratios[r] = time.Duration(1e9 * float64(phases[1][r]) / float64(phases[0][r]))
	}
	ratio = benchMedian(ratios) / 1e9
	b.ReportMetric(0, "ns/op") // per round of both sides: not a useful time
	b.ReportMetric(float64(round), "rounds")
	return ns, ratio
}

// ---------------------------------------------------------------------------
// Clients

// benchMgmtTransport is the client transport of both sides: Go's default
// (HTTP/1.1 on http://), or HTTP/2 with prior knowledge (h2c), with enough
// idle connections for every goroutine.
func benchMgmtTransport(h2c bool) *http.Transport {
	tr := &http.Transport{
		MaxIdleConnsPerHost: 4 * runtime.GOMAXPROCS(0),
		IdleConnTimeout:     time.Minute,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	if h2c {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		tr.Protocols = &p
	}
	return tr
}

// benchMgmtToken gets a client_credentials access token of the default app
// from the environment, as the SDKs do.
func benchMgmtToken(b testing.TB, url string) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 20 * time.Second})
	cfg := clientcredentials.Config{ClientID: app1ID, ClientSecret: app1Secret, TokenURL: url + "/oauth/token"}
	tok, err := cfg.Token(ctx)
	if err != nil {
		b.Fatalf("client_credentials token of %s: %v", app1ID, err)
	}
	return tok.AccessToken
}

// benchMgmtCallTimeout bounds one call: long enough for a slow machine,
// short enough that a hung server fails the run rather than stalls it.
const benchMgmtCallTimeout = 30 * time.Second

func benchMgmtGetOrgCall(c organizationspbconnect.OrganizationServiceClient, token, id string) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), benchMgmtCallTimeout)
		defer cancel()
		req := connect.NewRequest(&orgpb.GetOrganizationRequest{Identities: &orgpb.GetOrganizationRequest_Id{Id: id}})
		req.Header().Set("Authorization", "Bearer "+token)
		resp, err := c.GetOrganization(ctx, req)
		if err != nil {
			return fmt.Errorf("GetOrganization %s: %w", id, err)
		}
		if got := resp.Msg.GetOrganization().GetId(); got != id {
			return fmt.Errorf("GetOrganization %s: got organization %q", id, got)
		}
		return nil
	}
}

// ---------------------------------------------------------------------------
// 1. GetOrganization against a bare handler

// benchMgmtBareOrgs is the baseline: connect-go's generated handler with
// nothing but GetOrganization, which returns one message.
type benchMgmtBareOrgs struct {
	organizationspbconnect.UnimplementedOrganizationServiceHandler
	org *orgpb.Organization
}

func (s *benchMgmtBareOrgs) GetOrganization(context.Context, *connect.Request[orgpb.GetOrganizationRequest]) (*connect.Response[orgpb.GetOrganizationResponse], error) {
	return connect.NewResponse(&orgpb.GetOrganizationResponse{Organization: s.org}), nil
}

// benchMgmtGetOrg compares GetOrganization of Acme on the mock and on the
// bare handler, over HTTP/1.1 or h2c.
func benchMgmtGetOrg(b *testing.B, h2c bool) {
	env := startEnv(b, mockidp.Options{})
	token := benchMgmtToken(b, env.URL)
	tr := benchMgmtTransport(h2c)
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	mock := organizationspbconnect.NewOrganizationServiceClient(hc, env.URL, connect.WithGRPC())

	// The bare server: the mock's http.Server settings (Protocols, limits,
	// timeouts), its own listener, the bare handler; it notes the HTTP
	// version of the requests, to check what the transport speaks.
	ctx, cancel := context.WithTimeout(b.Context(), benchMgmtCallTimeout)
	defer cancel()
	first := connect.NewRequest(&orgpb.GetOrganizationRequest{Identities: &orgpb.GetOrganizationRequest_Id{Id: acmeOrg}})
	first.Header().Set("Authorization", "Bearer "+token)
	resp, err := mock.GetOrganization(ctx, first)
	if err != nil {
		b.Fatalf("GetOrganization on the mock: %v", err)
	}
	path, h := organizationspbconnect.NewOrganizationServiceHandler(&benchMgmtBareOrgs{org: resp.Msg.GetOrganization()})
	mux := http.NewServeMux()
	var proto atomic.Int32
	mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(int32(r.ProtoMajor))
		h.ServeHTTP(w, r)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := env.HTTPServer()
	hs.Handler = mux
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	bare := organizationspbconnect.NewOrganizationServiceClient(hc, "http://"+ln.Addr().String(), connect.WithGRPC())

	sides := [2]benchMgmtSide{
		{newCall: func() func() error { return benchMgmtGetOrgCall(mock, token, acmeOrg) }},
		{newCall: func() func() error { return benchMgmtGetOrgCall(bare, token, acmeOrg) }},
	}
	// Open the connections and warm both up before timing.
	for _, s := range sides {
		call := s.newCall()
		for range 200 {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
	}
	want := int32(1)
	if h2c {
		want = 2
	}
	if got := proto.Load(); got != want {
		b.Fatalf("the bare server got HTTP/%d requests, want HTTP/%d", got, want)
	}

	ns, ratio := benchMgmtAlternate(b, 64, sides)
	b.ReportMetric(1e9/ns[0], "calls/s")
	b.ReportMetric(1e9/ns[1], "base-calls/s")
	b.ReportMetric(ratio, "mock/bare")
}

// ---------------------------------------------------------------------------
// 2. CreateUserAndMembership with 100,000 users stored against 100

// benchMgmtFixtures are the default fixtures with users added, members of
// Acme, to users in all, as a --fixtures file with that many users would
// be: built as JSON and read by fixture.Parse.
func benchMgmtFixtures(b *testing.B, users int) *fixture.Fixtures {
	b.Helper()
	var fx fixture.Fixtures
	if err := json.Unmarshal(fixtures.DefaultJSON, &fx); err != nil {
		b.Fatal(err)
	}
	for i := len(fx.Users); i < users; i++ {
		fx.Users = append(fx.Users, fixture.User{
			Email:       fmt.Sprintf("seed%06d@acme.test", i),
			Name:        fmt.Sprintf("Seed User %d", i),
			GivenName:   "Seed",
			FamilyName:  fmt.Sprintf("User %d", i),
			ExternalID:  fmt.Sprintf("SEED-%06d", i),
			Memberships: []fixture.Membership{{Organization: acmeOrg}},
		})
	}
	data, err := json.Marshal(&fx)
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := fixture.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	return parsed
}

// benchMgmtEnv is a running environment of users users, with clients of
// its management API and a token of the default app.
type benchMgmtEnv struct {
	token string
	orgs  organizationspbconnect.OrganizationServiceClient
	users userspbconnect.UserServiceClient
}

// newBenchMgmtEnv starts an environment of users users for the rest of the
// benchmark.
func newBenchMgmtEnv(b *testing.B, users int, hc *http.Client) *benchMgmtEnv {
	b.Helper()
	env := startEnv(b, mockidp.Options{Fixtures: benchMgmtFixtures(b, users)})
	return benchMgmtClients(b, env.URL, users, hc)
}

// benchMgmtClients makes the clients of the environment at url, and checks
// that it has users users.
func benchMgmtClients(b *testing.B, url string, users int, hc *http.Client) *benchMgmtEnv {
	b.Helper()
	e := &benchMgmtEnv{
		token: benchMgmtToken(b, url),
		orgs:  organizationspbconnect.NewOrganizationServiceClient(hc, url, connect.WithGRPC()),
		users: userspbconnect.NewUserServiceClient(hc, url, connect.WithGRPC()),
	}
	if n := e.userCount(b); n != users {
		b.Fatalf("ListUsers: total_size %d, want %d", n, users)
	}
	return e
}

// userCount is the environment's total_size of ListUsers.
func (e *benchMgmtEnv) userCount(b *testing.B) int {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), benchMgmtCallTimeout)
	defer cancel()
	req := connect.NewRequest(&userspb.ListUsersRequest{PageSize: 1})
	req.Header().Set("Authorization", "Bearer "+e.token)
	resp, err := e.users.ListUsers(ctx, req)
	if err != nil {
		b.Fatalf("ListUsers: %v", err)
	}
	return int(resp.Msg.GetTotalSize())
}

// benchMgmtEmails numbers the created users: every email is new.
var benchMgmtEmails atomic.Int64

// createCall returns a call that creates a user with a new email in Acme;
// keep, when set, is given the new user's ID.
func (e *benchMgmtEnv) createCall(keep func(string)) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), benchMgmtCallTimeout)
		defer cancel()
		n := benchMgmtEmails.Add(1)
		email := fmt.Sprintf("new%08d@acme.test", n)
		req := connect.NewRequest(&userspb.CreateUserAndMembershipRequest{
			OrganizationId: acmeOrg,
			User: &userspb.CreateUser{
				Email:       email,
				UserProfile: &userspb.CreateUserProfile{GivenName: "New", FamilyName: strconv.FormatInt(n, 10)},
			},
		})
		req.Header().Set("Authorization", "Bearer "+e.token)
		resp, err := e.users.CreateUserAndMembership(ctx, req)
		if err != nil {
			return fmt.Errorf("CreateUserAndMembership %s: %w", email, err)
		}
		u := resp.Msg.GetUser()
		if u.GetEmail() != email || !strings.HasPrefix(u.GetId(), "usr_") || len(u.GetMemberships()) != 1 {
			return fmt.Errorf("CreateUserAndMembership %s: got %v", email, u)
		}
		if keep != nil {
			keep(u.GetId())
		}
		return nil
	}
}

// deleteUsers deletes users by ID.
func (e *benchMgmtEnv) deleteUsers(ids []string) error {
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), benchMgmtCallTimeout)
		req := connect.NewRequest(&userspb.DeleteUserRequest{Identities: &userspb.DeleteUserRequest_Id{Id: id}})
		req.Header().Set("Authorization", "Bearer "+e.token)
		_, err := e.users.DeleteUser(ctx, req)
		cancel()
		if err != nil {
			return fmt.Errorf("DeleteUser %s: %w", id, err)
		}
	}
	return nil
}

// benchMgmtCreateUser compares CreateUserAndMembership with 100,000 users
// stored and with 100. The large environment keeps the users it is given
// (it grows by a few percent over a run, and reports its final count as
// users-end); the small one has the users of each phase deleted after the
// phase, untimed, so that it stays at 100 (plus one phase's users) however
// long the run.
func benchMgmtCreateUser(b *testing.B) {
	tr := benchMgmtTransport(false)
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	large := newBenchMgmtEnv(b, benchMgmtUsers, hc)
	small := newBenchMgmtEnv(b, 100, hc)

	var mu sync.Mutex
	var created []string
	keep := func(id string) { mu.Lock(); created = append(created, id); mu.Unlock() }
	undo := func() error {
		mu.Lock()
		ids := created
		created = nil
		mu.Unlock()
		return small.deleteUsers(ids)
	}
	sides := [2]benchMgmtSide{
		{newCall: func() func() error { return large.createCall(nil) }},
		{newCall: func() func() error { return small.createCall(keep) }, after: undo},
	}
	// Open the connections and warm both up before timing.
	for k, s := range sides {
		call := s.newCall()
		for range 100 {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
		if s.after != nil {
			if err := s.after(); err != nil {
				b.Fatalf("side %d: %v", k, err)
			}
		}
	}

	ns, ratio := benchMgmtAlternate(b, 32, sides)
	if n := small.userCount(b); n != 100 {
		b.Errorf("the small environment ends with %d users, want 100", n)
	}
	b.ReportMetric(1e9/ns[0], "calls/s")
	b.ReportMetric(1e9/ns[1], "base-calls/s")
	b.ReportMetric(ratio, "users-100k/100")
	b.ReportMetric(float64(large.userCount(b)), "users-end")
}

// ---------------------------------------------------------------------------
// 3. Memory with 100,000 users

// benchMgmtVmRSS is the process's resident set size in bytes, from
// /proc/self/status.
func benchMgmtVmRSS() (float64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS: %q: %w", rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

// benchMgmtSettle collects twice (sync.Pool's victim caches too) and
// returns the freed memory to the OS, so that VmRSS is what is live.
func benchMgmtSettle() runtime.MemStats {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// benchMgmtServe serves an environment on 127.0.0.1:0 as testenv.Start
// does, but registers no cleanup: the next iteration's "before" must not
// still hold this environment through a cleanup's reference. stop shuts it
// down and closes it.
func benchMgmtServe(b *testing.B, opts mockidp.Options) (url string, stop func()) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	opts.Issuer = "http://" + ln.Addr().String()
	srv, err := mockidp.New(opts)
	if err != nil {
		ln.Close()
		b.Fatal(err)
	}
	hs := srv.HTTPServer()
	go hs.Serve(ln)
	return opts.Issuer, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if hs.Shutdown(ctx) != nil {
			hs.Close()
		}
		srv.Close()
	}
}

// benchMgmtRSS makes an environment of 100,000 users (from fixtures, as
// `skctl mock-idp --fixtures` would), checks through the API that it
// serves them, and measures the process's VmRSS with it: one measurement
// per iteration, the worst reported.
func benchMgmtRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("VmRSS is read from /proc/self/status")
	}
	const mb = 1 << 20
	var worst, before, heap float64
	tr := benchMgmtTransport(false)
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	for b.Loop() {
		benchMgmtSettle()
		base, err := benchMgmtVmRSS()
		if err != nil {
			b.Fatal(err)
		}
		url, stop := benchMgmtServe(b, mockidp.Options{Fixtures: benchMgmtFixtures(b, benchMgmtUsers)})
		e := benchMgmtClients(b, url, benchMgmtUsers, hc)
		if err := benchMgmtGetOrgCall(e.orgs, e.token, acmeOrg)(); err != nil {
			stop()
			b.Fatal(err)
		}
		m := benchMgmtSettle()
		rss, err := benchMgmtVmRSS()
		if err != nil {
			stop()
			b.Fatal(err)
		}
		if rss > worst {
			worst, before, heap = rss, base, float64(m.HeapInuse+m.StackInuse)
		}
		tr.CloseIdleConnections()
		stop()
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(worst/mb, "rss-MB")
	b.ReportMetric(before/mb, "rss-before-MB")
	b.ReportMetric(heap/mb, "heap-MB")
}
