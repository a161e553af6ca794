package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// mock drives the running mock through its control endpoints, for one
// client: every mode it arms is armed for that client only, and cleanup
// disarms those alone.
type mock struct {
	url    string // the root environment
	client string
	hc     *http.Client
}

// logEntry is one request of the mock's request log.
type logEntry struct {
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Client     string   `json:"client"`
	Grant      string   `json:"grant"`
	Status     int      `json:"status"`
	Violations []string `json:"violations"`
}

// mockApp is an app registered with the mock, as /__mock/export shows it.
type mockApp struct {
	ClientID               string   `json:"client_id"`
	Type                   string   `json:"type"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
}

func (m *mock) control(ctx context.Context, method, path string, body any, into any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.url+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: the mock answered %d: %.300s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			return fmt.Errorf("%s %s: the answer is not what skctl mock-idp sends (%v): is --idp-url a skctl mock-idp?", method, path, err)
		}
	}
	return nil
}

// arm switches a mode on for the client, for count requests (0: until
// cleared).
func (m *mock) arm(ctx context.Context, mode string, count int) error {
	return m.control(ctx, http.MethodPost, "/__mock/faults", map[string]any{"mode": mode, "count": count, "client": m.client}, nil)
}

// armAll switches a mode on for every client: the modes of requests that
// name no client (the key set) cannot be scoped.
func (m *mock) armAll(ctx context.Context, mode string, count int) error {
	return m.control(ctx, http.MethodPost, "/__mock/faults", map[string]any{"mode": mode, "count": count}, nil)
}

// clear disarms what was armed for the client.
func (m *mock) clear(ctx context.Context) error {
	return m.control(ctx, http.MethodDelete, "/__mock/faults?client="+url.QueryEscape(m.client), nil, nil)
}

// counters returns the root environment's request counters.
func (m *mock) counters(ctx context.Context) (map[string]int64, error) {
	var envs map[string]map[string]int64
	if err := m.control(ctx, http.MethodGet, "/__mock/requests", nil, &envs); err != nil {
		return nil, err
	}
	return envs["root"], nil
}

// log returns the root environment's request log, oldest first.
func (m *mock) log(ctx context.Context) ([]logEntry, error) {
	var envs map[string]struct {
		Log []logEntry `json:"log"`
	}
	if err := m.control(ctx, http.MethodGet, "/__mock/requests?log=1", nil, &envs); err != nil {
		return nil, err
	}
	return envs["root"].Log, nil
}

// rotateKeys rotates the environment's signing key, the old one
// published for overlap ("0": not at all).
func (m *mock) rotateKeys(ctx context.Context, overlap string) error {
	return m.control(ctx, http.MethodPost, "/__mock/rotate-keys", map[string]string{"overlap": overlap}, nil)
}

// apps returns the apps registered with the mock.
func (m *mock) apps(ctx context.Context) ([]mockApp, error) {
	var fx struct {
		Apps []mockApp `json:"apps"`
	}
	err := m.control(ctx, http.MethodGet, "/__mock/export", nil, &fx)
	return fx.Apps, err
}

// clearMode disarms one mode, whoever it was armed for.
func (m *mock) clearMode(ctx context.Context, mode string) error {
	return m.control(ctx, http.MethodDelete, "/__mock/faults?mode="+url.QueryEscape(mode), nil, nil)
}
