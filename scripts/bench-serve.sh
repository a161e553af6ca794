#!/bin/sh
# Benchmarks the session middleware of `skctl serve`: requests per second
# of GET /dashboard with a valid session, with the middleware and without
# it (the same handler chain given the user directly), measured in one run,
# and their ratio. The target is an overhead under 15%: with/without ≥ 0.87.
# Two ways: "handler" calls ServeHTTP with a ResponseWriter that drops the
# body (no network: the worst case), "loopback" goes over HTTP/1.1 on a
# keep-alive connection (what a user sees). The logic is in
# internal/webapp/bench_test.go; this only runs it and prints the ratios,
# and exits non-zero when a ratio is below the target.
#
#   scripts/bench-serve.sh                      # about 15 s on 2 cores
#   COUNT=3 BENCHTIME=3s scripts/bench-serve.sh # steadier, slower
#   scripts/bench-serve.sh -cpuprofile cpu.out  # extra go test flags
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out" "$out.rc"' EXIT
{
	rc=0
	go test -run '^$' -bench '^BenchmarkMiddleware$' -benchtime "${BENCHTIME:-2s}" \
		-count "${COUNT:-1}" -timeout 10m "$@" ./internal/webapp/ 2>&1 || rc=$?
	echo "$rc" >"$out.rc"
} | tee "$out"
rc=$(cat "$out.rc")
[ "$rc" -eq 0 ] || exit "$rc"
echo
awk -v min="${MIN_RATIO:-0.87}" '
/^BenchmarkMiddleware\// {
	name = $1; sub(/^BenchmarkMiddleware\//, "", name); sub(/-[0-9]+$/, "", name)
	for (i = 2; i < NF; i++) {
		if ($(i + 1) == "with/without") r = $i
		if ($(i + 1) == "req/s") w = $i
		if ($(i + 1) == "base-req/s") wo = $i
	}
	printf "%-9s with/without = %.3f (%.0f vs %.0f req/s): %s\n", name, r, w, wo, (r >= min ? "meets the target" : "BELOW the target") " of " min
	if (r < min) missed = 1
	seen = 1
}
# A missed target, or no ratio at all, fails the script.
END { exit (missed || !seen) }' "$out"
