package webapp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestSafeReturnTo runs oauth2-proxy's open-redirect vectors (H1).
func TestSafeReturnTo(t *testing.T) {
	bad := []string{
		"//evil.com", "/\\evil.com", "/ /evil.com", "/\t/evil.com", "/\t\\evil.com", "/\v/evil.com", "/\n/evil.com",
		"/\r/evil.com", "/./\\evil.com", "/./../../\\evil.com", "https://foo.bar.evil.corp/", "https://evil.corp/?rd=foo.bar",
		"https://allowed:3838/", "foo.bar/redirect", "http:/evil.com", "javascript:alert(1)", "\\\\evil.com", "", "/\x00/evil",
		"/" + strings.Repeat("a", 3000),
	}
	for _, target := range bad {
		if got := safeReturnTo(target); got != "/" {
			t.Errorf("safeReturnTo(%q) = %q, want /", target, got)
		}
	}
	for _, good := range []string{"/", "/dashboard", "/dashboard?tab=2#x", "/a/b/c", "/a%2F%2Fb"} {
		if got := safeReturnTo(good); got != good {
			t.Errorf("safeReturnTo(%q) = %q, want it kept", good, got)
		}
	}
}

// TestSafeReason: log reasons never carry the bodies that library errors
// quote (J2).
func TestSafeReason(t *testing.T) {
	canary := "CANARY-eyJhbGciOiJSUzI1NiJ9"
	errs := []error{
		&oauth2.RetrieveError{Response: &http.Response{StatusCode: 500}, Body: []byte(`{"access_token":"` + canary + `"}`)},
		&oauth2.RetrieveError{Body: []byte(canary)},
		fmt.Errorf("500 Internal Server Error: %s", canary),
		fmt.Errorf("oidc: failed to decode provider discovery object: invalid character %q", canary),
		fmt.Errorf("oidc: get keys failed: 500 %s", canary),
		fmt.Errorf("oauth2: cannot parse json: invalid character %q", canary),
		&url.Error{Op: "Get", URL: "http://idp/?code=" + canary, Err: errors.New("connection refused")},
	}
	for _, err := range errs {
		if r := safeReason(err); strings.Contains(r, "CANARY") {
			t.Errorf("safeReason(%v) = %q leaks the body", err, r)
		}
	}
}

// TestPrecheck: malformed or foreign tokens are refused before any key
// work (D3).
func TestPrecheck(t *testing.T) {
	seg := func(s string) string { return strings.TrimRight(b64(s), "=") }
	iss := "https://acme.scalekit.dev"
	good := seg(`{"alg":"RS256","kid":"snk_1"}`) + "." + seg(`{"iss":"`+iss+`"}`) + ".sig"
	if err := precheck(good, iss); err != nil {
		t.Fatalf("good token refused: %v", err)
	}
	for name, tok := range map[string]string{
		"two segments": "a.b",
		"huge":         good + strings.Repeat("x", maxTokenBytes),
		"alg none":     seg(`{"alg":"none","kid":"k"}`) + "." + seg(`{"iss":"`+iss+`"}`) + ".",
		"no kid":       seg(`{"alg":"RS256"}`) + "." + seg(`{"iss":"`+iss+`"}`) + ".sig",
		"other issuer": seg(`{"alg":"RS256","kid":"k"}`) + "." + seg(`{"iss":"https://evil"}`) + ".sig",
		"not base64":   "!!.!!.!!",
	} {
		if err := precheck(tok, iss); !errors.Is(err, errInvalid) {
			t.Errorf("%s: %v, want errInvalid", name, err)
		}
	}
}
