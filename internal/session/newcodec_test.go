package session

import (
	"strings"
	"testing"
)

// TestNewCodecKeys: a key that is not 32 bytes is refused with a message
// naming the key and the size it must have (F2, L).
func TestNewCodecKeys(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keys    [][]byte
		wantErr []string // substrings of the error; nil means success
	}{
		{"one 32-byte key", [][]byte{key(1)}, nil},
		{"two keys", [][]byte{key(1), key(2)}, nil},
		{"no key", nil, []string{"at least one 32-byte key"}},
		{"31 bytes", [][]byte{key(1)[:31]}, []string{"key 1 of 1 is 31 bytes", "exactly 32 bytes"}},
		{"33 bytes", [][]byte{append(key(1), 0)}, []string{"key 1 of 1 is 33 bytes", "exactly 32 bytes"}},
		{"second key short", [][]byte{key(1), key(2)[:16]}, []string{"key 2 of 2 is 16 bytes", "exactly 32 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCodec(tc.keys, nil, maxAge)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("got=%v, want=nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got=nil, want an error containing %q", tc.wantErr)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got=%q, want it to contain %q", err, s)
				}
			}
		})
	}
	if _, err := NewCodec([][]byte{key(1)}, nil, 0); err == nil {
		t.Errorf("maxAge 0: got=nil, want an error")
	}
}
