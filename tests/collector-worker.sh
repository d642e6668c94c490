#!/bin/bash
# The collector's SQLite work runs on its database worker, never on the
# event loop.  A test gate (NJ_TEST_STORE_GATE, a FIFO the worker's first
# job waits on) holds an upload's transaction in the worker for as long as
# the test likes: meanwhile /v1/health and a bad upload are answered, and
# the held upload is not; SIGTERM then waits for it, it is answered 200
# after its commit, and the collector exits 0.  Ordering only, no clock.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

db=$work/w.db
gate=$work/gate
mkfifo "$gate"

# upload PORT FILE: "STATUS BODY", waiting as long as the worker is held.
upload() {
	LAB=$LAB python3 -c '
import os, sys
sys.path.insert(0, os.environ["LAB"])
import njhttp
st, b = njhttp.request(int(sys.argv[1]), "POST", "/v1/measurements",
                       open(sys.argv[2], "rb").read(), timeout=600)
print(st, b.decode().strip())
' "$@"
}

# wait_for WHAT CMD...: until CMD succeeds (generous: valgrind is slow).
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 3000); do
		"$@" && return 0
		kill -0 "$CPID" 2>/dev/null || fail "collector died ($what)"
		sleep 0.05
	done
	fail "never happened: $what"
}

export NJ_TEST_STORE_GATE=$gate
start_collector --listen 127.0.0.1:0 --db "$db" -v
unset NJ_TEST_STORE_GATE
port=$CPORT

"$GEN" --count 7 --seed 3 >"$work/seven.msgpack"
batch "$work/seven.batch" "$work/seven.msgpack"

upload $port "$work/seven.batch" >"$work/held.out" 2>&1 &
upid=$!

# Opening the FIFO for writing returns once the worker opened it: from
# then on the upload's job is in the worker until a byte is written.
(
	exec 3>"$gate"
	touch "$work/holding"
	while [ ! -e "$work/release" ]; do sleep 0.05; done
	printf x >&3
) &
gpid=$!
wait_for "the worker takes the upload" test -e "$work/holding"

r=$(http $port GET /v1/health)
[ "$r" = '200 {"status": "ok", "database": "ok"}' ] ||
    fail "health while the worker is busy: $r"
printf '\x91\xc0' >"$work/bad.batch"
r=$(http $port POST /v1/measurements "$work/bad.batch")
case $r in 400\ *error*) ;; *) fail "bad batch while busy: $r" ;; esac
kill -0 $upid 2>/dev/null || fail "held upload answered: $(cat "$work/held.out")"
[ ! -s "$work/held.out" ] || fail "held upload answered: $(cat "$work/held.out")"

# SIGTERM: the collector waits for the upload the database is working on.
kill -TERM "$CPID"
wait_for "the collector says it drains" grep -q \
    'stopping once the database has answered 1 upload' "$work/collector.err"
kill -0 $upid 2>/dev/null || fail "held upload answered before release"
touch "$work/release"
wait $gpid
wait $upid || fail "upload: $(cat "$work/held.out")"
[ "$(cat "$work/held.out")" = '200 {"accepted": 7, "duplicates": 0}' ] ||
    fail "held upload: $(cat "$work/held.out")"
rc=0
wait "$CPID" || rc=$?
[ $rc -eq 0 ] || fail "collector exit $rc after draining"
[ "$(stored_ids "$db")" = "$(ids "$work/seven.msgpack")" ] ||
    fail "stored ids differ"

# Without the gate: duplicates counted, export reads what was stored.
start_collector --listen 127.0.0.1:0 --db "$db"
r=$(upload $CPORT "$work/seven.batch")
[ "$r" = '200 {"accepted": 0, "duplicates": 7}' ] || fail "again: $r"
stop_collector "$CPID"
[ "$(njc export --db "$db" | wc -l)" = 7 ] || fail "export"
echo "ok: the loop answered while the worker held a transaction"
