#!/bin/bash
# nightjar report --db: the same records read from a collector-shaped
# SQLite database give the same report as the record files; a damaged
# record blob is skipped with a warning; a file that is not such a
# database is an input error (exit 2).
set -eu
. "$top_srcdir/tests/report-lib.sh"

make_results "$T/res"
n=$(python3 "$GENPY" db "$T"/res/*.msgpack --db "$T/m.db")
[ "$n" = 12096 ] || fail "stored $n records"

$NJ report "$T/res" --format json > "$T/files.json"
$NJ report --db "$T/m.db" --format json > "$T/db.json" 2> "$T/err"
[ ! -s "$T/err" ] || fail "unexpected stderr: $(cat "$T/err")"
cmp "$T/files.json" "$T/db.json" || fail "--db report differs from files"
diff -u "$GOLDEN/windows.json" "$T/db.json" || fail "differs from golden"

# A damaged blob: warned about, the rest still reported, exit 0.
python3 - "$T/m.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO measurements(id, record) VALUES('bad', x'85a3666f')")
c.execute("INSERT INTO measurements(id, record) VALUES('bad2', x'c1')")
c.commit()
PY
$NJ report --db "$T/m.db" --format json > "$T/db2.json" 2> "$T/err"
cmp "$T/files.json" "$T/db2.json" || fail "damaged blob changed the report"
grep -q "m.db: 2 damaged records skipped" "$T/err" ||
	fail "no warning: $(cat "$T/err")"

# Files and database together: every measurement counted twice.
$NJ report "$T/res" --db "$T/m.db" --format json > "$T/both.json" 2>/dev/null
python3 - "$T/files.json" "$T/both.json" <<'PY'
import json, sys
a = {t["host"]: t["measurements"] for t in json.load(open(sys.argv[1]))["targets"]}
b = {t["host"]: t["measurements"] for t in json.load(open(sys.argv[2]))["targets"]}
assert b == {h: 2 * n for h, n in a.items()}, (a, b)
PY

# Not a collector database.
echo "hello" > "$T/not.db"
rc=0
$NJ report --db "$T/not.db" > /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] || fail "not a database: exit $rc"
grep -q "not.db" "$T/err" || fail "error does not name the file"
rc=0
$NJ report --db "$T/missing.db" > /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] || fail "missing database: exit $rc"
[ ! -e "$T/missing.db" ] || fail "report created the database"
echo "PASS: report db"
