#!/bin/bash
# nightjar-collector --dashboard: page render time and collector memory
# (not a test: prints numbers).
#
# For each size (default 100000 and 1000000 records: 50 hosts measured
# every 15 minutes by one probe; every fifth host reset 18:00-24:00 local,
# from tests/report-gen.py bench) the records are generated with
# tests/gen-records, uploaded with `nightjar upload` into a fresh SQLite
# collector, and GET / is timed (first load, then the median of 5), with
# and without filters, next to the collector's resident memory before and
# after.  With chromium installed, the page's full screenshot is taken
# (tests/dashboard-cdp.py) and its size printed.
#
# usage: bench/dashboard.sh [RECORDS...]
#   build with -O2; BENCH_DIR=DIR keeps the generated data in DIR.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$here}
nightjar=${NIGHTJAR:-$build/probe/nightjar}
collector=${NIGHTJAR_COLLECTOR:-$build/collector/nightjar-collector}
gen=$build/tests/gen-records
for f in "$nightjar" "$collector" "$gen"; do
	test -x "$f" || { echo "bench/dashboard.sh: build $f first" >&2; exit 2; }
done
for c in python3 curl; do
	command -v $c >/dev/null ||
	    { echo "bench/dashboard.sh: $c is needed" >&2; exit 77; }
done
chromium=$(command -v chromium || true)

tmp=$(mktemp -d)
cpid=
cleanup() {
	if [ -n "$cpid" ]; then kill "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
base=${BENCH_DIR:-$tmp}

rss() {	# resident and peak resident KiB of pid $1
	awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {print r, h}' /proc/"$1"/status
}

get() {	# path: prints seconds
	curl -s -o "$tmp/page.html" -w '%{time_total}\n' \
	    "http://127.0.0.1:$port$1"
}

median5() {	# path
	for i in 1 2 3 4 5; do get "$1"; done | sort -n | sed -n 3p
}

cpu_ms() {	# CPU time (user + system) of pid $1 so far, ms
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' \
	    /proc/"$1"/stat
}

for records in "${@:-100000 1000000}"; do
	data=$base/d$records
	if [ ! -d "$data/res" ]; then
		mkdir -p "$data"
		python3 "$here/tests/report-gen.py" bench --records "$records" |
		    "$gen" --spec --spool "$data/res" --per-file 500 --name r
	fi
	db=$tmp/c.db
	rm -f "$db"*
	# With BENCH_DIR the loaded database is kept there and reused.
	if [ -n "${BENCH_DIR:-}" ]; then
		db=$data/c.db
	fi
	"$collector" --listen 127.0.0.1:0 --db "$db" --dashboard-public \
	    -q > "$tmp/c.out" 2> "$tmp/c.err" &
	cpid=$!
	for i in $(seq 100); do
		grep -q '^listening on' "$tmp/c.out" && break
		sleep 0.1
	done
	port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$tmp/c.out")
	up=0
	if [ ! -f "$data/loaded" ] || [ "$db" = "$tmp/c.db" ]; then
		rm -rf "$tmp/spool"
		cp -r "$data/res" "$tmp/spool"
		start=$(date +%s.%N)
		"$nightjar" upload --results "$tmp/spool" \
		    --collector "http://127.0.0.1:$port" 2> "$tmp/upload.err" ||
		    { tail -3 "$tmp/upload.err" >&2; exit 1; }
		up=$(echo "$(date +%s.%N) - $start" | bc)
		[ "$db" = "$tmp/c.db" ] || touch "$data/loaded"
	fi
	read -r r0 h0 <<< "$(rss "$cpid")"
	echo "== $records records: uploaded in ${up%???????} s," \
	    "database $(( $(du -cb "$db"* | tail -1 | cut -f1) / 1048576 )) MiB," \
	    "collector RSS $(( r0 / 1024 )) MiB (peak $(( h0 / 1024 )) MiB)"
	first=$(get /)
	c0=$(cpu_ms "$cpid")
	med=$(median5 /)
	c1=$(cpu_ms "$cpid")
	printf '  GET /                       first %6.3f s, median of 5 %6.3f s, page %d KiB\n' \
	    "$first" "$med" $(( $(stat -c %s "$tmp/page.html") / 1024 ))
	# wall time depends on the machine's load; the collector's CPU
	# time (its loop and its database thread) much less
	echo "  GET /                       collector CPU $(( (c1 - c0) / 5 )) ms a page"
	timed() {	# label path: median wall time, collector CPU a request
		local c0 c1 med
		c0=$(cpu_ms "$cpid")
		med=$(median5 "$2")
		c1=$(cpu_ms "$cpid")
		printf '  %-32s median %6.3f s, collector CPU %d ms\n' "$1" \
		    "$med" $(( (c1 - c0) / 5 ))
	}
	timed 'GET /?since=..&until=.. (1 week)' '/?since=2026-11-09&until=2026-11-15'
	timed 'GET /?probe_id=probe-bench' '/?probe_id=probe-bench'
	timed 'GET /v1/measurements (1000)' '/v1/measurements?host=host00.example&hour=19'
	timed 'GET /v1/measurements?hours=18-24' '/v1/measurements?host=host00.example&hours=18-24&limit=100000'
	read -r r1 h1 <<< "$(rss "$cpid")"
	echo "  collector RSS after the pages $(( r1 / 1024 )) MiB (peak $(( h1 / 1024 )) MiB)"
	if [ -n "$chromium" ]; then
		mkdir -p "$tmp/shot"
		if python3 "$here/tests/dashboard-cdp.py" "$chromium" \
		    "http://127.0.0.1:$port/" "Basic eDp4" "$tmp/shot"; then
			echo "  screenshot $(stat -c %s "$tmp/shot/dashboard.png") bytes" \
			    "($(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$tmp/shot/dashboard.png") px)"
		fi
		rm -rf "$tmp/shot"
	fi
	kill "$cpid"
	wait "$cpid" 2>/dev/null || true
	cpid=
done
