package conformance

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/skctl/skctl/internal/report"
)

// Report is one run.
type Report struct {
	IdPURL   string   `json:"idp_url"`
	AppURL   string   `json:"app_url"`
	ClientID string   `json:"client_id"`
	Results  []Result `json:"tests"`
	Seconds  float64  `json:"seconds"`
}

// Result is one test's outcome, with what the test is and the evidence
// the runner gathered.
type Result struct {
	ID       string        `json:"id"`
	Group    Group         `json:"group"`
	Status   report.Status `json:"status"`
	Message  string        `json:"message"`
	Hint     string        `json:"hint,omitempty"`
	Proves   string        `json:"proves"`
	Arms     []string      `json:"arms,omitempty"`
	Source   string        `json:"source"`
	Evidence []string      `json:"evidence,omitempty"`
	Seconds  float64       `json:"seconds"`
}

// Passed reports whether no test failed.
func (r *Report) Passed() bool {
	for _, res := range r.Results {
		if res.Status == report.Fail {
			return false
		}
	}
	return true
}

// Failed returns the IDs of the failed tests, in run order.
func (r *Report) Failed() []string {
	var ids []string
	for _, res := range r.Results {
		if res.Status == report.Fail {
			ids = append(ids, res.ID)
		}
	}
	return ids
}

// Find returns the result of test id.
func (r *Report) Find(id string) (Result, bool) {
	for _, res := range r.Results {
		if res.ID == id {
			return res, true
		}
	}
	return Result{}, false
}

// Write writes the report in format (report.Formats); color applies to
// text on a terminal. A failed test shows its evidence; a passed one its
// message only, except in JSON, which has everything.
func (r *Report) Write(w io.Writer, format string, color bool) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // for people and jq, not for a page
		return enc.Encode(struct {
			*Report
			Summary map[report.Status]int `json:"summary"`
		}{r, r.doc().Count()})
	}
	return r.doc().Write(w, format, "tests", color)
}

func (r *Report) doc() *report.Doc {
	d := &report.Doc{Tool: "conformance", Header: r.AppURL + " against the mock at " + r.IdPURL + " (client " + r.ClientID + ")"}
	for _, res := range r.Results {
		it := report.Item{ID: res.ID, Status: res.Status, Message: res.Message, Hint: res.Hint}
		if res.Status == report.Fail {
			it.Details = append([]string{"proves: " + res.Proves, "source: " + res.Source}, res.Evidence...)
		}
		d.Items = append(d.Items, it)
	}
	return d
}

// WriteList writes the catalog, one test per line with what it proves,
// grouped, as --list shows it.
func WriteList(w io.Writer, tests []Test) error {
	width := 0
	for _, t := range tests {
		width = max(width, len(t.ID))
	}
	var b strings.Builder
	heading := ""
	for _, t := range tests {
		h := string(t.Group) + ":"
		if t.Rotates {
			h = string(t.Group) + ", changing the signing key for good (so run last):"
		}
		if h != heading {
			if heading != "" {
				b.WriteString("\n")
			}
			heading = h
			b.WriteString(h + "\n")
		}
		b.WriteString("  " + t.ID + strings.Repeat(" ", width-len(t.ID)) + "  " + t.Proves + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
