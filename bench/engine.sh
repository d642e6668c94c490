#!/bin/bash
# Measurement engine throughput and memory (not a test: prints numbers).
#
# A local nginx (one worker, ECDSA P-256, no session cache or tickets, so
# every handshake is full) and dnsmasq on loopback serving N names, all on
# 127.0.0.1 (set-up shared with the other benches: bench/lib.sh).  The
# baseline is two `openssl s_time -new` processes at once against the same
# server; then `nightjar run --once` measures every name (DNS A+AAAA,
# connect, full handshake, chain capture and verification, records
# spooled) at --concurrency 256, and again at 1000 for peak RSS, with no
# per-address limit (every name is one address).
#
# usage: bench/engine.sh [NAMES] [S_TIME_SECONDS]
#   NIGHTJAR=path/to/nightjar (default: ./probe/nightjar of the build tree)
#   WRAP="perf record -g -o /tmp/perf.data" runs nightjar under a profiler
set -eu

names=${1:-2000}
stime_secs=${2:-10}
. "$(dirname "$0")/lib.sh"
bench_init bench/engine.sh nginx dnsmasq openssl python3
bench_certs
bench_nginx 127.0.0.1
bench_dnsmasq "$names" 127.0.0.1
bench_wait 127.0.0.1

echo "cpu: $(nproc) cores; server: nginx $(nginx -v 2>&1 | sed 's/.*\///'), one worker, ECDSA P-256, full handshakes"

# --- baseline: two openssl s_time -new at once --------------------------
bench_stime "$stime_secs" 127.0.0.1
echo "baseline: two 'openssl s_time -new' at once: $stime_rate handshakes/s ($stime_n in ${stime_wall}s)"

# --- nightjar -----------------------------------------------------------
run_nightjar() {	# concurrency label
	rm -rf "$tmp/results"
	bench_timed "$2" ${WRAP:-} "$nightjar" run --once \
	    --targets "$tmp/targets.txt" --results "$tmp/results" \
	    --resolver "127.0.0.1:$dns_port" --ca-file "$tmp/ca.pem" \
	    --interception-cas "$here/targets/interception-cas" \
	    --timeout 10000 --concurrency "$1" --per-address 0 -v \
	    2> "$tmp/run.$2"
	ok=$(awk -F': ' '$1 == "ok" { print $2 }' "$tmp/run.$2")
	bytes=$(cat "$tmp/results"/*.msgpack | wc -c)
	rate=$(awk -v n="$names" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	# "measured N of N targets in S s (R targets/s), ..."
	round=$(awk '$1 == "measured" { sub(/^\(/, "", $9); printf "%.0f", $9 }' \
	    "$tmp/run.$2")
	echo "nightjar --concurrency $1: $names targets in ${wall}s = $rate targets/s (${round:-?}/s within the round; ok: ${ok:-?}), peak RSS $((rss / 1024)) MB, $bytes bytes of records"
	if [ "${ok:-0}" != "$names" ]; then
		echo "  (not every target was ok; stderr:)"
		sed 's/^/  /' "$tmp/run.$2" | tail -8
	fi
}
run_nightjar 256 c256
run_nightjar 1000 c1000
