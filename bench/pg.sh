#!/bin/bash
# bench/pg.sh [N]: N records (default 100,000) from 4 probes (nightjar
# upload) through 2 collectors on one throwaway PostgreSQL, against 4
# plain clients (bench/pg-raw) sending the same batches (500 records, as
# the probe does) with the same statement and durability.  Prints both
# rates, their ratio and the collectors' peak memory.  Run as root from a
# built tree: bench/pg.sh 100000
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib-collector.sh"
. "$top_srcdir/tests/lib-pg.sh"
N=${1:-100000}
per=$((N / 4))

pg_start
for i in 1 2 3 4; do
	mkdir -p "$work/p$i" "$work/b$i"
	"$GEN" --count $per --seed $i --probe-id probe-$i --spool "$work/p$i" \
	    --per-file 500 --name r >/dev/null
	# The same records as upload batches (a msgpack array of 500).
	for f in "$work/p$i"/*.msgpack; do
		python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"\xdc" + struct.pack(">H", int(sys.argv[3])) + d)
' "$f" "$work/b$i/$(basename "$f")" 500
	done
done

start_collector --listen 127.0.0.1:0 --db "$PGURI"
c1=$CPID p1=$CPORT
start_collector --listen 127.0.0.1:0 --db "$PGURI"
c2=$CPID p2=$CPORT
sleep 1
t0=$(date +%s.%N)
for i in 1 2 3 4; do
	p=$p1; [ $((i % 2)) = 0 ] && p=$p2
	"$NJ" upload --results "$work/p$i" --collector "http://127.0.0.1:$p" \
	    2>>"$work/up.err" &
	up="${up:-} $!"
done
for u in $up; do wait $u || fail "upload: $(tail -2 "$work/up.err")"; done
t1=$(date +%s.%N)
n=$(psql_q 'SELECT count(*) FROM measurements')
[ "$n" = "$N" ] || fail "stored $n of $N"
m1=$(awk '/VmHWM/ { print $2 }' /proc/$c1/status)
m2=$(awk '/VmHWM/ { print $2 }' /proc/$c2/status)

psql_q 'TRUNCATE measurements' >/dev/null
t2=$(date +%s.%N)
for i in 1 2 3 4; do
	"$top_builddir/bench/pg-raw" "$PGURI" "$work/b$i"/*.msgpack >/dev/null &
	raw="${raw:-} $!"
done
for r in $raw; do wait $r || fail "pg-raw"; done
t3=$(date +%s.%N)
n=$(psql_q 'SELECT count(*) FROM measurements')
[ "$n" = "$N" ] || fail "pg-raw stored $n of $N"

python3 - "$N" "$t0" "$t1" "$t2" "$t3" "$m1" "$m2" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, t3 = map(float, sys.argv[2:6])
col = n / (t1 - t0); raw = n / (t3 - t2)
print("records                 %d (4 probes, batches of 500)" % n)
print("2 collectors            %.0f records/s (%.2f s)" % (col, t1 - t0))
print("4 plain libpq clients   %.0f records/s (%.2f s)" % (raw, t3 - t2))
print("ratio                   %.2f (goal >= 0.7)" % (col / raw))
print("collector peak RSS      %s kB, %s kB" % (sys.argv[6], sys.argv[7]))
PY
