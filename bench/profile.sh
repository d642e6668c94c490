#!/bin/bash
# Where a campaign's CPU goes (not a test: prints numbers).  The
# bench/campaign.sh lab (nginx, dnsmasq, NAMES names over ADDRS loopback
# addresses) measured once with nightjar under valgrind's callgrind, which
# counts instructions, not seconds: the figures repeat for the same binary
# and inputs however busy the machine is.  Prints instructions per target
# and the functions with the most inclusive cost.
#
# usage: bench/profile.sh [NAMES] [ADDRS]
#   CG_OUT=FILE keeps the callgrind output; TOP=N functions listed (40)
set -eu

names=${1:-1000}
naddrs=${2:-100}
. "$(dirname "$0")/lib.sh"
bench_init bench/profile.sh nginx dnsmasq openssl valgrind callgrind_annotate python3

bench_lab "$names" "$naddrs"

cg=${CG_OUT:-$tmp/cg.out}
valgrind --tool=callgrind --callgrind-out-file="$cg" \
    "$nightjar" run --once --campaign bench \
    --targets "$tmp/targets.txt" --results "$tmp/results" \
    --resolver "127.0.0.1:$dns_port" --ca-file "$tmp/ca.pem" \
    --interception-cas "$here/targets/interception-cas" \
    --timeout 60000 --concurrency 100 2> "$tmp/run.err" || true
ok=$(awk -F': ' '$1 == "ok" { print $2 }' "$tmp/run.err")
total=$(callgrind_annotate "$cg" 2>/dev/null |
    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
echo "targets: $names (ok: ${ok:-?}) over $naddrs addresses"
awk -v t="$total" -v n="$names" 'BEGIN {
	printf "instructions: %.0f total, %.2f M per target\n", t, t / n / 1e6 }'
echo "most inclusive cost (instructions, share):"
callgrind_annotate --inclusive=yes "$cg" 2>/dev/null |
    awk '/^-+$/ { sec++ } sec >= 3 && /[0-9]/ && NF >= 2' | head -${TOP:-40}
