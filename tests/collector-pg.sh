#!/bin/bash
# The collector on PostgreSQL (a throwaway cluster): two collectors on one
# database store each id once whoever gets it; duplicates are counted;
# export, report --db and the store's queries give what SQLite gives for
# the same records; while the database is down uploads get 503 with
# Retry-After and /v1/health says so, and the collectors reconnect alone.
set -eu
. "$top_srcdir/tests/lib-collector.sh"
. "$top_srcdir/tests/lib-pg.sh"
SQ=$top_builddir/tests/store-query

pg_start

# post_file PORT FILE: POST the 40 records of FILE as one batch; prints
# "STATUS RETRY-AFTER|- BODY".
post_file() {
	python3 - "$1" "$2" <<'PY'
import http.client, struct, sys
data = open(sys.argv[2], "rb").read()
body = b"\xdc" + struct.pack(">H", 40) + data
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request("POST", "/v1/measurements", body=body,
          headers={"Content-Type": "application/msgpack"})
r = c.getresponse()
print(r.status, r.getheader("Retry-After") or "-", r.read().decode().strip())
PY
}

# 400 records: 4 hosts, 3 probes, several statuses and time zones.
python3 - >"$work/spec" <<'PY'
import datetime
hosts = ["a.example", "b.example", "c.example", "d.example"]
st = [("ok", "-"), ("blocked", "tls_sni"), ("anomaly", "tcp_timeout"),
      ("ok", "-"), ("down", "dns_nxdomain")]
t0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
for i in range(400):
    t = t0 + datetime.timedelta(minutes=37 * i)
    s, m = st[(i * 7) % len(st)]
    print(t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), [0, 18000, -3600][i % 3],
          hosts[i % 4], s, m, "12.5", "40.0", "probe-%d" % (i % 3))
PY
mkdir -p "$work/r1" "$work/r2" "$work/r3"
"$GEN" --spec --spool "$work/r1" --per-file 40 --name s <"$work/spec"
cp "$work"/r1/*.msgpack "$work/r2/"
cp "$work"/r1/*.msgpack "$work/r3/"
ids "$work"/r1/*.msgpack >"$work/want"
[ "$(wc -l <"$work/want")" = 400 ] || fail "generator"

start_collector --listen 127.0.0.1:0 --db "$PGURI" -v
a=$CPID pa=$CPORT
start_collector --listen 127.0.0.1:0 --db "$PGURI" -v
b=$CPID pb=$CPORT
for _ in $(seq 200); do
	case $(http $pa GET /v1/health) in 200\ *) break ;; esac
	sleep 0.1
done
case $(http $pb GET /v1/health) in 200\ *'"database": "ok"'*) ;;
*) fail "health: $(http $pb GET /v1/health)" ;; esac

# The same files through both collectors at once.
nj upload --results "$work/r1" --collector "http://127.0.0.1:$pa" \
    2>"$work/u1.err" & u1=$!
nj upload --results "$work/r2" --collector "http://127.0.0.1:$pb" \
    2>"$work/u2.err" & u2=$!
wait $u1 || fail "upload 1: $(tail -3 "$work/u1.err")"
wait $u2 || fail "upload 2: $(tail -3 "$work/u2.err")"
[ "$(psql_q 'SELECT count(*) FROM measurements')" = 400 ] ||
	fail "stored $(psql_q 'SELECT count(*) FROM measurements') rows"
psql_q 'SELECT id FROM measurements' | sort >"$work/got"
cmp "$work/want" "$work/got" || fail "stored ids differ"
# Every record was accepted by exactly one of them.
acc=$(sed -n 's/.*200 accepted \([0-9]*\) duplicates.*/\1/p' \
    "$work/collector.err" | awk '{ n += $1 } END { print n }')
[ "$acc" = 400 ] || fail "accepted $acc in all, not 400"

# Duplicates are counted as such.
f=$work/batch40
cp "$(ls "$work"/r3/*.msgpack | head -1)" "$f"
r=$(post_file $pb "$f")
case $r in '200 - {"accepted": 0, "duplicates": 40}') ;;
*) fail "duplicates: $r" ;; esac

# export and report read PostgreSQL like SQLite.
njc export --db "$PGURI" >"$work/export" || fail "export"
[ "$(wc -l <"$work/export")" = 400 ] || fail "export lines"
nj report "$work/r3" --format json >"$work/files.json"
nj report --db "$PGURI" --format json >"$work/pg.json" ||
	fail "report --db postgresql"
cmp "$work/files.json" "$work/pg.json" || fail "report --db differs"

# The dashboard's queries give the same rows on both backends.
start_collector --listen 127.0.0.1:0 --db "$work/s.db"
nj upload --results "$work/r3" --collector "http://127.0.0.1:$CPORT" \
    2>/dev/null || fail "upload to SQLite"
for q in "probes" "hosts" "cells" "cells --probe probe-1 --hour 5" \
    "hosts --status blocked" "probes --since 1762300000000 --until 1762900000000" \
    "records --host b.example" "cells --hour 22 --hour-end 2" \
    "cells --hour 5 --hour-end 9" "records --host a.example --hour 22 --hour-end 2"; do
	"$SQ" "$PGURI" $q >"$work/q.pg" || fail "store-query pg $q"
	"$SQ" "$work/s.db" $q >"$work/q.sq" || fail "store-query sqlite $q"
	if [ "${q%% *}" = records ]; then
		sort -o "$work/q.pg" "$work/q.pg"; sort -o "$work/q.sq" "$work/q.sq"
	fi
	diff -u "$work/q.sq" "$work/q.pg" || fail "query '$q' differs"
done
"$SQ" "$PGURI" probes >"$work/q"
grep -qx 'probe-1|-|-|-|133' "$work/q" || fail "probes: $(cat "$work/q")"
[ "$("$SQ" "$PGURI" records --host b.example --limit 7 | wc -l)" = 8 ] ||
	fail "records limit"
[ "$("$SQ" "$PGURI" cells | awk -F'|' '{ n += $6 } END { print n }')" = 400 ] ||
	fail "cells do not add up to 400"
# an hour range: [5, 9) and past midnight [22, 2)
"$SQ" "$PGURI" cells --hour 5 --hour-end 9 | awk -F'|' '/^done/ { next }
	$3 < 5 || $3 > 8 { bad++ } { n++ } END { exit bad > 0 || n == 0 }' ||
	fail "cells of hours 5-9"
"$SQ" "$PGURI" cells --hour 22 --hour-end 2 | awk -F'|' '/^done/ { next }
	$3 > 1 && $3 < 22 { bad++ } $3 >= 22 { late++ } $3 == 0 { early++ }
	END { exit bad > 0 || !late || !early }' ||
	fail "cells of hours 22-2: $("$SQ" "$PGURI" cells --hour 22 --hour-end 2 | head -3)"
# ok cells carry the handshake time of each ok record (40 ms in the spec),
# failed ones none
"$SQ" "$PGURI" cells | awk -F'|' '/^done/ { next }
	$4 == "ok" { n = split($7, v, ","); if (n != $6) bad++
		for (i = 1; i <= n; i++) if (v[i] != 40) bad++ }
	$4 != "ok" && $7 != "" { bad++ } $8 != "" { bad++ }
	END { exit bad > 0 }' ||
	fail "cells' handshake times: $("$SQ" "$PGURI" cells | head -5)"

# The database goes away: 503 with Retry-After, health says so.
pg_stop fast
for _ in $(seq 100); do
	case $(http $pa GET /v1/health) in 503\ *) break ;; esac
	sleep 0.1
done
case $(http $pa GET /v1/health) in 503\ *unavailable*) ;;
*) fail "health with the database down: $(http $pa GET /v1/health)" ;; esac
post_file $pa "$f" >"$work/down"
grep -q '^503 [0-9][0-9]* .*database' "$work/down" ||
	fail "upload with the database down: $(cat "$work/down")"
kill -0 $a && kill -0 $b || fail "a collector died with the database"

# Back: both reconnect by themselves.
pg_restart_only
for p in $pa $pb; do
	for _ in $(seq 300); do
		case $(http $p GET /v1/health) in 200\ *) break ;; esac
		sleep 0.1
	done
	case $(http $p GET /v1/health) in 200\ *) ;;
	*) fail "collector on $p did not reconnect" ;; esac
done
"$GEN" --count 50 --seed 99 --spool "$work/r4" --per-file 50 --name late
nj upload --results "$work/r4" --collector "http://127.0.0.1:$pb" \
    2>/dev/null || fail "upload after the restart"
[ "$(psql_q 'SELECT count(*) FROM measurements')" = 450 ] ||
	fail "after the restart: $(psql_q 'SELECT count(*) FROM measurements')"
echo "PASS: collector on PostgreSQL"
