package webapp

import (
	"net/http"
	"strconv"
	"sync"
)

// pageCache remembers rendered pages whose data holds nothing particular
// to one request: a signed-in user's dashboard and home page. Executing
// html/template (reflection, contextual escaping, a buffer grown per
// request) costs several times what the rest of a signed-in request does
// once the session comes from the caches, so each distinct page is
// rendered once, by html/template as before, and its bytes are sent again.
//
// The key holds every input of the page (the page's name and a copy of all
// the data the templates read, the whole User included), and the templates
// are pure functions of their data, so a hit is exactly what rendering
// again would produce: two users never share a page, and a user whose
// profile changes gets a new page. TestPageKeyCoversPageData keeps the key
// complete when pageData grows.
type pageCache struct {
	mu    sync.Mutex
	m     map[pageKey]cachedPage
	bytes int // the pages' and keys' bytes, bounded by maxPageCacheBytes
}

// cachedPage is a rendered page and its length in decimal, for
// Content-Length.
type cachedPage struct {
	body   []byte
	length string
}

// maxPageCacheBytes bounds the page cache; a put past it, or past
// maxCachedTokens pages, starts the cache over, as the other caches do: a
// flood of distinct users costs renders, never memory.
const maxPageCacheBytes = 32 << 20

// pageKey is everything a cacheable page is rendered from.
type pageKey struct {
	name     string
	title    string
	user     User // the zero User when hasUser is false
	hasUser  bool
	signedIn bool
	notice   string
}

// cacheKey returns the key of the page name rendered from d, or false when
// d holds what belongs to one request (a message, an action, a request ID,
// a CSRF token): such pages are rendered every time.
func (d pageData) cacheKey(name string) (pageKey, bool) {
	if d.Message != "" || d.Action != nil || d.RequestID != "" || d.CSRF != "" {
		return pageKey{}, false
	}
	k := pageKey{name: name, title: d.Title, signedIn: d.SignedIn, notice: d.Notice}
	if d.User != nil {
		k.user, k.hasUser = *d.User, true
	}
	return k, true
}

func (k pageKey) size() int {
	u := k.user
	return len(k.name) + len(k.title) + len(k.notice) +
		len(u.Subject) + len(u.Email) + len(u.Name) + len(u.OrganizationID) + len(u.SessionID)
}

// render writes the page as render does, from the cache when it can.
func (c *pageCache) render(w http.ResponseWriter, status int, name string, data pageData) {
	k, ok := data.cacheKey(name)
	if !ok {
		render(w, status, name, data)
		return
	}
	p, ok := c.get(k)
	if !ok {
		body, err := execute(name, data)
		if err != nil {
			http.Error(w, "page failed to render", http.StatusInternalServerError)
			return
		}
		p = cachedPage{body, strconv.Itoa(len(body))}
		c.put(k, p)
	}
	writePage(w, status, p.body, p.length)
}

// get returns a cached page, whose body no one may change.
func (c *pageCache) get(k pageKey) (cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[k]
	return p, ok
}

func (c *pageCache) put(k pageKey, p cachedPage) {
	n := k.size() + p.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.bytes -= k.size() + old.size()
	}
	if c.m == nil || len(c.m) >= maxCachedTokens || c.bytes+n > maxPageCacheBytes {
		c.m = map[pageKey]cachedPage{}
		c.bytes = 0
	}
	c.m[k] = p
	c.bytes += n
}

func (p cachedPage) size() int { return len(p.body) + len(p.length) }
