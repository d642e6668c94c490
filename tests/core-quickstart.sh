#!/bin/bash
# The README's quick start offline: `nightjar run --once` on the default
# targets, from the build tree (data from the source tree), in a network
# namespace with no network at all.  The round must complete, exit 0 and
# record every default target with its failure.
set -eu

. "$top_srcdir/tests/lib-probe.sh"

no_network

mkdir "$T/cwd"
cd "$T/cwd"
set +e
$NONET $NJ run --once --timeout 1000 >"$T/out" 2>"$T/err"
rc=$?
set -e
test $rc -eq 0 || fail "run --once offline: exit $rc: $(cat "$T/err")"
ls results/*.msgpack >/dev/null 2>&1 || fail "no record file in ./results"
test -s results/probe-id || fail "no probe-id persisted"

$NJ show >"$T/records.jsonl"
python3 - "$T/records.jsonl" "$top_srcdir/targets/default.txt" "$(cat results/probe-id)" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = set()
for line in open(sys.argv[2]):
    line = line.split("#")[0].split()
    if line:
        want.add(line[0].lower())
got = {r["target"]["host"] for r in recs}
assert got == want, (sorted(want - got), sorted(got - want))
assert len(recs) == len(want), len(recs)
for r in recs:
    assert r["probe_id"] == sys.argv[3], r["probe_id"]
    assert r["verdict"]["status"] != "ok", r["verdict"]
    steps = r["dns"] + r["tcp"] + r["tls"]
    assert any(s["failure"] for s in steps), r
    assert r["verdict"]["detail"], r["verdict"]
PY
echo "ok"
