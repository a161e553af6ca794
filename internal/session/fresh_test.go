package session

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

// TestReadIssuedAndFresh: ReadIssued returns what Read does plus the
// issued-at, and Fresh (and FreshWindow) agrees with Decode's age checks at every clock
// reading of TestDecodeIssuedAt's table, so a memoized read re-checked with
// Fresh accepts exactly what a new Read would.
func TestReadIssuedAndFresh(t *testing.T) {
	for _, readAt := range []time.Duration{
		0, maxAge, maxAge + time.Second,
		-5 * time.Minute, -5*time.Minute - time.Second,
	} {
		clk := &clock{t0}
		c := newCodec(t, clk)
		rec := httptest.NewRecorder()
		if err := c.Write(rec, nil, "s", CookieOptions{}, []byte("tokens")); err != nil {
			t.Fatal(err)
		}
		b := browser{}
		b.apply(rec)
		clk.t = t0.Add(readAt)
		want, wantErr := c.Read(b.request(), "s", CookieOptions{})
		got, iat, err := c.ReadIssued(b.request(), "s", CookieOptions{})
		if string(got) != string(want) || (err == nil) != (wantErr == nil) {
			t.Fatalf("at %v: ReadIssued = %q, %v; Read = %q, %v", readAt, got, err, want, wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("at %v: %v does not wrap ErrInvalid", readAt, err)
			}
			continue
		}
		if !iat.Equal(t0) {
			t.Fatalf("issued-at = %v, want %v", iat, t0)
		}
		// Move the clock over the same table: Fresh, and the window of
		// FreshWindow, must say what Read says.
		from, until := c.FreshWindow(iat)
		for _, later := range []time.Duration{0, maxAge, maxAge + time.Nanosecond, maxAge + time.Second, -5 * time.Minute, -5*time.Minute - time.Nanosecond, -5*time.Minute - time.Second} {
			clk.t = t0.Add(later)
			_, err := c.Read(b.request(), "s", CookieOptions{})
			if c.Fresh(iat) != (err == nil) {
				t.Errorf("at %v: Fresh = %v, Read error = %v", later, c.Fresh(iat), err)
			}
			if in := !clk.t.Before(from) && !clk.t.After(until); in != (err == nil) {
				t.Errorf("at %v: within FreshWindow = %v, Read error = %v", later, in, err)
			}
		}
	}
}
