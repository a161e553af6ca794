package webapp

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCachedPagesEscapeNames: a user whose name and email are HTML, signed
// in through the IdP, sees them escaped on the dashboard and the home page,
// on the first request and on the ones served from the page cache; a
// second user signed in to the same app sees only their own profile.
func TestCachedPagesEscapeNames(t *testing.T) {
	t.Parallel()
	f := startFakeIdP(t)
	now := time.Now()
	a := newTestApp(t, f, func() time.Time { return now })
	const (
		evilName  = `<script>alert("name")</script>`
		evilEmail = `"><img src=x onerror=alert(1)>@acme.test`
	)
	mallory := signInWith(t, f, a, now, f.key, f.kid, func(id, at map[string]any) {
		id["name"], id["email"] = evilName, evilEmail
	})
	bob := signInWith(t, f, a, now, f.key, f.kid, func(id, at map[string]any) {
		id["sub"], at["sub"], id["name"], id["email"] = "usr_2", "usr_2", "Bob", "bob@acme.test"
	})

	for _, path := range []string{"/dashboard", "/"} {
		first := mallory.get(a, path)
		if first.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, first.Code)
		}
		cached := mallory.get(a, path)
		if !bytes.Equal(first.Body.Bytes(), cached.Body.Bytes()) {
			t.Errorf("GET %s: the cached page differs from the rendered one", path)
		}
		for _, page := range []string{first.Body.String(), cached.Body.String()} {
			if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
				t.Fatalf("GET %s: the name or email reached the page unescaped:\n%s", path, page)
			}
			if !strings.Contains(page, "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;") || !strings.Contains(page, "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;@acme.test") {
				t.Fatalf("GET %s: the escaped name or email is missing:\n%s", path, page)
			}
			if strings.Contains(page, "bob@acme.test") {
				t.Fatalf("GET %s: Mallory's page shows Bob's email", path)
			}
		}
		if rec := bob.get(a, path); !strings.Contains(rec.Body.String(), "bob@acme.test") || strings.Contains(rec.Body.String(), "acme.test\">") || strings.Contains(rec.Body.String(), "onerror") {
			t.Errorf("GET %s as Bob: %d %.300s", path, rec.Code, rec.Body.String())
		}
	}
	// Two users, two pages each, each rendered once: the hits above came
	// from the cache.
	if n := len(a.pages.m); n != 4 {
		t.Errorf("the page cache holds %d pages, want 4", n)
	}
}

// TestPageCacheServesWhatRenderDoes: for signed-in and signed-out data,
// the cache's page is render's, byte for byte and header for header, on a
// miss and on a hit; pages with per-request data are never kept.
func TestPageCacheServesWhatRenderDoes(t *testing.T) {
	t.Parallel()
	ada := &User{Subject: "usr_1", Email: "ada@acme.test", Name: "Ada <Lovelace>", OrganizationID: "org_1", SessionID: "ses_1"}
	renamed := *ada
	renamed.Name = "Ada King"
	cases := []struct {
		name string
		data pageData
		kept bool
	}{
		{"dashboard", pageData{Title: "Dashboard", User: ada}, true},
		{"dashboard", pageData{Title: "Dashboard", User: &renamed}, true},
		{"home", pageData{Title: "Home", User: ada}, true},
		{"home", pageData{Title: "Home"}, true},
		{"home", pageData{Title: "Home", Notice: "You are signed out."}, true},
		{"error", pageData{Title: "Oops", Message: "m", Action: &link{"/", "Go home"}, RequestID: "0123456789abcdef", SignedIn: true}, false},
		{"logout", pageData{Title: "Sign out", CSRF: "token", SignedIn: true}, false},
	}
	var c pageCache
	kept := 0
	for _, tc := range cases {
		want := httptest.NewRecorder()
		render(want, http.StatusOK, tc.name, tc.data)
		for _, round := range []string{"miss", "hit"} {
			got := httptest.NewRecorder()
			c.render(got, http.StatusOK, tc.name, tc.data)
			if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
				t.Errorf("%s %+v, %s: %d %v\n%s\nwant %d %v\n%s", tc.name, tc.data, round, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
		}
		if tc.kept {
			kept++
		}
		if len(c.m) != kept {
			t.Errorf("after %s %+v the cache holds %d pages, want %d", tc.name, tc.data, len(c.m), kept)
		}
	}
}

// TestPageKeyCoversPageData: the page cache's key holds every field of
// pageData that a cached page may depend on; a field added to pageData
// must be added to pageKey (or make cacheKey refuse the data).
func TestPageKeyCoversPageData(t *testing.T) {
	t.Parallel()
	var fields []string
	for f := range reflect.TypeFor[pageData]().Fields() {
		fields = append(fields, f.Name)
	}
	// In the key: Title, User, SignedIn, Notice. Refused by cacheKey:
	// Message, Action, RequestID, CSRF.
	known := []string{"Title", "User", "SignedIn", "Notice", "Message", "Action", "RequestID", "CSRF"}
	slices.Sort(fields)
	slices.Sort(known)
	if !slices.Equal(fields, known) {
		t.Fatalf("pageData has the fields %v; pageKey and cacheKey know %v: add the new one to either", fields, known)
	}
	for _, d := range []pageData{{Message: "m"}, {Action: &link{}}, {RequestID: "r"}, {CSRF: "c"}} {
		if _, ok := d.cacheKey("error"); ok {
			t.Errorf("%+v is cached", d)
		}
	}
}

// TestPageCacheBound: many distinct users make the cache start over
// rather than grow past its bounds.
func TestPageCacheBound(t *testing.T) {
	t.Parallel()
	var c pageCache
	page := cachedPage{make([]byte, 2500), "2500"}
	for i := range maxCachedTokens + 10 {
		c.put(pageKey{name: "dashboard", user: User{Subject: "usr_" + strings.Repeat("x", i%7) + time.Duration(i).String()}, hasUser: true}, page)
		if len(c.m) > maxCachedTokens || c.bytes > maxPageCacheBytes {
			t.Fatalf("after %d pages: %d entries, %d bytes", i, len(c.m), c.bytes)
		}
	}
}
