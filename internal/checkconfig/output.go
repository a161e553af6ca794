package checkconfig

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/skctl/skctl/internal/config"
)

// Formats are the values of --output.
func Formats() []string { return []string{"text", "json", "github", "junit"} }

// Write writes the report in format (one of Formats); color applies to
// text only, and only when the caller writes to a terminal.
func (r *Report) Write(w io.Writer, format string, color bool) error {
	switch format {
	case "text":
		return r.writeText(w, color)
	case "json":
		return r.writeJSON(w)
	case "github":
		return r.writeGitHub(w)
	case "junit":
		return r.writeJUnit(w)
	}
	return fmt.Errorf("unknown output %q: use %s", format, strings.Join(Formats(), ", "))
}

// summary is the closing line of the text output.
func (r *Report) summary() string {
	n := r.Count()
	return fmt.Sprintf("checks: %d pass, %d warn, %d fail, %d skipped", n[Pass], n[Warn], n[Fail], n[Skipped])
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

// color is the ANSI colour of a status label.
func color(s Status) string {
	switch s {
	case Pass:
		return "\x1b[32m" // green
	case Warn:
		return "\x1b[33m" // yellow
	case Fail:
		return "\x1b[31m" // red
	}
	return "\x1b[2m" // dim: skipped
}

func (r *Report) writeText(w io.Writer, colored bool) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(string(c.ID)))
	}
	fmt.Fprintln(w, "skctl check-config: "+r.environment())
	for _, c := range r.Checks {
		label := strings.ToUpper(string(c.Status))
		if c.Status == Skipped {
			label = "SKIP"
		}
		label = fmt.Sprintf("%-4s", label)
		if colored {
			label = color(c.Status) + label + "\x1b[0m"
		}
		fmt.Fprintf(w, "  %s  %-*s  %s\n", label, width, c.ID, c.Message)
		if c.Hint != "" {
			fmt.Fprintf(w, "        %*s  fix: %s\n", width, "", c.Hint)
		}
	}
	_, err := fmt.Fprintln(w, r.summary())
	return err
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		Summary map[Status]int `json:"summary"`
	}{r, r.Count()})
}

// writeGitHub writes workflow commands: an annotation per warn or fail,
// then a notice with the summary.
func (r *Report) writeGitHub(w io.Writer) error {
	for _, c := range r.Checks {
		kind := map[Status]string{Warn: "warning", Fail: "error"}[c.Status]
		if kind == "" {
			continue
		}
		msg := c.Message
		if c.Hint != "" {
			msg += "\nfix: " + c.Hint
		}
		fmt.Fprintf(w, "::%s title=%s::%s\n", kind, ghProperty("check-config "+string(c.ID)), ghData(msg))
	}
	_, err := fmt.Fprintf(w, "::notice title=check-config::%s\n", ghData(r.summary()))
	return err
}

// ghData and ghProperty escape workflow-command text as the Actions
// runner expects.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class     string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes a JUnit XML report: a test case per check; a fail is a
// failure, a skipped check is skipped, a warn passes with its text in
// system-out.
func (r *Report) writeJUnit(w io.Writer) error {
	s := junitSuite{Name: "skctl check-config", Tests: len(r.Checks)}
	for _, c := range r.Checks {
		tc := junitCase{Class: "check-config", Name: string(c.ID)}
		switch c.Status {
		case Fail:
			s.Failures++
			tc.Failure = &junitMessage{Message: c.Message, Text: c.Hint}
		case Skipped:
			s.Skipped++
			tc.Skipped = &junitMessage{Message: c.Message}
		case Warn:
			tc.SystemOut = "warning: " + c.Message + "\nfix: " + c.Hint
		default:
			tc.SystemOut = c.Message
		}
		s.Cases = append(s.Cases, tc)
	}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
