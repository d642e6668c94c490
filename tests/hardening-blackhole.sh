#!/bin/bash
# Resources: 1,000 targets whose every connect times out (a blackhole),
# --concurrency 100, --timeout 500, no per-address limit (every target is
# the same address).  The round must end in about
# timeout x targets / concurrency plus slack; the test prints the time and
# the peak memory (RSS) and asserts only generous bounds that catch a hang
# or unbounded growth.  Every target ends as a recorded tcp timeout.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

N=${NJ_BLACKHOLE_TARGETS:-1000}
lab_init
LAB_TIMEOUT=500
lab_tls blackhole timeout 127.0.0.13
lab_zone probe "* A 127.0.0.13"
lab_start
seq -f "t%04g.lab.test:$LAB_PORT" 1 "$N" > "$LAB_TARGETS"

# Run it under python to read the child's peak RSS (ru_maxrss, KiB).
start=$(date +%s%N)
python3 - "$LAB_DIR/rss" ${NJ_WRAP:-} "$NIGHTJAR" run --once \
    --results "$LAB_RESULTS" --targets "$LAB_TARGETS" \
    --resolver "$LAB_RESOLVER" --ca-file "$LAB_CERTS/lab-root.pem" \
    --timeout "$LAB_TIMEOUT" --concurrency 100 --per-address 0 \
    >"$LAB_DIR/run.out" 2>"$LAB_DIR/run.err" <<'PY' ||
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
PY
    { cat "$LAB_DIR/run.err" >&2; lab_fail "run failed"; }
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
rss=$(cat "$LAB_DIR/rss")
ideal=$(( LAB_TIMEOUT * N / 100 ))
echo "blackhole: $N targets, concurrency 100, timeout $LAB_TIMEOUT ms:" \
    "round $elapsed ms (timeout x targets/concurrency = $ideal ms)," \
    "peak RSS $((rss / 1024)) MiB"
# Generous: 6x the ideal catches a hang or serialisation, not slowness.
# Under valgrind (NJ_WRAP) time and memory are valgrind's: 10x the time,
# and no memory bound.  AddressSanitizer keeps freed memory in a
# quarantine of up to 256 MiB, so a sanitizer build has no memory bound
# either.
slow=1
[ -z "${NJ_WRAP:-}" ] || slow=10
[ "$elapsed" -lt $(( (6 * ideal + 120000) * slow )) ] ||
    lab_fail "round took $elapsed ms"
membound=1
[ -z "${NJ_WRAP:-}" ] || membound=0
if ldd "$NIGHTJAR" 2>/dev/null | grep -q libasan; then membound=0; fi
[ "$membound" = 0 ] || [ "$rss" -lt $(( 256 * 1024 )) ] ||
    lab_fail "peak RSS $rss KiB"

lab_records
lab_check - "len(rs) == $N" \
    'all(len(r["tcp"]) == 1 and r["tcp"][0]["ip"] == "127.0.0.13" for r in rs)' \
    'all(r["tcp"][0]["failure"] == "generic_timeout_error" for r in rs)' \
    'all(r["tls"] == [] for r in rs)' \
    "all(r[\"tcp\"][0][\"t_ms\"] < 4 * $LAB_TIMEOUT for r in rs)" \
    'all(r["verdict"]["status"] in ("anomaly", "down") for r in rs)' \
    "len(set(r[\"target\"][\"host\"] for r in rs)) == $N"
echo "hardening-blackhole: ok"
