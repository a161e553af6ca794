package mockidp

import (
	"net/http"
)

// handleIndex handles GET /: a page saying what this is and where the
// discovery document is, for a developer who opens the environment URL.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, messagePage, messageData{
		Issuer:  s.issuer,
		Title:   "skctl mock-idp",
		Message: "A local Scalekit environment. Point your app's SCALEKIT_ENVIRONMENT_URL here; its discovery document is at " + s.issuer + "/.well-known/openid-configuration.",
		Hint:    "The emails it would send (sign-in codes, magic links, invitations) are in its mailbox.",
		Link:    s.mailboxURL(""), LinkText: "Open the mailbox",
	})
}
