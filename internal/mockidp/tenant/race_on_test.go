//go:build race

package tenant_test

// raceEnabled: the race detector multiplies memory and time, so the scale
// test, which measures both, does not run under it.
const raceEnabled = true
