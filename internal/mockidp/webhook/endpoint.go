package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Endpoint is a URL the environment delivers its events to, as an
// endpoint registered in Scalekit's dashboard is: its signing secret and
// the event types it subscribes to.
type Endpoint struct {
	URL    string
	Secret string
	// Events are the event types delivered; empty means every type.
	Events []string
}

// Check reports what is wrong with the endpoint's URL or secret, in words
// that say how to fix it, never quoting the secret.
func (e Endpoint) Check() error {
	return errors.Join(CheckURL(e.URL), CheckSecret(e.Secret))
}

// CheckURL checks an endpoint URL: absolute http or https with a host
// (the mock posts to it), and no fragment (never sent).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("url %q: want an absolute http(s) URL such as http://localhost:3000/api/webhooks", Shown(raw))
	case u.Fragment != "":
		return fmt.Errorf("url %q: remove the #fragment: it is never sent", Shown(raw))
	}
	return nil
}

// CheckSecret checks a signing secret: "whsec_" and the standard base64
// of the key. Scalekit's SDKs split the secret at "_" and HMAC with the
// base64-decoded rest, so anything else fails every verification (or,
// with a second "_", verifies with a different key than the one meant).
func CheckSecret(secret string) error {
	if secret == "" {
		return errors.New("secret is empty: give whsec_ followed by a base64 key (skctl generates one when --webhook-secret is not given)")
	}
	if !strings.HasPrefix(secret, SecretPrefix) {
		return errors.New("secret: want " + SecretPrefix + " followed by a standard base64 key, as Scalekit's dashboard shows it: the SDKs base64-decode what follows the \"_\" as the HMAC key")
	}
	if _, err := signingKey(secret); err != nil {
		return fmt.Errorf("secret: what follows %s must be one standard base64 key with no \"_\" (the SDKs split at it): %w", SecretPrefix, err)
	}
	return nil
}

// wants reports whether the endpoint subscribes to an event type.
func (e Endpoint) wants(typ string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, typ)
}

// Shown is how an endpoint URL appears in logs and on the delivery log:
// without a password, and without its query, which may carry a token of
// the app's.
func Shown(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.RawQuery
	u.RawQuery, u.ForceQuery = "", false
	s := u.Redacted()
	if q != "" {
		s += "?…"
	}
	return s
}
