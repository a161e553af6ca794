// Package checkconfig answers "will sign-in work with this configuration?"
// for `skctl check-config`: it checks the settings, then the environment's
// discovery document, keys, credentials and registered URIs, running every
// check it can rather than stopping at the first failure.
package checkconfig

// Status is a check's outcome.
type Status string

// The outcomes of a check.
const (
	Pass    Status = "pass"
	Warn    Status = "warn"
	Fail    Status = "fail"
	Skipped Status = "skipped"
)

// Check is one check's result. ID is stable across versions, for CI
// configurations that look for it; every warn or fail has a Hint that
// says what to change and where.
type Check struct {
	ID      string `json:"id"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Report is every check of one run.
type Report struct {
	EnvironmentURL string  `json:"environment_url"`
	Checks         []Check `json:"checks"`
	// Unreachable is set when the environment could not be reached at
	// all (exit code 3).
	Unreachable bool `json:"unreachable"`
}

// Exit codes of check-config (README, "Exit codes").
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUnreachable = 3
)

// ExitCode is 3 when the environment could not be reached, 1 when a check
// failed (or warned, with strict), else 0.
func (r *Report) ExitCode(strict bool) int {
	if r.Unreachable {
		return ExitUnreachable
	}
	for _, c := range r.Checks {
		if c.Status == Fail || (strict && c.Status == Warn) {
			return ExitFailed
		}
	}
	return ExitOK
}

// Count returns how many checks have each status.
func (r *Report) Count() map[Status]int {
	n := map[Status]int{}
	for _, c := range r.Checks {
		n[c.Status]++
	}
	return n
}

func (r *Report) add(id string, s Status, msg, hint string) {
	r.Checks = append(r.Checks, Check{ID: id, Status: s, Message: msg, Hint: hint})
}

func (r *Report) pass(id, msg string)       { r.add(id, Pass, msg, "") }
func (r *Report) warn(id, msg, hint string) { r.add(id, Warn, msg, hint) }
func (r *Report) fail(id, msg, hint string) { r.add(id, Fail, msg, hint) }
func (r *Report) skip(id, why string)       { r.add(id, Skipped, why, "") }
func (r *Report) status(id string) (Status, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status, true
		}
	}
	return "", false
}
