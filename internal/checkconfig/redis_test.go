package checkconfig

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/skctl/skctl/internal/config"
)

// TestRedisURLPasswordNeverShown: check-config judges SKCTL_REDIS_URL
// with serve's own validator, and neither a passing nor a failing value's
// password reaches the report, in either format.
func TestRedisURLPasswordNeverShown(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want Status
		msg  string
	}{
		{"redis://:hunter2@cache.internal:6379/0", Pass, "SKCTL_REDIS_URL is redis://:xxxxx@cache.internal:6379/0"},
		{"rediss://app:hunter2@cache.internal:6380", Pass, "SKCTL_REDIS_URL is rediss://app:xxxxx@cache.internal:6380"},
		{"http://:hunter2@cache.internal:6379", Fail, `SKCTL_REDIS_URL has the scheme "http", not redis or rediss`},
		{"redis://:hunter2@cache.internal:6379/?timeout=1s", Fail, "SKCTL_REDIS_URL has a query or fragment"},
	} {
		r := Run(context.Background(), Options{Offline: true, Settings: Settings{config.EnvRedisURL: tc.url}})
		got, ok := r.Find(SettingsRedisURL)
		if !ok || got.Status != tc.want || got.Message != tc.msg {
			t.Errorf("%s: %+v, want %s %q", tc.url, got, tc.want, tc.msg)
		}
		for _, format := range []string{"text", "json"} {
			var out bytes.Buffer
			if err := r.Write(&out, format, false); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "hunter2") {
				t.Errorf("%s: the %s report shows the password:\n%s", tc.url, format, out.String())
			}
		}
	}
}
