package rest

import (
	"strings"
)

// colonMark replaces the colon of a literal path segment that is not the
// last one (users:external in /api/v1/users:external/{external_id}).
// vanguard's template parser reads a colon as the start of the final verb
// (as in /api/v1/organizations/{id}/connections/{cid}:enable) and rejects
// one anywhere else, so such templates are given to it with the colon
// replaced, and incoming paths are rewritten the same way. "~" is allowed
// in a template literal and never appears in one of Scalekit's.
const colonMark = "~"

// colonSegments rewrites the path templates of REST bindings and the
// paths of requests alike. Only the literal segments it saw in a template
// are rewritten: a colon in an ID (/api/v1/users/a:b) is left alone.
type colonSegments struct {
	// to maps a template's literal segment to its rewritten form
	// ("users:external" → "users~external"); from is the reverse.
	to, from map[string]string
}

func newColonSegments() *colonSegments {
	return &colonSegments{to: map[string]string{}, from: map[string]string{}}
}

// template rewrites the literal segments of a path template that hold a
// colon and are not its last segment, and remembers each one. It reports
// whether it changed anything.
func (c *colonSegments) template(t string) (string, bool) {
	segs := templateSegments(t)
	changed := false
	for i, s := range segs[:max(len(segs)-1, 0)] {
		if strings.Contains(s, ":") && !strings.ContainsAny(s, "{}*") {
			r := strings.ReplaceAll(s, ":", colonMark)
			c.to[s], c.from[r] = r, s
			segs[i], changed = r, true
		}
	}
	return strings.Join(segs, "/"), changed
}

// templateSegments splits a template at the slashes outside variables:
// {name=organizations/*} is one segment.
func templateSegments(t string) []string {
	var segs []string
	depth, start := 0, 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '{':
			depth++
		case '}':
			depth = max(depth-1, 0)
		case '/':
			if depth == 0 {
				segs = append(segs, t[start:i])
				start = i + 1
			}
		}
	}
	return append(segs, t[start:])
}

// path rewrites a request's path (decoded, as in URL.Path) the way
// template rewrote the templates: each segment but the last that is a
// remembered literal. It reports false for a path that spells a rewritten
// form itself (users~external): no Scalekit path does, and serving it
// would make one path answer under two spellings.
func (c *colonSegments) path(p string) (string, bool) {
	if len(c.to) == 0 || !strings.ContainsAny(p, ":"+colonMark) {
		return p, true
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if _, ok := c.from[s]; ok {
			return "", false
		}
		if r, ok := c.to[s]; ok && i < len(segs)-1 {
			segs[i] = r
		}
	}
	return strings.Join(segs, "/"), true
}
