package mockidp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/skctl/skctl/internal/mockidp/portal"
)

// The admin portal's pages are the sign-in page's layout with the
// portal's own headers: framed by the registered origins rather than
// never, and one inline script, allowed by its nonce.
var (
	portalPage        = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/portal.html", "templates/portal_events.html"))
	portalMessagePage = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/portal_message.html", "templates/portal_events.html"))
)

// portalChrome is what every portal page has: the layout's fields and the
// browser events its script posts.
type portalChrome struct {
	Issuer, Title, Nonce string
	Events               []portal.Event
	// Targets are the origins the script may post to.
	Targets []string
}

type portalMessageData struct {
	portalChrome
	Message, Hint string
}

// portalOrigins are the origins that may embed the portal: those of the
// apps' registered redirect URIs.
func (s *Server) portalOrigins() []string {
	var uris []string
	for _, app := range s.dir.Apps() {
		uris = append(uris, app.RedirectURIs...)
	}
	return portal.Origins(uris)
}

// portalTargets are the origins the page's events may go to: the
// registered ones and the environment's own, which may frame it too.
func (s *Server) portalTargets() []string {
	return portal.Origins(append(s.portalOrigins(), s.issuer))
}

// portalHeaders are the headers of every portal answer. Cache-Control
// and Referrer-Policy also keep the session's token, which is in the
// URL, out of caches and out of Referer headers.
func (s *Server) portalHeaders(h http.Header, nonce string) {
	if nonce == "" {
		nonce = newNonce()
	}
	h.Set("Content-Security-Policy", portal.CSP(nonce, s.portalOrigins()))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// renderPortal writes a portal page; chrome is filled in here.
func (s *Server) renderPortal(w http.ResponseWriter, status int, t *template.Template, chrome *portalChrome, data any) {
	chrome.Issuer, chrome.Nonce, chrome.Targets = s.issuer, newNonce(), s.portalTargets()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("admin portal page failed to render", "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	s.portalHeaders(w.Header(), chrome.Nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// portalMessage shows a page that says why the portal cannot be shown,
// posting one browser event (PORTAL_LOAD_FAILURE, PORTAL_SESSION_EXPIRY)
// to the page that embeds it.
func (s *Server) portalMessage(w http.ResponseWriter, status int, orgID, title, msg, hint string, typ portal.EventType) {
	d := &portalMessageData{Message: msg, Hint: hint}
	d.Title = title
	d.Events = []portal.Event{portal.PortalEvent(typ, orgID, msg)}
	s.renderPortal(w, status, portalMessagePage, &d.portalChrome, d)
}

// newNonce is a CSP nonce: 128 random bits, fresh for every page.
func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]) // no character HTML would escape
}
