package loadtest

import "time"

// Blocks is what Alternate measured, block by block.
type Blocks struct {
	// A and B are each block's rate, in requests per second.
	A, B []float64
	// Ratios are each pair's A rate ÷ B rate, its two blocks timed back
	// to back.
	Ratios []float64
}

// Alternate sends total requests to each of two sides, a and b, in timed
// blocks of up to block requests (the last may be shorter), alternating:
// a, b, then b, a, then a, b, … Each pair's order flips so neither side
// always runs on a warmer cache or right after the other's load. The
// client and the servers share the machine's cores, so a burst of other
// load, or the machine's drift, would fall on whichever side happened to
// run then if each ran in one stretch; measured in short alternating
// blocks, it spoils a few blocks, which the median of the blocks' rates or
// of the pairs' ratios ignores.
//
// The first error from a side stops it and is returned.
func Alternate(total, block int, a, b func(n int) error) (Blocks, error) {
	var bl Blocks
	for done, i := 0, 0; done < total; i++ {
		n := min(block, total-done)
		var dA, dB time.Duration
		var err error
		if i%2 == 0 {
			if dA, err = timed(a, n); err == nil {
				dB, err = timed(b, n)
			}
		} else {
			if dB, err = timed(b, n); err == nil {
				dA, err = timed(a, n)
			}
		}
		if err != nil {
			return Blocks{}, err
		}
		bl.A = append(bl.A, float64(n)/dA.Seconds())
		bl.B = append(bl.B, float64(n)/dB.Seconds())
		bl.Ratios = append(bl.Ratios, dB.Seconds()/dA.Seconds())
		done += n
	}
	return bl, nil
}

// timed runs side for n requests and returns how long it took.
func timed(side func(n int) error, n int) (time.Duration, error) {
	t0 := time.Now()
	err := side(n)
	return time.Since(t0), err
}
