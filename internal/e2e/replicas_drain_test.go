package e2e_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReplicasDrainKeepsSharedState: a replica told to stop (SIGTERM)
// finishes its requests in flight with the shared state still
// connected. Here its request is redeeming a refresh token, holding the
// refresh lock, when the signal comes, and another replica's request
// with the same session waits for it: the stopping replica publishes its
// result, the other adopts it, the IdP sees one refresh, and both
// requests get the page. A store closed at the signal instead would lose
// the result, the waiter would redeem the spent token a second time, and
// its user would be signed out.
func TestReplicasDrainKeepsSharedState(t *testing.T) {
	t.Parallel()
	rs := startReplicas(t, 2)
	_, cookie := rs.signedIn(t)
	rs.clock.Advance(6 * time.Minute)

	// The IdP holds the refresh until the test lets it go.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	mock := rs.idp.Server.Handler()
	rs.idp.fault("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-release
		mock.ServeHTTP(w, r)
	})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	stopping, waiting := rs.replicas[0], rs.replicas[1]
	type answer struct {
		who string
		page
		err error
	}
	pages := make(chan answer, 2)
	get := func(who, u string) {
		p, err := fetch(u+"/dashboard", cookie)
		pages <- answer{who, p, err}
	}
	go get("the stopping replica", stopping.URL)
	select {
	case <-entered:
	case <-time.After(hangDeadline):
		t.Fatal("the first replica never called the token endpoint")
	}
	stopping.run.cancel() // what SIGTERM does
	if _, ok := stopping.waitLog(hangDeadline, msgIs("shutting down")); !ok {
		t.Fatalf("the replica did not start shutting down; stderr:\n%s", stopping.run.stderr)
	}
	waitingBefore := waiting.countLog(msgIs("waiting for another replica's refresh"))
	go get("the waiting replica", waiting.URL)
	if !waiting.waitLogCount(hangDeadline, waitingBefore+1, msgIs("waiting for another replica's refresh")) {
		t.Fatalf("the second replica did not wait for the first one's refresh; stderr:\n%s", waiting.run.stderr)
	}
	close(release)
	released = true

	for range 2 {
		var a answer
		select {
		case a = <-pages:
		case <-time.After(hangDeadline):
			t.Fatalf("a request never finished; the waiting replica:\n%s\nthe stopping one:\n%s", waiting.run.stderr, stopping.run.stderr)
		}
		if a.err != nil {
			t.Errorf("%s: %v", a.who, a.err)
			continue
		}
		neverServerError(t, a.page)
		if a.status != http.StatusOK || !strings.Contains(a.body, "Welcome, Ada Lovelace") {
			t.Errorf("%s: %d %.200s", a.who, a.status, a.body)
		}
	}
	if n := rs.idp.count(refreshKey); n != 1 {
		t.Errorf("%d refreshes at the IdP, want 1: the stopping replica's result was lost", n)
	}
	if n := waiting.countLog(msgIs("refresh adopted from another replica")); n != 1 {
		t.Errorf("the waiting replica adopted %d results, want the stopping one's", n)
	}
	if n := stopping.countLog(msgIs("shared state unavailable: refresh and sign-out are per replica until it is back")); n != 0 {
		t.Errorf("the stopping replica lost the shared state while it still served a request (%d warnings)", n)
	}
}
