package mgmt

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/tenant"
)

// Page sizes: Scalekit's lists default to 10 items and take at most 100.
const (
	defaultPageSize = 10
	maxPageSize     = 100
)

// pageTokenPrefix marks the mock's page tokens. A token is opaque to
// clients (they pass back what they got), so the mock encodes the offset
// of the page it starts at.
const pageTokenPrefix = "skmock:"

// page reads a list request's page_size and page_token. A token the mock
// did not issue is InvalidArgument on page_token.
func page(size uint32, token string) (tenant.Page, error) {
	p := tenant.Page{Size: int(size)}
	switch {
	case p.Size == 0:
		p.Size = defaultPageSize
	case p.Size > maxPageSize:
		p.Size = maxPageSize
	}
	if token == "" {
		return p, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	off, ok := strings.CutPrefix(string(raw), pageTokenPrefix)
	n, aerr := strconv.Atoi(off)
	// Only a token the mock issued: one spelling per offset.
	if err != nil || !ok || aerr != nil || n < 0 || pageToken(n) != token {
		return p, invalid("page_token", "is not a page token of this list: pass back a next_page_token or prev_page_token exactly as received")
	}
	p.Offset = n
	return p, nil
}

func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.Itoa(offset)))
}

// tokens are a page's next_page_token and prev_page_token: empty on the
// last and on the first page.
func tokens[T any](p tenant.Page, l tenant.Listed[T]) (next, prev string) {
	if l.Next >= 0 {
		next = pageToken(l.Next)
	}
	if p.Offset > 0 {
		prev = pageToken(max(0, p.Offset-p.Size))
	}
	return next, prev
}

// window pages a list held in full.
func window[T any](all []T, p tenant.Page) tenant.Listed[T] {
	l := tenant.Listed[T]{Total: len(all), Next: -1}
	if p.Offset >= len(all) {
		return l
	}
	end := min(len(all), p.Offset+p.Size)
	l.Items = all[p.Offset:end]
	if end < len(all) {
		l.Next = end
	}
	return l
}
