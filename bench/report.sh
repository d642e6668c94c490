#!/bin/bash
# nightjar report speed and memory (not a test: prints numbers).
#
# Generates RECORDS records (default 1,000,000: 50 hosts measured every 15
# minutes, about 200 days; every fifth host reset 18:00-24:00 local, every
# seventh slow 20:00-22:00) with tests/gen-records, as a probe's results
# directory of one file per round (--per-file 50), then times
# `nightjar report` over it (text and JSON) and, with BENCH_DB=1, over the
# same records in a collector-shaped SQLite database.  Prints wall time and
# peak RSS of each run and checks the expected windows were found.
#
# usage: bench/report.sh [RECORDS] [PER_FILE] [HOSTS]
#   HOSTS: hosts the records are spread over (default 50; a campaign's
#   report is many hosts measured a few times each, e.g. 300000 1000 30000)
#   NIGHTJAR=path/to/nightjar (default: ./probe/nightjar of the build tree);
#   build with the default CFLAGS (-O2), not -O0, for meaningful numbers.
#   BENCH_DIR=DIR keeps the generated records in DIR (reused when present).
set -eu

records=${1:-1000000}
per_file=${2:-50}
hosts=${3:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$here}
nightjar=${NIGHTJAR:-$build/probe/nightjar}
gen=$build/tests/gen-records

for f in "$nightjar" "$gen"; do
	test -x "$f" || { echo "bench/report.sh: build $f first" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "bench/report.sh: python3 is needed" >&2; exit 77; }
test -x /usr/bin/time || { echo "bench/report.sh: /usr/bin/time is needed" >&2; exit 77; }

tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
data=${BENCH_DIR:-$tmp/data}

if [ ! -d "$data/res" ]; then
	mkdir -p "$data"
	echo "generating $records records ($per_file per file) in $data ..."
	start=$(date +%s)
	python3 "$here/tests/report-gen.py" bench --records "$records" \
	    --hosts "$hosts" |
	    "$gen" --spec --spool "$data/res" --per-file "$per_file" --name r
	echo "  generated in $(( $(date +%s) - start )) s"
fi
files=$(find "$data/res" -name '*.msgpack' | wc -l)
bytes=$(du -sb "$data/res" | cut -f1)
echo "input: $records records, $files files, $(( bytes / 1048576 )) MiB"

run() {	# label, then the nightjar arguments
	label=$1
	shift
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$nightjar" "$@" \
	    > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	read -r secs kb < "$tmp/time"
	printf '%-22s %8s s  peak RSS %6d MiB  output %d KiB\n' "$label" \
	    "$secs" $(( kb / 1024 )) $(( $(stat -c %s "$tmp/out") / 1024 ))
}

find "$data/res" -name '*.msgpack' -exec cat {} + > /dev/null
# Page cache warm for every run: read the input once first.
run "report (text)" report "$data/res"
run "report --format json" report "$data/res" --format json
python3 - "$tmp/out" <<'PY'
import json, sys
t = {x["host"]: x for x in json.load(open(sys.argv[1]))["targets"]}
win = sum(1 for x in t.values() if [(w["start_hour"], w["end_hour"])
          for w in x["windows"]] == [(18, 24)])
slow = sum(1 for x in t.values() if [(w["start_hour"], w["end_hour"])
           for w in x["slow_windows"]] == [(20, 22)])
n = sum(x["measurements"] for x in t.values())
print("  %d hosts, %d measurements, %d evening windows, %d slow windows"
      % (len(t), n, win, slow))
PY
run "report --format svg" report "$data/res" --format svg

if [ "${BENCH_DB:-0}" = 1 ]; then
	if [ ! -f "$data/m.db" ]; then
		echo "loading the records into SQLite ..."
		python3 "$here/tests/report-gen.py" db "$data/res" \
		    --db "$data/m.db.tmp" > /dev/null
		mv "$data/m.db.tmp" "$data/m.db"
	fi
	cat "$data/m.db" > /dev/null
	run "report --db" report --db "$data/m.db" --format json
fi
