package report

import (
	"fmt"
	"io"
	"strings"
)

// writeGitHub writes workflow commands: an annotation per warn or fail,
// then a notice with the summary, naming every failed item: GitHub shows
// at most ten error annotations of a step, so the notice is where an
// eleventh failure is still seen.
func (d *Doc) writeGitHub(w io.Writer, noun string) error {
	for _, it := range d.Items {
		kind := map[Status]string{Warn: "warning", Fail: "error"}[it.Status]
		if kind == "" {
			continue
		}
		msg := it.Message
		if it.Hint != "" {
			msg += "\nfix: " + it.Hint
		}
		if len(it.Details) > 0 {
			msg += "\n" + strings.Join(it.Details, "\n")
		}
		fmt.Fprintf(w, "::%s title=%s::%s\n", kind, ghProperty(d.Tool+" "+it.ID), ghData(msg))
	}
	summary := d.Summary(noun)
	var failed []string
	for _, it := range d.Items {
		if it.Status == Fail {
			failed = append(failed, it.ID)
		}
	}
	if len(failed) > 0 {
		summary += "; failed: " + strings.Join(failed, ", ")
	}
	_, err := fmt.Fprintf(w, "::notice title=%s::%s\n", ghProperty(d.Tool), ghData(summary))
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
