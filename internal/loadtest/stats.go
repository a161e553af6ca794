package loadtest

import (
	"math"
	"slices"
)

// Median is the middle of xs (the mean of the two middles for an even
// count), 0 for none.
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

// Quantile is the q-quantile of xs, interpolated between the two nearest
// ranks (for 50 latencies, p99 lies between the slowest and the one
// before it), 0 for none.
func Quantile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}
