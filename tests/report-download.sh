#!/bin/bash
# nightjar report: slow windows from download speed.  Records whose GET
# over the handshake is slow 20:00-22:00 local on every day (fast
# otherwise) give a download slow window in JSON, text and SVG, found by
# the same rules as handshake slow windows; downloads slow at every hour,
# or slow in the evening on two days only, give none; a host without any
# GET has no download keys at all, and files and a collector database
# give the same report.
set -eu
. "$top_srcdir/tests/report-lib.sh"

python3 "$GENPY" download --days 5 > "$T/spec.txt"
"$GEN" --spec --spool "$T/res" --name r --per-file 500 < "$T/spec.txt"

$NJ report "$T/res" --format json > "$T/out.json" 2> "$T/err"
[ ! -s "$T/err" ] || fail "unexpected stderr: $(cat "$T/err")"
python3 - "$T/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["host"]: x for x in d["targets"]}
assert sorted(t) == ["dl-evening.example", "dl-none.example",
    "dl-twodays.example", "dl-uniform.example"], sorted(t)
for h, x in t.items():
    assert x["windows"] == [] and x["all_day"] is None, (h, x["windows"])
    assert x["measurements"] == 5 * 96, h
ev = t["dl-evening.example"]
assert len(ev["slow_windows"]) == 1, ev["slow_windows"]
w = ev["slow_windows"][0]
assert (w["kind"], w["step"], w["start_hour"], w["end_hour"], w["days"],
        w["days_seen"]) == ("slow", "download", 20, 22, 5, 5), w
# 64000 bytes in about 4 s against about 0.2 s
assert 110 < w["median_download_kbps"] < 135, w
assert 2000 < w["baseline_download_kbps"] < 2700, w
assert "median_tls_ms" not in w, w
hrs = ev["hours"]
assert hrs[20]["median_download_kbps"] < 135 < 2000 < hrs[19]["median_download_kbps"]
# handshakes are as fast in the evening as at any other hour
assert hrs[20]["median_tls_ms"] < 200
for h in ("dl-uniform.example", "dl-twodays.example", "dl-none.example"):
    assert t[h]["slow_windows"] == [], (h, t[h]["slow_windows"])
assert all(e["median_download_kbps"] < 135
           for e in t["dl-uniform.example"]["hours"])
# a host without downloads: the same keys as before downloads were read
assert all("median_download_kbps" not in e
           for e in t["dl-none.example"]["hours"])
PY

$NJ report "$T/res" > "$T/out.txt"
grep -q '^  slow 20:00–22:00 local on 5/5 days: median download 1[0-9][0-9]\.[0-9] kbit/s vs [0-9]*\.[0-9] kbit/s at other hours$' \
	"$T/out.txt" || fail "no download window in words: $(cat "$T/out.txt")"
[ "$(grep -c 'slow ' "$T/out.txt")" = 1 ] || fail "more than one slow window"
[ "$(grep -c '^  no window$' "$T/out.txt")" = 3 ] || fail "no window lines"

$NJ report "$T/res" --format svg --output "$T/out.svg"
python3 - "$T/out.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
rects = list(root.iter(ns + "rect"))
slow = [r for r in rects if r.get("class") == "slow-window"]
assert len(slow) == 1, len(slow)
hosts = [t.text for t in root.iter(ns + "text") if t.get("class") == "host"]
assert hosts == sorted(hosts) and len(hosts) == 4, hosts
# the outline is on dl-evening's row, over hours 20 and 21
cells = [r for r in rects if r.get("class") == "cell"]
row = hosts.index("dl-evening.example")
ys = sorted({float(c.get("y")) for c in cells})
xs = sorted({float(c.get("x")) for c in cells})
s = slow[0]
assert ys[row] <= float(s.get("y")) < ys[row] + 20, (s.attrib, ys[row])
assert xs[20] <= float(s.get("x")) < xs[21], (s.attrib, xs[20])
assert float(s.get("width")) < 2 * (xs[1] - xs[0]) + 1, s.attrib
texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
assert "downloads" in texts, texts
PY

# The same records from a collector database: the same report.
n=$(python3 "$GENPY" db "$T"/res/*.msgpack --db "$T/m.db")
[ "$n" = 1920 ] || fail "stored $n records"
$NJ report --db "$T/m.db" --format json > "$T/db.json"
cmp "$T/out.json" "$T/db.json" || fail "--db report differs from files"
echo "PASS: report download windows"
