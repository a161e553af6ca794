package webapp

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer for a logger that handlers write from
// several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRequestLogLine: every request is logged in one line that is exactly
// what Logger.Info("request", …) writes, in both of serve's formats (the
// clock's values masked): the request ID the response carries, method,
// path without the query (J2), status and duration. At a level above info
// no line is written.
func TestRequestLogLine(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	mask := func(_ []string, at slog.Attr) slog.Attr {
		switch at.Key {
		case slog.TimeKey:
			return slog.Time(slog.TimeKey, time.Unix(0, 0).UTC())
		case "duration":
			if at.Value.Kind() == slog.KindDuration {
				return slog.Duration("duration", time.Millisecond)
			}
		}
		return at
	}
	formats := map[string]func(*syncBuffer, *slog.HandlerOptions) slog.Handler{
		"text": func(b *syncBuffer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(b, o) },
		"json": func(b *syncBuffer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(b, o) },
	}
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := &slog.HandlerOptions{ReplaceAttr: mask}
			logs := &syncBuffer{}
			a := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Logger: slog.New(format(logs, opts))})
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard?code=SECRET-CODE", nil))
			id := rec.Header().Get("X-Request-Id")
			if rec.Code != http.StatusFound || len(id) != 16 {
				t.Fatalf("GET /dashboard signed out: %d, request ID %q", rec.Code, id)
			}

			want := &syncBuffer{}
			slog.New(format(want, opts)).Info("request", "request_id", id, "method", "GET", "path", "/dashboard", "status", http.StatusFound, "duration", time.Millisecond)
			var line string
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, id) && strings.Contains(l, "request") && !strings.Contains(l, "request failed") {
					line = l
				}
			}
			if line != want.String() {
				t.Errorf("request line\n%q\nwant\n%q", line, want.String())
			}
			if strings.Contains(logs.String(), "SECRET-CODE") {
				t.Errorf("the query reached the log:\n%s", logs)
			}

			quiet := &syncBuffer{}
			q := newTestAppWith(t, f, "http://127.0.0.1:9/api/auth/callback", Options{Logger: slog.New(format(quiet, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			q.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/dashboard", nil))
			if s := quiet.String(); s != "" {
				t.Errorf("at level warn the app logged:\n%s", s)
			}
		})
	}
}

// TestSecurityHeaders: pages, redirects, errors and probes all carry the
// five headers of B8 and J3 with their values, and a handler that adds to
// one of them changes only that one.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	a := newTestApp(t, f, time.Now)
	want := http.Header{
		"Cache-Control":           {"no-store"},
		"Referrer-Policy":         {"no-referrer"},
		"X-Frame-Options":         {"DENY"},
		"X-Content-Type-Options":  {"nosniff"},
		"Content-Security-Policy": {"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' " + f.srv.URL + "; frame-ancestors 'none'; base-uri 'none'"},
	}
	for _, path := range []string{"/", "/dashboard", "/nowhere", "/healthz"} {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		for k, v := range want {
			if got := rec.Header()[k]; !reflect.DeepEqual(got, v) {
				t.Errorf("GET %s (%d): %s is %q, want %q", path, rec.Code, k, got, v)
			}
		}
	}

	h := securityHeaders(f.srv.URL, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Cache-Control", "private")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	added := want.Clone()
	added["Cache-Control"] = []string{"no-store", "private"}
	if !reflect.DeepEqual(rec.Header(), added) {
		t.Errorf("after an Add to Cache-Control the headers are\n%v\nwant\n%v", rec.Header(), added)
	}
}
