package scim

import (
	"reflect"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// PATCH (RFC 7644 §3.5.2) applied to a resource's document, with the
// shapes Okta and Azure AD send besides the RFC's own: an op in any case
// ("Replace"), a value object with no path ({"active": false}), keys of
// that object that are paths ("name.givenName", an extension's
// attributes), a remove whose value lists the members to remove, and an
// add or replace of emails[type eq "work"].value for a user with no work
// email, which makes one.

// maxOps and maxPathBytes bound one PATCH: parsing a path costs time in
// its length, and IdPs send a handful of operations.
//
// maxValues bounds the values one operation carries (the members an add
// or remove lists, the elements of every array in its value). Service
// providers take far fewer members per PATCH than this (AWS IAM Identity
// Center's SCIM endpoint takes 100 membership changes, IBM Verify's
// 2,500), so IdPs send membership in batches of tens to hundreds: 10,000
// is room for any of them, while one operation stays a few milliseconds
// of work and a client that sends more learns the limit from a tooMany
// that says to split, rather than from a slow answer. The 1 MiB body
// bounds the operations together.
const (
	maxOps       = 200
	maxPathBytes = 512
	maxValues    = 10_000
)

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

type opName string

const (
	opAdd     opName = "add"
	opReplace opName = "replace"
	opRemove  opName = "remove"
)

// applyPatch applies a PATCH request's operations to d, in order.
func applyPatch(k *kind, d doc, req patchRequest) *Error {
	if len(req.Operations) == 0 {
		return badRequest(invalidSyntax, "a PATCH has Operations, such as {\"schemas\": [%q], \"Operations\": [{\"op\": \"replace\", \"path\": \"active\", \"value\": false}]}", patchSchema)
	}
	if len(req.Operations) > maxOps {
		return badRequest(tooMany, "a PATCH of %d operations is more than the %d the mock takes: send them in several requests", len(req.Operations), maxOps)
	}
	// Every operation is counted before any is applied, so that a PATCH
	// over the limit changes nothing.
	for i, o := range req.Operations {
		if n := countValues(o.Value, maxValues); n > maxValues {
			return badRequest(tooMany, "Operations[%d] carries more than %d values, the most the mock takes in one operation (RFC 7644 §3.12 tooMany): split it into operations or PATCH requests of at most %d members each", i, maxValues, maxValues)
		}
	}
	for i, o := range req.Operations {
		if err := applyOp(k, d, o); err != nil {
			err.Detail = "Operations[" + strconv.Itoa(i) + "]: " + err.Detail
			return err
		}
	}
	return nil
}

// countValues counts the elements of the arrays in v, at any depth,
// stopping once the count passes limit.
func countValues(v any, limit int) int {
	n := 0
	switch x := v.(type) {
	case []any:
		n = len(x)
		for _, e := range x {
			if n > limit {
				break
			}
			n += countValues(e, limit-n)
		}
	case doc:
		for _, e := range x {
			if n > limit {
				break
			}
			n += countValues(e, limit-n)
		}
	}
	return n
}

func applyOp(k *kind, d doc, o patchOp) *Error {
	op := opName(strings.ToLower(strings.TrimSpace(o.Op)))
	switch op {
	case opAdd, opReplace, opRemove:
	default:
		return badRequest(invalidSyntax, "op %s is not add, replace or remove", quoteShort(o.Op))
	}
	path := strings.TrimSpace(o.Path)
	if path == "" {
		if op == opRemove {
			return badRequest(noTarget, "a remove needs a path, such as \"path\": \"members[value eq \\\"diruser_…\\\"]\" (RFC 7644 §3.5.2.2)")
		}
		m, ok := o.Value.(doc)
		if !ok {
			return badRequest(invalidValue, "an %s without a path has an object of attributes as its value, such as {\"active\": false}, not %s", op, describe(o.Value))
		}
		return applyObject(k, d, op, m)
	}
	return applyPath(k, d, op, path, o.Value)
}

// applyObject applies an add or replace whose value is an object of
// attributes: each key is an attribute, a path, or an extension's URN
// with an object of its attributes.
func applyObject(k *kind, d doc, op opName, m doc) *Error {
	for name, v := range m {
		if k.ext != nil && strings.EqualFold(name, EnterpriseSchema) {
			sub, ok := v.(doc)
			if !ok {
				return badRequest(invalidValue, "%s is an object of the enterprise user's attributes, not %s", EnterpriseSchema, describe(v))
			}
			for sname, sv := range sub {
				if err := applyPath(k, d, op, EnterpriseSchema+":"+sname, sv); err != nil {
					return err
				}
			}
			continue
		}
		if err := applyPath(k, d, op, name, v); err != nil {
			return err
		}
	}
	return nil
}

// target is where a path points: the object that holds the attribute
// (the document or its extension object) and the attribute's definition,
// nil for one the schemas do not define.
type target struct {
	holder doc
	def    *attr
	name   string // as the schema spells it, else as the path does
}

// applyPath applies one operation at a path.
func applyPath(k *kind, d doc, op opName, raw string, value any) *Error {
	if len(raw) > maxPathBytes {
		return badRequest(invalidPath, "the path is %d bytes, more than the %d the mock takes", len(raw), maxPathBytes)
	}
	if k.ext != nil && strings.EqualFold(raw, EnterpriseSchema) {
		// The extension as a whole: its attributes one by one.
		if op == opRemove {
			del(d, EnterpriseSchema)
			return nil
		}
		m, ok := value.(doc)
		if !ok {
			return badRequest(invalidValue, "%s takes an object of the enterprise user's attributes, not %s", EnterpriseSchema, describe(value))
		}
		for name, v := range m {
			if err := applyPath(k, d, op, EnterpriseSchema+":"+name, v); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := filter.ParsePath([]byte(raw))
	if err != nil {
		return badRequest(invalidPath, "the path %s is not a SCIM attribute path (RFC 7644 §3.5.2): write an attribute such as active, name.givenName, emails[type eq \"work\"].value or members[value eq \"diruser_…\"]", quoteShort(raw))
	}
	t, perr := locate(k, d, op, p.AttributePath, raw)
	if perr != nil {
		return perr
	}
	if t.holder == nil {
		return nil // removing from an extension the resource does not have
	}
	if t.def != nil && t.def.mut == readOnly {
		if cur, _ := get(t.holder, t.name); op != opRemove && p.ValueExpression == nil && p.AttributePath.SubAttribute == nil && reflect.DeepEqual(cur, value) {
			return nil // Okta's replace repeats the id it was given: a no-op
		}
		hint := "the service provider sets it"
		if t.def.name == "groups" {
			hint = "a user joins or leaves a group when the group's members change: PATCH /Groups/{id} with members"
		}
		return badRequest(mutabilityErr, "%s is read-only: %s", t.name, hint)
	}
	if p.AttributePath.SubAttribute != nil {
		return applySub(t, op, *p.AttributePath.SubAttribute, value)
	}
	if p.ValueExpression != nil {
		return applyFiltered(t, op, p, value)
	}
	return applyAttr(t, op, value)
}

// locate finds the holder and definition of a path's attribute; the
// extension object is made for an add or replace.
func locate(k *kind, d doc, op opName, p filter.AttributePath, raw string) (target, *Error) {
	uri := p.URI()
	holder := d
	if uri != "" && !strings.EqualFold(uri, k.core) {
		if k.ext == nil || !strings.EqualFold(uri, EnterpriseSchema) {
			return target{}, badRequest(invalidPath, "the path %s names the schema %s, which a %s does not have: the mock serves %s%s", quoteShort(raw), uri, k.name, k.core, extNote(k))
		}
		holder = getMap(d, EnterpriseSchema)
		if holder == nil {
			if op == opRemove {
				return target{}, nil
			}
			holder = doc{}
			d[EnterpriseSchema] = holder
		}
	}
	def := k.lookup(uri, p.AttributeName)
	name := p.AttributeName
	if def != nil {
		name = def.name
	}
	return target{holder: holder, def: def, name: name}, nil
}

func extNote(k *kind) string {
	if k.ext != nil {
		return " and " + EnterpriseSchema
	}
	return ""
}

// multi reports whether the target is multi-valued: as defined, else as
// it is now, else as the value is.
func (t target) multi(value any) bool {
	if t.def != nil {
		return t.def.multi
	}
	if getList(t.holder, t.name) != nil {
		return true
	}
	_, isList := value.([]any)
	return isList
}

// applyAttr applies an operation to a whole attribute.
func applyAttr(t target, op opName, value any) *Error {
	if t.def != nil && t.def.typ == tComplex {
		canonicalValue(t.def, value)
	}
	cur, has := get(t.holder, t.name)
	switch op {
	case opRemove:
		if list, ok := cur.([]any); ok && value != nil {
			// Azure AD removes members by listing them as the value.
			set(t.holder, t.name, removeValues(list, asList(value)))
			return nil
		}
		del(t.holder, t.name)
		return nil
	case opAdd:
		if value == nil {
			return nil // adding nothing
		}
		if t.multi(value) {
			list, _ := cur.([]any)
			set(t.holder, t.name, addValues(list, asList(value)))
			return nil
		}
		if cm, ok := cur.(doc); ok && has {
			if vm, ok := value.(doc); ok {
				merge(cm, vm)
				return nil
			}
		}
		set(t.holder, t.name, value)
		return nil
	}
	// replace
	if t.multi(value) {
		set(t.holder, t.name, nilIfEmpty(asList(value)))
		return nil
	}
	if cm, ok := cur.(doc); ok && has {
		if vm, ok := value.(doc); ok {
			// Replacing a complex attribute replaces the sub-attributes the
			// value names and leaves the others (RFC 7644 §3.5.2.3).
			merge(cm, vm)
			return nil
		}
	}
	set(t.holder, t.name, value)
	return nil
}

func nilIfEmpty(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

// canonicalValue spells the sub-attributes of a complex value as the
// schema does.
func canonicalValue(a *attr, value any) {
	for _, e := range asList(value) {
		if m, ok := e.(doc); ok {
			canonical(a.subs, m)
		}
	}
}

// merge sets each of src's attributes in dst, null removing one.
func merge(dst, src doc) {
	for k, v := range src {
		set(dst, k, v)
	}
}

// applySub applies an operation to a sub-attribute of a complex
// attribute (name.givenName).
func applySub(t target, op opName, sub string, value any) *Error {
	cur, _ := get(t.holder, t.name)
	if _, isList := cur.([]any); isList || (t.def != nil && t.def.multi) {
		return badRequest(invalidPath, "%s is multi-valued: select the values with a filter, such as %s[type eq \"work\"].%s", t.name, t.name, sub)
	}
	if d := t.def.sub(sub); d != nil {
		sub = d.name
	}
	m, _ := cur.(doc)
	if op == opRemove {
		if m != nil {
			del(m, sub)
		}
		return nil
	}
	if m == nil {
		if cur != nil {
			return badRequest(invalidPath, "%s is not an object, so it has no %s", t.name, sub)
		}
		m = doc{}
		set(t.holder, t.name, m)
	}
	set(m, sub, value)
	return nil
}

// applyFiltered applies an operation to the values of a multi-valued
// attribute a filter selects (emails[type eq "work"], with a
// sub-attribute or not).
func applyFiltered(t target, op opName, p filter.Path, value any) *Error {
	cur, _ := get(t.holder, t.name)
	list, isList := cur.([]any)
	if cur != nil && !isList {
		return badRequest(invalidPath, "%s is not multi-valued, so a filter cannot select its values", t.name)
	}
	var subs []attr
	if t.def != nil {
		subs = t.def.subs
	}
	sub := p.SubAttributeName()
	if d := t.def.sub(sub); d != nil {
		sub = d.name
	}
	var hit []int
	match := valueMatcher(subs, p.ValueExpression)
	for i, e := range list {
		if m, ok := e.(doc); ok && match(m) {
			hit = append(hit, i)
		}
	}
	if op == opRemove {
		if sub != "" {
			for _, i := range hit {
				del(list[i].(doc), sub)
			}
			return nil
		}
		// hit is in ascending order: one pass keeps the others.
		out := make([]any, 0, len(list)-len(hit))
		for i, e := range list {
			if len(hit) > 0 && hit[0] == i {
				hit = hit[1:]
				continue
			}
			out = append(out, e)
		}
		set(t.holder, t.name, nilIfEmpty(out))
		return nil
	}
	if len(hit) == 0 {
		// Azure AD adds a work email by replacing emails[type eq
		// "work"].value: make the value the filter describes. A replace of
		// whole values that match nothing is the RFC's noTarget.
		made, ok := fromEqualities(p.ValueExpression)
		if !ok || (sub == "" && (value == nil || op == opReplace)) {
			return badRequest(noTarget, "no value of %s matches %s (RFC 7644 §3.5.2.3)", t.name, p.ValueExpression)
		}
		if sub != "" {
			set(made, sub, value)
		} else if vm, ok := value.(doc); ok {
			merge(made, vm)
		} else {
			return badRequest(invalidValue, "a value of %s is an object, not %s", t.name, describe(value))
		}
		set(t.holder, t.name, append(list, made))
		return nil
	}
	for _, i := range hit {
		m := list[i].(doc)
		switch vm, isMap := value.(doc); {
		case sub != "":
			set(m, sub, value)
		case isMap && op == opAdd:
			merge(m, vm)
		case isMap:
			list[i] = vm
		default:
			return badRequest(invalidValue, "a value of %s is an object, not %s", t.name, describe(value))
		}
	}
	return nil
}

// fromEqualities is the value a filter of equalities joined by and
// describes (type eq "work" → {"type": "work"}); false for any other
// filter, which describes no one value.
func fromEqualities(e filter.Expression) (doc, bool) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if !strings.EqualFold(string(x.Operator), string(filter.EQ)) || x.AttributePath.SubAttribute != nil || x.AttributePath.URIPrefix != nil || x.CompareValue == nil {
			return nil, false
		}
		return doc{x.AttributePath.AttributeName: unquote(x.CompareValue)}, true
	case *filter.LogicalExpression:
		if x.Operator != filter.AND {
			return nil, false
		}
		l, ok1 := fromEqualities(x.Left)
		r, ok2 := fromEqualities(x.Right)
		if !ok1 || !ok2 {
			return nil, false
		}
		merge(l, r)
		return l, true
	}
	return nil, false
}
