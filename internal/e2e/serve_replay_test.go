package e2e_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeCallbackReplayed: a browser that sends the IdP's redirect back
// twice with the same transaction cookie (a double click, a duplicate
// navigation, a first answer the browser dropped) makes exactly one token
// request, and the session of that sign-in keeps working. Under
// code.single_use a second redemption of the code revokes the refresh
// token the first one got: the session would end at its first refresh
// (B3, B6).
func TestServeCallbackReplayed(t *testing.T) {
	t.Parallel()
	// At once: both requests are sent before either is answered. After:
	// the second is sent once the first has been answered, with the
	// cookie the browser held before it (the mock revokes only then: a
	// replay that meets the first redemption in flight is refused alone).
	for _, sequential := range []bool{false, true} {
		name := "at once"
		if sequential {
			name = "after the first answered"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			replayCallback(t, sequential)
		})
	}
}

func replayCallback(t *testing.T, sequential bool) {
	c := &clock{}
	ln, appURL := listenApp(t)
	idp := startIdP(t, c, appURL)
	app := startServe(t, ln, idp, c, app1ID, app1Secret, nil)
	setFault(t, idp, "", "code.single_use")

	b := newBrowser(t)
	cb := b.callbackURL(app, idp)
	// Both navigations carry the cookie the browser held before either
	// was answered: the transaction's.
	cookie := b.cookieHeader(app.URL)
	if !strings.Contains(cookie, "skctl_tx_") {
		t.Fatalf("no transaction cookie before the callback: %q", cookie)
	}
	before := mockCounter(t, idp, "", "token.requests")

	type answer struct {
		resp *http.Response
		body string
		err  error
	}
	client := &http.Client{Timeout: hangDeadline, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := make(chan struct{}, 2)
	answers := make(chan answer, 2)
	for range 2 {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, cb.String(), nil)
			req.Header.Set("Cookie", cookie)
			<-start
			resp, err := client.Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers <- answer{resp: resp, body: string(body)}
		}()
	}
	var got []answer
	for range 2 {
		if sequential {
			start <- struct{}{}
		} else if len(got) == 0 {
			close(start)
		}
		a := <-answers
		if a.err != nil {
			t.Fatalf("callback: %v", a.err)
		}
		got = append(got, a)
	}

	if n := mockCounter(t, idp, "", "token.requests") - before; n != 1 {
		t.Errorf("two callbacks with one transaction made %d token requests, want 1", n)
	}
	var first *http.Response
	for _, a := range got {
		p := page{status: a.resp.StatusCode, header: a.resp.Header, body: a.body}
		neverServerError(t, p)
		if a.resp.StatusCode != http.StatusFound {
			e, _ := app.waitLog(hangDeadline, func(e logEntry) bool {
				return e["request_id"] == a.resp.Header.Get("X-Request-Id") && e["msg"] == "request failed"
			})
			t.Errorf("a callback answered %d %q (reason %q)", a.resp.StatusCode, pageTitle(a.body), e["reason"])
			continue
		}
		// One is the sign-in, the other its replay, which says so.
		// Serve logs either before it answers.
		id := a.resp.Header.Get("X-Request-Id")
		e, ok := app.waitLog(hangDeadline, func(e logEntry) bool {
			return e["request_id"] == id && (e["msg"] == "signed in" || e["msg"] == "callback replayed")
		})
		switch {
		case !ok:
			t.Errorf("request %s: neither a sign-in nor a replay in serve's log:\n%s", id, logLines(app, id))
		case e["msg"] == "signed in" && first != nil:
			t.Errorf("both callbacks signed in")
		case e["msg"] == "signed in":
			first = a.resp
		}
		if loc := a.resp.Header.Get("Location"); loc != landing {
			t.Errorf("request %s (%s) went to %q, want the transaction's return_to, %s", id, e["msg"], loc, landing)
		}
	}
	if first == nil {
		t.Fatalf("no callback signed in; serve's log:\n%s", logLines(app, "signed in", "request failed", "callback replayed"))
	}

	// The first session survives its first refresh: its refresh token was
	// not revoked by a second redemption.
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(mustURL(app.URL), first.Cookies())
	after := newBrowser(t)
	after.jar = jar
	after.client.Jar = jar
	c.Advance(6 * time.Minute)
	refreshes := mockCounter(t, idp, "", "token.requests")
	p := after.get(app.URL + "/dashboard")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Welcome, Ada Lovelace") {
		t.Errorf("the first session after its access token expired: %d %v %q; serve's log:\n%s", p.status, p.location, pageTitle(p.body), logLines(app, "request failed", "session ended"))
	}
	if n := mockCounter(t, idp, "", "token.requests") - refreshes; n != 1 {
		t.Errorf("%d token requests for the refresh, want 1: the answer is not the refresh's", n)
	}
}

var titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)

// pageTitle is a page's title, which names an error page's failure.
func pageTitle(body string) string {
	if m := titleRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return body[:min(len(body), 80)]
}
