package loadtest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// The sides run in pairs whose order flips, so neither always runs first;
// every request is sent, the last block holding the remainder.
func TestAlternateOrder(t *testing.T) {
	var calls []string
	side := func(name string) func(int) error {
		return func(n int) error {
			calls = append(calls, fmt.Sprintf("%s%d", name, n))
			return nil
		}
	}
	bl, err := Alternate(10, 3, side("a"), side("b"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a3", "b3", "b3", "a3", "a3", "b3", "b1", "a1"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	if len(bl.A) != 4 || len(bl.B) != 4 || len(bl.Ratios) != 4 {
		t.Fatalf("%d, %d rates and %d ratios, want 4 of each: one a block", len(bl.A), len(bl.B), len(bl.Ratios))
	}
	// The ratio is A's rate over B's, not the inverse: a ratio above 1
	// means A served faster.
	for i, r := range bl.Ratios {
		if w := bl.A[i] / bl.B[i]; r < w*(1-1e-9) || r > w*(1+1e-9) {
			t.Errorf("pair %d: ratio %v, want A's rate %v ÷ B's %v = %v", i, r, bl.A[i], bl.B[i], w)
		}
	}
}

// A side's failure (a wrong page) stops the comparison at once: no rate
// is reported from answers that were not the page.
func TestAlternateStopsOnError(t *testing.T) {
	wrong := errors.New("GET /dashboard: 302")
	var calls []string
	a := func(int) error { calls = append(calls, "a"); return nil }
	bCalls := 0
	b := func(int) error {
		calls = append(calls, "b")
		if bCalls++; bCalls == 2 {
			return wrong
		}
		return nil
	}
	bl, err := Alternate(100, 10, a, b)
	if !errors.Is(err, wrong) {
		t.Fatalf("error %v, want the side's %v", err, wrong)
	}
	if want := []string{"a", "b", "b"}; !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v: nothing after the failing block", calls, want)
	}
	if len(bl.A)+len(bl.B)+len(bl.Ratios) != 0 {
		t.Errorf("rates reported with the error: %+v", bl)
	}
}
