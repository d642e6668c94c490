#!/bin/bash
# Crashes lose nothing on PostgreSQL either.  Two probes upload 1,600
# records through slow proxies to two collectors sharing one database;
# mid-upload a collector is killed with SIGKILL and restarted, or the
# database is restarted (immediate shutdown: crash recovery).  In the end
# every id is stored exactly once and every record is in sent/ once.
set -eu
. "$top_srcdir/tests/lib-collector.sh"
. "$top_srcdir/tests/lib-pg.sh"

pg_start
mkdir -p "$work/p1" "$work/p2"
"$GEN" --count 800 --seed 51 --probe-id probe-1 --spool "$work/p1" \
    --per-file 100 --name a
"$GEN" --count 800 --seed 52 --probe-id probe-2 --spool "$work/p2" \
    --per-file 100 --name b
ids "$work"/p1/*.msgpack "$work"/p2/*.msgpack >"$work/want"
[ "$(wc -l <"$work/want")" = 1600 ] || fail "generator"

stored() {
	psql_q 'SELECT count(*) FROM measurements' 2>/dev/null || echo 0
}
proxy() {	# proxy PORT NAME: a slow proxy to PORT; prints its port
	python3 "$LAB/throttle_proxy.py" "$1" 300000 >"$work/$2.out" &
	pids="$pids $!"
	for _ in $(seq 100); do
		grep -q '^listening on' "$work/$2.out" && break
		sleep 0.05
	done
	sed -n 's/^listening on //p' "$work/$2.out"
}

start_collector --listen 127.0.0.1:0 --db "$PGURI"
ca=$CPID pa=$CPORT
start_collector --listen 127.0.0.1:0 --db "$PGURI"
cb=$CPID pb=$CPORT
xa=$(proxy $pa xa)
xb=$(proxy $pb xb)
[ -n "$xa" ] && [ -n "$xb" ] || fail "proxies did not start"
u1= u2= kills=0 restarts=0
for round in $(seq 9); do
	if [ -z "$u1" ] || ! kill -0 "$u1" 2>/dev/null; then
		nj upload --results "$work/p1" --collector "http://127.0.0.1:$xa" \
		    --collector "http://127.0.0.1:$xb" 2>>"$work/u.err" &
		u1=$!
		pids="$pids $u1"
	fi
	if [ -z "$u2" ] || ! kill -0 "$u2" 2>/dev/null; then
		nj upload --results "$work/p2" --collector "http://127.0.0.1:$xb" \
		    --collector "http://127.0.0.1:$xa" 2>>"$work/u.err" &
		u2=$!
		pids="$pids $u2"
	fi
	sleep "0.$(printf '%03d' $((300 + RANDOM % 700)))"
	[ "$(stored)" -lt 1600 ] || break
	case $((round % 3)) in
	0)	stop_collector $ca KILL
		start_collector --listen "127.0.0.1:$pa" --db "$PGURI"
		ca=$CPID kills=$((kills + 1)) ;;
	1)	stop_collector $cb KILL
		start_collector --listen "127.0.0.1:$pb" --db "$PGURI"
		cb=$CPID kills=$((kills + 1)) ;;
	2)	runuser -u nobody -- "$PGBIN/pg_ctl" -D "$pgdir/data" \
		    -m immediate -w restart >/dev/null ||
			fail "PostgreSQL did not restart"
		restarts=$((restarts + 1)) ;;
	esac
done
[ $kills -ge 2 ] || fail "only $kills collector kills mid-upload"
wait "$u1" 2>/dev/null || true
wait "$u2" 2>/dev/null || true

# Finish: the collectors reconnect by themselves; a few more runs.
for p in p1 p2; do
	ok=0
	for _ in $(seq 8); do
		if nj upload --results "$work/$p" --collector "http://127.0.0.1:$pa" \
		    --collector "http://127.0.0.1:$pb" 2>"$work/last.err"; then
			ok=1
			break
		fi
		sleep 1
	done
	[ $ok = 1 ] || fail "upload of $p did not finish: $(tail -3 "$work/last.err")"
done
[ "$(stored)" = 1600 ] || fail "stored $(stored)"
[ "$(psql_q 'SELECT count(DISTINCT id) FROM measurements')" = 1600 ] ||
	fail "not exactly once"
psql_q 'SELECT id FROM measurements' | sort >"$work/got"
cmp "$work/want" "$work/got" || fail "stored ids differ from the spooled ones"
[ "$(ids "$work"/p1/sent/*.msgpack "$work"/p2/sent/*.msgpack)" = \
    "$(cat "$work/want")" ] || fail "sent/ does not hold every record once"
echo "PASS: $kills collector kills, $restarts database restarts mid-upload"
