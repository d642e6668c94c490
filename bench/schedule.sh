#!/bin/bash
# The daemon's cost over time (not a test: prints numbers).
#
# `nightjar run` at --interval 1 --jitter 0 against closed loopback ports:
# resident memory after a few rounds and after ROUNDS more; then the same
# after RELOADS SIGHUPs (each builds a new engine: resolvers, TLS context,
# roots); then CPU used while idle between rounds (--interval 3600).
#
# usage: bench/schedule.sh [ROUNDS] [RELOADS] [IDLE_SECONDS]
#   NIGHTJAR=path/to/nightjar (default: ./probe/nightjar of the build tree)
set -eu

rounds=${1:-60}
reloads=${2:-100}
idle=${3:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
nightjar=${NIGHTJAR:-${top_builddir:-$here}/probe/nightjar}
test -x "$nightjar" || { echo "bench/schedule.sh: build $nightjar first" >&2; exit 2; }

tmp=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT

port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
for i in 1 2 3 4; do echo "127.0.0.1:$(port)"; done > "$tmp/targets.txt"

files() { find "$tmp/results" -maxdepth 1 -name '*.msgpack' 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
cpu_ms() {	# utime + stime of $pid in milliseconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' \
	    "/proc/$pid/stat"
}
wait_files() {
	while [ "$(files)" -lt "$1" ]; do sleep 0.2; done
}

"$nightjar" run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --interval 1 --jitter 0 --timeout 1000 -q 2>/dev/null &
pid=$!
wait_files 5
rss0=$(rss_kb)
t0=$(date +%s.%N)
wait_files $((5 + rounds))
t1=$(date +%s.%N)
rss1=$(rss_kb)
printf 'rounds: %d in %.1f s (interval 1 s), RSS %d kB after 5 rounds, %d kB after %d\n' \
    "$rounds" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$rss0" "$rss1" "$((5 + rounds))"

n=$(files)
for i in $(seq 1 "$reloads"); do
	kill -HUP "$pid"
	sleep 0.05
done
wait_files $((n + 3))
rss2=$(rss_kb)
printf 'reloads: %d SIGHUPs, RSS %d kB after them (%+d kB)\n' \
    "$reloads" "$rss2" "$((rss2 - rss1))"
kill -TERM "$pid"
wait "$pid" || true
pid=

"$nightjar" run --targets "$tmp/targets.txt" --results "$tmp/results2" \
    --interval 3600 --jitter 0 --timeout 1000 -q 2>/dev/null &
pid=$!
while [ "$(find "$tmp/results2" -maxdepth 1 -name '*.msgpack' 2>/dev/null | wc -l)" -lt 1 ]; do
	sleep 0.2
done
c0=$(cpu_ms)
sleep "$idle"
c1=$(cpu_ms)
printf 'idle: %.0f ms CPU in %d s between rounds\n' "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" "$idle"
kill -TERM "$pid"
wait "$pid" || true
pid=
