package session

import (
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// start runs StartTransaction from browser b and applies its cookies.
func start(t *testing.T, c *Codec, b browser, state string, o CookieOptions, limit int) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := c.StartTransaction(rec, b.request(), "tx", state, o, limit, []byte("flow "+state)); err != nil {
		t.Fatalf("StartTransaction(%q): %v", state, err)
	}
	b.apply(rec)
	return rec
}

// take runs TakeTransaction from browser b and applies its cookies.
func take(c *Codec, b browser, state string, o CookieOptions) (string, error) {
	rec := httptest.NewRecorder()
	got, err := c.TakeTransaction(rec, b.request(), "tx", state, o)
	b.apply(rec)
	return string(got), err
}

// TestTransactionsParallel: two tabs log in at once and each callback finds
// its own transaction (A5).
func TestTransactionsParallel(t *testing.T) {
	for _, secure := range []bool{true, false} {
		c, b := newCodec(t, &clock{t0}), browser{}
		o := CookieOptions{Secure: secure}
		start(t, c, b, "state-A", o, 5)
		start(t, c, b, "state-B", o, 5)
		for _, s := range []string{"state-B", "state-A"} {
			if got, err := take(c, b, s, o); err != nil || got != "flow "+s {
				t.Errorf("secure=%v, take %s: got=%q, %v, want=%q, nil", secure, s, got, err, "flow "+s)
			}
		}
		if len(b) != 0 {
			t.Errorf("secure=%v: got=%v left in the jar, want none", secure, b)
		}
	}
}

// TestTakeTransactionSingleUse: taking clears the cookie, so a replayed
// callback finds nothing (B3).
func TestTakeTransactionSingleUse(t *testing.T) {
	c, b, o := newCodec(t, &clock{t0}), browser{}, CookieOptions{Secure: true}
	start(t, c, b, "s1", o, 5)
	replay := maps.Clone(b)
	if got, err := take(c, b, "s1", o); err != nil || got != "flow s1" {
		t.Fatalf("first take: got=%q, %v, want=\"flow s1\", nil", got, err)
	}
	if _, err := take(c, b, "s1", o); !errors.Is(err, ErrNoCookie) {
		t.Fatalf("second take: got=%v, want=ErrNoCookie", err)
	}
	if _, err := take(c, b, "other", o); !errors.Is(err, ErrNoCookie) {
		t.Fatalf("unknown state: got=%v, want=ErrNoCookie", err)
	}
	// A failed take still clears the cookie it was asked about (B3).
	rec := httptest.NewRecorder()
	if _, err := c.TakeTransaction(rec, replay.request(), "tx", "wrong", o); !errors.Is(err, ErrNoCookie) {
		t.Fatalf("wrong state: got=%v, want=ErrNoCookie", err)
	}
	if got := clearedNames(rec); len(got) != 1 || !strings.HasPrefix(got[0], "__Host-tx_") {
		t.Fatalf("cleared: got=%q, want one __Host-tx_ cookie", got)
	}
}

// TestTransactionLimit: starting flow limit+1 evicts the oldest, and an
// undecodable transaction cookie goes before any live one (A5).
func TestTransactionLimit(t *testing.T) {
	clk := &clock{t0}
	c, b, o := newCodec(t, clk), browser{}, CookieOptions{}
	const limit = 3
	for i := range limit + 1 {
		clk.t = t0.Add(time.Duration(i) * time.Second)
		start(t, c, b, fmt.Sprint("s", i), o, limit)
	}
	if len(b) != limit {
		t.Fatalf("got=%d transaction cookies, want=%d", len(b), limit)
	}
	if _, err := take(c, maps.Clone(b), "s0", o); !errors.Is(err, ErrNoCookie) {
		t.Fatalf("oldest flow: got=%v, want=ErrNoCookie (evicted)", err)
	}

	// With s2, s3 and an undecodable cookie at the limit, starting s4
	// evicts the undecodable one, not s2, the oldest live one.
	if _, err := take(c, b, "s1", o); err != nil {
		t.Fatalf("take s1: %v", err)
	}
	b[o.Name(transactionBase("tx", "garbage"))] = "not-a-sealed-value"
	clk.t = t0.Add(time.Minute)
	rec := start(t, c, b, "s4", o, limit)
	if got, want := clearedNames(rec), []string{o.Name(transactionBase("tx", "garbage"))}; !slices.Equal(got, want) {
		t.Fatalf("cleared: got=%q, want=%q (the undecodable one only)", got, want)
	}
	for _, s := range []string{"s2", "s3", "s4"} {
		if got, err := take(c, b, s, o); err != nil || got != "flow "+s {
			t.Errorf("take %s: got=%q, %v, want=%q, nil", s, got, err, "flow "+s)
		}
	}
}

// TestTransactionExpiry: the cookie's Max-Age is at most 10 minutes
// whatever the options say, and an older transaction is refused even if the
// browser still sends it (A5).
func TestTransactionExpiry(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxAge     time.Duration
		wantMaxAge string
		lifetime   time.Duration
	}{
		{"session cookie asked", 0, "Max-Age=600", 10 * time.Minute},
		{"an hour asked", time.Hour, "Max-Age=600", 10 * time.Minute},
		{"two minutes asked", 2 * time.Minute, "Max-Age=120", 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t0}
			c, b, o := newCodec(t, clk), browser{}, CookieOptions{Secure: true, MaxAge: tc.maxAge}
			rec := start(t, c, b, "s", o, 5)
			if lines := setCookies(rec); len(lines) != 1 || !strings.Contains(lines[0], "; "+tc.wantMaxAge+";") {
				t.Fatalf("got=%q, want one Set-Cookie with %s", lines, tc.wantMaxAge)
			}
			clk.t = t0.Add(tc.lifetime + time.Second)
			if _, err := take(c, b, "s", o); !errors.Is(err, ErrInvalid) {
				t.Fatalf("stale transaction: got=%v, want=ErrInvalid", err)
			}
			if len(b) != 0 {
				t.Fatalf("got=%v left in the jar, want none", b)
			}
		})
	}
}

func TestStartTransactionArguments(t *testing.T) {
	c := newCodec(t, &clock{t0})
	for _, tc := range []struct {
		name  string
		state string
		limit int
	}{
		{"empty state", "", 5},
		{"zero limit", "s", 0},
	} {
		rec := httptest.NewRecorder()
		if err := c.StartTransaction(rec, nil, "tx", tc.state, CookieOptions{}, tc.limit, nil); err == nil || len(setCookies(rec)) != 0 {
			t.Errorf("%s: got=%v, %d Set-Cookie, want an error and none", tc.name, err, len(setCookies(rec)))
		}
	}
}

// TestClearTransactions: every transaction cookie goes, with the
// attributes it was set with (F4); other cookies and look-alike names
// stay.
func TestClearTransactions(t *testing.T) {
	for _, secure := range []bool{true, false} {
		c, b := newCodec(t, &clock{t0}), browser{}
		o := CookieOptions{Secure: secure}
		start(t, c, b, "state-A", o, 5)
		start(t, c, b, "state-B", o, 5)
		b["other"] = "1"
		b[o.Name("tx")+"_not-a-hash"] = "1"
		rec := httptest.NewRecorder()
		ClearTransactions(rec, b.request(), "tx", o)
		b.apply(rec)
		if want := slices.Sorted(slices.Values([]string{o.Name("tx") + "_not-a-hash", "other"})); !slices.Equal(slices.Sorted(maps.Keys(b)), want) {
			t.Errorf("secure=%v: left %v, want %v", secure, slices.Sorted(maps.Keys(b)), want)
		}
		for _, line := range setCookies(rec) {
			if !strings.Contains(line, "Path=/") || !strings.Contains(line, "HttpOnly") || strings.Contains(line, "Secure") != secure {
				t.Errorf("secure=%v: cleared with other attributes: %s", secure, line)
			}
		}
	}
}
