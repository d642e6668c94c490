#!/bin/bash
# A SIGTERM at any moment of `run --once` (resolving, handshaking,
# uploading) ends the process within a few seconds, although every step
# there could wait a minute: what was measured is spooled, what was not
# uploaded stays pending, nothing partial is left.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

# A loopback server that swallows everything: TCP connections are
# accepted and never answered (handshakes, HTTP requests), UDP queries
# are read and never answered.  Each contact is logged.
python3 - "$tmp/ports" "$tmp/log" <<'PY' &
import os, select, socket, sys
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 0))
t.listen(64)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write("%d %d\n" % (t.getsockname()[1],
                                                  u.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    r, _, _ = select.select([t, u] + held, [], [])
    for s in r:
        if s is t:
            c, _ = t.accept()
            held.append(c)
            what = "tcp"
        elif s is u:
            u.recvfrom(4096)
            what = "udp"
        else:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                held.remove(s)
                s.close()
                continue
            what = "data"
        with open(sys.argv[2], "a") as f:
            f.write(what + "\n")
PY
spid=$!
for i in $(seq 1 100); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
[ -s "$tmp/ports" ] || fail "the stall server did not start"
read -r tport uport < "$tmp/ports"
refused=$(closed_port)

# Start run --once with the arguments, wait for PATTERN in the stall log,
# send SIGTERM, and check that the process ends within LIMIT seconds.
# Every step could take 60 s (--timeout 60000) if not cut short; the
# limit is generous for valgrind and a loaded machine.
LIMIT=20
term_during() {
	local pattern=$1 t0 t1
	shift
	: > "$tmp/log"
	$NJ run --once --timeout 60000 --probe-id stop "$@" \
	    2> "$tmp/stderr" &
	pid=$!
	wait_grep "$tmp/log" "$pattern"
	sleep 0.5
	t0=$(date +%s)
	stop_daemon TERM
	t1=$(date +%s)
	[ $((t1 - t0)) -le $LIMIT ] ||
	    fail "$pattern: $((t1 - t0)) s from SIGTERM to exit"
	echo "$pattern: exit $rc $((t1 - t0)) s after SIGTERM"
}

# 1. While resolving: a name asked of a resolver that never answers, and
# an address refused at once.
printf 'stall.example:443\n127.0.0.1:%s\n' "$refused" > "$tmp/t1.txt"
term_during udp --targets "$tmp/t1.txt" --resolver "127.0.0.1:$uport" \
    --results "$tmp/r1"
[ "$rc" -eq 0 ] || fail "resolving: exit status $rc"
no_temp_files "$tmp/r1"
$NJ show "$tmp/r1" > "$tmp/r1.jsonl"
python3 - "$tmp/r1.jsonl" "$refused" <<'PY' || fail "resolving: records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
# The refused target was measured and spooled; the one still resolving
# was dropped, not recorded half done.
assert [r["target"]["port"] for r in recs] == [int(sys.argv[2])], recs
PY
grep -q 'stopped: 1 targets in flight were dropped' "$tmp/stderr" ||
    fail "resolving: the summary does not say what was dropped"

# 2. While handshaking.
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$tport" "$refused" > "$tmp/t2.txt"
term_during tcp --targets "$tmp/t2.txt" --results "$tmp/r2"
[ "$rc" -eq 0 ] || fail "handshaking: exit status $rc"
no_temp_files "$tmp/r2"
[ "$($NJ show "$tmp/r2" | wc -l)" -eq 1 ] || fail "handshaking: records"

# 3. While uploading: the collector accepts the connection and never
# answers.  The round's records stay pending.
printf '127.0.0.1:%s\n' "$refused" > "$tmp/t3.txt"
term_during data --targets "$tmp/t3.txt" --results "$tmp/r3" \
    --collector "http://127.0.0.1:$tport"
[ "$rc" -eq 0 ] || fail "uploading: exit status $rc"
no_temp_files "$tmp/r3"
[ "$(count_files "$tmp/r3")" -eq 1 ] || fail "uploading: not pending"
[ "$(count_files "$tmp/r3/sent")" -eq 0 ] || fail "uploading: sent?"
[ "$($NJ show --pending "$tmp/r3" | wc -l)" -eq 1 ] ||
    fail "uploading: the record is not pending"

# 4. `nightjar upload` itself stops too, leaving the records pending.
: > "$tmp/log"
$NJ upload --results "$tmp/r3" --collector "http://127.0.0.1:$tport" \
    2> "$tmp/stderr" &
pid=$!
wait_grep "$tmp/log" data
t0=$(date +%s)
stop_daemon TERM
t1=$(date +%s)
[ $((t1 - t0)) -le $LIMIT ] || fail "upload: $((t1 - t0)) s to stop"
[ "$rc" -eq 1 ] || fail "upload: exit status $rc with records pending"
grep -q '^uploaded 0, pending 1$' "$tmp/stderr" || fail "upload: $(cat "$tmp/stderr")"
echo "PASS: SIGTERM ends run --once and upload at once, losing nothing"
