#!/bin/bash
# `nightjar run` as a daemon: several rounds at --interval 1, each record
# stamped with start_time and the tz_offset of TZ; SIGTERM exits 0 with no
# temporary file left and nothing on stderr but the root warning.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

p1=$(closed_port)
p2=$(closed_port)
printf '# closed loopback ports\n127.0.0.1:%s\n127.0.0.1:%s CTRL\n' \
    "$p1" "$p2" > "$tmp/targets.txt"

# Asia/Kolkata: UTC+05:30 all year, an offset nothing else produces.
TZ=Asia/Kolkata $NJ run --targets "$tmp/targets.txt" \
    --results "$tmp/results" --interval 1 --jitter 0 --timeout 1000 \
    2> "$tmp/stderr" &
pid=$!
wait_files "$tmp/results" 3
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
no_temp_files "$tmp/results"

# Quiet healthy run: nothing on stderr (but the warning about root).
if grep -v -e 'running as root' "$tmp/stderr" | not_startup | grep -q .; then
	fail "unexpected output on stderr"
fi

$NJ show "$tmp/results" > "$tmp/records.jsonl" 2> "$tmp/show.err" ||
    fail "show failed: $(cat "$tmp/show.err")"
[ ! -s "$tmp/show.err" ] || fail "show warned: $(cat "$tmp/show.err")"
files=$(count_files "$tmp/results")
python3 - "$tmp/records.jsonl" "$p1" "$p2" "$files" <<'PY' || fail "records"
import json, re, sys
path, p1, p2, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
recs = [json.loads(l) for l in open(path)]
runs = {}
for r in recs:
    assert r["target"]["host"] == "127.0.0.1", r["target"]
    assert r["target"]["port"] in (p1, p2), r["target"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                        r["start_time"]), r["start_time"]
    assert r["tz_offset"] == 19800, r["tz_offset"]
    assert r["verdict"]["status"] != "ok", r["verdict"]
    runs.setdefault(r["run_id"], []).append(r["target"]["port"])
# One run per round file, each measuring both targets once.
assert len(runs) == files >= 3, (len(runs), files)
for ports in runs.values():
    assert sorted(ports) == sorted([p1, p2]), ports
# Rounds follow each other: each run's first start is distinct.
starts = sorted(min(r["start_time"] for r in recs if r["run_id"] == k)
                for k in runs)
assert len(set(starts)) == len(starts), starts
print("%d rounds, %d records" % (len(runs), len(recs)))
PY

# Same with Europe/Berlin: the offset follows the zone of that instant.
rm -rf "$tmp/results"
TZ=Europe/Berlin $NJ run --targets "$tmp/targets.txt" \
    --results "$tmp/results" --interval 1 --jitter 0 --timeout 1000 \
    2> "$tmp/stderr" &
pid=$!
wait_files "$tmp/results" 1
stop_daemon INT
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGINT, wanted 0"
no_temp_files "$tmp/results"
$NJ show "$tmp/results" > "$tmp/records.jsonl"
python3 - "$tmp/records.jsonl" <<'PY' || fail "Berlin tz_offset"
import json, sys, datetime, zoneinfo
for l in open(sys.argv[1]):
    r = json.loads(l)
    t = datetime.datetime.strptime(r["start_time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc)
    want = t.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).utcoffset()
    assert r["tz_offset"] == int(want.total_seconds()), (r["tz_offset"], want)
PY
echo "PASS: daemon rounds, SIGTERM/SIGINT, tz_offset"
