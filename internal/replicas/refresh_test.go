package replicas_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/replicas"
	"github.com/skctl/skctl/internal/replicas/redistest"
)

// TestOneLeaderPerToken: 60 refreshes of one token spread over four
// replicas on one server redeem it once; every caller gets that one
// result, and the counters say who led and who adopted.
func TestOneLeaderPerToken(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	var rs []*replica
	for range 4 {
		rs = append(rs, startReplica(t, srv, "one-leader", replicas.Options{}))
	}
	var redeemed atomic.Int32
	var wg sync.WaitGroup
	results := make([][]byte, 60)
	errs := make([]error, 60)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = rs[i%len(rs)].Refresh(context.Background(), "tokenhash", func() ([]byte, time.Duration) {
				n := redeemed.Add(1)
				return []byte("sealed result " + strconv.Itoa(int(n))), 10 * time.Second
			})
		})
	}
	wg.Wait()
	if n := redeemed.Load(); n != 1 {
		t.Fatalf("the token was redeemed %d times, want once", n)
	}
	for i := range results {
		if errs[i] != nil || string(results[i]) != "sealed result 1" {
			t.Errorf("caller %d: %q %v, want the one result", i, results[i], errs[i])
		}
	}
	var led, adopted uint64
	for _, r := range rs {
		st := r.Stats()
		led, adopted = led+st.Led, adopted+st.Adopted
		if st.Local != 0 || st.Errors != 0 {
			t.Errorf("a replica redeemed alone or failed: %+v", st)
		}
	}
	if led != 1 || adopted != 59 {
		t.Errorf("led %d, adopted %d; want 1 and 59", led, adopted)
	}
}

// TestWaiterAdoptsPublishedResult: a replica that finds the token locked
// waits, and adopts the leader's result when it is published, even one
// that is not kept (keep 0, as for a transient failure): it came by
// pub/sub, not from the store.
func TestWaiterAdoptsPublishedResult(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startReplica(t, srv, "adopt", replicas.Options{})
	b := startReplica(t, srv, "adopt", replicas.Options{})
	leading, release := make(chan struct{}), make(chan struct{})
	done := make(chan []byte)
	go func() {
		res, _ := a.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
			close(leading)
			<-release
			return []byte("transient failure"), 0
		})
		done <- res
	}()
	<-leading
	got := make(chan []byte)
	go func() {
		res, err := b.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
			t.Error("the waiter redeemed the token too")
			return nil, 0
		})
		if err != nil {
			t.Error(err)
		}
		got <- res
	}()
	b.log.waitCount(t, "DEBUG waiting for another replica's refresh", 1)
	close(release)
	if res := <-got; string(res) != "transient failure" {
		t.Errorf("the waiter got %q", res)
	}
	if res := <-done; string(res) != "transient failure" {
		t.Errorf("the leader got %q", res)
	}
	if st := b.Stats(); st.Adopted != 1 || st.Led != 0 {
		t.Errorf("waiter: %+v, want one adopted result", st)
	}
	// Not kept: the next refresh of the token redeems it again.
	var again bool
	b.Refresh(context.Background(), "k", func() ([]byte, time.Duration) { again = true; return []byte("x"), 0 })
	if !again {
		t.Errorf("a result kept for 0 was adopted later")
	}
}

// TestLostLeaderTakenOver: a leader that never publishes (its replica
// died holding the lock) is taken over once its lock expires: the waiter
// redeems, says so, and the old leader, should it come back, frees no
// lock and stores nothing of its own.
func TestLostLeaderTakenOver(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := replicas.Options{LockTTL: 300 * time.Millisecond}
	a := startReplica(t, srv, "takeover", opts)
	b := startReplica(t, srv, "takeover", opts)
	leading, release := make(chan struct{}), make(chan struct{})
	lostDone := make(chan []byte)
	go func() {
		res, _ := a.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
			close(leading)
			<-release // frozen past its lock
			return []byte("late result"), 10 * time.Second
		})
		lostDone <- res
	}()
	<-leading
	start := time.Now()
	res, err := b.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
		return []byte("takeover result"), 10 * time.Second
	})
	if err != nil || string(res) != "takeover result" {
		t.Fatalf("waiter: %q %v, want its own redemption after the takeover", res, err)
	}
	if took := time.Since(start); took < opts.LockTTL/2 {
		t.Errorf("took over after %v, before the lock (%v) could have expired", took, opts.LockTTL)
	}
	if st := b.Stats(); st.Takeovers != 1 || st.Led != 1 {
		t.Errorf("waiter: %+v, want one takeover", st)
	}
	b.log.waitCount(t, "WARN took over a refresh", 1)

	close(release)
	<-lostDone
	a.log.waitCount(t, "WARN a refresh outlived its lock", 1)
	// The store keeps the takeover's result, not the late leader's.
	c := startReplica(t, srv, "takeover", opts)
	res, _ = c.Refresh(context.Background(), "k", func() ([]byte, time.Duration) { return []byte("third"), 0 })
	if string(res) != "takeover result" {
		t.Errorf("a later replica got %q, want the takeover's result", res)
	}
}

// TestLeaderPanicFreesLock: a redemption that panics frees the lock with
// no result, so a waiter redeems at its next look instead of waiting for
// the lock to expire.
func TestLeaderPanicFreesLock(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := replicas.Options{LockTTL: time.Hour} // a wait for expiry would hang the test
	a := startReplica(t, srv, "panic", opts)
	b := startReplica(t, srv, "panic", opts)
	leading, release := make(chan struct{}), make(chan struct{})
	go func() {
		defer func() { recover() }()
		a.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
			close(leading)
			<-release
			panic("redeem failed")
		})
	}()
	<-leading
	got := make(chan []byte)
	go func() {
		res, _ := b.Refresh(context.Background(), "k", func() ([]byte, time.Duration) { return []byte("b's"), 0 })
		got <- res
	}()
	b.log.waitCount(t, "DEBUG waiting for another replica's refresh", 1)
	close(release)
	select {
	case res := <-got:
		if string(res) != "b's" {
			t.Errorf("waiter got %q, want its own redemption", res)
		}
	case <-time.After(hang):
		t.Fatal("the waiter is still waiting: the panicking leader kept the lock")
	}
}

// TestRefusalShared: a refusal is a result like any other: the replicas
// asking later adopt the same bytes (serve seals "invalid_grant: sign
// out" in them), without redeeming again.
func TestRefusalShared(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startReplica(t, srv, "refusal", replicas.Options{})
	b := startReplica(t, srv, "refusal", replicas.Options{})
	refusal := []byte("sealed: invalid_grant")
	if res, _ := a.Refresh(context.Background(), "k", func() ([]byte, time.Duration) { return refusal, 10 * time.Second }); !bytes.Equal(res, refusal) {
		t.Fatalf("leader got %q", res)
	}
	res, err := b.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
		t.Error("the refused token was redeemed again")
		return nil, 0
	})
	if err != nil || !bytes.Equal(res, refusal) {
		t.Errorf("other replica: %q %v, want the refusal", res, err)
	}
}

// TestServerDownFallsBack: with the server frozen (every command hangs),
// a refresh is redeemed here alone within the operation timeout; the
// outage is logged once however many calls fail, later calls do not wait
// at all, and once the server answers again the replica says so and
// coordinates again.
func TestServerDownFallsBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := replicas.Options{OpTimeout: 300 * time.Millisecond, Cooldown: time.Hour}
	seen := &observed{failures: map[replicas.Kind]int{}}
	aOpts := opts
	aOpts.OnFailure, aOpts.OnHealth = seen.failure, seen.health
	a := startReplica(t, srv, "down", aOpts)
	if h, _ := seen.get(); !slices.Equal(h, []bool{true}) {
		t.Errorf("OnHealth after connecting: %v, want [true]", h)
	}
	srv.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			srv.Thaw()
		}
	}()
	for i := range 5 {
		start := time.Now()
		res, err := a.Refresh(context.Background(), "k"+strconv.Itoa(i), func() ([]byte, time.Duration) { return []byte("local"), time.Second })
		took := time.Since(start)
		if err != nil || string(res) != "local" {
			t.Fatalf("call %d: %q %v, want a local redemption", i, res, err)
		}
		// The fault under test is the timeout: a tight bound, with room
		// for a loaded machine.
		if limit := opts.OpTimeout + time.Second; took > limit {
			t.Errorf("call %d took %v, more than the operation timeout and a margin (%v)", i, took, limit)
		}
	}
	a.Revoke(context.Background(), "revoked-during-outage", time.Now().Add(time.Hour))
	st := a.Stats()
	if st.Local != 5 || !st.Down || st.Outages != 1 || st.Errors < 1 {
		t.Errorf("during the outage: %+v, want 5 local redemptions, down, one outage", st)
	}
	if n := a.log.count("WARN shared state unavailable"); n != 1 {
		t.Errorf("%d outage warnings, want 1", n)
	}
	if s := a.Status(); s.Up || s.Reason == "" {
		t.Errorf("status %+v, want down, with a reason", s)
	}
	// Metrics hear of it: down once, and each failed operation with its
	// kind: the refresh's, or the subscription's if its ping failed
	// first (the circuit then spares the refreshes).
	h, f := seen.get()
	var failed uint64
	for k, n := range f {
		failed += uint64(n)
		if k != replicas.KindRefresh && k != replicas.KindSync {
			t.Errorf("a failure of kind %q during refreshes", k)
		}
	}
	// Counted before OnFailure is called: a later failure of the
	// subscriber can only add to Stats.
	if errs := a.Stats().Errors; !slices.Equal(h, []bool{true, false}) || failed < 1 || failed > errs {
		t.Errorf("during the outage OnHealth %v and OnFailure %v, want [true false] and failures that Stats counted (%d)", h, f, errs)
	}

	srv.Thaw()
	thawed = true
	a.log.waitCount(t, "INFO shared state available again", 1)
	if n := a.log.count("WARN shared state unavailable"); n != 1 {
		t.Errorf("%d outage warnings, want 1", n)
	}
	if h, _ := seen.get(); !slices.Equal(h, []bool{true, false, true}) {
		t.Errorf("OnHealth after recovery: %v, want [true false true]", h)
	}
	// The revocation made during the outage was sent on recovery.
	b := startReplica(t, srv, "down", opts)
	b.rev.wait(t, "revoked-during-outage", hang)
	var led bool
	a.Refresh(context.Background(), "after", func() ([]byte, time.Duration) { led = true; return []byte("x"), time.Second })
	if st := a.Stats(); !led || st.Led != 1 || st.Local != 5 {
		t.Errorf("after recovery: %+v, want a coordinated redemption", st)
	}
}

// TestWaitCutShort: a replica waiting on another's refresh when the
// server stops neither redeems (the other may have) nor hangs: it gets
// ErrUnavailable.
func TestWaitCutShort(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := replicas.Options{LockTTL: time.Hour}
	a := startReplica(t, srv, "cut", opts)
	b := startReplica(t, srv, "cut", opts)
	leading, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	go a.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
		close(leading)
		<-release
		return nil, 0
	})
	<-leading
	got := make(chan error)
	go func() {
		_, err := b.Refresh(context.Background(), "k", func() ([]byte, time.Duration) {
			t.Error("the waiter redeemed while another replica held the lock")
			return nil, 0
		})
		got <- err
	}()
	b.log.waitCount(t, "DEBUG waiting for another replica's refresh", 1)
	srv.Stop()
	select {
	case err := <-got:
		if !errors.Is(err, replicas.ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	case <-time.After(hang):
		t.Fatal("the waiter hangs after the server stopped")
	}
}

// observed records a Store's OnFailure and OnHealth calls.
type observed struct {
	mu       sync.Mutex
	ups      []bool
	failures map[replicas.Kind]int
}

func (o *observed) failure(k replicas.Kind) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures[k]++
}

func (o *observed) health(up bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ups = append(o.ups, up)
}

func (o *observed) get() ([]bool, map[replicas.Kind]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ups), maps.Clone(o.failures)
}
