package session

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestWriteRead: values round-trip through Set-Cookie and Cookie; large ones
// split into chunks whose every Set-Cookie stays within 4,000 bytes (F3).
func TestWriteRead(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size       int
		secure     bool
		wantChunks int
	}{
		{"small", 100, false, 1},
		{"small secure", 100, true, 1},
		{"6KB token", 6 << 10, false, 3},
		{"6KB token secure", 6 << 10, true, 3},
		{"14KB", 14 << 10, true, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCodec(t, &clock{t0})
			o := CookieOptions{Secure: tc.secure, MaxAge: time.Hour}
			plaintext := randomBytes(tc.size, 2)
			rec := httptest.NewRecorder()
			if err := c.Write(rec, requestWith(""), "at", o, plaintext); err != nil {
				t.Fatalf("Write: %v", err)
			}
			lines := setCookies(rec)
			if len(lines) != tc.wantChunks {
				t.Fatalf("got=%d Set-Cookie, want=%d", len(lines), tc.wantChunks)
			}
			for _, l := range lines {
				if len(l) > 4000 {
					t.Errorf("got=%d bytes in Set-Cookie %.20s…, want<=4000", len(l), l)
				}
			}
			b := browser{}
			b.apply(rec)
			got, err := c.Read(b.request(), "at", o)
			if err != nil || !bytes.Equal(got, plaintext) {
				t.Fatalf("Read: got=%d bytes, %v, want=%d bytes, nil", len(got), err, len(plaintext))
			}
		})
	}
}

// TestWriteTooLarge: a value needing more than five cookies is an error and
// sets nothing, never a silently dropped cookie (F3).
func TestWriteTooLarge(t *testing.T) {
	c := newCodec(t, &clock{t0})
	rec := httptest.NewRecorder()
	err := c.Write(rec, requestWith(""), "at", CookieOptions{Secure: true}, randomBytes(30<<10, 3))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got=%v, want=ErrTooLarge", err)
	}
	if lines := setCookies(rec); len(lines) != 0 {
		t.Fatalf("got=%d Set-Cookie, want=0", len(lines))
	}
}

func TestWriteInvalidName(t *testing.T) {
	c := newCodec(t, &clock{t0})
	rec := httptest.NewRecorder()
	if err := c.Write(rec, nil, "a b", CookieOptions{}, []byte("x")); err == nil || len(setCookies(rec)) != 0 {
		t.Fatalf("got=%v and %d Set-Cookie, want an error and none", err, len(setCookies(rec)))
	}
}

// TestWriteShrinkClearsStaleChunks: going from three chunks to one clears
// the other two, so no stale chunk is left to corrupt the next read.
func TestWriteShrinkClearsStaleChunks(t *testing.T) {
	c := newCodec(t, &clock{t0})
	o := CookieOptions{Secure: true}
	b := browser{}
	rec := httptest.NewRecorder()
	if err := c.Write(rec, b.request(), "at", o, randomBytes(6<<10, 4)); err != nil {
		t.Fatalf("Write large: %v", err)
	}
	b.apply(rec)
	if got, want := len(b), 3; got != want {
		t.Fatalf("got=%d cookies, want=%d", got, want)
	}
	rec = httptest.NewRecorder()
	if err := c.Write(rec, b.request(), "at", o, []byte("small")); err != nil {
		t.Fatalf("Write small: %v", err)
	}
	if got, want := clearedNames(rec), []string{"__Host-at_1", "__Host-at_2"}; !slices.Equal(got, want) {
		t.Fatalf("cleared: got=%q, want=%q", got, want)
	}
	b.apply(rec)
	if got, err := c.Read(b.request(), "at", o); err != nil || string(got) != "small" || len(b) != 1 {
		t.Fatalf("got=%q, %v, %d cookies, want=\"small\", nil, 1 cookie", got, err, len(b))
	}
}

// TestReadInconsistentChunks: any chunk set Write cannot produce is
// ErrInvalid, and no cookie at all is ErrNoCookie (F3, F5).
func TestReadInconsistentChunks(t *testing.T) {
	c := newCodec(t, &clock{t0})
	rec := httptest.NewRecorder()
	if err := c.Write(rec, nil, "s", CookieOptions{}, randomBytes(6<<10, 5)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	w := browser{}
	w.apply(rec)
	s0, s1, s2 := "s="+w["s"], "s_1="+w["s_1"], "s_2="+w["s_2"]
	edited := "s_2=" + flipFirst(w["s_2"])
	for _, tc := range []struct {
		name, header string
		want         error
	}{
		{"no cookie", "other=1", ErrNoCookie},
		{"middle chunk missing", s0 + "; " + s2, ErrInvalid},
		{"last chunk missing", s0 + "; " + s1, ErrInvalid},
		{"chunks without the first", s1 + "; " + s2, ErrInvalid},
		{"duplicate first", s0 + "; " + s1 + "; " + s2 + "; " + s0, ErrInvalid},
		{"duplicate name, other value", "s=a; s=b", ErrInvalid},
		{"duplicate chunk", s0 + "; " + s1 + "; " + s1 + "; " + s2, ErrInvalid},
		{"sixth chunk", s0 + "; " + s1 + "; " + s2 + "; s_3=x; s_4=x; s_5=x", ErrInvalid},
		{"chunks swapped", s0 + "; s_1=" + w["s_2"] + "; s_2=" + w["s_1"], ErrInvalid},
		{"chunk value edited", s0 + "; " + s1 + "; " + edited, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Read(requestWith(tc.header), "s", CookieOptions{}); !errors.Is(err, tc.want) {
				t.Fatalf("got=%v, want=%v", err, tc.want)
			}
		})
	}
	// Unrelated names that merely share the prefix are not chunks.
	h := s0 + "; " + s1 + "; " + s2 + "; s_01=x; s_x=y; s_0123456789abcdef=z"
	if _, err := c.Read(requestWith(h), "s", CookieOptions{}); err != nil {
		t.Fatalf("with look-alike names: got=%v, want=nil", err)
	}
}
