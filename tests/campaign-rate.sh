#!/bin/bash
# Politeness: --rate N starts at most N targets a second (a token bucket).
# 40 targets refused at once at --rate 20 must have start times spread over
# at least (40 - 2) / 20 = 1.9 s; the bound asserted is a generous 1.5 s
# (a lower bound only: a loaded machine may be slower, never faster), and
# no one-second window may hold more than 20 starts plus the one token the
# bucket may have saved (a stalled loop saves no more).
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
seq -f "127.79.0.%g:$port" 1 40 > "$LAB_TARGETS"
mkdir -p "$LAB_RESULTS"
${NJ_WRAP:-} "$NIGHTJAR" run --once --results "$LAB_RESULTS" \
    --targets "$LAB_TARGETS" --timeout 2000 --concurrency 100 \
    --campaign paced --rate 20 2> "$LAB_DIR/run.err" ||
    { cat "$LAB_DIR/run.err"; lab_fail "run failed"; }
lab_records
lab_check - 'len(rs) == 40' \
    'all(r["verdict"]["method"] == "tcp_refused" for r in rs)'
python3 - "$LAB_RECORDS" <<'PY' || lab_fail "starts not paced"
import datetime, json, sys
t = sorted(datetime.datetime.strptime(json.loads(l)["start_time"],
    "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for l in open(sys.argv[1]))
spread = t[-1] - t[0]
# at most 20 starts in any 1 s window (plus the bucket's one token)
busiest = max(sum(1 for u in t if s <= u < s + 1.0) for s in t)
print("--rate 20: 40 starts over %.2f s, at most %d in one second" %
      (spread, busiest))
sys.exit(0 if spread >= 1.5 and busiest <= 21 else 1)
PY
echo "campaign-rate: ok"
