#!/bin/sh
# Benchmarks the management API of `skctl mock-idp` end to end: a
# connect-go gRPC client (connect.WithGRPC(), as an SDK calls) over
# loopback HTTP, with a client_credentials token of the default app. Each
# ratio's two sides are measured in one run, in alternating phases. The
# targets:
#
#   get-organization-http1   GetOrganization calls/s, mock ÷ a bare connect-go
#   get-organization-h2c     handler returning the same Organization, over
#                            HTTP/1.1 (the Go SDK) and h2c (the Node SDK):
#                            mock/bare ≥ 0.8
#   create-user-100k-vs-100  CreateUserAndMembership calls/s with 100,000
#                            users stored ÷ with 100: users-100k/100 ≥ 0.5
#   rss-100k-users           the process's VmRSS with one environment of
#                            100,000 users: rss-MB ≤ 150
#
# The logic is in internal/mockidp/bench_mgmt_test.go; this only runs it,
# prints one line per target, and exits non-zero when a target is missed
# or was not measured.
#
#   scripts/bench-mgmt.sh                      # about a minute on 2 cores
#   COUNT=3 BENCHTIME=10s scripts/bench-mgmt.sh # steadier, slower
#   scripts/bench-mgmt.sh -cpuprofile cpu.out  # extra go test flags
#
# BENCHTIME must be a duration (8s), not a count (100x): an iteration is a
# round of both sides, and of rss-100k-users a whole 100,000-user
# environment.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out" "$out.rc"' EXIT
{
	rc=0
	go test -run '^$' -bench '^BenchmarkMgmt$' -benchtime "${BENCHTIME:-8s}" \
		-count "${COUNT:-1}" -timeout 20m "$@" ./internal/mockidp/ 2>&1 || rc=$?
	echo "$rc" >"$out.rc"
} | tee "$out"
rc=$(cat "$out.rc")
[ "$rc" -eq 0 ] || exit "$rc"
echo
awk -v min_org="${MIN_ORG_RATIO:-0.8}" -v min_users="${MIN_USERS_RATIO:-0.5}" -v max_rss="${MAX_RSS_MB:-150}" '
/^BenchmarkMgmt\// {
	name = $1; sub(/^BenchmarkMgmt\//, "", name); sub(/-[0-9]+$/, "", name)
	split("", m)
	for (i = 2; i < NF; i++) m[$(i + 1)] = $i
	if ("mock/bare" in m) {
		r = m["mock/bare"]; ok = r >= min_org
		printf "%-24s mock/bare = %.3f (%.0f vs %.0f calls/s): %s of %s\n", name, r, m["calls/s"], m["base-calls/s"], (ok ? "meets the target" : "BELOW the target"), "≥ " min_org
	} else if ("users-100k/100" in m) {
		r = m["users-100k/100"]; ok = r >= min_users
		printf "%-24s users-100k/100 = %.3f (%.0f vs %.0f calls/s): %s of %s\n", name, r, m["calls/s"], m["base-calls/s"], (ok ? "meets the target" : "BELOW the target"), "≥ " min_users
	} else if ("rss-MB" in m) {
		r = m["rss-MB"]; ok = r > 0 && r <= max_rss
		printf "%-24s rss-MB = %.1f MB (%.1f MB before the environment, Go heap %.1f MB): %s of ≤ %s MB\n", name, r, m["rss-before-MB"], m["heap-MB"], (ok ? "meets the target" : "BELOW the target"), max_rss
	} else {
		next
	}
	seen[name] = 1
	if (!ok) missed = 1
}
# A missed target, or one never measured, fails the script.
END {
	n = split("rss-100k-users get-organization-http1 get-organization-h2c create-user-100k-vs-100", want, " ")
	for (i = 1; i <= n; i++) if (!(want[i] in seen)) {
		printf "%-24s no ratio seen: NOT MEASURED\n", want[i]
		missed = 1
	}
	exit missed
}' "$out"
