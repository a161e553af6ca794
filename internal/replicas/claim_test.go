package replicas_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skctl/skctl/internal/replicas"
	"github.com/skctl/skctl/internal/replicas/redistest"
)

// TestClaimOnce: of many claims of one key on several replicas, exactly
// one wins; with the server stopped, a claim is granted (each process's
// own single-use set then holds alone).
func TestClaimOnce(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startReplica(t, srv, "claim", replicas.Options{})
	b := startReplica(t, srv, "claim", replicas.Options{})
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		r := a
		if i%2 == 1 {
			r = b
		}
		wg.Go(func() {
			if r.Claim(context.Background(), "state-hash", time.Minute) {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Fatalf("%d claims won, want 1", n)
	}
	srv.Stop()
	if !a.Claim(context.Background(), "state-hash", time.Minute) {
		t.Errorf("with the server stopped, the claim was refused")
	}
}
