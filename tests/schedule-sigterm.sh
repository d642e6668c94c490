#!/bin/bash
# SIGTERM during a round: the round in flight is finished (its stalled
# handshake ends at --timeout) and written whole, then exit 0.  A second
# signal abandons the round: exit 0, no round file, no temporary file.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

# A server that accepts TCP connections and never answers the handshake.
python3 - "$tmp/port" "$tmp/accepted" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(sys.argv[2], "a") as f:
        f.write("accepted\n")
PY
spid=$!
wait_written "$tmp/port" "the stall server did not start"
port=$(cat "$tmp/port")
printf '127.0.0.1:%s\n' "$port" > "$tmp/targets.txt"

# 1. One SIGTERM while the handshake stalls: the round completes.
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/r1" \
    --interval 3600 --jitter 0 --timeout 1500 -v 2> "$tmp/stderr" &
pid=$!
wait_grep "$tmp/accepted" accepted
[ "$(count_files "$tmp/r1")" -eq 0 ] || fail "a round file before the end"
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
no_temp_files "$tmp/r1"
[ "$(count_files "$tmp/r1")" -eq 1 ] || fail "the round in flight was not written"
$NJ show "$tmp/r1" > "$tmp/records.jsonl"
python3 - "$tmp/records.jsonl" "$port" <<'PY' || fail "records of the finished round"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1, recs
r = recs[0]
assert r["target"]["port"] == int(sys.argv[2]), r["target"]
# The stalled handshake was measured to its end, not cut short.
assert r["tls"] and r["tls"][0]["failure"] == "generic_timeout_error", r["tls"]
PY
grep -q 'finishing the round in flight' "$tmp/stderr" ||
    fail "no log of the round being finished"

# 2. Two signals: the round is abandoned, nothing partial is written.
: > "$tmp/accepted"
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/r2" \
    --interval 3600 --jitter 0 --timeout 5000 -v 2> "$tmp/stderr" &
pid=$!
wait_grep "$tmp/accepted" accepted
kill -TERM "$pid"
wait_grep "$tmp/stderr" 'finishing the round in flight'
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after two signals, wanted 0"
no_temp_files "$tmp/r2"
[ "$(count_files "$tmp/r2")" -eq 0 ] || fail "an abandoned round was written"
grep -q 'abandon' "$tmp/stderr" || fail "no log of the abandoned round"
# 3. Rounds longer than the interval (each handshake stalls for the
# timeout): the next one waits for the last to end, never overlapping.
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/r3" \
    --interval 1 --jitter 0 --timeout 1200 -v 2> "$tmp/stderr" &
pid=$!
wait_files "$tmp/r3" 3
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
no_temp_files "$tmp/r3"
grep -q 'overran its interval' "$tmp/stderr" || fail "no overrun logged"
$NJ show "$tmp/r3" > "$tmp/records.jsonl"
python3 - "$tmp/records.jsonl" <<'PY' || fail "rounds overlapped"
import json, sys, datetime
def ms(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
recs = sorted((json.loads(l) for l in open(sys.argv[1])),
              key=lambda r: r["start_time"])
assert len(recs) >= 3 and len({r["run_id"] for r in recs}) == len(recs)
for a, b in zip(recs, recs[1:]):
    end = ms(a["start_time"]) + a["runtime_ms"]
    assert ms(b["start_time"]) >= end, (a["start_time"], a["runtime_ms"],
                                        b["start_time"])
PY
echo "PASS: SIGTERM finishes or abandons the round in flight; no overlap"
