package webapp

import (
	"net/url"
	"regexp"
	"strings"
)

// unsafePath matches the path tricks browsers turn into another host:
// "/\evil", "/ /evil", "/./\evil" and the like (oauth2-proxy's validator).
var unsafePath = regexp.MustCompile(`[/\\](?:[\s\v]*|\.{1,2})[/\\]`)

// safeReturnTo returns target if it is a same-site path, else "/" (H1).
// Only a relative path that starts with exactly one slash is accepted; the
// app has no allowlist of other hosts, so every absolute URL falls back.
func safeReturnTo(target string) string {
	if target == "" || len(target) > 2048 || !strings.HasPrefix(target, "/") ||
		strings.HasPrefix(target, "//") || strings.HasPrefix(target, "/\\") || unsafePath.MatchString(target) {
		return "/"
	}
	for _, r := range target {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.IsAbs() || u.Host != "" || u.User != nil {
		return "/"
	}
	return target
}
