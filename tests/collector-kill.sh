#!/bin/bash
# Crashes lose nothing: during the upload of 2,000 records the collector
# is killed with SIGKILL again and again (and restarted on the same port,
# which SO_REUSEADDR allows at once), and so is the uploading probe.  In
# the end every id is stored exactly once and nothing is pending.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

res=$work/results
db=$work/c.db
mkdir -p "$res"
"$GEN" --count 1500 --seed 41 --spool "$res" --per-file 1500 --name big
"$GEN" --count 500 --seed 42 --spool "$res" --per-file 25 --name small
ids "$res"/*.msgpack >"$work/want"
[ "$(wc -l <"$work/want")" = 2000 ] || fail "generator"

start_collector --listen 127.0.0.1:0 --db "$db"
port=$CPORT
url=http://127.0.0.1:$port

kills=0
for round in 1 2 3 4 5 6 7 8; do
	"$NJ" upload --results "$res" --collector "$url" 2>>"$work/upload.err" &
	up=$!
	pids="$pids $up"
	# A random moment: 0 to 150 ms into the upload.
	sleep "0.$(printf '%03d' $((RANDOM % 150)))"
	if [ $((round % 3)) = 0 ]; then
		kill -KILL $up 2>/dev/null || true	# the probe crashes
	else
		stop_collector $CPID KILL		# the collector crashes
		kills=$((kills + 1))
		start_collector --listen "127.0.0.1:$port" --db "$db"
	fi
	wait $up 2>/dev/null || true
done
[ $kills -ge 5 ] || fail "the collector was killed only $kills times"

# Finish: a few more runs at most.
done_=0
for i in 1 2 3 4 5; do
	if "$NJ" upload --results "$res" --collector "$url" 2>"$work/last.err"; then
		done_=1
		break
	fi
done
[ $done_ = 1 ] || fail "upload did not finish: $(cat "$work/last.err")"
grep -q ', pending 0$' "$work/last.err" || fail "$(tail -1 "$work/last.err")"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM measurements')" = 2000 ] ||
    fail "stored: $(sqlite3 "$db" 'SELECT count(*) FROM measurements')"
[ "$(stored_ids "$db")" = "$(cat "$work/want")" ] ||
    fail "stored ids differ from the spooled ones"
[ -z "$(ls "$res"/*.msgpack 2>/dev/null)" ] || fail "records left pending"
[ "$(ids "$res"/sent/*.msgpack)" = "$(cat "$work/want")" ] ||
    fail "sent/ does not hold every record exactly once"
[ -z "$(ls -A "$res" | grep '^\.')" ] || fail "temporary files left: $(ls -A "$res")"
sqlite3 "$db" 'PRAGMA integrity_check' | grep -qx ok || fail "database damaged"
stop_collector $CPID
echo "ok ($kills collector kills)"
