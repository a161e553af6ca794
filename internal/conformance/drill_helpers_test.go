package conformance

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestSpentRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		statuses []int
		want     int
	}{
		{nil, -1},
		{[]int{200, 200}, -1},
		{[]int{400}, -1},      // refused first: not a rotation
		{[]int{503, 400}, -1}, // an outage, then refused: not one either
		{[]int{200, 400}, 1},
		{[]int{200, 503, 503, 400}, 3},
		{[]int{200, 500}, -1},
	} {
		if got := spentRefresh(tc.statuses); got != tc.want {
			t.Errorf("spentRefresh(%v) = %d, want %d", tc.statuses, got, tc.want)
		}
	}
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	var a answers
	if a.String() != "nothing (not asked)" {
		t.Errorf("empty: %q", a.String())
	}
	login, _ := url.Parse("http://app/api/auth/login?return_to=%2F")
	for _, p := range []page{{status: 200}, {status: 200}, {status: 503}, {status: 302, location: login}, {err: errors.New("boom")}, {status: 200}} {
		a.add(p)
	}
	if got, want := a.String(), "200 ×2, 503, 302 to /api/auth/login, no answer: boom, 200"; got != want {
		t.Errorf("answers = %q, want %q", got, want)
	}
}

func TestOrdinalAndStatuses(t *testing.T) {
	t.Parallel()
	if ordinal(1) != "first" || ordinal(2) != "second" || ordinal(9) != "#9" {
		t.Errorf("ordinal: %s %s %s", ordinal(1), ordinal(2), ordinal(9))
	}
	if got := joinStatuses([]int{200, 0, 400}); got != "200, no answer, 400" {
		t.Errorf("joinStatuses = %q", got)
	}
	if got := joinStatuses(nil); got != "(none logged)" {
		t.Errorf("joinStatuses(nil) = %q", got)
	}
}

func TestFirstPostForm(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("http://app/api/auth/logout")
	for _, tc := range []struct {
		name, body, action string
		fields             url.Values
		ok                 bool
	}{
		{"serve's confirmation", `<form method="post" action="/api/auth/logout"><input type="hidden" name="csrf" value="a&amp;b"><button>Sign out</button></form>`,
			"http://app/api/auth/logout", url.Values{"csrf": {"a&b"}}, true},
		{"no action, single quotes", `<FORM class=x METHOD='POST'><input name='t' type='hidden' value='1'><input type="text" name="q"></FORM>`,
			"http://app/api/auth/logout", url.Values{"t": {"1"}}, true},
		{"a GET form only", `<form method="get" action="/search"><input type="hidden" name="q" value="1"></form>`, "", nil, false},
		{"the first POST form of two", `<form method=get></form><form method=post action=/out></form><form method=post action=/other></form>`,
			"http://app/out", url.Values{}, true},
		{"no form", `<p>Signed out</p>`, "", nil, false},
	} {
		action, fields, ok := firstPostForm(tc.body, base)
		if ok != tc.ok || action != tc.action || ok && fields.Encode() != tc.fields.Encode() {
			t.Errorf("%s: firstPostForm = %q, %v, %v; want %q, %v, %v", tc.name, action, fields, ok, tc.action, tc.fields, tc.ok)
		}
	}
}

func TestCheckHint(t *testing.T) {
	t.Parallel()
	r := &run{opts: Options{ClientID: "skc_1"}}
	other := testJWT(rs256, map[string]any{"iss": testIssuer, "aud": "skc_2", "at_hash": "x"})
	for _, tc := range []struct {
		name, hint, want string // want: a part of the reason; "" for none
	}{
		{"the ID token", idToken, ""},
		{"none", "", "no id_token_hint"},
		{"not a JWT", "opaque-session-id", "not a JWT"},
		{"another client's", other, "not an ID token for skc_1"},
		{"the access token", accessToken, "is the access token"},
	} {
		got := r.checkHint(tc.hint)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: checkHint = %q, want %q", tc.name, got, tc.want)
		}
	}
}
