package replicas

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// errCircuitOpen is an operation not tried: the server failed recently
// and the cooldown has not passed.
var errCircuitOpen = errors.New("replicas: the shared state is unavailable (not tried during the cooldown)")

// op runs f with the operation timeout, unless the circuit is open. Its
// context keeps the caller's values but not its cancellation: a request
// that ends mid-operation is not an outage. redis.Nil (no such key) is
// not a failure; anything else opens the circuit.
func (s *Store) op(ctx context.Context, name opName, f func(ctx context.Context) error) error {
	if !s.health.allow() {
		return errCircuitOpen
	}
	return s.try(ctx, name, f)
}

// try is op without the circuit: the subscriber's own operations, which
// are what closes it again.
func (s *Store) try(ctx context.Context, name opName, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opTimeout)
	defer cancel()
	err := f(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		s.fail(name, err)
	}
	return err
}

// fail counts a failed operation and opens the circuit.
func (s *Store) fail(name opName, err error) {
	s.stats.errors.Add(1)
	if s.onFailure != nil {
		s.onFailure(name.kind())
	}
	s.health.failed(string(name), err)
}

// unexpected is a reply of the wrong shape: a server that is not Redis or
// Valkey, or a script changed without its reader.
func (s *Store) unexpected(name opName) error {
	err := errors.New("replicas: unexpected reply to " + string(name))
	s.fail(name, err)
	return err
}
