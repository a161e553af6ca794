package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names. The SDKs read them lower-case (Node's req.headers is
// lower-case); http.Header holds them canonicalised, which is the same
// header on the wire.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far a webhook-timestamp may be from the receiver's clock,
// either way, in the SDKs' verifiers.
const Tolerance = 300 * time.Second

// SecretPrefix starts every signing secret the mock issues.
const SecretPrefix = "whsec_"

// Errors from Verify, after the SDKs' messages.
var (
	ErrMissingHeaders   = errors.New("webhook: missing required headers")
	ErrInvalidSecret    = errors.New("webhook: invalid secret")
	ErrInvalidTimestamp = errors.New("webhook: invalid timestamp header")
	ErrTimestampTooOld  = errors.New("webhook: message timestamp too old")
	ErrTimestampTooNew  = errors.New("webhook: message timestamp too new")
	ErrInvalidSignature = errors.New("webhook: invalid signature")
)

// NewSecret returns a new endpoint signing secret: "whsec_" and the standard
// base64 of 32 random bytes, the key.
func NewSecret() string {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand, Go 1.24+)
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// signingKey returns the HMAC key of a secret "<prefix>_<std base64 key>".
// The SDKs split the secret at "_" and decode the second part, so the key
// part must hold no "_".
func signingKey(secret string) ([]byte, error) {
	prefix, enc, ok := strings.Cut(secret, "_")
	if !ok || prefix == "" || enc == "" || strings.Contains(enc, "_") {
		return nil, fmt.Errorf("%w: want <prefix>_<base64 key>", ErrInvalidSecret)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: key is not standard base64: %v", ErrInvalidSecret, err)
	}
	return key, nil
}

// mac returns HMAC-SHA256(key, msgID "." unixSeconds "." body).
func mac(key []byte, msgID string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte("."))
	m.Write(strconv.AppendInt(nil, unix, 10))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature value for body sent as message msgID at
// ts: "v1," and the standard base64 of HMAC-SHA256 over
// msgID "." unix seconds "." body, keyed with the secret's decoded key.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := signingKey(secret)
	if err != nil {
		return "", err
	}
	if err := checkID(msgID); err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)), nil
}

// checkID rejects a message id the SDKs would treat as missing or that
// cannot go in a header value.
func checkID(msgID string) error {
	if msgID == "" {
		return errors.New("webhook: empty message id")
	}
	for i := 0; i < len(msgID); i++ {
		if msgID[i] <= ' ' || msgID[i] >= 0x7F {
			return fmt.Errorf("webhook: message id %q holds a byte other than printable ASCII", msgID)
		}
	}
	return nil
}

// Headers returns the three headers that deliver body as message msgID at
// ts: webhook-id, webhook-timestamp (decimal Unix seconds) and
// webhook-signature (see Sign).
func Headers(secret, msgID string, ts time.Time, body []byte) (http.Header, error) {
	sig, err := Sign(secret, msgID, ts, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h, nil
}

// Verify checks a delivery as the SDKs do, with now as the receiver's clock:
// the three headers present (any case), the timestamp within Tolerance, and
// one space-separated "v1,<base64>" entry of webhook-signature matching. It
// is stricter than Node in one way: the timestamp must be plain decimal.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sig := header(h, HeaderID), header(h, HeaderTimestamp), header(h, HeaderSignature)
	if id == "" || ts == "" || sig == "" {
		return ErrMissingHeaders
	}
	key, err := signingKey(secret)
	if err != nil {
		return err
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(unix, 10) != ts {
		return fmt.Errorf("%w: %q", ErrInvalidTimestamp, ts)
	}
	switch tol := int64(Tolerance / time.Second); {
	case now.Unix()-unix > tol:
		return ErrTimestampTooOld
	case unix-now.Unix() > tol:
		return ErrTimestampTooNew
	}
	want := mac(key, id, unix, body)
	for _, entry := range strings.Split(sig, " ") {
		version, enc, _ := strings.Cut(entry, ",")
		if version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(enc); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrInvalidSignature
}

// header returns h's first value for name in any letter case: h.Get for a
// canonicalised map, else a case-insensitive search (a map built by hand
// with lower-case keys, as Node's req.headers has them).
func header(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}
