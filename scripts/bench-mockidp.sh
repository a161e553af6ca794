#!/bin/sh
# Benchmarks `skctl mock-idp` against baselines measured in the same run and
# prints the ratios and their targets: start-up vs a bare net/http server,
# discovery and /keys vs a bare handler, tokens vs the RS256 signing rate,
# the live heap after 1,000 vs 10,000 sign-ins (swept), the heap after
# 10,000 vs 100,000 (capped). It exits non-zero when a target is missed.
# The logic is in internal/mockidp/bench_test.go; this only runs it.
#
#   scripts/bench-mockidp.sh                      # about three minutes on 2 idle cores
#   BENCHTIME=5s scripts/bench-mockidp.sh         # steadier, slower
#   scripts/bench-mockidp.sh -cpuprofile cpu.out  # extra go test flags
#
# BENCHTIME must be a duration (1s, 5s), not a count (100x): the memory
# part repeats its 11,000 sign-ins on every iteration.
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench '^BenchmarkRatios$' -benchtime "${BENCHTIME:-2s}" \
	-count 1 -timeout 30m "$@" ./internal/mockidp/
