#!/bin/bash
# nightjar report --db on a real collector's database: the pinned records
# uploaded to nightjar-collector on loopback give the same report from
# the collector's SQLite file as from the probe's results directory.
set -eu
. "$top_srcdir/tests/lib-collector.sh"
GOLDEN=$top_srcdir/tests/report-golden

command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 needed" >&2; exit 77; }

python3 "$top_srcdir/tests/report-gen.py" spec > "$work/spec.txt"
"$GEN" --spec --spool "$work/res" --name r --per-file 500 < "$work/spec.txt"

start_collector --listen 127.0.0.1:0 --db "$work/c.db"
${NJ_WRAP:-} "$NJ" upload --results "$work/res" \
    --collector "http://127.0.0.1:$CPORT" 2> "$work/up.err" ||
	fail "upload: $(cat "$work/up.err")"
grep -q '^uploaded 12096, pending 0$' "$work/up.err" ||
	fail "upload: $(tail -1 "$work/up.err")"

# While the collector runs (WAL database in use), and after it stopped.
${NJ_WRAP:-} "$NJ" report --db "$work/c.db" --format json > "$work/live.json" \
    2> "$work/report.err" || fail "report --db: $(cat "$work/report.err")"
diff -u "$GOLDEN/windows.json" "$work/live.json" ||
	fail "report of the live collector database differs from golden"
stop_collector "$CPID"
${NJ_WRAP:-} "$NJ" report --db "$work/c.db" > "$work/db.txt"
diff -u "$GOLDEN/windows.txt" "$work/db.txt" ||
	fail "text report of the collector database differs from golden"
# The uploaded files moved to sent/ and still count.
[ -z "$(ls "$work/res"/*.msgpack 2>/dev/null)" ] || fail "files left pending"
${NJ_WRAP:-} "$NJ" report "$work/res" --format json > "$work/files.json"
cmp "$work/files.json" "$work/live.json" || fail "files and database differ"
echo "PASS: report on a collector database"
