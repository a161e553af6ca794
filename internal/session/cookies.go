package session

import (
	"fmt"
	"net/http"
	"time"
)

// hostPrefix makes the browser refuse the cookie unless it is Secure, has
// Path=/ and no Domain, which stops sibling subdomains from injecting or
// overwriting it (F1).
const hostPrefix = "__Host-"

// CookieOptions are the attributes of every cookie the app sets (F1).
type CookieOptions struct {
	// Secure sets the Secure attribute and the "__Host-" name prefix. Only
	// an explicit development mode over http://localhost turns it off, and
	// then neither is used, since the prefix demands Secure.
	Secure bool
	// MaxAge is the cookie's Max-Age, rounded up to whole seconds; 0 makes
	// a session cookie.
	MaxAge time.Duration
}

// Name returns the on-the-wire cookie name for base: "__Host-"+base when
// Secure, else base.
func (o CookieOptions) Name(base string) string {
	if o.Secure {
		return hostPrefix + base
	}
	return base
}

// cookie builds a cookie with the attributes F1 requires; only the name,
// value and Max-Age vary. No Domain, so the cookie stays host-only.
func (o CookieOptions) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   o.Secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// maxAgeSeconds rounds up, so a positive sub-second MaxAge never turns
// into a session cookie.
func (o CookieOptions) maxAgeSeconds() int {
	if o.MaxAge <= 0 {
		return 0
	}
	return int((o.MaxAge + time.Second - 1) / time.Second)
}

// Write seals plaintext and sets it as cookie base (named per Name),
// HttpOnly, SameSite=Lax, Path=/ and without Domain (F1). A value whose
// Set-Cookie would exceed 4,000 bytes is split into base, base_1, …,
// base_4 (F3); one that needs more returns ErrTooLarge and sets nothing.
// Chunks of base present in r (which may be nil) but no longer used are
// cleared, so a shrinking value leaves no stale chunk behind.
func (c *Codec) Write(w http.ResponseWriter, r *http.Request, base string, o CookieOptions, plaintext []byte) error {
	return c.write(w, requestCookies(r), o.Name(base), o, plaintext)
}

// write is Write on cookies already parsed from the request.
func (c *Codec) write(w http.ResponseWriter, present []*http.Cookie, name string, o CookieOptions, plaintext []byte) error {
	value, err := c.Encode(name, plaintext)
	if err != nil {
		return err
	}
	chunks, err := o.split(name, value)
	if err != nil {
		return err
	}
	for _, ck := range chunks {
		http.SetCookie(w, ck)
	}
	for _, i := range chunkIndexes(present, name) {
		if i >= len(chunks) {
			http.SetCookie(w, o.cookie(chunkName(name, i), "", -1))
		}
	}
	return nil
}

// Clear expires cookie base and every chunk of it present in r (which may
// be nil) with Max-Age=0 and the attributes they were set with: the same
// prefix, Path=/, no Domain, HttpOnly, Secure and SameSite. A cookie
// cleared with other attributes would survive (F4).
func Clear(w http.ResponseWriter, r *http.Request, base string, o CookieOptions) {
	clearCookies(w, requestCookies(r), o.Name(base), o)
}

// clearCookies is Clear on cookies already parsed from the request.
func clearCookies(w http.ResponseWriter, present []*http.Cookie, name string, o CookieOptions) {
	http.SetCookie(w, o.cookie(name, "", -1))
	for _, i := range chunkIndexes(present, name) {
		http.SetCookie(w, o.cookie(chunkName(name, i), "", -1))
	}
}

// requestCookies parses r's Cookie header once per call. Over Go's limit of
// 3,000 cookies it yields none, which reads as no session (F5).
func requestCookies(r *http.Request) []*http.Cookie {
	if r == nil {
		return nil
	}
	return r.Cookies()
}

// checkName refuses a name net/http would silently drop from Set-Cookie;
// a dropped cookie means a login loop instead of an error (F3).
func checkName(name string) error {
	if err := (&http.Cookie{Name: name}).Valid(); err != nil {
		return fmt.Errorf("session: cookie name %q: %w", name, err)
	}
	return nil
}
