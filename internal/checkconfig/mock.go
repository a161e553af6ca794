package checkconfig

import (
	"context"
	"mime"
	"net/http"
	"strings"
)

// mockMarker is what every page of skctl mock-idp says, its root page
// included ("skctl mock-idp · a local Scalekit environment at …", in the
// title and the footer). The mock's discovery document and headers are
// Scalekit's to the byte, on purpose, so its pages are where it tells
// itself apart; the e2e test TestCheckConfigMockHints holds the mock to it.
const mockMarker = "skctl mock-idp"

// isMockIDP reports whether the environment is skctl mock-idp: its root
// page is the mock's. It is asked once discovery has succeeded, so an
// unreachable environment costs no second timeout, and it sends no
// credentials. Any failure means "not the mock": the hints then name the
// Scalekit dashboard, as they always did.
func (st *state) isMockIDP(ctx context.Context) bool {
	resp, body, err := st.do(ctx, http.MethodGet, st.env+"/", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		return false
	}
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return ctype == "text/html" && strings.Contains(string(body), mockMarker)
}

// Hints against the mock for checks whose hint names the dashboard or
// Scalekit support.
const (
	mockCredentialsHint = "use the SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET that skctl mock-idp prints when it starts, or give the mock this app's: skctl mock-idp --client-id … --client-secret …, or its fixtures file's apps[].client_id and apps[].client_secret"
	mockGrantHint       = "use a web app of the mock (the SCALEKIT_CLIENT_ID skctl mock-idp prints), or add authorization_code to this app's apps[].grants in the mock's fixtures file"
	// mockFaultHint: a mock that answers wrongly has a failure mode on.
	mockFaultHint = "a failure mode of the mock is probably on: a scenario environment's URL names it, --scenario switches it on at the root, and GET /__mock/faults lists (DELETE clears) the ones switched on at runtime"
)

// mockUnknownClientHint is the hint when the mock has no app with id.
func mockUnknownClientHint(id string) string {
	return "the mock has no app with the client ID " + id + ": use the SCALEKIT_CLIENT_ID that skctl mock-idp prints, or start it with --client-id " + id + " (or add the app to its fixtures file's apps[], with apps[].client_id)"
}

// mockRegisterHint is the hint when uri is not registered with the mock
// under flag (for the default app) or field (for any app of the fixtures).
func mockRegisterHint(uri, flag, field string) string {
	return "register it with the mock: skctl mock-idp " + flag + " " + uri + " (the default app; repeatable), or add it to this app's apps[]." + field + " in the fixtures file"
}
