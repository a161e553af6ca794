package conformance

// drillTests reproduce what Scalekit does in production: rotation,
// outages, logout, login CSRF and replay, open redirects.
func drillTests() []Test {
	return nil
}
