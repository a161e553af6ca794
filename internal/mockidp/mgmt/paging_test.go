package mgmt

import (
	"errors"
	"testing"

	"connectrpc.com/connect"
)

// A page token the mock issued comes back as the offset it encodes, and
// anything else a client sends is InvalidArgument on page_token: never a
// panic, never a negative offset.
func FuzzPageToken(f *testing.F) {
	f.Add(uint32(0), pageToken(0))
	f.Add(uint32(5), pageToken(40))
	f.Add(uint32(1000), "")
	f.Add(uint32(10), "c2ttb2NrOi0x") // skmock:-1
	f.Add(uint32(10), "not base64!")
	f.Fuzz(func(t *testing.T, size uint32, token string) {
		p, err := page(size, token)
		if err != nil {
			var cerr *connect.Error
			if !errors.As(err, &cerr) || cerr.Code() != connect.CodeInvalidArgument {
				t.Fatalf("page(%d, %q) = %v, want InvalidArgument", size, token, err)
			}
			return
		}
		if p.Offset < 0 || p.Size < 1 || p.Size > maxPageSize {
			t.Fatalf("page(%d, %q) = %+v: out of bounds", size, token, p)
		}
		if token != "" && pageToken(p.Offset) != token {
			// Base64 without padding has one spelling per value.
			t.Fatalf("token %q read as offset %d, which is issued as %q", token, p.Offset, pageToken(p.Offset))
		}
	})
}

func TestPageTokenRoundTrip(t *testing.T) {
	for _, off := range []int{0, 1, 10, 99999} {
		p, err := page(10, pageToken(off))
		if err != nil || p.Offset != off {
			t.Errorf("page(10, pageToken(%d)) = %+v, %v", off, p, err)
		}
	}
	if p, _ := page(0, ""); p.Size != defaultPageSize {
		t.Errorf("no page_size gives %d items, want the default %d", p.Size, defaultPageSize)
	}
	if p, _ := page(5000, ""); p.Size != maxPageSize {
		t.Errorf("page_size 5000 gives %d items, want at most %d", p.Size, maxPageSize)
	}
}
