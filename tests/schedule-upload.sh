#!/bin/bash
# The daemon uploads after each round when --collector is set: rounds move
# to sent/ and every one of their records is stored once by a collector on
# loopback.  With the collector down it keeps measuring and keeps the
# records pending.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"
cpid=
NJC="${NJ_WRAP:-} $top_builddir/collector/nightjar-collector"
cleanup() {
	kill_daemon
	if [ -n "$cpid" ]; then
		kill -TERM "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
	fi
	lib_cleanup
}
trap cleanup EXIT

p1=$(closed_port)
p2=$(closed_port)
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$p1" "$p2" > "$tmp/targets.txt"

$NJC --listen 127.0.0.1:0 --db "$tmp/db.sqlite" > "$tmp/c.out" \
    2> "$tmp/c.err" &
cpid=$!
for i in $(seq 1 200); do
	grep -q '^listening on' "$tmp/c.out" 2>/dev/null && break
	kill -0 "$cpid" 2>/dev/null || fail "the collector did not start"
	sleep 0.05
done
cport=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/c.out")
[ -n "$cport" ] || fail "the collector did not report its port"

TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --interval 1 --jitter 0 --timeout 1000 \
    --collector "http://127.0.0.1:$cport" 2> "$tmp/stderr" &
pid=$!
for i in $(seq 1 600); do
	[ "$(count_files "$tmp/results/sent")" -ge 3 ] && break
	kill -0 "$pid" 2>/dev/null || fail "the daemon died"
	sleep 0.1
done
[ "$(count_files "$tmp/results/sent")" -ge 3 ] || fail "no uploads"
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
no_temp_files "$tmp/results"
if grep -v -e 'running as root' "$tmp/stderr" | not_startup | grep -q .; then
	fail "unexpected output on stderr"
fi

$NJ show "$tmp/results/sent" > "$tmp/sent.jsonl"
$NJ show --pending "$tmp/results" > "$tmp/pending.jsonl"
$NJC export --db "$tmp/db.sqlite" > "$tmp/stored.jsonl"
python3 - "$tmp/sent.jsonl" "$tmp/pending.jsonl" "$tmp/stored.jsonl" \
    <<'PY' || fail "uploaded records"
import json, sys
load = lambda p: [json.loads(l) for l in open(p)]
sent, pending, stored = (load(p) for p in sys.argv[1:4])
sent_ids = {r["id"] for r in sent}
stored_ids = [r["id"] for r in stored]
assert len(sent) >= 6, len(sent)
assert len(stored_ids) == len(set(stored_ids)), "an id stored twice"
assert sent_ids <= set(stored_ids), sent_ids - set(stored_ids)
# At most the round finished after SIGTERM is still pending.
assert len({r["run_id"] for r in pending}) <= 1, pending
assert not ({r["id"] for r in pending} & set(stored_ids))
PY

# Collector gone: measuring goes on, the records stay pending.
kill -TERM "$cpid"
wait "$cpid" 2>/dev/null || true
cpid=
n=$(count_files "$tmp/results")
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --interval 1 --jitter 0 --timeout 1000 \
    --collector "http://127.0.0.1:$cport" 2> "$tmp/stderr" &
pid=$!
wait_files "$tmp/results" $((n + 3))
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
no_temp_files "$tmp/results"
echo "PASS: upload after each round; collector down keeps records pending"
