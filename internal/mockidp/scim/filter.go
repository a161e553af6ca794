package scim

import (
	"encoding/json"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// Filters (RFC 7644 §3.4.2.2) are untrusted input: parsing is
// filter-parser's (a PEG parser of the RFC's ABNF); evaluating the parsed
// expression against a document is here.

// maxFilterBytes bounds a filter: the parser's time grows with the
// length, and an IdP's filters are one or two comparisons.
const maxFilterBytes = 1024

// parseFilter parses a filter of the list endpoints.
func parseFilter(raw string) (filter.Expression, *Error) {
	if len(raw) > maxFilterBytes {
		return nil, badRequest(invalidFilter, "the filter is %d bytes, more than the %d the mock takes: an IdP's filters are one or two comparisons, such as userName eq \"bjensen\"", len(raw), maxFilterBytes)
	}
	e, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return nil, badRequest(invalidFilter, "the filter %s is not a SCIM filter (RFC 7644 §3.4.2.2): write attribute operator value, such as userName eq \"bjensen\" or emails[type eq \"work\" and value co \"@example.com\"]; the operators are eq ne co sw ew gt ge lt le pr, joined by and, or, not", quoteShort(raw))
	}
	return e, nil
}

// quoteShort quotes a client's text for an error, shortened.
func quoteShort(s string) string {
	if len(s) > 120 {
		s = s[:117] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// matches evaluates a filter against a resource of kind k (nil: an element
// of a multi-valued attribute, whose sub-attributes defs holds).
func matches(k *kind, defs []attr, e filter.Expression, d doc) bool {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		if x.Operator == filter.AND {
			return matches(k, defs, x.Left, d) && matches(k, defs, x.Right, d)
		}
		return matches(k, defs, x.Left, d) || matches(k, defs, x.Right, d)
	case *filter.NotExpression:
		return !matches(k, defs, x.Expression, d)
	case *filter.ValuePath:
		a, container := resolve(k, defs, x.AttributePath, d)
		var subs []attr
		if a != nil {
			subs = a.subs
		}
		for _, el := range asList(valueOf(container, x.AttributePath.AttributeName)) {
			if m, ok := el.(doc); ok && matches(nil, subs, x.ValueFilter, m) {
				return true
			}
		}
		return false
	case *filter.AttributeExpression:
		return compareExpr(k, defs, x, d)
	}
	return false
}

// resolve finds the definition of a path's attribute and the object that
// holds it: the document, or its extension object for an extension URN.
func resolve(k *kind, defs []attr, p filter.AttributePath, d doc) (*attr, doc) {
	if k == nil {
		return find(defs, p.AttributeName), d
	}
	uri := p.URI()
	if uri != "" && !strings.EqualFold(uri, k.core) {
		return k.lookup(uri, p.AttributeName), getMap(d, uri)
	}
	return k.lookup("", p.AttributeName), d
}

func valueOf(container doc, name string) any {
	if container == nil {
		return nil
	}
	v, _ := get(container, name)
	return v
}

// compareExpr evaluates attribute operator value.
func compareExpr(k *kind, defs []attr, x *filter.AttributeExpression, d doc) bool {
	a, container := resolve(k, defs, x.AttributePath, d)
	v := valueOf(container, x.AttributePath.AttributeName)
	var vals []any
	if sub := x.AttributePath.SubAttributeName(); sub != "" {
		a = a.sub(sub)
		for _, el := range asList(v) {
			if m, ok := el.(doc); ok {
				if sv, ok := get(m, sub); ok {
					vals = append(vals, sv)
				}
			}
		}
	} else {
		for _, el := range asList(v) {
			if m, ok := el.(doc); ok {
				// A multi-valued complex attribute compares by its value
				// (emails co "@example.com"); a complex one is present or not.
				if sv, ok := get(m, "value"); ok {
					vals = append(vals, sv)
				} else if x.Operator == filter.PR && len(m) > 0 {
					vals = append(vals, true)
				}
				continue
			}
			vals = append(vals, el)
		}
	}
	op := filter.CompareOperator(strings.ToLower(string(x.Operator)))
	if op == filter.PR {
		for _, val := range vals {
			if s, ok := val.(string); !ok || s != "" {
				return val != nil
			}
		}
		return false
	}
	want := unquote(x.CompareValue)
	if op == filter.NE {
		for _, val := range vals {
			if compare(a, filter.EQ, val, want) {
				return false
			}
		}
		return want != nil || len(vals) > 0
	}
	if want == nil { // eq null: absent
		return op == filter.EQ && len(vals) == 0
	}
	for _, val := range vals {
		if compare(a, op, val, want) {
			return true
		}
	}
	return false
}

// unquote is a filter's string value with its JSON escapes read (the
// parser keeps them as written).
func unquote(v any) any {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `\`) {
		return v
	}
	var out string
	if json.Unmarshal([]byte(`"`+s+`"`), &out) != nil {
		return s
	}
	return out
}

// compare applies one operator to one value of an attribute.
func compare(a *attr, op filter.CompareOperator, got, want any) bool {
	if b, ok := want.(bool); ok {
		gb, ok := boolOf(got)
		return ok && op == filter.EQ && gb == b
	}
	if w, ok := number(want); ok {
		g, ok := number(got)
		if !ok {
			return false
		}
		return ordered(op, cmp3(g, w))
	}
	ws, ok := want.(string)
	gs, gok := got.(string)
	if !ok || !gok {
		return false
	}
	if a != nil && a.typ == tDateTime {
		wt, werr := time.Parse(time.RFC3339Nano, ws)
		gt, gerr := time.Parse(time.RFC3339Nano, gs)
		if werr == nil && gerr == nil {
			return ordered(op, gt.Compare(wt))
		}
	}
	if a == nil || !a.caseExact {
		ws, gs = strings.ToLower(ws), strings.ToLower(gs)
	}
	switch op {
	case filter.CO:
		return strings.Contains(gs, ws)
	case filter.SW:
		return strings.HasPrefix(gs, ws)
	case filter.EW:
		return strings.HasSuffix(gs, ws)
	}
	return ordered(op, strings.Compare(gs, ws))
}

// ordered reads a three-way comparison for eq, gt, ge, lt, le.
func ordered(op filter.CompareOperator, c int) bool {
	switch op {
	case filter.EQ:
		return c == 0
	case filter.GT:
		return c > 0
	case filter.GE:
		return c >= 0
	case filter.LT:
		return c < 0
	case filter.LE:
		return c <= 0
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fastKey is the attribute and value of a filter that is one equality of
// an attribute the tenant keeps as a field (userName eq "bjensen",
// externalId eq "…"): what IdPs send before every create, answered
// without rendering every resource.
func fastKey(k *kind, e filter.Expression) (attribute, value string, ok bool) {
	x, isAttr := e.(*filter.AttributeExpression)
	if !isAttr || x.AttributePath.SubAttribute != nil || !strings.EqualFold(string(x.Operator), string(filter.EQ)) {
		return "", "", false
	}
	if uri := x.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, k.core) {
		return "", "", false
	}
	v, isStr := unquote(x.CompareValue).(string)
	if !isStr {
		return "", "", false
	}
	a := k.lookup("", x.AttributePath.AttributeName)
	if a == nil {
		return "", "", false
	}
	switch a.name {
	case "id", "externalId", "userName", "displayName":
		if a.name == "displayName" && k.name == "User" {
			return "", "", false // a user's displayName is not a field of its own
		}
		return a.name, v, true
	}
	return "", "", false
}

// valueMatcher is matches for the values of a multi-valued attribute, of
// sub-attributes defs. A filter that is one eq of a case-exact string
// sub-attribute (members[value eq "…"], the remove Okta sends for each
// member that leaves) is one string comparison a value: a PATCH of
// hundreds of such removes walks a group of thousands once for each.
func valueMatcher(defs []attr, e filter.Expression) func(doc) bool {
	generic := func(m doc) bool { return matches(nil, defs, e, m) }
	x, ok := e.(*filter.AttributeExpression)
	if !ok || x.AttributePath.SubAttribute != nil || !strings.EqualFold(string(x.Operator), string(filter.EQ)) {
		return generic
	}
	a := find(defs, x.AttributePath.AttributeName)
	want, isStr := unquote(x.CompareValue).(string)
	if a == nil || !a.caseExact || a.typ != tString || !isStr {
		return generic
	}
	name := x.AttributePath.AttributeName
	return func(m doc) bool {
		if got, ok := get(m, name); ok {
			if s, isStr := got.(string); isStr {
				return s == want // what compare decides for a case-exact string
			}
		}
		return generic(m)
	}
}
