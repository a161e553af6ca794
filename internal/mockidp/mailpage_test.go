package mockidp_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	passwordlesspb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// chromeAccept is the Accept header of a Chromium navigation.
const chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

// mailGet fetches a mailbox URL with the headers given (name, value, …).
func mailGet(t *testing.T, env *testenv.Env, path string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func isHTML(h http.Header) bool { return strings.HasPrefix(h.Get("Content-Type"), "text/html") }

var hrefRE = regexp.MustCompile(`href="([^"]*)"`)

// hrefs are the targets a page links, unescaped.
func hrefs(body string) []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestMailboxPage: a browser gets the mailbox as a page: every message
// newest first with its address, subject, kind and time, the code large
// and selectable, the link clickable, escaped; ?to= filters it; a code
// past its expiry is marked expired.
func TestMailboxPage(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	landing := "http://localhost:4321/auth/passwordless"
	if _, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: "page.user@initech.test", MagiclinkAuthUri: &landing}); err != nil {
		t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	sent := mgLastMail(t, env, "page.user@initech.test")
	o := c.createOrg("<b>Evil</b> & Co", "")
	c.createUser(o.GetId(), "boss@evil.test", false)
	c.createUser(o.GetId(), "invitee@evil.test", true)
	invite := mgLastMail(t, env, "invitee@evil.test")

	status, h, body := mailGet(t, env, "/__mock/mail", "Accept", chromeAccept)
	if status != http.StatusOK || !isHTML(h) || !strings.Contains(body, "<h1>Mailbox</h1>") {
		t.Fatalf("GET /__mock/mail from a browser: %d %s %.300s, want the mailbox page", status, h.Get("Content-Type"), body)
	}
	if h.Get("Vary") != "Accept" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("Vary %q, Cache-Control %q: want Accept and no-store (the page holds codes)", h.Get("Vary"), h.Get("Cache-Control"))
	}
	for what, want := range map[string]string{
		"the code, large and selectable": `<div class="otp" title="One click selects the code">` + sent.Code + `</div>`,
		"the kind":                       `<span class="kind invitation">invitation</span>`,
		"the address, as a filter":       `href="/__mock/mail?to=page.user%40initech.test"`,
		"the subject, escaped":           "You have been invited to &lt;b&gt;Evil&lt;/b&gt; &amp; Co",
		"when":                           "just now",
		"the expiry":                     "expires in 5 min",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the mailbox page lacks %s (%s)", what, want)
		}
	}
	links := hrefs(body)
	for what, want := range map[string]string{"the magic link": sent.Link, "the invitation link": invite.Link} {
		if !slices.Contains(links, want) {
			t.Errorf("the mailbox page does not link %s %s: it links %q", what, want, links)
		}
	}
	if strings.Contains(body, "<b>Evil") {
		t.Error("the mailbox page renders an organization's name as HTML")
	}
	if i, j := strings.Index(body, "invitee@evil.test"), strings.Index(body, "page.user@initech.test"); i < 0 || j < 0 || i > j {
		t.Errorf("the invitation (sent last) is not listed before the code: at %d and %d", i, j)
	}

	_, _, one := mailGet(t, env, "/__mock/mail?format=html&to=PAGE.user@initech.test")
	if !strings.Contains(one, sent.Code) || strings.Contains(one, "invitee@evil.test") || !strings.Contains(one, `value="PAGE.user@initech.test"`) {
		t.Errorf("?to= does not filter the page to that address's emails: %.600s", one)
	}
	_, _, none := mailGet(t, env, "/__mock/mail?format=html&to=nobody@initech.test")
	if !strings.Contains(none, "No emails to nobody@initech.test yet") {
		t.Errorf("the page for an address with no email: %.600s", none)
	}

	mgAdvance(t, env, "6m")
	_, _, later := mailGet(t, env, "/__mock/mail?to=page.user@initech.test", "Accept", chromeAccept)
	if !strings.Contains(later, `class="msg expired settled"`) || !strings.Contains(later, "expired 1 min ago") {
		t.Errorf("a code past its five minutes is not marked expired: %.900s", later)
	}
}

// TestMailboxJSON: scripts keep getting JSON, in the shape they parse:
// no Accept, */*, application/json, ?format=json, and any ?last=, even
// from a browser; the list and the ?last=1 object hold exactly to,
// subject, code, link, kind and created_at.
func TestMailboxJSON(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	email, landing := "json.user@initech.test", "http://localhost:4321/auth/passwordless"
	if _, err := mgSend(t, c, &passwordlesspb.SendPasswordlessRequest{Email: email, MagiclinkAuthUri: &landing}); err != nil {
		t.Fatalf("SendPasswordlessEmail: %v%s", err, mgDescribe(err))
	}
	wantKeys := []string{"code", "created_at", "kind", "link", "subject", "to"}
	keysOf := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	for _, tc := range []struct {
		path    string
		headers []string
	}{
		{"/__mock/mail", nil},
		{"/__mock/mail", []string{"Accept", "*/*"}},
		{"/__mock/mail", []string{"Accept", "application/json"}},
		{"/__mock/mail?format=json", []string{"Accept", chromeAccept}},
		{"/__mock/mail?to=" + url.QueryEscape(email), []string{"Accept", "text/html, application/json"}},
	} {
		status, h, body := mailGet(t, env, tc.path, tc.headers...)
		var list []map[string]any
		if status != http.StatusOK || isHTML(h) || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 {
			t.Errorf("GET %s %v: %d %s %.200s, want a JSON list of one", tc.path, tc.headers, status, h.Get("Content-Type"), body)
			continue
		}
		if ks := keysOf(list[0]); !slices.Equal(ks, wantKeys) {
			t.Errorf("GET %s %v: message keys %v, want %v", tc.path, tc.headers, ks, wantKeys)
		}
	}
	for _, headers := range [][]string{nil, {"Accept", chromeAccept}} {
		status, h, body := mailGet(t, env, "/__mock/mail?to="+url.QueryEscape(email)+"&last=1", headers...)
		var m map[string]any
		if status != http.StatusOK || isHTML(h) || json.Unmarshal([]byte(body), &m) != nil {
			t.Errorf("GET ?last=1 %v: %d %s %.200s, want a JSON object", headers, status, h.Get("Content-Type"), body)
			continue
		}
		if ks := keysOf(m); !slices.Equal(ks, wantKeys) || m["to"] != email || m["kind"] != "passwordless" {
			t.Errorf("GET ?last=1 %v = %v, want the message to %s with keys %v", headers, m, email, wantKeys)
		}
	}
	if status, h, body := mailGet(t, env, "/__mock/mail?to=nobody@initech.test&last=1"); status != http.StatusNotFound || isHTML(h) || !strings.Contains(body, "No email to nobody@initech.test yet") {
		t.Errorf("?last=1 of an empty address: %d %.200s, want a JSON 404 saying so", status, body)
	}
	for path, want := range map[string]string{"/__mock/mail?format=xml": "format is html or json", "/__mock/mail?last=0": "last is a count"} {
		if status, _, body := mailGet(t, env, path); status != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %.200s, want 400 %q", path, status, body, want)
		}
	}
}

// TestMailboxFromTheMocksOwnPages: the mailbox answers a link followed
// from the mock's own pages (same-origin), which the other control
// endpoints still refuse, and no other site's page.
func TestMailboxFromTheMocksOwnPages(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	for _, tc := range []struct {
		path, site string
		want       int
	}{
		{"/__mock/mail", "same-origin", http.StatusOK},
		{"/__mock/mail", "none", http.StatusOK},
		{"/__mock/mail", "same-site", http.StatusForbidden},
		{"/__mock/mail", "cross-site", http.StatusForbidden},
		{"/__mock/faults", "same-origin", http.StatusForbidden},
		{"/__mock/requests", "same-origin", http.StatusForbidden},
	} {
		if status, _, body := mailGet(t, env, tc.path, "Accept", chromeAccept, "Sec-Fetch-Site", tc.site); status != tc.want {
			t.Errorf("GET %s with Sec-Fetch-Site %s: %d %.200s, want %d", tc.path, tc.site, status, body, tc.want)
		}
	}
	if status, _, _ := mailGet(t, env, "/__mock/mail", "Origin", "http://evil.test", "Sec-Fetch-Site", "same-origin"); status != http.StatusForbidden {
		t.Errorf("GET /__mock/mail with another site's Origin: %d, want 403", status)
	}
}
