package portal

import "strings"

// Action is one change the portal's forms post, named by the last
// segments of its path: <session>/domains, <session>/sso/enable, …
type Action string

const (
	AddDomain         Action = "domains"
	VerifyDomain      Action = "domains/verify"
	CreateConnection  Action = "sso"
	EnableConnection  Action = "sso/enable"
	DisableConnection Action = "sso/disable"
	CreateDirectory   Action = "scim"
	DirectoryToken    Action = "scim/token"
	EnableDirectory   Action = "scim/enable"
	DisableDirectory  Action = "scim/disable"
)

var actions = []Action{AddDomain, VerifyDomain, CreateConnection, EnableConnection, DisableConnection,
	CreateDirectory, DirectoryToken, EnableDirectory, DisableDirectory}

// Route is what a path under /magicLink/ names: a link (<link>), its
// session's page (<link>/s/<token>) or an action of the session
// (<link>/s/<token>/<action>).
type Route struct {
	LinkID string
	Token  string // "" for the link itself
	Action Action // "" for the link or the page
}

// maxSegment bounds a link ID or a token: Scalekit's link IDs are UUIDs
// (36 characters, 38 for a dashboard link's "_p"), tokens 43.
const maxSegment = 64

// ParsePath reads the part of a path after /magicLink/. Anything else
// than the three forms, with URL-safe IDs and a known action, is false.
func ParsePath(rest string) (Route, bool) {
	link, after, hasSession := strings.Cut(rest, "/")
	if !safeSegment(link) {
		return Route{}, false
	}
	if !hasSession {
		return Route{LinkID: link}, true
	}
	s, after, _ := strings.Cut(after, "/")
	token, action, _ := strings.Cut(after, "/")
	if s != "s" || !safeSegment(token) {
		return Route{}, false
	}
	r := Route{LinkID: link, Token: token}
	if action == "" { // the page, with or without a trailing slash
		return r, true
	}
	for _, a := range actions {
		if Action(action) == a {
			r.Action = a
			return r, true
		}
	}
	return Route{}, false
}

// SessionPath is the path of a session's page after /magicLink/.
func SessionPath(linkID, token string) string { return linkID + "/s/" + token }

// Redacted is a path under /magicLink/ with its session token replaced,
// for logs: the token is the session's only credential.
func Redacted(rest string) string {
	link, after, ok := strings.Cut(rest, "/s/")
	if !ok {
		return rest
	}
	_, action, hasAction := strings.Cut(after, "/")
	out := link + "/s/[redacted]"
	if hasAction {
		out += "/" + action
	}
	return out
}

// safeSegment reports whether s is a link ID or token the portal could
// have made: 1 to maxSegment URL-safe characters.
func safeSegment(s string) bool {
	if s == "" || len(s) > maxSegment {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
