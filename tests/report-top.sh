#!/bin/bash
# nightjar report --top: with more hosts than N, text and SVG show the N
# hosts with windows or the most failures (in host order) and say how
# many were left out; JSON always holds every host; --top 0 shows all.
set -eu
. "$top_srcdir/tests/report-lib.sh"

# 63 hosts measured every hour for 4 days (UTC): evening-1..3 are reset
# 18-24 every day (a window); host-NN fail NN of their 96 times, spread
# over the hours so that no hour fails often enough to make a window;
# ok-NN never fail.
python3 - > "$T/spec.txt" <<'EOF'
import datetime
start = datetime.datetime(2026, 11, 2, 0, 3, 0)
for d in range(4):
    for h in range(24):
        t = start + datetime.timedelta(days=d, hours=h)
        ts = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for e in range(1, 4):
            if h >= 18:
                print(ts, 0, "evening-%d.example" % e, "blocked", "tcp_reset",
                      "5000.0", "-", "p1")
            else:
                print(ts, 0, "evening-%d.example" % e, "ok", "-", "20.0",
                      "80.0", "p1")
        k = d * 24 + h
        for i in range(1, 41):
            if (k * 37) % 96 < i:
                print(ts, 0, "host-%02d.example" % i, "anomaly",
                      "tcp_timeout", "5000.0", "-", "p1")
            else:
                print(ts, 0, "host-%02d.example" % i, "ok", "-", "20.0",
                      "80.0", "p1")
        for i in range(1, 21):
            print(ts, 0, "ok-%02d.example" % i, "ok", "-", "20.0", "80.0",
                  "p1")
EOF
"$GEN" --spec --spool "$T/res" --name r --per-file 1000 < "$T/spec.txt"

# JSON: every host, whatever --top says.
n=$($NJ report "$T/res" --format json --top 5 | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["targets"]))')
[ "$n" = 63 ] || fail "json holds $n hosts, not 63"

# Text: the three evening hosts and the two that failed most.
$NJ report "$T/res" --top 5 > "$T/text"
grep -E '^(evening|host|ok)-' "$T/text" | awk '{ print $1 }' > "$T/rows"
cat > "$T/want" <<'W'
evening-1.example
evening-2.example
evening-3.example
host-39.example
host-40.example
W
diff -u "$T/want" "$T/rows" || fail "text --top 5 rows"
grep -q '^58 more hosts with fewer failures left out (--top)$' "$T/text" ||
    fail "text does not say how many were left out"
grep -q '18:00.24:00 local' "$T/text" || fail "the evening window is missing"

# The default is 50: every failing host, then the first ok ones by name.
$NJ report "$T/res" > "$T/text"
[ "$(grep -cE '^(evening|host|ok)-' "$T/text")" = 50 ] || fail "default --top"
grep -q '^13 more hosts' "$T/text" || fail "default --top: left out line"
grep -q '^host-01.example' "$T/text" || fail "default --top: host-01 missing"
grep -q '^ok-07.example' "$T/text" || fail "default --top: ok-07 missing"
if grep -q '^ok-08.example' "$T/text"; then
	fail "default --top: ok-08 shown"
fi

# --top 0: every host, nothing left out.
$NJ report "$T/res" --top 0 > "$T/text"
[ "$(grep -cE '^(evening|host|ok)-' "$T/text")" = 63 ] || fail "--top 0"
if grep -q 'left out' "$T/text"; then fail "--top 0 left hosts out"; fi

# SVG: five rows and the caption says what was left out.
$NJ report "$T/res" --format svg --top 5 --output "$T/top.svg"
grep -q '58 more hosts with fewer failures left out' "$T/top.svg" ||
    fail "svg caption"
for h in evening-1 evening-2 evening-3 host-39 host-40; do
	grep -q "$h.example" "$T/top.svg" || fail "svg lacks $h"
done
if grep -q 'host-38.example' "$T/top.svg"; then fail "svg shows host-38"; fi

# Bad values are usage errors.
for v in -1 abc ''; do
	if $NJ report "$T/res" --top "$v" > /dev/null 2> "$T/err"; then
		fail "--top '$v' accepted"
	else
		rc=$?
		[ "$rc" = 2 ] || fail "--top '$v': exit $rc"
	fi
	grep -q -- '--top' "$T/err" || fail "--top '$v': message"
done
echo "report --top: ok"
