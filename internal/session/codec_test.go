package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	c := newCodec(t, &clock{t0})
	for _, tc := range []struct {
		name      string
		plaintext []byte
	}{
		{"empty", nil},
		{"text", []byte("eyJhbGciOiJSUzI1NiJ9.payload.signature")},
		{"binary 1KB", randomBytes(1024, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Encode("at", tc.plaintext)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := c.Decode("at", v)
			if err != nil || !bytes.Equal(got, tc.plaintext) {
				t.Fatalf("Decode: got=%q, %v, want=%q, nil", got, err, tc.plaintext)
			}
		})
	}
}

// TestEncodeFormat pins the wire format: unpadded base64url of
// version 1, a fresh 12-byte nonce, then ciphertext and tag.
func TestEncodeFormat(t *testing.T) {
	c := newCodec(t, &clock{t0})
	a, _ := c.Encode("at", []byte("x"))
	b, _ := c.Encode("at", []byte("x"))
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil {
		t.Fatalf("not unpadded base64url: %v", err)
	}
	if got, want := len(raw), 1+nonceSize+iatSize+1+tagSize; got != want || raw[0] != 1 {
		t.Fatalf("got=%d bytes, version %d, want=%d bytes, version 1", got, raw[0], want)
	}
	if a == b {
		t.Fatalf("two encodings of one value are equal; the nonce must be fresh each time (F2)")
	}
}

// TestDecodeRejectsTampering: changing any one byte, of the sealed bytes
// or of the encoded text, gives ErrInvalid (F2).
func TestDecodeRejectsTampering(t *testing.T) {
	c := newCodec(t, &clock{t0})
	v, _ := c.Encode("at", []byte("access token"))
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	for i := range raw {
		tampered := bytes.Clone(raw)
		tampered[i] ^= 0x01
		if _, err := c.Decode("at", base64.RawURLEncoding.EncodeToString(tampered)); !errors.Is(err, ErrInvalid) {
			t.Errorf("byte %d flipped: got=%v, want=ErrInvalid", i, err)
		}
	}
	for i := range len(v) {
		repl := byte('A')
		if v[i] == 'A' {
			repl = 'B'
		}
		tampered := v[:i] + string(repl) + v[i+1:]
		if _, err := c.Decode("at", tampered); !errors.Is(err, ErrInvalid) {
			t.Errorf("character %d changed: got=%v, want=ErrInvalid", i, err)
		}
	}
}

// TestDecodeBindsCookieName: a value cannot be moved to another cookie,
// e.g. the access token into the refresh cookie (F2).
func TestDecodeBindsCookieName(t *testing.T) {
	c := newCodec(t, &clock{t0})
	for _, tc := range []struct{ sealedFor, readAs string }{
		{"a", "b"},
		{"__Host-at", "__Host-rt"},
		{"__Host-at", "at"},
		{"at", "at_1"},
	} {
		v, _ := c.Encode(tc.sealedFor, []byte("token"))
		if _, err := c.Decode(tc.readAs, v); !errors.Is(err, ErrInvalid) {
			t.Errorf("sealed for %q, read as %q: got=%v, want=ErrInvalid", tc.sealedFor, tc.readAs, err)
		}
	}
}

func TestDecodeWrongKey(t *testing.T) {
	v, _ := newCodec(t, &clock{t0}, key(1)).Encode("at", []byte("token"))
	if _, err := newCodec(t, &clock{t0}, key(2)).Decode("at", v); !errors.Is(err, ErrInvalid) {
		t.Fatalf("got=%v, want=ErrInvalid", err)
	}
}

// TestKeyRotation: with the new key first and the old one second, old
// values still decode and new values are sealed with the new key (F2).
func TestKeyRotation(t *testing.T) {
	clk := &clock{t0}
	oldOnly, newOnly := newCodec(t, clk, key(1)), newCodec(t, clk, key(2))
	rotated := newCodec(t, clk, key(2), key(1))

	oldValue, _ := oldOnly.Encode("at", []byte("old"))
	if got, err := rotated.Decode("at", oldValue); err != nil || string(got) != "old" {
		t.Fatalf("old value after rotation: got=%q, %v, want=\"old\", nil", got, err)
	}
	newValue, _ := rotated.Encode("at", []byte("new"))
	if got, err := newOnly.Decode("at", newValue); err != nil || string(got) != "new" {
		t.Fatalf("new value with keys[0] alone: got=%q, %v, want=\"new\", nil", got, err)
	}
	if _, err := oldOnly.Decode("at", newValue); !errors.Is(err, ErrInvalid) {
		t.Fatalf("new value with the old key: got=%v, want=ErrInvalid", err)
	}
}

// TestDecodeIssuedAt: values older than maxAge, or issued more than five
// minutes ahead of the clock, are refused (F2).
func TestDecodeIssuedAt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		readAt  time.Duration // clock at Decode, relative to Encode
		wantErr bool
	}{
		{"fresh", 0, false},
		{"at maxAge", maxAge, false},
		{"past maxAge", maxAge + time.Second, true},
		{"5 min in the future", -5 * time.Minute, false},
		{"over 5 min in the future", -5*time.Minute - time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t0}
			c := newCodec(t, clk)
			v, _ := c.Encode("at", []byte("token"))
			clk.t = t0.Add(tc.readAt)
			_, err := c.Decode("at", v)
			if got := err != nil; got != tc.wantErr || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Fatalf("got=%v, want error=%v wrapping ErrInvalid", err, tc.wantErr)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	c := newCodec(t, &clock{t0})
	valid, _ := c.Encode("at", []byte("token"))
	raw, _ := base64.RawURLEncoding.DecodeString(valid)
	v2 := append([]byte{2}, raw[1:]...)
	for _, tc := range []struct{ name, value string }{
		{"empty", ""},
		{"not base64", "!!!!"},
		{"padded", valid + "=="},
		{"standard alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+/"},
		{"newline inside", valid[:10] + "\n" + valid[10:]},
		{"too short", base64.RawURLEncoding.EncodeToString(raw[:1+nonceSize+iatSize+tagSize-1])},
		{"truncated", valid[:len(valid)-1]},
		{"version 2", base64.RawURLEncoding.EncodeToString(v2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Decode("at", tc.value); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got=%v, want=ErrInvalid", err)
			}
		})
	}
}
