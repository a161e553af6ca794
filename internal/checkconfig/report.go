// Package checkconfig answers "will sign-in work with this configuration?"
// for `skctl check-config`: it checks the settings, then the environment's
// discovery document, keys, credentials and registered URIs, running every
// check it can rather than stopping at the first failure.
package checkconfig

import "github.com/skctl/skctl/internal/report"

// Status is a check's outcome, in the shared report's terms.
type Status = report.Status

// The outcomes of a check.
const (
	Pass    = report.Pass
	Warn    = report.Warn
	Fail    = report.Fail
	Skipped = report.Skipped
)

// Check is one check's result. Every warn or fail has a Hint that says
// what to change and where.
type Check struct {
	ID      CheckID `json:"id"`
	Status  Status  `json:"status"`
	Message string  `json:"message"`
	Hint    string  `json:"hint,omitempty"`
}

// Report is every check of one run.
type Report struct {
	EnvironmentURL string `json:"environment_url"`
	// MockIDP is set when the environment is a local skctl mock-idp; the
	// hints then say what to change in the mock.
	MockIDP bool    `json:"mock_idp"`
	Checks  []Check `json:"checks"`
	// Unreachable is set when the environment could not be reached at
	// all.
	Unreachable bool `json:"unreachable"`
}

// Result is a run's verdict. The command maps it to an exit code; the
// numbers live with the command's other exit codes.
type Result int

// The verdicts, from best to worst.
const (
	Passed      Result = iota // every check passed (warnings allowed, unless strict)
	Failed                    // a check failed, or warned with strict
	Unreachable               // the environment could not be reached
)

// Result is Unreachable when the environment could not be reached, Failed
// when a check failed (or warned, with strict), else Passed.
func (r *Report) Result(strict bool) Result {
	if r.Unreachable {
		return Unreachable
	}
	for _, c := range r.Checks {
		if c.Status == Fail || (strict && c.Status == Warn) {
			return Failed
		}
	}
	return Passed
}

// Count returns how many checks have each status.
func (r *Report) Count() map[Status]int {
	n := map[Status]int{}
	for _, c := range r.Checks {
		n[c.Status]++
	}
	return n
}

// Find returns the result of check id, if the report has it.
func (r *Report) Find(id CheckID) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

func (r *Report) add(id CheckID, res result) {
	r.Checks = append(r.Checks, Check{ID: id, Status: res.status, Message: res.message, Hint: res.hint})
	if res.unreachable {
		r.Unreachable = true
	}
}

// result is what a check's run function found.
type result struct {
	status        Status
	message, hint string
	// mockHint replaces hint when the environment is skctl mock-idp: what
	// to change in the mock (its flags, its fixtures) rather than in the
	// Scalekit dashboard.
	mockHint string
	// unreachable: the environment could not be reached at all (DNS,
	// connection refused, a timeout).
	unreachable bool
	// why a skipped check did not run.
	why string
}

func pass(msg string) result       { return result{status: Pass, message: msg} }
func warn(msg, hint string) result { return result{status: Warn, message: msg, hint: hint} }
func fail(msg, hint string) result { return result{status: Fail, message: msg, hint: hint} }
func skip(why string) result       { return result{status: Skipped, message: "skipped: " + why, why: why} }

// onMock returns r with the hint to give instead when the environment is
// skctl mock-idp.
func (r result) onMock(hint string) result {
	r.mockHint = hint
	return r
}
