package config

import (
	"net/url"
	"strconv"
	"strings"
)

// ValidateRedisURL checks SKCTL_REDIS_URL: unset, or redis:// or
// rediss:// with a host, an optional numeric port and database, and no
// query. Its messages never quote the value, which may hold a password.
func ValidateRedisURL(raw string) *Fault {
	if raw == "" {
		return nil // one process, nothing shared
	}
	const form = "use redis://HOST:6379 (redis://:PASSWORD@HOST:6379/0 with a password and a database), or rediss:// for TLS; Valkey takes the same URLs"
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fault("is not a URL", form+" (a password with @, : or / in it must be percent-encoded)")
	case u.Scheme != "redis" && u.Scheme != "rediss":
		scheme := u.Scheme
		if scheme == "" {
			return fault("has no scheme", form)
		}
		return fault("has the scheme "+strconv.Quote(scheme)+", not redis or rediss", form)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return fault("has no host", form)
	case u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "?"):
		return fault("has a query or fragment", "remove the ?… part: serve sets the Redis timeouts itself")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fault("has a port that is not a number from 1 to 65535", form)
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if _, err := strconv.ParseUint(db, 10, 16); err != nil || strings.Contains(db, "/") {
			return fault("has the path "+strconv.Quote(u.Path)+", not a database number", "end the URL with /0 (or another database number), or with the port")
		}
	}
	return nil
}

// RedactURL shows a URL with its password, if any, replaced by xxxxx,
// for logs, /readyz and check-config.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}
