package config

import "log/slog"

// Secret is a value that must never reach a log, a page or an error
// message: String, MarshalJSON and LogValue all redact it (after
// hashicorp/cap's ClientSecret). Reveal returns the value for the one place
// that needs it.
type Secret string

const redacted = "[redacted]"

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON redacts the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// Keys are cookie encryption keys, redacted like a Secret.
type Keys [][]byte

// String redacts the keys.
func (k Keys) String() string { return redacted }

// GoString redacts the keys in %#v.
func (k Keys) GoString() string { return redacted }

// MarshalJSON redacts the keys.
func (k Keys) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue redacts the keys in slog output.
func (k Keys) LogValue() slog.Value { return slog.StringValue(redacted) }
