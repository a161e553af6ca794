package config

import (
	"testing"
)

// TestTrailingSlashIsScalekitsRule: an issuer that ends in a slash loads
// (another provider's issuer may, and discovery checks it byte for
// byte); on a Scalekit host it is advice, with the value to use.
func TestTrailingSlashIsScalekitsRule(t *testing.T) {
	for _, u := range []string{"http://localhost:9998/", "https://login.example.com/", "https://acme.scalekit.dev/", "https://idp.example.com/tenant/"} {
		c, err := Load(Sources{LookupEnv: env(with(EnvEnvironmentURL, u))})
		if err != nil || c.EnvironmentURL != u {
			t.Errorf("%s: %v, want it loaded as set", u, err)
		}
	}
	f := EnvironmentURLAdvice("https://acme.scalekit.dev/")
	if f == nil || f.Message != "ends with a slash, and a Scalekit environment's issuer has none" ||
		f.Hint != "use https://acme.scalekit.dev: the tokens' iss is https://acme.scalekit.dev, checked byte for byte, and Scalekit's SDKs would build https://acme.scalekit.dev//oauth/authorize" {
		t.Errorf("Scalekit host with a slash: %+v", f)
	}
	for _, u := range []string{"https://acme.scalekit.dev", "http://localhost:9998/", "https://login.example.com/", "https://scalekit.dev.evil.example/"} {
		if f := EnvironmentURLAdvice(u); f != nil {
			t.Errorf("%s: %+v, want no advice", u, f)
		}
	}
}

// TestIsScalekitHost: subdomains of Scalekit's domains, in any case,
// and nothing that merely contains one.
func TestIsScalekitHost(t *testing.T) {
	for host, want := range map[string]bool{
		"acme.scalekit.dev": true, "acme.scalekit.com": true, "acme-dev.scalekit.cloud": true, "ACME.Scalekit.DEV.": true,
		"scalekit.dev": false, "scalekit.dev.evil.example": false, "evilscalekit.dev": false, "localhost": false, "127.0.0.1": false,
	} {
		if got := IsScalekitHost(host); got != want {
			t.Errorf("%s: %v, want %v", host, got, want)
		}
	}
}
