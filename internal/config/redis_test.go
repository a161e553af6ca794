package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestRedisURL: SKCTL_REDIS_URL is optional; a redis:// or rediss:// URL
// loads as is; anything else is refused with what to write instead, and
// no message ever quotes the password.
func TestRedisURL(t *testing.T) {
	c, err := Load(Sources{LookupEnv: env(good)})
	if err != nil || c.RedisURL != "" {
		t.Fatalf("unset: %v %q", err, c.RedisURL.Reveal())
	}
	for _, ok := range []string{"redis://127.0.0.1:6379", "redis://:hunter2@cache:6379/0", "rediss://app:hunter2@cache.internal", "redis://[::1]:6379/15"} {
		c, err := Load(Sources{LookupEnv: env(with(EnvRedisURL, ok))})
		if err != nil || c.RedisURL.Reveal() != ok {
			t.Errorf("%s: %v, %q", ok, err, c.RedisURL.Reveal())
		}
	}
	for raw, want := range map[string]string{
		"http://:hunter2@cache:6379":          `has the scheme "http", not redis or rediss`,
		"cache:6379":                          `has the scheme "cache", not redis or rediss`,
		"//:hunter2@cache:6379":               "has no scheme",
		"redis://:hunter2@:6379":              "has no host",
		"redis://:hunter2@cache:6379/db":      `has the path "/db", not a database number`,
		"redis://:hunter2@cache:99999":        "has a port that is not a number from 1 to 65535",
		"redis://:hunter2@cache:6379?proto=3": "has a query or fragment",
		"redis://:hunter2@ca che:6379":        "is not a URL",
	} {
		_, err := Load(Sources{LookupEnv: env(with(EnvRedisURL, raw))})
		if err == nil || !strings.Contains(err.Error(), EnvRedisURL+" (--redis-url): "+want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
	}
	c, _ = Load(Sources{LookupEnv: env(with(EnvRedisURL, "redis://:hunter2@cache:6379"))})
	js, _ := json.Marshal(c)
	for name, out := range map[string]string{"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "json": string(js), "redacted": RedactURL(c.RedisURL.Reveal())} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s shows the password: %s", name, out)
		}
	}
}
