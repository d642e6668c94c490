#!/bin/bash
# Campaigns: kill -9 in the middle of a campaign, rerun it with --resume:
# the run picks up where the spool stopped, so the records of both runs
# cover every target and no target is measured twice (the chunk lost in
# the kill was never spooled, so its targets are measured again once).
# A different campaign name, and --resume without one, are checked too.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
# A port nothing listens on: every target is refused at once.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
N=3000
python3 - "$port" "$N" > "$LAB_TARGETS" <<'PY'
import sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print("127.78.%d.%d:%d" % (i // 200, i % 200 + 1, port))
PY
mkdir -p "$LAB_RESULTS"
run() {
	${NJ_WRAP:-} "$NIGHTJAR" run --once --results "$LAB_RESULTS" \
	    --targets "$LAB_TARGETS" --timeout 2000 --concurrency 100 "$@"
}
count() {	# records of campaign $1 in the spool
	"$NIGHTJAR" show "$LAB_RESULTS" |
	    python3 -c 'import json, sys; print(sum(json.loads(l)["campaign"] == sys.argv[1] for l in sys.stdin))' "$1"
}

# --rate 300: about 10 s for the list, a chunk every 1,000 records.  Not
# through run(): $! must be nightjar itself.
"$NIGHTJAR" run --once --results "$LAB_RESULTS" --targets "$LAB_TARGETS" \
    --timeout 2000 --concurrency 100 --campaign spring --rate 300 \
    2> "$LAB_DIR/run1.err" &
pid=$!
for i in $(seq 1 600); do
	if [ -n "$(find "$LAB_RESULTS" -maxdepth 1 -name '*.msgpack')" ]; then
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || lab_fail "the campaign ended before the kill"
wait "$pid" 2>/dev/null || true
first=$(count spring)
echo "killed after $first of $N records were spooled"
[ "$first" -ge 1000 ] && [ "$first" -lt "$N" ] ||
    lab_fail "$first records spooled before the kill"

# Another campaign already measured some of the same targets: not ours.
head -5 "$LAB_TARGETS" > "$LAB_DIR/five.txt"
"$NIGHTJAR" run --once --results "$LAB_RESULTS" --targets "$LAB_DIR/five.txt" \
    --campaign autumn --timeout 2000 2> /dev/null

run --campaign spring --resume 2> "$LAB_DIR/run2.err" ||
    { cat "$LAB_DIR/run2.err"; lab_fail "the resumed run failed"; }
grep -q "resuming campaign spring: $first of $N targets already measured, $((N - first)) to go" \
    "$LAB_DIR/run2.err" || lab_fail "resume line: $(cat "$LAB_DIR/run2.err")"
grep -q "^measured $((N - first)) of $((N - first)) targets" \
    "$LAB_DIR/run2.err" || lab_fail "summary: $(cat "$LAB_DIR/run2.err")"

lab_records
lab_check - "len([r for r in rs if r['campaign'] == 'spring']) == $N" \
    "len({(r['target']['host'], r['target']['port']) for r in rs if r['campaign'] == 'spring'}) == $N" \
    "len({r['run_id'] for r in rs if r['campaign'] == 'spring'}) == 2" \
    "len([r for r in rs if r['campaign'] == 'autumn']) == 5"

# Once everything is measured a resume has nothing left to do, also when
# the first chunks have been uploaded (sent/).
for f in $(find "$LAB_RESULTS" -maxdepth 1 -name '*.msgpack' | sort | head -2); do
	mv "$f" "$LAB_RESULTS/sent/"
done
run --campaign spring --resume 2> "$LAB_DIR/run3.err"
grep -q "resuming campaign spring: $N of $N targets already measured, 0 to go" \
    "$LAB_DIR/run3.err" || lab_fail "resume line: $(cat "$LAB_DIR/run3.err")"
n=$(count spring)
[ "$n" -eq "$N" ] || lab_fail "$n records of a finished campaign"

# --resume without a campaign is a usage error.
rc=0
run --resume 2> "$LAB_DIR/run4.err" || rc=$?
[ "$rc" -eq 2 ] || lab_fail "--resume without --campaign exited $rc"
grep -q -- "--resume needs --campaign" "$LAB_DIR/run4.err" ||
    lab_fail "message: $(cat "$LAB_DIR/run4.err")"
echo "campaign-resume: ok"
