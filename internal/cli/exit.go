package cli

import (
	"errors"
	"fmt"

	"github.com/skctl/skctl/internal/checkconfig"
)

// Exit codes, the same for every command (README, "Exit codes"). They are
// declared here only; check-config's report has a Result, mapped below.
const (
	ExitOK          = 0 // success
	ExitError       = 1 // an error; for check-config, a check failed
	ExitUsage       = 2 // bad flags, arguments or configuration
	ExitUnreachable = 3 // the IdP (for conformance: the app or the mock) could not be reached
)

// checkConfigExit is the exit code of each check-config result.
func checkConfigExit(r checkconfig.Result) int {
	switch r {
	case checkconfig.Passed:
		return ExitOK
	case checkconfig.Unreachable:
		return ExitUnreachable
	}
	return ExitError
}

// usageError marks an error the user fixes by changing flags, environment
// or files: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// unreachableError marks a server that did not answer (conformance's app
// or mock): exit code 3.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// quietExit ends a command with a code after it has said everything
// itself (check-config's report): Run prints nothing more.
type quietExit struct{ code int }

func (e *quietExit) Error() string { return fmt.Sprintf("exit code %d", e.code) }

func exitCode(err error) int {
	var u *usageError
	var q *quietExit
	var n *unreachableError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &q):
		return q.code
	case errors.As(err, &n):
		return ExitUnreachable
	case errors.As(err, &u):
		return ExitUsage
	default:
		return ExitError
	}
}
