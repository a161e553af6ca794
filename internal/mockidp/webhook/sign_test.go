package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A fixed vector: the expected signature was computed with node's
// crypto.createHmac('sha256', key).update(id + '.' + ts + '.' + body)
// .digest('base64') and pasted here.
func TestSignKnownVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // key bytes 0..31
		id     = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
		body   = `{"type":"organization.created"}`
		want   = "v1,qc/YK3Qpd+0s8VF/rz0zg+L1v7fc4qoz++ApoXQRY1w="
	)
	ts := time.Unix(1700000000, 999_000_000) // sub-second part is dropped
	got, err := Sign(secret, id, ts, []byte(body))
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
	h, err := Headers(secret, id, ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	// Looked up as the SDKs name them; http.Header canonicalises the case.
	for name, want := range map[string]string{HeaderID: id, HeaderTimestamp: "1700000000", HeaderSignature: want} {
		if got := h.Get(name); got != want {
			t.Errorf("Headers: %s = %q, want %q", name, got, want)
		}
	}
	if len(h) != 3 {
		t.Errorf("Headers has %d headers, want the 3: %v", len(h), h)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatalf("two NewSecret calls gave the same secret %q", a)
	}
	enc, ok := strings.CutPrefix(a, "whsec_")
	if !ok || strings.Contains(enc, "_") {
		t.Fatalf("NewSecret = %q, want whsec_ and a key without _ (the SDKs split at _)", a)
	}
	if key, err := base64.StdEncoding.DecodeString(enc); err != nil || len(key) != 32 {
		t.Fatalf("NewSecret key %q: %d bytes, %v; want 32 bytes of standard base64", enc, len(key), err)
	}
}

func TestSignRejects(t *testing.T) {
	t.Parallel()
	good := NewSecret()
	for _, c := range []struct{ why, secret, id string }{
		{"no prefix separator", "AAECAwQ=", "msg_1"},
		{"empty key", "whsec_", "msg_1"},
		{"empty prefix", "_AAECAwQ=", "msg_1"},
		{"second underscore: the SDKs would key with the middle part", "whsec_test_AAECAwQ=", "msg_1"},
		{"key not standard base64", "whsec_AAEC-wQ", "msg_1"},
		{"empty message id", good, ""},
		{"space in the message id", good, "msg 1"},
		{"newline in the message id", good, "msg\n1"},
	} {
		if sig, err := Sign(c.secret, c.id, time.Now(), []byte("{}")); err == nil {
			t.Errorf("%s: Sign(%q, %q) = %q, want an error", c.why, c.secret, c.id, sig)
		}
		if _, err := Headers(c.secret, c.id, time.Now(), []byte("{}")); err == nil {
			t.Errorf("%s: Headers(%q, %q) succeeded, want an error", c.why, c.secret, c.id)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	now := time.Unix(1700000000, 0)
	body := []byte(`{"a":1}`)
	h, err := Headers(secret, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(secret, h, body, now); err != nil {
		t.Fatalf("Verify(genuine) = %v", err)
	}
	// Exactly at the tolerance passes; one second past fails.
	if err := Verify(secret, h, body, now.Add(Tolerance)); err != nil {
		t.Errorf("Verify 300 s later = %v, want nil", err)
	}
	with := func(name, value string) http.Header {
		c := h.Clone()
		c.Set(name, value)
		return c
	}
	sig := h.Get(HeaderSignature)
	for _, c := range []struct {
		why    string
		secret string
		h      http.Header
		body   string
		now    time.Time
		want   error
	}{
		{"tampered body", secret, h, `{"a":2}`, now, ErrInvalidSignature},
		{"301 s later", secret, h, string(body), now.Add(Tolerance + time.Second), ErrTimestampTooOld},
		{"301 s earlier", secret, h, string(body), now.Add(-Tolerance - time.Second), ErrTimestampTooNew},
		{"wrong secret", NewSecret(), h, string(body), now, ErrInvalidSignature},
		{"bad secret", "nounderscore", h, string(body), now, ErrInvalidSecret},
		{"no signature", secret, with(HeaderSignature, ""), string(body), now, ErrMissingHeaders},
		{"no id", secret, with(HeaderID, ""), string(body), now, ErrMissingHeaders},
		{"other id", secret, with(HeaderID, "msg_2"), string(body), now, ErrInvalidSignature},
		{"leading zero in the timestamp", secret, with(HeaderTimestamp, "01700000000"), string(body), now, ErrInvalidTimestamp},
		{"only another version", secret, with(HeaderSignature, "v2,"+strings.TrimPrefix(sig, "v1,")), string(body), now, ErrInvalidSignature},
		{"another version first", secret, with(HeaderSignature, "v1a,zzz "+sig), string(body), now, nil},
		{"lower-case keys as in Node", secret, http.Header{"webhook-id": {"msg_1"}, "webhook-timestamp": {"1700000000"}, "webhook-signature": {sig}}, string(body), now, nil},
	} {
		if err := Verify(c.secret, c.h, []byte(c.body), c.now); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", c.why, err, c.want)
		}
	}
}
