package report

import (
	"fmt"
	"io"
	"strings"
)

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

func (d *Doc) writeText(w io.Writer, noun string, colored bool) error {
	width := 0
	for _, it := range d.Items {
		width = max(width, len(it.ID))
	}
	fmt.Fprintln(w, "skctl "+d.Tool+": "+d.Header)
	for _, it := range d.Items {
		label := strings.ToUpper(string(it.Status))
		if it.Status == Skipped {
			label = "SKIP"
		}
		label = fmt.Sprintf("%-4s", label)
		if colored {
			label = color(it.Status) + label + "\x1b[0m"
		}
		fmt.Fprintf(w, "  %s  %-*s  %s\n", label, width, it.ID, it.Message)
		if it.Hint != "" {
			fmt.Fprintf(w, "        %*s  fix: %s\n", width, "", it.Hint)
		}
		for _, line := range it.Details {
			fmt.Fprintf(w, "        %*s  %s\n", width, "", line)
		}
	}
	_, err := fmt.Fprintln(w, d.Summary(noun))
	return err
}
