package tenant

// DefaultPageSize is the size of a page that asks for none: Scalekit's
// lists of users and organizations default to 10.
const DefaultPageSize = 10

// Page asks for Size items starting at Offset (the handlers turn opaque
// page tokens into offsets). Size 0 or less means DefaultPageSize; the
// tenant sets no maximum, which is the API's to enforce.
type Page struct{ Offset, Size int }

// Listed is one page of a list, with the total count before paging.
type Listed[T any] struct {
	Items []T
	Total int
	// Next is the offset of the next page, -1 when this is the last.
	Next int
}

// window returns the bounds of page p in a list of n items.
func (p Page) window(n int) (lo, hi, next int) {
	size := p.Size
	if size <= 0 {
		size = DefaultPageSize
	}
	lo = min(max(p.Offset, 0), n)
	hi = lo + min(size, n-lo)
	next = hi
	if hi >= n {
		next = -1
	}
	return lo, hi, next
}

// pageOf cuts page p out of ids and turns each ID into an item.
func pageOf[T any](ids []string, p Page, item func(id string) T) Listed[T] {
	lo, hi, next := p.window(len(ids))
	out := Listed[T]{Items: make([]T, 0, hi-lo), Total: len(ids), Next: next}
	for _, id := range ids[lo:hi] {
		out.Items = append(out.Items, item(id))
	}
	return out
}

// pageOfItems cuts page p out of items that are already copies.
func pageOfItems[T any](items []T, p Page) Listed[T] {
	lo, hi, next := p.window(len(items))
	return Listed[T]{Items: items[lo:hi:hi], Total: len(items), Next: next}
}
