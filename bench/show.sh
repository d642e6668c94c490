#!/bin/bash
# `nightjar show` over a large spool (not a test: prints numbers).
#
# tests/gen-records writes RECORDS records (HOSTS hosts, files of 5,000
# records, the way a campaign spools them); `nightjar show` reads, checks
# and merges them all in start_time order and prints JSON Lines to
# /dev/null.  RECORDS defaults to 1,000,000.  Prints the spool
# and output sizes, records/s and peak RSS, with the load average (the
# figures mean little on a busy machine).
#
# usage: bench/show.sh [RECORDS] [HOSTS]
#   NIGHTJAR=path/to/nightjar (default: ./probe/nightjar of the build tree)
set -eu

records=${1:-1000000}
hosts=${2:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$here}
nightjar=${NIGHTJAR:-$build/probe/nightjar}
gen=$build/tests/gen-records
for f in "$nightjar" "$gen" /usr/bin/time; do
	test -x "$f" || { echo "bench/show.sh: $f is needed (build first)" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gen" --count "$records" --hosts "$hosts" --spool "$tmp/r" --per-file 5000
spool_mb=$(du -sm "$tmp/r" | cut -f1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -f '%e %U %M' -o "$tmp/time" "$nightjar" show "$tmp/r" >/dev/null
"$nightjar" show "$tmp/r" | wc -c >"$tmp/bytes"
read -r wall user rss <"$tmp/time"
out_mb=$(( $(cat "$tmp/bytes") / 1048576 ))
echo "records:     $records ($hosts hosts, ${spool_mb} MiB of msgpack, ${out_mb} MiB of JSON)"
echo "show:        ${wall} s wall, ${user} s user, peak RSS $((rss / 1024)) MiB"
awk -v n="$records" -v w="$wall" -v u="$user" 'BEGIN {
	printf "throughput:  %.0f records/s wall, %.0f records/s of CPU\n", n / w, n / u }'
echo "load:        $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
