package webapp

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
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
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
