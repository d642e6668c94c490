#!/bin/bash
# A bad record costs only itself: a pending file holding good records and,
# between them, two maps that are not valid records.  upload stores the good records (they go to sent/ as NAME.0001),
# and the bad ones go on their own: the collector refuses them and they
# land in rejected/NAME.invalid.msgpack, byte for byte, with its answer
# beside them.  report counts the good records of such a file.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

res=$work/results
db=$work/c.db
mkdir -p "$res" "$work/gen"
"$GEN" --count 2 --seed 41 --spool "$work/gen" --per-file 2 --name g1
"$GEN" --count 2 --seed 42 --spool "$work/gen" --per-file 2 --name g2
"$GEN" --count 1 --seed 43 --spool "$work/gen" --per-file 1 --name g3
"$GEN" --count 3 --seed 44 --spool "$res" --per-file 3 --name clean
# The packer cannot write a bad record: build them by hand.
printf '\x82\xa6schema\x01\xa2id\xa3bad' >"$work/bad-map"
printf '\x81\xa2id\xc0' >"$work/bad-nil-id"
cat "$work"/gen/g1*.msgpack "$work/bad-map" "$work"/gen/g2*.msgpack \
    "$work/bad-nil-id" "$work"/gen/g3*.msgpack >"$res/mixed.msgpack"
cat "$work/bad-map" "$work/bad-nil-id" >"$work/want-bad"
ids "$work"/gen/*.msgpack "$res"/clean*.msgpack >"$work/want"
[ "$(wc -l <"$work/want")" = 8 ] || fail "generator"

# report: the good records of the mixed file count.
nj report "$res" --format json >"$work/report.json" \
    2>"$work/report.err" || fail "report: $(cat "$work/report.err")"
python3 - "$work/report.json" <<'PY' || fail "report: $(cat "$work/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
n = sum(t["measurements"] for t in r["targets"])
assert n == 8, n
PY

start_collector --listen 127.0.0.1:0 --db "$db"
rc=0
nj upload --results "$res" --collector "http://127.0.0.1:$CPORT" \
    2>"$work/up.err" || rc=$?
[ $rc = 0 ] || fail "upload: exit $rc: $(cat "$work/up.err")"
grep -q '^uploaded 8, pending 0$' "$work/up.err" ||
    fail "upload: $(tail -1 "$work/up.err")"
grep -q 'mixed.msgpack: 2 invalid records (record 3: .*) set apart' \
    "$work/up.err" || fail "the bad records are not named: $(cat "$work/up.err")"
[ "$(stored_ids "$db")" = "$(cat "$work/want")" ] ||
    fail "stored ids differ from the good records"
cmp -s "$res/rejected/mixed.invalid.msgpack" "$work/want-bad" ||
    fail "rejected/ does not hold exactly the bad records"
grep -q '^HTTP 400' "$res/rejected/mixed.invalid.msgpack.response" ||
    fail "no answer beside the bad records"
grep -q '"error"' "$res/rejected/mixed.invalid.msgpack.response" ||
    fail "the answer lacks the reason"
[ "$(ids "$res/sent/mixed.0001.msgpack")" = \
    "$(ids "$work"/gen/*.msgpack)" ] || fail "sent/: the good records of the file"
[ -z "$(ls "$res"/*.msgpack 2>/dev/null)" ] ||
    fail "files left pending: $(ls "$res")"
stop_collector $CPID
