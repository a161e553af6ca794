package loadtest

import "testing"

// The benchmarks report medians and p99s of these; a wrong rank would
// move every reported figure.
func TestMedianQuantile(t *testing.T) {
	for _, c := range []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"none", nil, 0.5, 0},
		{"one", []float64{7}, 0.99, 7},
		{"odd count, unsorted", []float64{5, 1, 3}, 0.5, 3},
		{"even count: the mean of the middles", []float64{4, 1, 3, 2}, 0.5, 2.5},
		{"the smallest", []float64{3, 1, 2}, 0, 1},
		{"the largest", []float64{3, 1, 2}, 1, 3},
		// 0.99 × 4 = 3.96: between the 4th (40) and the 5th (50) ranks.
		{"p99 interpolated", []float64{10, 50, 20, 40, 30}, 0.99, 49.6},
	} {
		if got := Quantile(c.xs, c.q); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("%s: Quantile(%v, %v) = %v, want %v", c.name, c.xs, c.q, got, c.want)
		}
		if c.q == 0.5 && Median(c.xs) != Quantile(c.xs, 0.5) {
			t.Errorf("%s: Median(%v) = %v, want Quantile's 0.5 = %v", c.name, c.xs, Median(c.xs), Quantile(c.xs, 0.5))
		}
	}
	xs := []float64{3, 1, 2}
	Median(xs)
	if xs[0] != 3 || xs[1] != 1 || xs[2] != 2 {
		t.Errorf("Median reordered its input: %v", xs)
	}
}
