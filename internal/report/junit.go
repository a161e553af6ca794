package report

import (
	"encoding/xml"
	"io"
	"strings"
)

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

// writeJUnit writes a JUnit XML report: a test case per item; a fail is
// a failure (its hint, then its details, in the body), a skipped item is
// skipped, a warn passes with its text in system-out.
func (d *Doc) writeJUnit(w io.Writer) error {
	s := junitSuite{Name: "skctl " + d.Tool, Tests: len(d.Items)}
	for _, it := range d.Items {
		tc := junitCase{Class: d.Tool, Name: it.ID}
		body := strings.Join(it.Details, "\n")
		switch it.Status {
		case Fail:
			s.Failures++
			body = strings.TrimSpace(it.Hint + "\n" + body)
			tc.Failure = &junitMessage{Message: it.Message, Text: body}
		case Skipped:
			s.Skipped++
			tc.Skipped = &junitMessage{Message: it.Message}
		case Warn:
			tc.SystemOut = "warning: " + it.Message + "\nfix: " + it.Hint
		default:
			tc.SystemOut = strings.TrimSpace(it.Message + "\n" + body)
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
