package cli

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/events"
	"github.com/skctl/skctl/internal/mockidp/testenv"
)

// TestTriggerCommand: `mock-idp trigger TYPE --url` makes the running
// mock log that event, and prints its ID, which is the one in the log.
func TestTriggerCommand(t *testing.T) {
	t.Parallel()
	env := testenv.Start(t, mockidp.Options{})
	d, out, errOut := testDeps()
	code := Run(context.Background(), []string{"mock-idp", "trigger", "user.signup", "--url", env.URL}, d)
	if code != ExitOK {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	m := regexp.MustCompile(`(?m)^\* (evt_\d+) user\.signup`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no starred user.signup event in the output:\n%s", out)
	}
	if e, ok := env.Events().Get(m[1]); !ok || e.Type != events.UserSignup {
		t.Errorf("the printed event %s is not the mock's user.signup: %+v %v", m[1], e, ok)
	}
	if e, _ := env.Events().Get(m[1]); e.OrganizationID == "" || !strings.Contains(out.String(), "user.signup in "+e.OrganizationID) {
		t.Errorf("the sign-up is not printed in its organization %q:\n%s", e.OrganizationID, out)
	}
	if !strings.Contains(out.String(), "no webhook endpoint") || !strings.Contains(out.String(), "--webhook-url") {
		t.Errorf("a mock without webhooks: the output does not say where the events went:\n%s", out)
	}
}

// TestTriggerCommandErrors: an unknown type is a usage error (2) that
// says where the types are listed; a mock that is not running is exit
// code 3, naming --url.
func TestTriggerCommandErrors(t *testing.T) {
	t.Parallel()
	d, _, errOut := testDeps()
	if code := Run(context.Background(), []string{"mock-idp", "trigger", "user.signupp"}, d); code != ExitUsage || !strings.Contains(errOut.String(), "did you mean user.signup?") {
		t.Errorf("misspelt type: exit %d: %s", code, errOut)
	}
	d, _, errOut = testDeps()
	if code := Run(context.Background(), []string{"mock-idp", "trigger", "user.created"}, d); code != ExitUsage || !strings.Contains(errOut.String(), "trigger --list") {
		t.Errorf("unknown type: exit %d: %s", code, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	d, _, errOut = testDeps()
	if code := Run(context.Background(), []string{"mock-idp", "trigger", "user.login", "--url", url}, d); code != ExitUnreachable || !strings.Contains(errOut.String(), "--url") {
		t.Errorf("no mock: exit %d: %s", code, errOut)
	}
	d, out, _ := testDeps()
	if code := Run(context.Background(), []string{"mock-idp", "trigger", "--list"}, d); code != ExitOK || strings.Count(out.String(), "\n") != len(events.Types()) {
		t.Errorf("--list: exit %d, %d lines for %d types", code, strings.Count(out.String(), "\n"), len(events.Types()))
	}
	// The role and permission triggers have no change behind them, and
	// --list says so rather than let a user think a role was made.
	for _, line := range strings.Split(out.String(), "\n") {
		if (strings.HasPrefix(line, "role.") || strings.HasPrefix(line, "permission.")) && !strings.Contains(line, "changes nothing and only sends the event") {
			t.Errorf("--list: %q does not say the trigger changes nothing", line)
		}
	}
}
