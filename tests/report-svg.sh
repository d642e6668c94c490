#!/bin/bash
# nightjar report --format svg: well-formed XML (python3's parser), one
# cell per host and hour, the windows outlined (two pieces across
# midnight), a legend and axis labels, hostile host names escaped.
set -eu
. "$top_srcdir/tests/report-lib.sh"

python3 "$GENPY" spec > "$T/spec.txt"
# A host name with XML specials and a byte that is not UTF-8.
python3 - "$T/spec.txt" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
out = open(sys.argv[1], "ab")
for l in lines:
    f = l.split()
    if f[2] == "ok.example":
        f[2] = "x<&>\"'\xff.example"
        out.write(" ".join(f).encode("latin-1") + b"\n")
PY
"$GEN" --spec --spool "$T/res" --name r --per-file 500 < "$T/spec.txt"

$NJ report "$T/res" --format svg --output "$T/out.svg"
$NJ report "$T/res" --format svg > "$T/stdout.svg"
cmp "$T/out.svg" "$T/stdout.svg" || fail "--output and stdout differ"

python3 - "$T/out.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
rects = list(root.iter(ns + "rect"))
cells = [r for r in rects if r.get("class") == "cell"]
hosts = [t.text for t in root.iter(ns + "text") if t.get("class") == "host"]
assert len(hosts) == 9, hosts
assert len(cells) == 9 * 24, len(cells)
# one cell per host-hour: 9 distinct rows x 24 distinct columns
assert len({(c.get("x"), c.get("y")) for c in cells}) == 9 * 24
assert len({c.get("x") for c in cells}) == 24
assert "x<&>\"'?.example" in hosts, hosts
hours = [t.text for t in root.iter(ns + "text") if t.get("class") == "hour"]
assert hours == ["%02d" % h for h in range(24)], hours
texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
assert "local hour of day" in texts and "no data" in texts
assert "100%" in texts and "0%" in texts
# facebook 18-24, news 8-12, chat 22-2 (two pieces), social 20-23,
# mitm all day: 6 outlines; slow.example: one slow outline
wins = [r for r in rects if r.get("class") == "window"]
slow = [r for r in rects if r.get("class") == "slow-window"]
assert len(wins) == 6, len(wins)
assert len(slow) == 1, len(slow)
# cell titles say what the colour means
titles = [c.find(ns + "title").text for c in cells]
assert any("56 of 56 failed (100%), tcp_reset" in t for t in titles), \
    titles[:3]
# the legend tells the failing statuses apart; windows name their method
for s in ("blocked", "intercepted", "anomaly", "down", "error"):
    assert s in texts.split(), s
labels = [t.text for t in root.iter(ns + "text")
          if t.get("class") == "window-label"]
assert "blocked: tcp_reset" in labels, labels
assert "all day intercepted: tls_mitm" in labels, labels
assert len(labels) == 5, labels
# the caption says the dates covered and the probes
cap = [t.text for t in root.iter(ns + "text") if t.get("class") == "caption"]
assert len(cap) == 1 and "(UTC)" in cap[0] and "probe" in cap[0], cap
# failing cells carry their status's initial outside windows (no colour
# alone), and two statuses get two different colours
glyphs = {t.text for t in root.iter(ns + "text") if t.get("class") == "glyph"}
assert "A" in glyphs, glyphs
fills = {c.get("fill") for c, t in zip(cells, titles) if "blocked" in t}
fills_i = {c.get("fill") for c, t in zip(cells, titles) if "intercepted" in t}
assert fills and fills_i and not (fills & fills_i), (fills, fills_i)
PY
echo "PASS: report svg"
