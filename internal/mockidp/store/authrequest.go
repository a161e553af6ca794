package store

import (
	"log/slog"
	"slices"
)

// AuthRequest is a checked authorization request
// (docs/scalekit-contract.md §4), as a sign-in page keeps it server-side
// until the user answers.
type AuthRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string
	State       string
	Nonce       string
	Challenge   string
	Prompt      []string
	LoginHint   string

	// Routing, resolved: the organization and connection the request asks
	// for, if any.
	OrgID  string
	ConnID string
}

// LogValue keeps state, nonce and the challenge out of logs (zitadel's
// AuthRequest does the same).
func (r AuthRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", r.ClientID), slog.String("org", r.OrgID), slog.String("conn", r.ConnID))
}

// Prompts reports whether the request asks for prompt p.
func (r *AuthRequest) Prompts(p string) bool { return slices.Contains(r.Prompt, p) }

// RoutesTo reports whether the session satisfies the request's routing: a
// request for another organization or connection needs a new sign-in
// through it, as with Scalekit, where each connection authenticates anew.
func (r *AuthRequest) RoutesTo(ses *Session) bool {
	return (r.OrgID == "" || r.OrgID == ses.OrgID) && (r.ConnID == "" || r.ConnID == ses.ConnID)
}
