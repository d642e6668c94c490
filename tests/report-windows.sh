#!/bin/bash
# nightjar report on pinned generated records: the JSON and text outputs
# match the golden files, and the windows are the ones each scenario was
# built with (evening tcp_reset, weekday mornings, across midnight, always
# intercepted, always ok, 3% random failures, two probes in different time
# zones, slow evening handshakes).
set -eu
. "$top_srcdir/tests/report-lib.sh"

make_results "$T/res"

$NJ report "$T/res" --format json > "$T/out.json" 2> "$T/err"
[ ! -s "$T/err" ] || fail "unexpected stderr: $(cat "$T/err")"
diff -u "$GOLDEN/windows.json" "$T/out.json" || fail "JSON differs from golden"

$NJ report "$T/res" > "$T/out.txt"
diff -u "$GOLDEN/windows.txt" "$T/out.txt" || fail "text differs from golden"

# The same facts, asserted one by one.
python3 - "$T/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["host"]: x for x in d["targets"]}
assert sorted(t) == sorted(["chat.example", "flaky.example", "mitm.example",
    "news.example", "ok.example", "slow.example", "social.example",
    "www.facebook.com"]), sorted(t)
def win(host):
    return [(w["start_hour"], w["end_hour"], w["method"], w["days"])
            for w in t[host]["windows"]]
for h, x in t.items():
    assert len(x["hours"]) == 24 and [e["hour"] for e in x["hours"]] == \
        list(range(24)), h
    assert x["measurements"] == sum(e["n"] for e in x["hours"]), h
fb = t["www.facebook.com"]
assert win("www.facebook.com") == [(18, 24, "tcp_reset", 14)], fb["windows"]
assert fb["windows"][0]["failure_rate"] == 1
assert fb["windows"][0]["baseline_rate"] == 0
assert fb["measurements"] == 14 * 96
assert fb["hours"][18] ["failed"] == 56 and fb["hours"][17]["failed"] == 0
assert fb["all_day"] is None
# weekday mornings: 10 of 14 days
assert win("news.example") == [(8, 12, "tls_sni", 10)], win("news.example")
# across midnight: start > end; 15 nights (the first one starts before
# the data does)
assert win("chat.example") == [(22, 2, "dns_nxdomain", 15)]
m = t["mitm.example"]
assert m["all_day"] == {"failure_rate": 1, "method": "tls_mitm",
    "status": "intercepted", "days": 14, "days_seen": 14}, m["all_day"]
assert m["windows"] == []
for h in ("ok.example", "flaky.example"):
    assert t[h]["windows"] == [] and t[h]["all_day"] is None, h
    assert t[h]["slow_windows"] == [], h
fl = sum(e["failed"] for e in t["flaky.example"]["hours"])
assert 20 < fl < 60, fl      # about 3% of 1344, and yet no window
# two probes, UTC+5 and UTC-5, both blocked 20-23 local: one window
s = t["social.example"]
assert s["measurements"] == 2 * 14 * 96
assert win("social.example") == [(20, 23, "tls_reset", 14)]
sl = t["slow.example"]
assert sl["windows"] == [] and sl["all_day"] is None
assert len(sl["slow_windows"]) == 1, sl["slow_windows"]
w = sl["slow_windows"][0]
assert (w["kind"], w["start_hour"], w["end_hour"], w["days"]) == \
    ("slow", 20, 22, 14), w
assert w["median_tls_ms"] >= 20 * w["baseline_tls_ms"], w
assert sl["hours"][20]["median_tls_ms"] > 2000
assert sl["hours"][19]["median_tls_ms"] < 200
assert all(e["failed"] == 0 for e in sl["hours"])
PY

# The text names the windows in words.
grep -q '^www.facebook.com .*▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁██████$' "$T/out.txt" ||
	fail "facebook heat strip"
grep -q 'blocked 18:00–24:00 local on 14/14 days, tcp_reset' "$T/out.txt" ||
	fail "facebook window in words"
grep -q 'intercepted all day on 14/14 days, tls_mitm' "$T/out.txt" ||
	fail "all day in words"
grep -q 'slow 20:00–22:00 local on 14/14 days' "$T/out.txt" ||
	fail "slow window in words"

# --by probe: social.example once per probe, each with its window.
$NJ report "$T/res" --format json --by probe > "$T/probe.json"
python3 - "$T/probe.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [(x["host"], x["probe_id"]) for x in d["targets"]]
assert rows == sorted(rows), rows
soc = [x for x in d["targets"] if x["host"] == "social.example"]
assert [x["probe_id"] for x in soc] == ["probe-east", "probe-west"], soc
for x in soc:
    assert x["measurements"] == 14 * 96
    assert [(w["start_hour"], w["end_hour"]) for w in x["windows"]] == \
        [(20, 23)], x["windows"]
PY
echo "PASS: report windows"
