#!/bin/bash
# Crashes lose nothing.  2,000 records are uploaded through a proxy that
# slows the transfer down, and in the middle of it (a batch on the wire,
# its files being moved, the probe backing off) the collector is killed
# with SIGKILL and restarted on the same port (SO_REUSEADDR allows that at
# once), or the uploading probe is killed.  In the end every id is stored
# exactly once, nothing is pending and sent/ holds every record once.
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
# About 500 kB/s: a 500-record batch takes more than a second.
python3 "$LAB/throttle_proxy.py" "$port" 500000 >"$work/proxy.out" &
pids="$pids $!"
for _ in $(seq 100); do
	grep -q '^listening on' "$work/proxy.out" && break
	sleep 0.05
done
pport=$(sed -n 's/^listening on //p' "$work/proxy.out")
[ -n "$pport" ] || fail "proxy did not start"
url=http://127.0.0.1:$pport

stored() {
	sqlite3 "$db" 'SELECT count(*) FROM measurements' 2>/dev/null || echo 0
}

# The crash delays are random but replayable: NJ_SEED=N reruns a run.
seed=${NJ_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "crash delays seeded with NJ_SEED=$seed"
RANDOM=$seed

up=
ckills=0
pkills=0
for round in $(seq 10); do
	if [ -z "$up" ] || ! kill -0 "$up" 2>/dev/null; then
		${NJ_WRAP:-} "$NJ" upload --results "$res" --collector "$url" \
		    2>>"$work/upload.err" &
		up=$!
		pids="$pids $up"
	fi
	# Once the first batch is in, crash something 0.2-1.2 s later, as
	# long as records are still missing: most often the collector.
	for _ in $(seq 400); do
		[ "$(stored)" -gt 0 ] && break
		sleep 0.05
	done
	# $RANDOM in the parent shell only: a subshell may reseed it.
	ms=$((200 + RANDOM % 1000))
	delay="$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	echo "round $round: crash after $delay s"
	sleep "$delay"
	[ "$(stored)" -lt 2000 ] || break
	if [ $((round % 3)) = 0 ]; then
		kill -KILL "$up" 2>/dev/null || true
		wait "$up" 2>/dev/null || true
		pkills=$((pkills + 1))
	else
		stop_collector $CPID KILL
		ckills=$((ckills + 1))
		start_collector --listen "127.0.0.1:$port" --db "$db"
	fi
done
[ $ckills -ge 4 ] || fail "the collector was killed mid-upload only $ckills times"
wait "$up" 2>/dev/null || true

# Finish: a few more runs at most.
done_=0
for i in 1 2 3 4 5; do
	if nj upload --results "$res" --collector "$url" 2>"$work/last.err"; then
		done_=1
		break
	fi
done
[ $done_ = 1 ] || fail "upload did not finish: $(cat "$work/last.err")"
grep -q ', pending 0$' "$work/last.err" || fail "$(tail -1 "$work/last.err")"
[ "$(stored)" = 2000 ] || fail "stored: $(stored)"
[ "$(stored_ids "$db")" = "$(cat "$work/want")" ] ||
    fail "stored ids differ from the spooled ones"
[ -z "$(ls "$res"/*.msgpack 2>/dev/null)" ] || fail "records left pending"
[ "$(ids "$res"/sent/*.msgpack)" = "$(cat "$work/want")" ] ||
    fail "sent/ does not hold every record exactly once"
[ -z "$(ls -A "$res" | grep '^\.')" ] || fail "temporary files left: $(ls -A "$res")"
sqlite3 "$db" 'PRAGMA integrity_check' | grep -qx ok || fail "database damaged"
stop_collector $CPID
echo "ok ($ckills collector kills, $pkills probe kills mid-upload)"
