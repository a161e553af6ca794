package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// testDeps are Deps that touch nothing of the process.
func testDeps() (*Deps, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Deps{Stdout: &out, Stderr: &errOut, LookupEnv: func(string) (string, bool) { return "", false }}, &out, &errOut
}

// TestUnknownCommand: an unknown command is a usage error (exit code 2)
// that names it and suggests the nearest one; a bare skctl shows the help
// and succeeds.
func TestUnknownCommand(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		want     int
		inStderr string
	}{
		{[]string{"nope"}, ExitUsage, `unknown command "nope" for "skctl"`},
		{[]string{"serv"}, ExitUsage, "did you mean serve?"},
		{[]string{"mock-idp", "nope"}, ExitUsage, `takes no arguments, got "nope"`},
		{[]string{"--no-such-flag"}, ExitUsage, "unknown flag: --no-such-flag"},
	} {
		d, _, errOut := testDeps()
		if code := Run(context.Background(), tc.args, d); code != tc.want || !strings.Contains(errOut.String(), tc.inStderr) {
			t.Errorf("skctl %v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.want, errOut, tc.inStderr)
		}
	}
	d, out, errOut := testDeps()
	if code := Run(context.Background(), nil, d); code != ExitOK || !strings.Contains(out.String(), "Available Commands:") || errOut.Len() > 0 {
		t.Errorf("bare skctl: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
