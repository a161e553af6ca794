package checkconfig

import (
	"encoding/json"
	"io"

	"github.com/skctl/skctl/internal/config"
	"github.com/skctl/skctl/internal/report"
)

// Formats are the values of --output.
func Formats() []string { return report.Formats() }

// Write writes the report in format (one of Formats); color applies to
// text only, and only when the caller writes to a terminal.
func (r *Report) Write(w io.Writer, format string, color bool) error {
	if format == "json" {
		return r.writeJSON(w)
	}
	return r.doc().Write(w, format, "checks", color)
}

// doc is the report as the shared formats show it.
func (r *Report) doc() *report.Doc {
	d := &report.Doc{Tool: "check-config", Header: r.environment()}
	for _, c := range r.Checks {
		d.Items = append(d.Items, report.Item{ID: string(c.ID), Status: c.Status, Message: c.Message, Hint: c.Hint})
	}
	return d
}

// environment is what the text output's header says the run was
// against.
func (r *Report) environment() string {
	switch {
	case r.EnvironmentURL == "":
		return "no environment URL set (" + config.EnvEnvironmentURL + ")"
	case r.MockIDP:
		return r.EnvironmentURL + " (a local skctl mock-idp)"
	}
	return r.EnvironmentURL
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		Summary map[Status]int `json:"summary"`
	}{r, r.Count()})
}
