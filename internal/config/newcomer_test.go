package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBoolWords: SKCTL_USERINFO takes every common yes/no word, in any
// case; anything else is refused with the words it takes.
func TestBoolWords(t *testing.T) {
	for v, want := range map[string]bool{
		"true": true, "1": true, "yes": true, "on": true, "ON": true, "Yes": true, "TRUE": true,
		"false": false, "0": false, "no": false, "off": false, "Off": false, "": false,
	} {
		c, err := Load(Sources{LookupEnv: env(with(EnvUserinfo, v))})
		if err != nil || c.Userinfo != want {
			t.Errorf("SKCTL_USERINFO=%q: userinfo %v, %v; want %v", v, c != nil && c.Userinfo, err, want)
		}
	}
	_, err := Load(Sources{LookupEnv: env(with(EnvUserinfo, "maybe"))})
	if err == nil || !strings.Contains(err.Error(), `SKCTL_USERINFO (--userinfo): is "maybe", not a yes/no value: use one of true, false, 1, 0, yes, no, on, off`) {
		t.Errorf("SKCTL_USERINFO=maybe: %v", err)
	}
}

// TestAddrPort: the port of SKCTL_ADDR is a number from 0 to 65535,
// checked with the other settings, not when listening.
func TestAddrPort(t *testing.T) {
	for addr, want := range map[string]string{
		"localhost:99999":    "SKCTL_ADDR (--addr): has the port 99999, not a number from 0 to 65535",
		"localhost:http-alt": `SKCTL_ADDR (--addr): has the port "http-alt", not a number from 0 to 65535`,
		"localhost:":         "SKCTL_ADDR (--addr): has no port",
		"localhost:-1":       `SKCTL_ADDR (--addr): has the port "-1", not a number from 0 to 65535`,
	} {
		_, err := Load(Sources{LookupEnv: env(with(EnvAddr, addr, EnvClientSecret, "<unset>"))})
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 2 || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "SCALEKIT_CLIENT_SECRET (--client-secret): is not set") {
			t.Errorf("SKCTL_ADDR=%q: %v; want both problems at once, one containing %q", addr, err, want)
		}
	}
	for _, addr := range []string{"localhost:0", ":65535", "[::1]:4321", "127.0.0.1:4321"} {
		if f := validateAddr(addr); f != nil {
			t.Errorf("%q refused: %v", addr, f)
		}
	}
}

// TestLoadSaysDidYouMean: a misspelt variable in .env that leaves a
// setting unset is named in that setting's problem, with the setting it
// was probably meant to be.
func TestLoadSaysDidYouMean(t *testing.T) {
	file := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(file, []byte("SCALEKIT_ENVIRONMENT_URL=https://acme.scalekit.dev\nSCALEKIT_CLIENT_ID=skc_1\nSCALEKIT_CLIENT_SECERT=s3cr3t-value\n"), 0o600)
	_, err := Load(Sources{EnvFile: file})
	want := "SCALEKIT_CLIENT_SECRET (--client-secret): is not set: SCALEKIT_CLIENT_SECERT is set in " + file + ": did you mean SCALEKIT_CLIENT_SECRET?"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant an error containing %q", err, want)
	}
}

// TestStrays: SCALEKIT_* and SKCTL_* variables that are not settings are
// found in the environment and in .env, each with the nearest setting;
// only the near ones (and every SKCTL_ one) are called likely misspellings.
func TestStrays(t *testing.T) {
	file := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(file, []byte("SKCTL_USERINF0=on\nSCALEKIT_CLIENT_ID=skc_1\nDATABASE_URL=x\n"), 0o600)
	environ := map[string]string{
		"SCALEKIT_CLIENT_SECERT":   "s3cr3t-value",
		"scalekit_redirect_uri":    "http://localhost:4321/api/auth/callback",
		"SCALEKIT_WEBHOOK_SECRET":  "whsec",
		"SCALEKIT_ENVIRONMENT_URL": "https://acme.scalekit.dev",
		"HOME":                     "/root",
	}
	list := func() []string {
		out := []string{"SCALEKIT_REDIRECT_URL=not-confirmed-by-LookupEnv"}
		for k, v := range environ {
			out = append(out, k+"="+v)
		}
		return out
	}
	got, err := Strays(Sources{LookupEnv: env(environ), Environ: list, EnvFile: file})
	if err != nil {
		t.Fatal(err)
	}
	want := []Stray{
		{"SCALEKIT_CLIENT_SECERT", "the environment", EnvClientSecret, true},
		{"SCALEKIT_WEBHOOK_SECRET", "the environment", EnvClientSecret, false},
		{"scalekit_redirect_uri", "the environment", EnvRedirectURI, true},
		{"SKCTL_USERINF0", file, EnvUserinfo, true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("strays:\n got %+v\nwant %+v", got, want)
	}
	for _, s := range got {
		if strings.Contains(s.String(), "s3cr3t-value") || strings.Contains(s.String(), "whsec") {
			t.Errorf("%s shows a value", s)
		}
	}
	if s := got[1].String(); s != "SCALEKIT_WEBHOOK_SECRET is set in the environment but is not a setting skctl reads (the nearest is SCALEKIT_CLIENT_SECRET); it is ignored" {
		t.Errorf("an unlikely stray: %s", s)
	}
	// A stray far from every setting does not claim to be the missing one.
	_, err = Load(Sources{LookupEnv: env(map[string]string{"SCALEKIT_WEBHOOK_SECRET": "whsec"}), Environ: func() []string { return []string{"SCALEKIT_WEBHOOK_SECRET=whsec"} }})
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("an unlikely stray in a problem: %v", err)
	}
}
