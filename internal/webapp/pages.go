package webapp

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed templates/*.html
var templateFS embed.FS

// Each page is the layout plus its own "content" block, parsed once.
var pages = map[string]*template.Template{}

func init() {
	for _, name := range []string{"home", "dashboard", "error", "logout"} {
		pages[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
}

// pageData fills every page.
type pageData struct {
	Title string
	User  *User
	// SignedIn is set on pages that do not verify the session (error
	// pages, the logout confirmation) when the browser has one, so that
	// their header and footer say so; pages with a User need not.
	SignedIn  bool
	Notice    string // a one-line status, such as "You are signed out."
	Message   string
	Action    *link
	RequestID string
	CSRF      string // the logout confirmation's token
}

type link struct{ Href, Label string }

// render writes a page. Rendering into a buffer first means a template
// error becomes a clean error page rather than half a page.
func render(w http.ResponseWriter, status int, name string, data pageData) {
	page, err := execute(name, data)
	if err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	writePage(w, status, page, strconv.Itoa(len(page)))
}

// execute renders a page into a new slice.
func execute(name string, data pageData) ([]byte, error) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writePage sends a rendered page with its length (length is
// len(page) in decimal), so that the page goes out in one piece rather
// than in chunks: a page is over net/http's 2 KB chunking threshold. Both
// headers come from one allocation, each value a full slice (cap 1) of
// one array, so that an Add copies rather than writes into the next.
func writePage(w http.ResponseWriter, status int, page []byte, length string) {
	v := &[2]string{"text/html; charset=utf-8", length}
	h := w.Header()
	h["Content-Type"] = v[0:1:1]
	h["Content-Length"] = v[1:2:2]
	w.WriteHeader(status)
	w.Write(page)
}
