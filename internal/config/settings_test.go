package config

import (
	"strings"
	"testing"
)

// TestSettingsDeclared: every setting has a validator that accepts its
// default, and Settings hands out a fresh list each call.
func TestSettingsDeclared(t *testing.T) {
	for _, s := range Settings() {
		if s.Validate == nil {
			t.Errorf("%s has no validator", s.Env)
			continue
		}
		if s.Default != "" && s.Validate(s.Default) != nil {
			t.Errorf("%s refuses its own default %q: %v", s.Env, s.Default, s.Validate(s.Default))
		}
		if s.Default != "" && s.Derived != "" {
			t.Errorf("%s has both a default and a derived default", s.Env)
		}
	}
	a := Settings()
	a[0].Env = "CHANGED"
	if Settings()[0].Env == "CHANGED" {
		t.Errorf("a caller changed the settings of everyone")
	}
}

// TestCheckNamesTheSetting: Check wraps the validator's verdict with the
// variable and flag, as Load reports it.
func TestCheckNamesTheSetting(t *testing.T) {
	s, ok := Lookup(EnvAddr)
	if !ok {
		t.Fatal("no SKCTL_ADDR")
	}
	p := s.Check("4321")
	if p == nil || p.Error() != "SKCTL_ADDR (--addr): is not host:port: e.g. localhost:4321, or :4321 for every interface" {
		t.Errorf("Check: %v", p)
	}
	if s.Check(":4321") != nil {
		t.Errorf("a good address has a problem")
	}
}

// TestCookieKeysNamed: every bad key is named, in one problem.
func TestCookieKeysNamed(t *testing.T) {
	good := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	if f := validateCookieSecret("c2hvcnQ=," + good + ",nope"); f == nil || !strings.HasPrefix(f.Message, "keys 1, 3 are not base64 of 32 bytes") {
		t.Errorf("two bad keys: %v", f)
	}
}

// TestDefaultPostLogoutURI: the redirect URI's origin and /.
func TestDefaultPostLogoutURI(t *testing.T) {
	for in, want := range map[string]string{
		"https://app.example.com:8443/api/auth/callback": "https://app.example.com:8443/",
		"not a URL": "",
	} {
		if got := DefaultPostLogoutURI(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
