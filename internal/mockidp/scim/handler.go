// Package scim is the SCIM 2.0 service provider (RFC 7643, RFC 7644) of
// every directory of an environment: the endpoint an organization's IdP
// (Okta, Azure AD, …) pushes users and groups to, at
// {env}/api/v1/directories/{directory_id}/scim/v2, with the directory's
// bearer token. What it pushes is the tenant's directory users and
// groups, which the management API lists and whose changes are the
// organization.directory.* events.
package scim

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// Prefix and root frame a directory's endpoint: Prefix + dir_… + root,
// as the directory's directory_endpoint says.
const (
	Prefix = "/api/v1/directories/"
	root   = "/scim/v2"
)

// maxBody bounds a request body: a group's PATCH can list many members,
// and nothing an IdP sends is near a mebibyte.
const maxBody = 1 << 20

// Match reports whether a path is under a directory's SCIM endpoint.
func Match(path string) bool {
	_, _, ok := split(path)
	return ok
}

// split cuts a path into the directory's ID and the path under its
// endpoint ("" or "/Users/…").
func split(path string) (dirID, rest string, ok bool) {
	after, ok := strings.CutPrefix(path, Prefix)
	if !ok {
		return "", "", false
	}
	dirID, rest, _ = strings.Cut(after, "/")
	rest, ok = strings.CutPrefix("/"+rest, root)
	if dirID == "" || !ok || (rest != "" && rest[0] != '/') {
		return "", "", false
	}
	return dirID, rest, true
}

// Handler serves the SCIM endpoints of one environment's directories.
type Handler struct {
	Tenant *tenant.Tenant
	// Issuer is the environment URL, which resources' locations start
	// with.
	Issuer string
	// Persist makes a change durable before it is answered; nil when the
	// environment keeps no state directory.
	Persist func() error
}

// request is one SCIM request, authenticated for its directory.
type request struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	dirID string
	base  string // the directory's endpoint URL
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dirID, rest, ok := split(r.URL.Path)
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "", "a directory's SCIM endpoint is %s{directory_id}%s: the directory's directory_endpoint gives it", Prefix, root))
		return
	}
	tok := bearer(r)
	if _, ok := h.Tenant.DirectoryByToken(dirID, tok); !ok {
		detail := "the bearer token is not directory " + dirID + "'s SCIM token (or the directory has none, and admits no one): use the token the fixtures give it (organizations[].directories[].token), or the one the admin portal showed when it generated the directory's token (Generate token / Rotate token)"
		if tok == "" {
			detail = "the request sends no bearer token: send the directory's SCIM token as Authorization: Bearer <token>; the fixtures give a directory its token (organizations[].directories[].token), or the admin portal generates one"
		}
		writeError(w, errorf(http.StatusUnauthorized, "", "%s", detail))
		return
	}
	q := &request{h: h, w: w, r: r, dirID: dirID, base: h.Issuer + Prefix + dirID + root}
	q.route(rest)
}

// bearer is a request's bearer token, "" when it sends none.
func bearer(r *http.Request) string {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// route sends a request to its endpoint. Endpoint names are matched in
// any case: a client that asks for /users means /Users.
func (q *request) route(rest string) {
	first, id, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case strings.EqualFold(first, "Users") && id != ".search":
		q.resource(userKind(), id)
	case strings.EqualFold(first, "Groups") && id != ".search":
		q.resource(groupKind(), id)
	case strings.EqualFold(first, "ServiceProviderConfig") && id == "":
		q.get(func() { writeJSON(q.w, http.StatusOK, q.config()) })
	case strings.EqualFold(first, "Schemas"):
		q.get(func() { q.schemas(id) })
	case strings.EqualFold(first, "ResourceTypes"):
		q.get(func() { q.resourceTypes(id) })
	case strings.EqualFold(first, "Bulk"), strings.EqualFold(first, "Me"), first == ".search", id == ".search":
		writeError(q.w, errorf(http.StatusNotImplemented, "", "the mock does not serve %s (ServiceProviderConfig says so): send one request per resource to /Users and /Groups", rest))
	default:
		writeError(q.w, errorf(http.StatusNotFound, "", "%s is not a SCIM endpoint of this directory: it serves /Users, /Groups, /ServiceProviderConfig, /Schemas and /ResourceTypes", quoteShort(rest)))
	}
}

// get runs f for a GET (or HEAD), and answers 405 otherwise.
func (q *request) get(f func()) {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		q.notAllowed("GET")
		return
	}
	f()
}

func (q *request) notAllowed(allow string) {
	q.w.Header().Set("Allow", allow)
	writeError(q.w, errorf(http.StatusMethodNotAllowed, "", "%s is not a method of %s: use %s", q.r.Method, q.r.URL.Path, allow))
}

// resource serves /Users and /Groups and their members.
func (q *request) resource(k *kind, id string) {
	m := q.r.Method
	switch {
	case id == "" && (m == http.MethodGet || m == http.MethodHead):
		q.list(k)
	case id == "" && m == http.MethodPost:
		q.create(k)
	case id == "":
		q.notAllowed("GET, POST")
	case m == http.MethodGet || m == http.MethodHead:
		q.read(k, id)
	case m == http.MethodPut:
		q.replace(k, id)
	case m == http.MethodPatch:
		q.patch(k, id)
	case m == http.MethodDelete:
		q.delete(k, id)
	default:
		q.notAllowed("GET, PUT, PATCH, DELETE")
	}
}

// body reads a request's JSON object, bounded.
func (q *request) body(v any) *Error {
	data, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, "", "the body is more than the %d bytes the mock takes: send fewer members or attributes per request", maxBody)
	case err != nil:
		return badRequest(invalidSyntax, "the body could not be read: %v", err)
	}
	if err := decodeJSON(data, v); err != nil {
		return badRequest(invalidSyntax, "the body is not one JSON object (%v): send the resource as application/scim+json", err)
	}
	return nil
}

// saved makes a change durable; false when it could not, answered.
func (q *request) saved() bool {
	if q.h.Persist == nil {
		return true
	}
	if err := q.h.Persist(); err != nil {
		writeError(q.w, errorf(http.StatusInternalServerError, "", "the change was made but the mock could not save its state: %v", err))
		return false
	}
	return true
}

// fail answers an error of the tenant or of the request.
func (q *request) fail(k *kind, err error) {
	var se *Error
	if errors.As(err, &se) {
		writeError(q.w, se)
		return
	}
	writeError(q.w, fromTenant(k, err))
}

// location is a resource's URL.
func (q *request) location(k *kind, id string) string { return q.base + k.endpoint + "/" + id }
