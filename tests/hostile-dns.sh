#!/bin/bash
# Hostile DNS replies: a compression loop, a truncated record, a reply with
# the wrong query id, over-long labels and names, an answer for another
# name, garbage.  Each target ends as a recorded DNS failure (no address
# taken from the bad reply, nothing connected), the honest target in the
# same round still measures ok, and the round ends (a generous bound only
# catches hangs; the elapsed time is printed).
set -eu
. "$top_srcdir/tests/lab/lab.sh"

hostile="compression-loop truncated wrong-id long-label long-name other-name garbage"

lab_init
LAB_TIMEOUT=1000
lab_tls good genuine 127.0.0.10
lab_zone probe "www.wordpress.com A 127.0.0.10"
lab_zone control "www.wordpress.com A 127.0.0.10"
targets=("www.wordpress.com:443")
for m in $hostile; do
	lab_zone probe "$m.lab.test * $m"
	lab_zone control "$m.lab.test A 127.0.0.10"
	targets+=("$m.lab.test")
done
lab_start
targets[0]="www.wordpress.com:$LAB_PORT"
for i in $(seq 1 $((${#targets[@]} - 1))); do
	targets[$i]="${targets[$i]}:$LAB_PORT"
done
lab_targets "${targets[@]}"

start=$(date +%s%N)
lab_run --concurrency 4
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "round of ${#targets[@]} targets (timeout $LAB_TIMEOUT ms): $elapsed ms"
# 8 targets at 4 at once, each DNS step bounded by the timeout: about two
# timeouts plus the good handshake; much more means something hung.
# Under valgrind (NJ_WRAP) everything is tens of times slower.
slow=1
[ -z "${NJ_WRAP:-}" ] || slow=10
# Generous: a hang is caught, a loaded machine is not a failure.
limit=$(( (20 * LAB_TIMEOUT + 120000) * slow ))
[ "$elapsed" -lt "$limit" ] || lab_fail "round took $elapsed ms"

lab_records
lab_check - "len(rs) == ${#targets[@]}"
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "ok"' \
    'r["tls"][0]["failure"] is None'

for m in $hostile; do
	grep -q "^udp $m.lab.test A $m" "$LAB_DIR/dns-probe.log" ||
	    lab_fail "the lab never sent $m"
	# Every probe-resolver query failed and gave no address; nothing from
	# 127.0.0.66 / ::66 (the address in the hostile replies) was tried.
	lab_check "$m.lab.test" \
	    'len(dns("probe", "A")) == 1 and len(dns("probe", "AAAA")) == 1' \
	    'all(d["failure"] is not None for d in dns("probe"))' \
	    'all(a["type"] not in ("A", "AAAA") for d in dns("probe") for a in (d["answers"] or []))' \
	    'all(t["ip"] not in ("127.0.0.66", "::66") for t in r["tcp"])' \
	    'all(t["source"] == "control" for t in r["tcp"])' \
	    "all(d[\"t_ms\"] < 4 * $LAB_TIMEOUT for d in r[\"dns\"])" \
	    'r["verdict"]["status"] != "ok"'
	python3 - "$LAB_RECORDS" "$m.lab.test" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["target"]["host"] == sys.argv[2]:
        print("  %-28s %s" % (sys.argv[2], ", ".join(
            "%s/%s=%s %.0fms" % (d["role"], d["query_type"], d["failure"], d["t_ms"])
            for d in r["dns"])), "->", r["verdict"]["status"], r["verdict"]["method"])
PY
done
echo "hostile-dns: ok"
