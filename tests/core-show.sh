#!/bin/bash
# nightjar show: golden JSON Lines over a fixed spool made by gen-records,
# --pending against sent/, start_time order across files, damaged and
# foreign files warned about by name and skipped, hostile strings printed
# as valid JSON.
set -eu

: "${top_srcdir:?}" "${top_builddir:?}"
. "$top_srcdir/tests/lib-probe.sh"
GEN=$top_builddir/tests/gen-records
GOLD=$top_srcdir/tests/golden

# A fixed spool: two pending records, two sent ones, out of time order.
printf '%s\n' '# START TZ HOST STATUS METHOD TCP TLS PROBE' \
    '2026-11-03T18:30:00.250Z 18000 www.facebook.com blocked tcp_reset 12.5 - kz-1' \
    '2026-11-01T07:00:00Z 18000 www.youtube.com ok - 20 85.5 kz-1' |
    "$GEN" --spec --seed 7 --spool "$T/r" --name pending
printf '%s\n' \
    '2026-11-02T12:00:00Z -3600 i.ytimg.com intercepted tls_mitm 10 40 kz-2' \
    '2026-11-02T12:00:00Z -3600 static.xx.fbcdn.net blocked dns_nxdomain - - kz-2' |
    "$GEN" --spec --seed 8 --spool "$T/r" --sent --name sent
test -f "$T/r/pending-000001.msgpack" || fail "gen-records wrote no spool file"
test -f "$T/r/sent/sent-000001.msgpack" || fail "gen-records wrote no sent file"

# All records, in start_time order, byte for byte.
$NJ show "$T/r" >"$T/all.jsonl" 2>"$T/err"
diff -u "$GOLD/core-show.jsonl" "$T/all.jsonl" || fail "show DIR differs from golden"
test ! -s "$T/err" || fail "unexpected stderr: $(cat "$T/err")"
python3 - "$T/all.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(recs) == 4, len(recs)
times = [r["start_time"] for r in recs]
assert times == sorted(times), times
assert [r["target"]["host"] for r in recs] == ["www.youtube.com",
    "i.ytimg.com", "static.xx.fbcdn.net", "www.facebook.com"]
assert recs[1]["verdict"]["interception_ca"] == "CN=Qaznet Trust Network"
assert recs[2]["tcp"] == [] and recs[2]["tls"] == []
assert recs[3]["verdict"]["method"] == "tcp_reset"
assert recs[0]["campaign"] is None
PY

# --pending: only DIR/*.msgpack.
$NJ show --pending "$T/r" >"$T/pending.jsonl"
diff -u "$GOLD/core-show-pending.jsonl" "$T/pending.jsonl" || fail "show --pending differs"
grep -q '"probe_id":"kz-2"' "$T/pending.jsonl" && fail "--pending printed sent records"

# A file path works too, and several paths are merged in time order.
$NJ show "$T/r/sent/sent-000001.msgpack" >"$T/one.jsonl"
test "$(wc -l <"$T/one.jsonl")" -eq 2 || fail "show FILE: want 2 lines"
$NJ show "$T/r/sent/sent-000001.msgpack" "$T/r/pending-000001.msgpack" >"$T/two.jsonl"
cmp -s "$T/two.jsonl" "$T/all.jsonl" || fail "show FILE FILE differs from show DIR"

# Default path: ./results.
mkdir "$T/cwd"
cp -r "$T/r" "$T/cwd/results"
(cd "$T/cwd" && $NJ show) >"$T/default.jsonl"
cmp -s "$T/default.jsonl" "$T/all.jsonl" || fail "show without PATH is not ./results"

# Damaged files: a truncated copy, garbage, a non-map, a foreign map, an
# empty file.  Each is named on stderr; nothing of them is printed.
head -c 700 "$T/r/pending-000001.msgpack" >"$T/r/truncated.msgpack"
printf 'this is not msgpack\n' >"$T/r/garbage.msgpack"
printf '\x93\x01\x02\x03' >"$T/r/array.msgpack"
printf '\x81\xa3foo\xa3bar' >"$T/r/sent/foreign.msgpack"
: >"$T/r/empty.msgpack"
printf 'junk' >"$T/r/.tmp-in-progress.msgpack"
printf 'junk' >"$T/r/notes.txt"
$NJ show "$T/r" >"$T/damaged.jsonl" 2>"$T/err" || fail "show exited $? on damaged files"
diff -u "$GOLD/core-show.jsonl" "$T/damaged.jsonl" || fail "damaged files changed the output"
for f in truncated.msgpack garbage.msgpack array.msgpack sent/foreign.msgpack empty.msgpack; do
	grep -q "$T/r/$f: .*skipped" "$T/err" || fail "no warning naming $f: $(cat "$T/err")"
done
grep -q 'tmp-in-progress\|notes.txt' "$T/err" && fail "dotfile or unknown name was read"
test "$(grep -c skipped "$T/err")" -eq 5 || fail "want 5 warnings: $(cat "$T/err")"

# One bad record costs only itself: a file with two valid records, a map
# that is not a record and two more valid records prints the four valid
# ones and names the bad one.
mkdir "$T/mixed"
{
	cat "$T/r/pending-000001.msgpack"
	printf '\x82\xa6schema\x01\xa2id\xa3bad'
	cat "$T/r/sent/sent-000001.msgpack"
} >"$T/mixed/round.msgpack"
$NJ show "$T/mixed" >"$T/mixed.jsonl" 2>"$T/err" || fail "show exited $? on a bad record"
test "$(wc -l <"$T/mixed.jsonl")" -eq 4 || fail "bad record: want the 4 good records, got $(wc -l <"$T/mixed.jsonl")"
diff -u "$GOLD/core-show.jsonl" "$T/mixed.jsonl" || fail "bad record changed the good ones"
grep -q "$T/mixed/round.msgpack: record 3: .*skipped" "$T/err" || fail "bad record not named: $(cat "$T/err")"
test "$(grep -c skipped "$T/err")" -eq 1 || fail "want 1 warning: $(cat "$T/err")"

# A record with hostile strings still prints as valid JSON (one line).
printf '2026-11-04T00:00:00Z 0 a"b\\c\xff\xfe\x01z ok - 1 2 p\n' |
    "$GEN" --spec --spool "$T/h" --name hostile
$NJ show "$T/h" >"$T/hostile.jsonl"
test "$(wc -l <"$T/hostile.jsonl")" -eq 1 || fail "hostile record: want 1 line"
python3 - "$T/hostile.jsonl" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")                      # strictly valid UTF-8
r = json.loads(raw)
assert r["target"]["host"] == 'a"b\\c\ufffd\ufffd\x01z', repr(r["target"]["host"])
PY

# Missing path: exit 2 with the name; unknown option: exit 2.
set +e
$NJ show "$T/nope" >/dev/null 2>"$T/err"; rc=$?
set -e
test $rc -eq 2 || fail "missing path: exit $rc, want 2"
grep -q "$T/nope" "$T/err" || fail "missing path not named"
set +e
$NJ show --bogus >/dev/null 2>&1; rc=$?
set -e
test $rc -eq 2 || fail "unknown option: exit $rc, want 2"
echo "ok"
