package fault

import (
	"crypto/rsa"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/skctl/skctl/internal/mockidp/ids"
)

// Keys is what the drills need of an environment's signing keys: the
// current key, to sign with it or under its kid, and a rotation.
type Keys interface {
	Current() (kid string, priv *rsa.PrivateKey, err error)
	Sign(claims any) (string, error)
	// Rotate makes a new key; the old one stays published for overlap
	// (0: not at all, negative: for good).
	Rotate(overlap time.Duration) (string, error)
}

// Config sets up the drills of one environment.
type Config struct {
	Issuer string
	// Start are the modes switched on from the start, until cleared.
	Start []Fault
	Keys  Keys
	Log   *slog.Logger
	// Stop ends every hung request when the environment closes.
	Stop <-chan struct{}
}

// Env is the drill state of one environment: the modes armed there, and
// what the modes remember between requests (a rotation done, ID tokens
// signed, the flapping key set, the clock's offset).
type Env struct {
	faults   Set
	issuer   string
	keys     Keys
	log      *slog.Logger
	stop     <-chan struct{}
	keysPath string

	clockOffset atomic.Int64
	rotated     atomic.Bool  // a rotation mode has rotated
	idTokens    atomic.Int64 // ID tokens signed, for jwks.drop_old_key
	flaps       atomic.Uint64
}

// New returns the drills of an environment, with the start modes on.
func New(c Config) *Env {
	e := &Env{issuer: c.Issuer, keys: c.Keys, log: c.Log, stop: c.Stop, keysPath: "/keys"}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	for _, f := range c.Start {
		e.faults.Arm(f, 0, "")
		switch f.Mode {
		case IdPClockOffset:
			e.clockOffset.Store(int64(Duration(f.Param)))
		case DiscoveryJWKSURIRandom:
			e.keysPath = "/keys/" + ids.Suffix()
		}
	}
	return e
}

// Arm switches a mode on at runtime. A rotation mode armed again rotates
// again, and a flapping key set starts again with a failure.
func (e *Env) Arm(f Fault, count int, client string) {
	e.faults.Arm(f, count, client)
	e.rotated.Store(false)
	e.flaps.Store(0)
}

// Clear switches every mode off, start modes included.
func (e *Env) Clear() {
	e.faults.Clear()
	e.rotated.Store(false)
}

// ClearClient switches off the modes armed for one client.
func (e *Env) ClearClient(client string) {
	e.faults.ClearClient(client)
	e.rotated.Store(false)
}

// ClearMode switches one mode off ("token.status" or "token.status=503").
func (e *Env) ClearMode(mode string) error {
	f, err := Parse(mode)
	if err != nil {
		return err
	}
	e.faults.ClearMode(f.Mode)
	return nil
}

// List returns the armed modes.
func (e *Env) List() []Armed { return e.faults.List() }

// Active reports whether any mode is on: when none is, the environment is
// the faithful default and may serve what it has cached.
func (e *Env) Active() bool { return e.faults.Any() }

// KeysPath is where the key set is served: /keys, or a path random for the
// environment's life under discovery.jwks_uri_random.
func (e *Env) KeysPath() string { return e.keysPath }

// Offset is how far the environment's clock is moved: idp.clock_offset
// and /__mock/clock.
func (e *Env) Offset() time.Duration { return time.Duration(e.clockOffset.Load()) }

// SetOffset moves the clock to d from real time.
func (e *Env) SetOffset(d time.Duration) { e.clockOffset.Store(int64(d)) }

// Advance moves the clock on by d.
func (e *Env) Advance(d time.Duration) { e.clockOffset.Add(int64(d)) }
