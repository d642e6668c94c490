#!/bin/bash
# The collector's HTTP interface on loopback: tokens (401), duplicates,
# invalid batches refused whole (400, nothing stored, collector alive),
# oversize (413), 404/405, health, export.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

printf '# test tokens\nsecret-token\nbound-token probe-x\n' >"$work/tokens"
chmod 600 "$work/tokens"
db=$work/c.db

# A world-readable tokens file is refused at start.
cp "$work/tokens" "$work/tokens-open"
chmod 644 "$work/tokens-open"
rc=0
njc --listen 127.0.0.1:0 --db "$work/x.db" --tokens "$work/tokens-open" \
    >/dev/null 2>"$work/open.err" || rc=$?
[ $rc -eq 2 ] || fail "world-readable tokens: exit $rc"
grep -q 'readable by every user' "$work/open.err" || fail "no reason given"

start_collector --listen 127.0.0.1:0 --db "$db" --tokens "$work/tokens" \
    --max-body 200000
port=$CPORT

"$GEN" --count 5 --seed 1 >"$work/five.msgpack"
batch "$work/five.batch" "$work/five.msgpack"

r=$(http $port GET /v1/health)
[ "${r%% *}" = 200 ] || fail "health: $r"

r=$(http $port POST /v1/measurements "$work/five.batch")
case $r in 401\ *error*) ;; *) fail "no token: $r" ;; esac
r=$(http $port POST /v1/measurements "$work/five.batch" --token wrong)
case $r in 401\ *error*) ;; *) fail "wrong token: $r" ;; esac
[ "$(sqlite3 "$db" 'SELECT count(*) FROM measurements')" = 0 ] ||
    fail "stored without a token"

r=$(http $port POST /v1/measurements "$work/five.batch" --token secret-token)
[ "$r" = '200 {"accepted": 5, "duplicates": 0}' ] || fail "first: $r"
r=$(http $port POST /v1/measurements "$work/five.batch" --token secret-token)
[ "$r" = '200 {"accepted": 0, "duplicates": 5}' ] || fail "again: $r"
[ "$(stored_ids "$db")" = "$(ids "$work/five.msgpack")" ] ||
    fail "stored ids differ from the sent ones"
[ "$(sqlite3 "$db" "SELECT count(*) FROM measurements WHERE
    probe_id = 'gen-probe' AND host <> '' AND status <> '' AND
    start_time LIKE '2026-%Z' AND received_at LIKE '20%Z' AND
    length(record) > 100")" = 5 ] || fail "columns not filled"

# A token bound to another probe id may not upload gen-probe's records.
r=$(http $port POST /v1/measurements "$work/five.batch" --token bound-token)
case $r in 403\ *probe_id*) ;; *) fail "bound token: $r" ;; esac

# Invalid batches: refused whole, nothing stored, collector alive.
"$GEN" --count 3 --seed 2 >"$work/three.msgpack"
printf '\x81\xa2id\xa3bad' >"$work/bad-record"
batch "$work/mixed.batch" "$work/three.msgpack" "$work/bad-record"
r=$(http $port POST /v1/measurements "$work/mixed.batch" --token secret-token)
case $r in 400\ *'record 3'*) ;; *) fail "one bad record: $r" ;; esac
printf '\xdd\xff\xff\xff\xff\x80' >"$work/huge"
r=$(http $port POST /v1/measurements "$work/huge" --token secret-token)
case $r in 400\ *exceeds*) ;; *) fail "huge count: $r" ;; esac
python3 -c 'import sys; sys.stdout.buffer.write(b"\x91" * 50000)' >"$work/deep"
r=$(http $port POST /v1/measurements "$work/deep" --token secret-token)
case $r in 400\ *) ;; *) fail "deep nesting: $r" ;; esac
head -c 100000 /dev/urandom >"$work/random"
r=$(http $port POST /v1/measurements "$work/random" --token secret-token)
case $r in 400\ *) ;; *) fail "random bytes: $r" ;; esac
# Every single-bit flip of a small batch: 2xx or 4xx, never a crash.
"$GEN" --count 1 --seed 3 >"$work/one.msgpack"
batch "$work/one.batch" "$work/one.msgpack"
python3 - "$LAB" "$port" "$work/one.batch" >"$work/flips" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import njhttp, http.client
port, data = int(sys.argv[2]), open(sys.argv[3], 'rb').read()
seen = {}
c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
for bit in range(0, len(data) * 8, 7):
    b = bytearray(data)
    b[bit // 8] ^= 1 << (bit % 8)
    c.request('POST', '/v1/measurements', body=bytes(b),
              headers={'Authorization': 'Bearer secret-token'})
    r = c.getresponse()
    r.read()
    seen[r.status] = seen.get(r.status, 0) + 1
    if r.getheader('Connection') == 'close':
        c.close()
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
print(' '.join('%d:%d' % kv for kv in sorted(seen.items())))
PY
grep -q '400:' "$work/flips" || fail "bit flips: $(cat "$work/flips")"
if grep -Eq '(^| )(5[0-9][0-9]|[13][0-9][0-9]):' "$work/flips"; then
	fail "bit flips: $(cat "$work/flips")"
fi
kill -0 $CPID || fail "collector died"
# Only the 5 good records and perhaps bit-flipped copies of "one" (each
# flip that still validates is a legitimate record) are stored.
n=$(sqlite3 "$db" "SELECT count(*) FROM measurements WHERE id IN
    ($(ids "$work/three.msgpack" | sed "s/.*/'&'/" | paste -sd,))")
[ "$n" = 0 ] || fail "records of a refused batch were stored"

# Oversize: 413.
head -c 300000 /dev/zero >"$work/big"
r=$(http $port POST /v1/measurements "$work/big" --token secret-token)
[ "${r%% *}" = 413 ] || fail "oversize: $r"
# A Content-Length over --max-body is answered at once, before any body,
# with JSON like every answer (tests/lab/early413.py).
r=$(python3 "$LAB/early413.py" "$port" 200000 secret-token 2>&1) ||
    fail "early 413: $r"
[ "$r" = ok ] || fail "early 413: $r"
r=$(http $port GET /v1/health)
[ "${r%% *}" = 200 ] || fail "health after the early 413s: $r"

# 404 / 405.
r=$(http $port GET /v1/nothing)
case $r in 404\ *error*) ;; *) fail "404: $r" ;; esac
r=$(http $port GET /v1/measurements)
case $r in 405\ *error*) ;; *) fail "405 GET measurements: $r" ;; esac
r=$(http $port DELETE /v1/measurements)
case $r in 405\ *) ;; *) fail "405 DELETE: $r" ;; esac
r=$(http $port POST /v1/health "$work/five.batch")
case $r in 405\ *) ;; *) fail "405 POST health: $r" ;; esac
r=$(http $port GET /v1/health)
[ "${r%% *}" = 200 ] || fail "health after abuse: $r"

# Export: JSON Lines, one per stored record.
njc export --db "$db" >"$work/export.jsonl"
[ "$(wc -l <"$work/export.jsonl")" = "$(sqlite3 "$db" 'SELECT count(*) FROM measurements')" ] ||
    fail "export line count"
python3 -c '
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1])]
assert len(ids) == len(set(ids)), "duplicate ids in export"
' "$work/export.jsonl" || fail "export is not JSON Lines"
for id in $(ids "$work/five.msgpack"); do
	grep -q "\"id\":\"$id\"" "$work/export.jsonl" || fail "export lacks $id"
done
njc export --db "$db" --since 2999-01-01 >"$work/none.jsonl"
[ ! -s "$work/none.jsonl" ] || fail "export --since in the future printed records"
rc=0
njc export --db "$db" --since yesterday >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "export --since yesterday: exit $rc"

stop_collector $CPID
echo "ok"
