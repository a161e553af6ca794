package portal

import (
	"strings"
	"testing"
)

const uuid = "8930509d-68cf-4e2c-8c6d-94d2b5e2db43"

func TestParsePath(t *testing.T) {
	t.Parallel()
	tok := strings.Repeat("A", 43)
	for _, c := range []struct {
		rest string
		want Route
		ok   bool
	}{
		{uuid, Route{LinkID: uuid}, true},
		{uuid + "_p", Route{LinkID: uuid + "_p"}, true},
		{uuid + "/s/" + tok, Route{LinkID: uuid, Token: tok}, true},
		{uuid + "/s/" + tok + "/", Route{LinkID: uuid, Token: tok}, true},
		{uuid + "/s/" + tok + "/sso/enable", Route{LinkID: uuid, Token: tok, Action: EnableConnection}, true},
		{uuid + "/s/" + tok + "/domains", Route{LinkID: uuid, Token: tok, Action: AddDomain}, true},
		{uuid + "/s/" + tok + "/delete-everything", Route{}, false},
		{uuid + "/s/" + tok + "/sso/enable/", Route{}, false},
		{uuid + "/x/" + tok, Route{}, false},
		{uuid + "/s/", Route{}, false},
		{uuid + "/", Route{}, false},
		{"", Route{}, false},
		{"../etc", Route{}, false},
		{uuid + "/s/" + tok + "%2F", Route{}, false},
		{strings.Repeat("a", 65), Route{}, false},
	} {
		got, ok := ParsePath(c.rest)
		if ok != c.ok || got != c.want {
			t.Errorf("ParsePath(%q) = %+v %v, want %+v %v", c.rest, got, ok, c.want, c.ok)
		}
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	tok := strings.Repeat("B", 43)
	for in, want := range map[string]string{
		uuid:                               uuid,
		uuid + "/s/" + tok:                 uuid + "/s/[redacted]",
		uuid + "/s/" + tok + "/scim/token": uuid + "/s/[redacted]/scim/token",
	} {
		if got := Redacted(in); got != want {
			t.Errorf("Redacted(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParsePath: any path parses without a panic; what parses has safe
// segments, round-trips through SessionPath, and its redacted form never
// holds its token.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{uuid, uuid + "/s/tok", uuid + "/s/tok/sso/enable", "/s//", "a/s/b/c/d", "%00", "a/s/" + strings.Repeat("x", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		r, ok := ParsePath(rest)
		red := Redacted(rest)
		if !ok {
			return
		}
		if !safeSegment(r.LinkID) || (r.Token != "" && !safeSegment(r.Token)) {
			t.Fatalf("%q parsed to unsafe segments %+v", rest, r)
		}
		if r.Token == "" {
			return
		}
		if again, ok := ParsePath(SessionPath(r.LinkID, r.Token)); !ok || again.Token != r.Token || again.LinkID != r.LinkID {
			t.Fatalf("SessionPath of %+v parses to %+v %v", r, again, ok)
		}
		if strings.Contains(red, "/s/"+r.Token) {
			t.Fatalf("Redacted(%q) = %q keeps the token", rest, red)
		}
	})
}
