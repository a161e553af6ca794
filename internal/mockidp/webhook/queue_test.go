package webhook

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an endpoint on loopback: it records every request and
// answers with what answer says for the request's number (1-based).
type receiver struct {
	*httptest.Server
	got    chan received
	count  atomic.Int64
	answer func(n int64, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, answer func(n int64, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan received, 100), answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := rc.count.Add(1)
		rc.got <- received{header: r.Header.Clone(), body: body}
		rc.answer(n, w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// next returns the next request, failing the test if none comes in time.
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver got no request within 30 s")
		return received{}
	}
}

func status(codes ...int) func(n int64, w http.ResponseWriter, r *http.Request) {
	return func(n int64, w http.ResponseWriter, r *http.Request) {
		c := codes[len(codes)-1]
		if int(n) <= len(codes) {
			c = codes[n-1]
		}
		w.WriteHeader(c)
		io.WriteString(w, http.StatusText(c))
	}
}

// logBuffer is a slog text log a test can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newDispatcher(t *testing.T, cfg Config) (*Dispatcher, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(lb, nil))
	}
	var n atomic.Int64
	if cfg.NewID == nil {
		cfg.NewID = func(p string) string { return p + strings.Repeat("0", 3) + string(rune('a'+n.Add(1)-1)) }
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, lb
}

// waitFor waits until cond holds of the dispatcher's deliveries, woken by
// its changes.
func waitFor(t *testing.T, d *Dispatcher, what string, cond func([]Delivery) bool) []Delivery {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		ch := d.Changed()
		if ds := d.List(Filter{}); cond(ds) {
			return ds
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("waiting for %s: %+v", what, d.List(Filter{}))
		}
	}
}

func byEvent(ds []Delivery, eventID string) []Delivery {
	var out []Delivery
	for _, d := range ds {
		if d.EventID == eventID {
			out = append(out, d)
		}
	}
	return out
}

func finished(eventIDs ...string) func([]Delivery) bool {
	return func(ds []Delivery) bool {
		for _, id := range eventIDs {
			m := byEvent(ds, id)
			if len(m) == 0 || !m[0].Status.Finished() {
				return false
			}
		}
		return true
	}
}

func msg(id, typ string) Message {
	return Message{ID: id, Type: typ, Body: []byte(`{"id":"` + id + `","type":"` + typ + `"}`), Created: time.Now()}
}

func statuses(d Delivery) []int {
	var out []int
	for _, a := range d.Attempts {
		out = append(out, a.Status)
	}
	return out
}

// TestRetriesInOrder: an endpoint answering 500 twice then 200 gets the
// event three times, each attempt signed anew at its own time (the
// clock moves 10 minutes per reading, past the SDKs' 5-minute window, so
// a reused signature would fail), and a later event, enqueued while the
// first was failing, arrives only after it.
func TestRetriesInOrder(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			<-release // hold the first attempt until the second event is queued
		}
		status(500, 500, 200)(n, w, r)
	})
	secret := NewSecret()
	var clock atomic.Int64
	base := time.Now().Add(-time.Hour)
	now := func() time.Time { return base.Add(time.Duration(clock.Add(1)) * 10 * time.Minute) }
	d, _ := newDispatcher(t, Config{Endpoints: []Endpoint{{URL: rc.URL, Secret: secret}}, Policy: Policy{Backoff: []time.Duration{0, 0, 0}}, Now: now})

	d.Enqueue(msg("evt_1", "organization.created"))
	first := rc.next(t)
	d.Enqueue(msg("evt_2", "organization.updated"))
	close(release)

	var got []received
	got = append(got, first)
	for range 3 {
		got = append(got, rc.next(t))
	}
	var ids, stamps []string
	for _, r := range got {
		ids = append(ids, r.header.Get(HeaderID))
		stamps = append(stamps, r.header.Get(HeaderTimestamp))
		unix, err := strconv.ParseInt(r.header.Get(HeaderTimestamp), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(secret, r.header, r.body, time.Unix(unix, 0)); err != nil {
			t.Errorf("attempt of %s at %s does not verify at its own time: %v", r.header.Get(HeaderID), r.header.Get(HeaderTimestamp), err)
		}
		if ct, ua := r.header.Get("Content-Type"), r.header.Get("User-Agent"); ct != "application/json" || ua != UserAgent {
			t.Errorf("Content-Type %q, User-Agent %q", ct, ua)
		}
	}
	if want := []string{"evt_1", "evt_1", "evt_1", "evt_2"}; !slices.Equal(ids, want) {
		t.Errorf("webhook-ids in arrival order %v, want %v: the second event must wait for the first", ids, want)
	}
	if len(slices.Compact(slices.Clone(stamps[:3]))) != 3 {
		t.Errorf("timestamps of the three attempts %v: each attempt must be signed at its own time", stamps[:3])
	}

	ds := waitFor(t, d, "both delivered", finished("evt_1", "evt_2"))
	one, two := byEvent(ds, "evt_1")[0], byEvent(ds, "evt_2")[0]
	if one.Status != Delivered || !slices.Equal(statuses(one), []int{500, 500, 200}) {
		t.Errorf("evt_1: %s with statuses %v, want delivered after 500, 500, 200", one.Status, statuses(one))
	}
	if one.Attempts[0].N != 1 || one.Attempts[2].N != 3 || !strings.Contains(one.Attempts[0].Error, "500") || one.Attempts[2].Error != "" {
		t.Errorf("evt_1 attempts: %+v", one.Attempts)
	}
	if one.Attempts[0].Response != "Internal Server Error" {
		t.Errorf("the first attempt kept the answer %q", one.Attempts[0].Response)
	}
	if two.Status != Delivered || len(two.Attempts) != 1 {
		t.Errorf("evt_2: %+v", two)
	}
	if ds[0].EventID != "evt_2" {
		t.Errorf("List is not newest first: %s first", ds[0].EventID)
	}
}

// TestGivesUp: four attempts (the first and three retries), then the
// delivery is failed, says so, and the log says so; the next event is
// attempted after it.
func TestGivesUp(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, status(503))
	d, lb := newDispatcher(t, Config{Endpoints: []Endpoint{{URL: rc.URL, Secret: NewSecret()}}, Policy: Policy{Backoff: []time.Duration{0, 0, 0}}})
	d.Enqueue(msg("evt_1", "user.login"))
	ds := waitFor(t, d, "evt_1 finished", finished("evt_1"))
	got := byEvent(ds, "evt_1")[0]
	if got.Status != Failed || !slices.Equal(statuses(got), []int{503, 503, 503, 503}) || !strings.Contains(got.Note, "gave up after 4 attempts") {
		t.Errorf("evt_1: %s %v %q, want failed after four 503s", got.Status, statuses(got), got.Note)
	}
	if n := rc.count.Load(); n != 4 {
		t.Errorf("the endpoint got %d requests, want 4", n)
	}
	if !strings.Contains(lb.String(), "webhook delivery failed: gave up") {
		t.Errorf("no log line says the delivery failed:\n%s", lb)
	}
}

// TestNoAnswer: an attempt that gets no answer within the timeout, or a
// refused connection, is failed with the reason in words.
func TestNoAnswer(t *testing.T) {
	t.Parallel()
	hang := newReceiver(t, func(_ int64, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/hooks?token=app-secret"
	ln.Close()
	d, _ := newDispatcher(t, Config{
		Endpoints: []Endpoint{{URL: hang.URL, Secret: NewSecret()}, {URL: refused, Secret: NewSecret()}},
		Policy:    Policy{Timeout: 200 * time.Millisecond, Backoff: []time.Duration{}},
	})
	d.Enqueue(msg("evt_1", "user.login"))
	ds := waitFor(t, d, "both endpoints finished", func(ds []Delivery) bool {
		return len(ds) == 2 && ds[0].Status.Finished() && ds[1].Status.Finished()
	})
	for _, dl := range ds {
		a := dl.Attempts[0]
		want := "no answer within 200ms"
		if strings.HasPrefix(dl.Endpoint, "http://"+ln.Addr().String()) {
			want = "connection refused"
			if dl.Endpoint != "http://"+ln.Addr().String()+"/hooks?…" {
				t.Errorf("endpoint shown as %q: the query may hold the app's token", dl.Endpoint)
			}
		}
		if dl.Status != Failed || len(dl.Attempts) != 1 || a.Status != 0 || !strings.Contains(a.Error, want) {
			t.Errorf("%s: %s, attempts %+v; want one failed attempt saying %q", dl.Endpoint, dl.Status, dl.Attempts, want)
		}
		if strings.Contains(a.Error, "app-secret") {
			t.Errorf("the error repeats the URL's query: %q", a.Error)
		}
	}
}

// TestEndpointsIndependent: an endpoint stuck on an event holds back
// nothing for another endpoint, and an endpoint gets only the types it
// subscribes to.
func TestEndpointsIndependent(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	stuck := newReceiver(t, func(_ int64, w http.ResponseWriter, r *http.Request) { <-release })
	fine := newReceiver(t, status(204))
	picky := newReceiver(t, status(200))
	d, _ := newDispatcher(t, Config{Endpoints: []Endpoint{
		{URL: stuck.URL, Secret: NewSecret()},
		{URL: fine.URL, Secret: NewSecret()},
		{URL: picky.URL, Secret: NewSecret(), Events: []string{"user.logout"}},
	}})
	defer close(release)
	d.Enqueue(msg("evt_1", "user.login"))
	d.Enqueue(msg("evt_2", "user.logout"))
	stuck.next(t)
	if a, b := fine.next(t).header.Get(HeaderID), fine.next(t).header.Get(HeaderID); a != "evt_1" || b != "evt_2" {
		t.Errorf("the working endpoint got %s, %s; want evt_1, evt_2 while the other is stuck", a, b)
	}
	if id := picky.next(t).header.Get(HeaderID); id != "evt_2" {
		t.Errorf("the user.logout endpoint got %s first", id)
	}
	waitFor(t, d, "the picky endpoint's delivery", func(ds []Delivery) bool {
		for _, dl := range ds {
			if dl.Endpoint == picky.URL && dl.Status == Delivered {
				return true
			}
		}
		return false
	})
	if n := picky.count.Load(); n != 1 {
		t.Errorf("the user.logout endpoint got %d requests, want only evt_2's", n)
	}
}

// TestQueueFull: past MaxQueued waiting deliveries, an event is not
// queued for that endpoint: its delivery is failed, saying why, and the
// log says so.
func TestQueueFull(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rc := newReceiver(t, func(_ int64, w http.ResponseWriter, r *http.Request) { <-release })
	d, lb := newDispatcher(t, Config{Endpoints: []Endpoint{{URL: rc.URL, Secret: NewSecret()}}, MaxQueued: 2})
	defer close(release)
	d.Enqueue(msg("evt_1", "user.login"))
	rc.next(t)
	d.Enqueue(msg("evt_2", "user.login"))
	d.Enqueue(msg("evt_3", "user.login"))
	third := byEvent(d.List(Filter{}), "evt_3")
	if len(third) != 1 || third[0].Status != Failed || !strings.Contains(third[0].Note, "2 deliveries were already waiting") {
		t.Fatalf("evt_3: %+v, want failed for a full queue", third)
	}
	if !strings.Contains(lb.String(), "webhook queue full") {
		t.Errorf("no log line says the queue is full:\n%s", lb)
	}
	if got := byEvent(d.List(Filter{}), "evt_2"); got[0].Status != Queued {
		t.Errorf("evt_2 is %s, want queued", got[0].Status)
	}
}

// TestResend: a resend is a new delivery of the same event (same
// webhook-id) with attempts of its own.
func TestResend(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, status(200))
	d, _ := newDispatcher(t, Config{Endpoints: []Endpoint{{URL: rc.URL, Secret: NewSecret()}}})
	d.Enqueue(msg("evt_1", "user.login"))
	rc.next(t)
	first := waitFor(t, d, "delivered", finished("evt_1"))[0]
	again, err := d.Resend(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == first.ID || again.ResentFrom != first.ID || again.EventID != "evt_1" || len(again.Attempts) != 0 {
		t.Errorf("resend: %+v", again)
	}
	if r := rc.next(t); r.header.Get(HeaderID) != "evt_1" || string(r.body) != first.Body {
		t.Errorf("the resend sent %s %s", r.header.Get(HeaderID), r.body)
	}
	ds := waitFor(t, d, "the resend delivered", func(ds []Delivery) bool { return len(ds) == 2 && ds[0].Status == Delivered })
	if ds[0].ID != again.ID || len(ds[0].Attempts) != 1 || len(ds[1].Attempts) != 1 {
		t.Errorf("after the resend: %+v", ds)
	}
	if _, err := d.Resend("dlv_nope"); !errors.Is(err, ErrNoDelivery) {
		t.Errorf("Resend of an unknown delivery: %v", err)
	}
}

// TestRestartMidRetry: with a StateDir, a delivery that was retrying when
// the dispatcher closed is sent again by the next one on the same
// directory, as the same delivery (same ID, same webhook-id, same body)
// with its earlier attempt counted; the log of finished deliveries
// survives a restart; a delivery whose endpoint is not configured stays
// queued, unsent, until it is again.
func TestRestartMidRetry(t *testing.T) {
	t.Parallel()
	var code atomic.Int64
	code.Store(500)
	rc := newReceiver(t, func(_ int64, w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(code.Load())) })
	dir := t.TempDir()
	secret := NewSecret()
	ep := []Endpoint{{URL: rc.URL, Secret: secret}}
	slow := Policy{Backoff: []time.Duration{time.Hour, time.Hour, time.Hour}}

	d1, _ := newDispatcher(t, Config{Endpoints: ep, Policy: slow, StateDir: dir})
	d1.Enqueue(msg("evt_1", "organization.created"))
	if err := d1.Persist(); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, QueueFile)); err != nil || !bytes.Contains(data, []byte("evt_1")) {
		t.Fatalf("after Persist the queue file holds %s (%v), want evt_1", data, err)
	}
	rc.next(t)
	before := waitFor(t, d1, "the first attempt", func(ds []Delivery) bool { return len(ds) == 1 && ds[0].Status == Retrying })[0]
	if before.NextAttemptAt == nil {
		t.Errorf("a retrying delivery shows no next attempt: %+v", before)
	}
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}

	// A run without the endpoint keeps it, unsent.
	d2, lb := newDispatcher(t, Config{StateDir: dir})
	kept := d2.List(Filter{})
	if len(kept) != 1 || kept[0].ID != before.ID || kept[0].Status.Finished() || !strings.Contains(kept[0].Note, "not configured") {
		t.Fatalf("without its endpoint: %+v", kept)
	}
	if _, err := d2.Resend(before.ID); !errors.Is(err, ErrEndpointGone) {
		t.Errorf("Resend to an endpoint not configured: %v", err)
	}
	if !strings.Contains(lb.String(), "no longer configured") {
		t.Errorf("no log line says the endpoint is gone:\n%s", lb)
	}
	d2.Close()

	code.Store(200)
	d3, _ := newDispatcher(t, Config{Endpoints: ep, Policy: slow, StateDir: dir})
	r := rc.next(t)
	if r.header.Get(HeaderID) != "evt_1" || string(r.body) != before.Body || Verify(secret, r.header, r.body, time.Now()) != nil {
		t.Errorf("after the restart: webhook-id %s, body %s", r.header.Get(HeaderID), r.body)
	}
	after := waitFor(t, d3, "delivered after the restart", finished("evt_1"))[0]
	if after.ID != before.ID || after.Status != Delivered || !slices.Equal(statuses(after), []int{500, 200}) || after.Attempts[1].N != 2 || after.Note != "" {
		t.Errorf("after the restart: %+v, want %s delivered at its second attempt", after, before.ID)
	}
	d3.Close()

	d4, _ := newDispatcher(t, Config{Endpoints: ep, StateDir: dir})
	if logged := d4.List(Filter{}); len(logged) != 1 || logged[0].ID != before.ID || logged[0].Status != Delivered || len(logged[0].Attempts) != 2 {
		t.Errorf("the log after another restart: %+v", logged)
	}
	if n := rc.count.Load(); n != 2 {
		t.Errorf("the endpoint got %d requests, want 2: a delivered event is not sent again", n)
	}
}

// TestCloseCutsShort: Close waits Grace for an attempt in flight, then
// cuts it short; the cut attempt is not counted, and the log says it is
// sent again on the next start.
func TestCloseCutsShort(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(_ int64, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	d, lb := newDispatcher(t, Config{Endpoints: []Endpoint{{URL: rc.URL, Secret: NewSecret()}}, Policy: Policy{Grace: 50 * time.Millisecond}})
	d.Enqueue(msg("evt_1", "user.login"))
	rc.next(t)
	d.Close()
	if ds := d.List(Filter{}); len(ds) != 1 || ds[0].Status != Queued || len(ds[0].Attempts) != 0 {
		t.Errorf("after Close: %+v, want still queued with no attempt counted", ds)
	}
	if !strings.Contains(lb.String(), "cut short by shutdown") {
		t.Errorf("no log line says the attempt was cut short:\n%s", lb)
	}
}

// TestCheck: endpoints with a bad URL, a secret the SDKs cannot use, or a
// URL given twice are refused with what to do, never quoting the secret.
func TestCheck(t *testing.T) {
	t.Parallel()
	good := NewSecret()
	cases := []struct {
		eps  []Endpoint
		want string
	}{
		{[]Endpoint{{URL: "localhost:3000/hooks", Secret: good}}, "absolute http(s) URL"},
		{[]Endpoint{{URL: "ftp://x/y", Secret: good}}, "absolute http(s) URL"},
		{[]Endpoint{{URL: "http://x/y#f", Secret: good}}, "fragment"},
		{[]Endpoint{{URL: "http://x/y"}}, "secret is empty"},
		{[]Endpoint{{URL: "http://x/y", Secret: "s3cr3t-value"}}, "want whsec_"},
		{[]Endpoint{{URL: "http://x/y", Secret: "whsec_not*base64"}}, "standard base64"},
		{[]Endpoint{{URL: "http://x/y", Secret: "whsec_test_AAAA"}}, "no \"_\""},
		{[]Endpoint{{URL: "http://x/y", Secret: good}, {URL: "http://x/y", Secret: good}}, "appears twice"},
	}
	for _, c := range cases {
		_, err := New(Config{Endpoints: c.eps})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error saying %q", c.eps, err, c.want)
			continue
		}
		for _, ep := range c.eps {
			if ep.Secret != "" && strings.Contains(err.Error(), ep.Secret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		}
	}
}

// TestLoadOrCreateSecret: the first call makes a secret and keeps it
// (0600); later calls read it back; a damaged file is an error saying
// what to do.
func TestLoadOrCreateSecret(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "webhook-secret")
	s1, created, err := LoadOrCreateSecret(path)
	if err != nil || !created || CheckSecret(s1) != nil {
		t.Fatalf("first: %q %v %v", s1, created, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the secret's file: %v %v, want mode 0600", fi.Mode(), err)
	}
	s2, created, err := LoadOrCreateSecret(path)
	if err != nil || created || s2 != s1 {
		t.Errorf("second: %q %v %v, want the first back", s2, created, err)
	}
	os.WriteFile(path, []byte("nonsense"), 0o600)
	if _, _, err := LoadOrCreateSecret(path); err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Errorf("damaged: %v", err)
	}
}
