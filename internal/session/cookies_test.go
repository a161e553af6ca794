package session

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCookieAttributes: every Set-Cookie the package emits is HttpOnly,
// SameSite=Lax, Path=/, has no Domain, and with Secure carries the
// Secure attribute and the __Host- prefix (F1, F4, A5).
func TestCookieAttributes(t *testing.T) {
	for _, secure := range []bool{true, false} {
		c := newCodec(t, &clock{t0})
		o := CookieOptions{Secure: secure, MaxAge: time.Hour}
		b := browser{}
		rec := httptest.NewRecorder()
		if err := c.Write(rec, nil, "at", o, randomBytes(6<<10, 6)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		b.apply(rec)
		lines := setCookies(rec)
		rec = httptest.NewRecorder()
		if err := c.StartTransaction(rec, b.request(), "tx", "state", o, 5, []byte("tx")); err != nil {
			t.Fatalf("StartTransaction: %v", err)
		}
		lines = append(lines, setCookies(rec)...)
		rec = httptest.NewRecorder()
		Clear(rec, b.request(), "at", o)
		lines = append(lines, setCookies(rec)...)
		if len(lines) != 7 { // 3 chunks, 1 transaction, 3 cleared chunks
			t.Fatalf("got=%d Set-Cookie, want=7", len(lines))
		}
		for _, line := range lines {
			checkAttributes(t, line, secure)
		}
	}
}

func checkAttributes(t *testing.T, line string, secure bool) {
	t.Helper()
	parts := strings.Split(line, "; ")
	has := func(a string) bool { return slices.Contains(parts[1:], a) }
	for _, a := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !has(a) {
			t.Errorf("%.30s…: missing %s", line, a)
		}
	}
	if strings.Contains(strings.ToLower(line), "domain=") {
		t.Errorf("%.30s…: got a Domain attribute, want none", line)
	}
	if got := has("Secure"); got != secure {
		t.Errorf("%.30s…: Secure got=%v, want=%v", line, got, secure)
	}
	if got := strings.HasPrefix(line, "__Host-"); got != secure {
		t.Errorf("%.30s…: __Host- prefix got=%v, want=%v", line, got, secure)
	}
}

// TestClear: the base cookie and every chunk present get Max-Age=0; other
// cookies are left alone (F4).
func TestClear(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		o            CookieOptions
		want         []string
	}{
		{"absent", "other=1", CookieOptions{}, []string{"s"}},
		{"three chunks", "s=a; s_1=b; s_2=c; other=1; s_x=2", CookieOptions{}, []string{"s", "s_1", "s_2"}},
		{"secure", "__Host-s=a; __Host-s_1=b; s=plain", CookieOptions{Secure: true}, []string{"__Host-s", "__Host-s_1"}},
		{"stray high chunk", "s=a; s_7=b", CookieOptions{}, []string{"s", "s_7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Clear(rec, requestWith(tc.header), "s", tc.o)
			if got := clearedNames(rec); !slices.Equal(got, tc.want) {
				t.Fatalf("cleared: got=%q, want=%q", got, tc.want)
			}
			for _, line := range setCookies(rec) {
				if !strings.Contains(line, "; Max-Age=0") {
					t.Errorf("got=%q, want Max-Age=0", line)
				}
			}
		})
	}
}
