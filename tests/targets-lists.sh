#!/bin/bash
# Every file of Citizen Lab's test lists at once (`--targets lists/*.csv
# lists/official/it/*.csv`: the global list, the country lists, the
# official lists with bare hosts, and the three legend files, which are
# skipped with a warning naming them), measured offline in a network
# namespace without network: one round, exit 0, exactly one record per
# distinct target.  The expected targets are computed here with Python's
# csv and urllib, independently of nightjar's parser.
#
# The lists live in the shared data beside the source tree
# ($top_srcdir/../shared, or $NJ_SHARED); the test is skipped without them.
set -eu

: "${top_srcdir:?}" "${top_builddir:?}"
SHARED=${NJ_SHARED:-$top_srcdir/../shared}
LISTS=$SHARED/data/test-lists/lists
if [ ! -d "$LISTS" ]; then
	echo "SKIP: no test lists at $LISTS"
	exit 77
fi

. "$top_srcdir/tests/lib-probe.sh"
no_network

files=$(find "$LISTS" -name '*.csv' | sort)
nfiles=$(echo "$files" | wc -l)
test "$nfiles" -ge 150 || fail "only $nfiles list files under $LISTS"

# Offline every resolver query fails at once; a short timeout bounds the
# rest.  The shell's glob order, as a user would type it.
set +e
# shellcheck disable=SC2086
$NONET $NJ run --once --targets "$LISTS"/*.csv "$LISTS"/official/*/*.csv \
    --results "$T/res" --timeout 300 --concurrency 256 --jitter 0 \
    >"$T/out" 2>"$T/err"
rc=$?
set -e
test $rc -eq 0 || fail "run --once: exit $rc: $(tail -5 "$T/err")"

# Each legend file is named in a warning; no other file is skipped.
for f in "$LISTS"/00-LEGEND-*.csv; do
	grep -qF "$f: not a target list" "$T/err" ||
	    fail "no warning naming $f"
done
test "$(grep -c 'not a target list' "$T/err")" -eq 3 ||
    fail "other files skipped: $(grep 'not a target list' "$T/err")"

$NJ show "$T/res" >"$T/records.jsonl"
python3 - "$T/records.jsonl" $files <<'PY'
import csv, json, sys
from urllib.parse import urlsplit

want = {}            # (scheme, host, port) -> set of categories
inputs = {}          # key -> every input spelling
for path in sys.argv[2:]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.DictReader(f)
        if "url" not in (rows.fieldnames or []):
            continue
        for row in rows:
            url = row["url"].strip()
            if not url:
                continue
            full = url if "://" in url else "https://" + url.lstrip(".")
            u = urlsplit(full)
            if u.scheme not in ("http", "https") or not u.hostname:
                continue
            host = u.hostname.rstrip(".")
            if any(ord(c) > 127 for c in host):
                host = host.encode("idna").decode("ascii")
            port = u.port or (443 if u.scheme == "https" else 80)
            key = (u.scheme, host.lower(), port)
            cats = want.setdefault(key, set())
            if row.get("category_code"):
                cats.add(row["category_code"])
            inputs.setdefault(key, set()).add(url)

recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = {}
for r in recs:
    t = r["target"]
    inp = t["input"]
    scheme = inp.split("://")[0].lower() if "://" in inp else "https"
    u = urlsplit(inp if "://" in inp else "https://x")
    port = t["port"]
    if scheme == "http" and not u.port:
        assert port == 443, t          # TLS on 443, plain HTTP on 80
        port = 80
    key = (scheme, t["host"], port)
    assert key not in got, ("two records for", key)
    got[key] = r

missing = sorted(set(want) - set(got))[:5]
extra = sorted(set(got) - set(want))[:5]
assert not missing and not extra, (missing, extra)
assert len(recs) == len(want), (len(recs), len(want))
for key, r in got.items():
    t = r["target"]
    assert t["input"] in inputs[key], (t, inputs[key])
    cats = set(t["category"].split(",")) if t["category"] else set()
    assert cats == want[key], (key, cats, want[key])
folded = sum(1 for c in want.values() if len(c) > 1)
assert folded > 100, folded
print(f"{len(recs)} records for {len(want)} targets from "
      f"{len(sys.argv) - 2} files; {folded} with several categories")
PY
echo "ok"
