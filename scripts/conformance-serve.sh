#!/bin/sh
# Times a full `skctl conformance` run against `skctl serve`, as a user
# runs it: three processes over loopback. It builds skctl, starts
# `skctl mock-idp` on a free port with serve's callback registered, starts
# `skctl serve` with the settings the mock prints, waits until both log
# that they are ready, runs every test with --output json, and prints the
# wall time and its ratio to the 30 s target. It exits non-zero when a
# test failed or the run took 30 s or more.
#
#   scripts/conformance-serve.sh              # a few seconds once built
#   KEEP=1 scripts/conformance-serve.sh       # keep the report and logs (the path is printed)
#
# serve's port is picked at random and tried: only a listen proves a port
# free, and the mock must know serve's callback before serve starts. A
# port in use (serve exits 2) is tried again with another.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
mock_pid= serve_pid=
cleanup() {
	for pid in $serve_pid $mock_pid; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	if [ -n "${KEEP:-}" ]; then echo "report and logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building skctl"
go build -o "$tmp/skctl" ./cmd/skctl

# wait_log FILE PID TEXT: waits until FILE has a line with TEXT, while PID
# runs; fails, showing FILE, if PID exits first or 60 s pass. It polls the
# log the process writes (no fixed sleep: it returns as soon as the line
# is there).
wait_log() {
	n=0
	until grep -qs "$3" "$1"; do
		if ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		n=$((n + 1))
		if [ "$n" -gt 600 ]; then
			echo "no \"$3\" in 60 s:" >&2
			cat "$1" >&2
			exit 1
		fi
		sleep 0.1
	done
}

attempt=0
while :; do
	attempt=$((attempt + 1))
	port=$(awk -v seed="$$$attempt" 'BEGIN { srand(seed); print 20000 + int(rand() * 40000) }')
	app="http://127.0.0.1:$port"
	"$tmp/skctl" mock-idp --addr 127.0.0.1:0 --redirect-uri "$app/api/auth/callback" \
		--post-logout-redirect-uri "$app/" >"$tmp/mock.env" 2>"$tmp/mock.log" &
	mock_pid=$!
	if ! wait_log "$tmp/mock.log" "$mock_pid" 'msg="mock-idp ready"'; then
		echo "mock-idp stopped:" >&2
		cat "$tmp/mock.log" >&2
		exit 1
	fi
	# SCALEKIT_ENVIRONMENT_URL, _CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI.
	set -a
	. "$tmp/mock.env"
	set +a
	SKCTL_ADDR="127.0.0.1:$port" "$tmp/skctl" serve --env-file "" >"$tmp/serve.out" 2>"$tmp/serve.log" &
	serve_pid=$!
	if wait_log "$tmp/serve.log" "$serve_pid" 'msg="serve ready"'; then
		break
	fi
	wait "$serve_pid" || rc=$?
	serve_pid=
	kill "$mock_pid" && wait "$mock_pid" || true
	mock_pid=
	if [ "${rc:-0}" -ne 2 ] || [ "$attempt" -ge 5 ] || ! grep -q 'listen on' "$tmp/serve.log"; then
		echo "serve stopped (exit ${rc:-0}):" >&2
		cat "$tmp/serve.log" >&2
		exit 1
	fi
	echo "port $port is in use; trying another"
done
echo "mock-idp at $SCALEKIT_ENVIRONMENT_URL, serve at $app"

start=$(date +%s.%N)
rc=0
"$tmp/skctl" conformance --idp-url "$SCALEKIT_ENVIRONMENT_URL" --app-url "$app" --output json \
	>"$tmp/report.json" 2>"$tmp/conformance.log" || rc=$?
end=$(date +%s.%N)

if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	echo "skctl conformance exited $rc:" >&2
	cat "$tmp/conformance.log" >&2
	exit "$rc"
fi
# The counts and the failed tests, read from the JSON report (its
# "status" lines, one per test).
awk '
/^      "id": / { id = $2; gsub(/[",]/, "", id) }
/^      "status": / { st = $2; gsub(/[",]/, "", st); n[st]++; if (st == "fail") print "FAIL " id }
END { printf "tests: %d pass, %d fail, %d skipped\n", n["pass"], n["fail"], n["skipped"] }' "$tmp/report.json"
awk -v s="$start" -v e="$end" -v rc="$rc" 'BEGIN {
	wall = e - s
	printf "wall time: %.2f s for the full run against serve; ratio to the 30 s target: %.3f\n", wall, wall / 30
	if (wall >= 30) { print "the run took 30 s or more: the target is missed"; exit 1 }
	if (rc != 0) { print "a test failed"; exit 1 }
}'
