package mockidp

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

// Each page is the layout plus its own "content" block.
var (
	loginPage      = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/login.html"))
	messagePage    = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/message.html"))
	checkEmailPage = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/checkemail.html"))
	mailPage       = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/mail.html"))
)

// messageData fills message.html: errors the browser must not be redirected
// with, the signed-out page, an accepted invitation; Link is a button
// onward, when there is somewhere to go.
type messageData struct {
	Issuer, Title, Code, Message, Hint string
	Link, LinkText                     string
}

// renderPage writes a page with headers that keep it out of caches and
// frames: it may show a sign-in form.
func renderPage(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' *; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage shows an error that must not go back to the redirect URI: an
// unknown client or an unregistered redirect URI (RFC 6749 §4.1.2.1).
func (s *Server) errorPage(w http.ResponseWriter, status int, code, msg, hint string) {
	renderPage(w, status, messagePage, messageData{Issuer: s.issuer, Title: "Sign-in cannot continue", Code: code, Message: msg, Hint: hint})
}
