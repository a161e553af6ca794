package replicas

import "sync/atomic"

// Stats are the Store's counters since it was made, for metrics: each
// only grows, except Down.
type Stats struct {
	// Errors counts operations that failed (timeouts, a closed
	// connection, server errors); each may open the circuit.
	Errors uint64
	// Outages counts the times the circuit opened.
	Outages uint64
	// Down is true during an outage.
	Down bool
	// Led counts refresh tokens this replica redeemed for every replica,
	// Takeovers those of them it redeemed after another replica's lock
	// expired without a result.
	Led, Takeovers uint64
	// Adopted counts refreshes answered with another replica's result.
	Adopted uint64
	// Local counts refreshes redeemed without coordination because the
	// server was unavailable.
	Local uint64
	// WaitFailures counts waits for another replica's result that ended
	// without one (the server failed mid-wait, or the wait bound passed).
	WaitFailures uint64
	// RevocationsSent counts revocations this replica stored and
	// published; RevocationsReceived those it got from other replicas
	// (pub/sub and reloads).
	RevocationsSent, RevocationsReceived uint64
	// Reloads counts full reloads of the revoked set.
	Reloads uint64
}

type counters struct {
	errors, led, takeovers, adopted, local, waitFailures atomic.Uint64
	revocationsSent, revocationsReceived, reloads        atomic.Uint64
}

// Stats returns the counters now.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{
		Errors: c.errors.Load(), Outages: s.health.outages.Load(), Down: s.health.isDown(),
		Led: c.led.Load(), Takeovers: c.takeovers.Load(), Adopted: c.adopted.Load(), Local: c.local.Load(),
		WaitFailures: c.waitFailures.Load(), RevocationsSent: c.revocationsSent.Load(),
		RevocationsReceived: c.revocationsReceived.Load(), Reloads: c.reloads.Load(),
	}
}
