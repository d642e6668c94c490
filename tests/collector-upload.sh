#!/bin/bash
# nightjar upload against a collector on loopback: a down collector keeps
# everything pending (exit 1, "uploaded 0, pending N"); once it is up every
# id is stored exactly once and the files move to sent/; the same records
# sent again are counted as duplicates; --collector is tried in order; a
# 4xx moves the batch to rejected/ with the answer beside it, while good
# files of the same batch still go through.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

res=$work/results
db=$work/c.db
mkdir -p "$res"
# 1,234 records: one file larger than a batch, and small files.
"$GEN" --count 1000 --seed 11 --spool "$res" --per-file 1000 --name big
"$GEN" --count 234 --seed 12 --spool "$res" --per-file 50 --name small
ids "$res"/*.msgpack >"$work/want"
[ "$(wc -l <"$work/want")" = 1234 ] || fail "generator"

# A port with nothing listening: start a collector, note it, stop it.
start_collector --listen 127.0.0.1:0 --db "$db"
port=$CPORT
stop_collector $CPID

rc=0
nj upload --results "$res" --collector "http://127.0.0.1:$port" \
    2>"$work/down.err" || rc=$?
[ $rc = 1 ] || fail "down collector: exit $rc"
grep -q '^uploaded 0, pending 1234$' "$work/down.err" ||
    fail "down collector: $(tail -1 "$work/down.err")"
[ "$(ids "$res"/*.msgpack)" = "$(cat "$work/want")" ] ||
    fail "pending records changed while the collector was down"
[ -z "$(ls "$res/sent")" ] || fail "files moved to sent/ without a 2xx"
[ -s "$res/upload-state" ] || fail "backoff state not persisted"
# The failures count carries over to the next run; the next attempt is
# 0.5-1 s away after the first failure, 1-2 s after the second.
read -r f1 next1 <"$res/upload-state"
[ "$f1" = 1 ] || fail "backoff state: $(cat "$res/upload-state")"
rc=0
nj upload --results "$res" --collector "http://127.0.0.1:$port" \
    2>/dev/null || rc=$?
[ $rc = 1 ] || fail "down collector, twice: exit $rc"
read -r f2 next2 <"$res/upload-state"
[ "$f2" = 2 ] || fail "backoff state after two runs: $(cat "$res/upload-state")"
[ "$next2" -gt "$next1" ] || fail "next attempt did not move forward"

# Up again on the same port, listed second after a dead one.
start_collector --listen "127.0.0.1:$port" --db "$db" -v
nj upload --results "$res" --collector "http://127.0.0.1:1" \
    --collector "http://127.0.0.1:$port" 2>"$work/up.err" ||
    fail "upload: $(cat "$work/up.err")"
grep -q '^uploaded 1234, pending 0$' "$work/up.err" ||
    fail "upload: $(tail -1 "$work/up.err")"
[ "$(stored_ids "$db")" = "$(cat "$work/want")" ] ||
    fail "stored ids differ from the spooled ones"
[ "$(sqlite3 "$db" 'SELECT count(DISTINCT id) FROM measurements')" = 1234 ] ||
    fail "not exactly once"
[ -z "$(ls "$res"/*.msgpack 2>/dev/null)" ] || fail "files left pending"
[ "$(ids "$res"/sent/*.msgpack)" = "$(cat "$work/want")" ] ||
    fail "sent/ does not hold every record once"
[ ! -e "$res/upload-state" ] || fail "backoff state not cleared"
# The 1,000-record file went as batches of at most 500.
! grep -Eq 'accepted (50[1-9]|5[1-9][0-9]|[6-9][0-9][0-9]|[0-9]{4})' \
    "$work/collector.err" || fail "a batch larger than 500 records"

# Nothing pending: exit 0 at once.
nj upload --results "$res" --collector "http://127.0.0.1:$port" \
    2>"$work/none.err" || fail "nothing pending: exit $?"
grep -q '^uploaded 0, pending 0$' "$work/none.err" || fail "nothing pending"

# The same records again (as if a crash lost the move to sent/):
# duplicates, nothing stored twice.
cp "$res"/sent/small*.msgpack "$res"/
nj upload --results "$res" --collector "http://127.0.0.1:$port" \
    2>"$work/dup.err" || fail "duplicates: exit $?"
grep -q '^uploaded 234, pending 0$' "$work/dup.err" ||
    fail "duplicates: $(tail -1 "$work/dup.err")"
grep -q 'accepted 0 duplicates 234' "$work/collector.err" ||
    fail "collector did not count duplicates"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM measurements')" = 1234 ] ||
    fail "duplicates stored"
stop_collector $CPID

# 4xx: rejected/ with the answer; good files of the batch still stored.
printf 'tok-123\n' >"$work/tokens"
chmod 600 "$work/tokens"
printf 'tok-123\n' >"$work/token"
db2=$work/c2.db
start_collector --listen 127.0.0.1:0 --db "$db2" --tokens "$work/tokens"
res2=$work/results2
mkdir -p "$res2"
"$GEN" --count 30 --seed 21 --spool "$res2" --per-file 10 --name a
# A file of well-formed maps that are not valid records.
printf '\x82\xa6schema\x01\xa2id\xa3bad' >"$res2/b-invalid.msgpack"
"$GEN" --count 10 --seed 22 --spool "$res2" --per-file 10 --name c
ids "$res2"/a*.msgpack "$res2"/c*.msgpack >"$work/want2"

# Wrong token: 401 for everything.  The records wait for a good token:
# nothing is set aside, the error names the token file, exit 1.
printf 'nope\n' >"$work/badtoken"
cp -r "$res2" "$work/results3"
rc=0
nj upload --results "$work/results3" --collector "http://127.0.0.1:$CPORT" \
    --token-file "$work/badtoken" 2>"$work/401.err" || rc=$?
[ $rc = 1 ] || fail "401: exit $rc"
grep -q '^uploaded 0, pending 41$' "$work/401.err" || fail "401: $(tail -1 "$work/401.err")"
grep -q "HTTP 401.*$work/badtoken" "$work/401.err" ||
    fail "401: the error does not name the token: $(cat "$work/401.err")"
[ "$(ls "$work/results3/rejected/" | grep -c '\.msgpack$')" = 0 ] ||
    fail "401: files set aside: $(ls "$work/results3/rejected/")"
[ "$(ls "$work/results3" | grep -c '\.msgpack$')" = 5 ] ||
    fail "401: pending files: $(ls "$work/results3")"
if ls "$work/results3/rejected/" | grep -q response; then
	fail "401: an answer file left behind"
fi

rc=0
nj upload --results "$res2" --collector "http://127.0.0.1:$CPORT" \
    --token-file "$work/token" 2>"$work/400.err" || rc=$?
[ $rc = 0 ] || fail "400: exit $rc: $(cat "$work/400.err")"
grep -q '^uploaded 40, pending 0$' "$work/400.err" ||
    fail "400: $(tail -1 "$work/400.err")"
[ -f "$res2/rejected/b-invalid.msgpack" ] || fail "invalid file not rejected"
grep -q '^HTTP 400' "$res2/rejected/b-invalid.msgpack.response" ||
    fail "no answer beside the rejected file"
grep -q '"error"' "$res2/rejected/b-invalid.msgpack.response" ||
    fail "the answer lacks the reason"
[ "$(stored_ids "$db2")" = "$(cat "$work/want2")" ] ||
    fail "good files of a refused batch not stored"
[ "$(ls "$res2"/sent | wc -l)" = 4 ] || fail "sent/: $(ls "$res2/sent")"

# --requeue-rejected puts the refused batch back; its answer goes with it.
rc=0
nj upload --results "$res2" --requeue-rejected 2>"$work/requeue.err" || rc=$?
[ $rc = 0 ] || fail "requeue: exit $rc: $(cat "$work/requeue.err")"
grep -q '^requeued 1 rejected file$' "$work/requeue.err" ||
    fail "requeue: $(cat "$work/requeue.err")"
[ -f "$res2/b-invalid.msgpack" ] || fail "requeue: the batch is not pending"
[ -z "$(ls "$res2/rejected")" ] ||
    fail "requeue: left in rejected/: $(ls "$res2/rejected")"
stop_collector $CPID

# http:// is for loopback only.
rc=0
nj upload --results "$res2" --collector http://192.0.2.1:8080 \
    2>"$work/plain.err" || rc=$?
[ $rc = 2 ] || fail "http:// to a remote host: exit $rc"
grep -q 'loopback' "$work/plain.err" || fail "no reason for refusing http://"
echo ok
