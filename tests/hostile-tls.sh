#!/bin/bash
# Hostile TLS and TCP peers: garbage instead of a ServerHello, an endless
# certificate chain, a 64 KB certificate, a handshake trickled byte by
# byte, an immediate close, a reset, and a peer that accepts and never
# speaks.  Each ends within the timeout as a recorded failure (the 64 KB
# certificate, being genuine, as a success with the whole certificate
# kept), and the round completes (a generous bound only catches hangs).
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
LAB_TIMEOUT=1000
lab_tls garbage garbage 127.0.0.21
lab_tls endless endless-chain 127.0.0.22
lab_tls big big-cert 127.0.0.23
lab_tls trickle trickle 127.0.0.24 delay=50
lab_tls close close 127.0.0.25
lab_tls stall stall 127.0.0.26
lab_tls reset reset 127.0.0.27
lab_zone probe \
    "garbage.lab.test A 127.0.0.21" \
    "endless.lab.test A 127.0.0.22" \
    "lab.test A 127.0.0.23" \
    "trickle.lab.test A 127.0.0.24" \
    "close.lab.test A 127.0.0.25" \
    "stall.lab.test A 127.0.0.26" \
    "reset.lab.test A 127.0.0.27"
lab_start
lab_targets "garbage.lab.test:$LAB_PORT" "endless.lab.test:$LAB_PORT" \
    "lab.test:$LAB_PORT" "trickle.lab.test:$LAB_PORT" \
    "close.lab.test:$LAB_PORT" "stall.lab.test:$LAB_PORT" \
    "reset.lab.test:$LAB_PORT"

start=$(date +%s%N)
lab_run
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "round of 7 hostile peers (timeout $LAB_TIMEOUT ms): $elapsed ms"
# Under valgrind (NJ_WRAP) everything is tens of times slower.
slow=1
[ -z "${NJ_WRAP:-}" ] || slow=10
# Generous: a hang is caught, a loaded machine is not a failure.
limit=$(( (20 * LAB_TIMEOUT + 120000) * slow ))
[ "$elapsed" -lt "$limit" ] || lab_fail "round took $elapsed ms"

lab_records
lab_check - 'len(rs) == 7'
python3 - "$LAB_RECORDS" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print("  %-18s %s -> %s %s" % (r["target"]["host"], ", ".join(
        "%s %s %.0fms" % (t["sni"], t["failure"], t["t_ms"]) for t in r["tls"]),
        r["verdict"]["status"], r["verdict"]["method"]))
PY

# Every handshake step is bounded by the timeout (a trickle too: the
# deadline is for the whole handshake, not for each read).
for h in garbage.lab.test endless.lab.test trickle.lab.test \
    close.lab.test stall.lab.test reset.lab.test; do
	lab_check "$h" \
	    'len(r["tcp"]) >= 1 and r["tcp"][0]["failure"] is None' \
	    'len(tls(sni=r["target"]["host"])) == 1' \
	    'all(t["failure"] is not None for t in r["tls"])' \
	    "all(t[\"t_ms\"] < 3 * $LAB_TIMEOUT for t in r[\"tls\"])" \
	    'r["verdict"]["status"] != "ok"'
done
lab_check trickle.lab.test \
    'tls(sni="trickle.lab.test")[0]["failure"] == "generic_timeout_error"'
lab_check stall.lab.test \
    'tls(sni="stall.lab.test")[0]["failure"] == "generic_timeout_error"'
lab_check close.lab.test \
    'tls(sni="close.lab.test")[0]["failure"] == "eof_error"'
lab_check reset.lab.test \
    'tls(sni="reset.lab.test")[0]["failure"] == "connection_reset"'
# The 64 KB certificate is genuine: a success, the certificate kept (its
# 2,880 SANs cut to the first 256 so that a record stays bounded).
lab_check lab.test \
    'tls(sni="lab.test")[0]["failure"] is None' \
    "tls(sni=\"lab.test\")[0][\"chain\"][0][\"sha256\"] == fp(\"$LAB_CERTS/special/big.pem\")" \
    '"lab.test" in tls(sni="lab.test")[0]["chain"][0]["san"]' \
    'len(tls(sni="lab.test")[0]["chain"][0]["san"]) <= 256' \
    'r["verdict"]["status"] == "ok"'
for s in garbage endless trickle close stall reset big; do
	grep -q "^$s " "$LAB_TLS_LOG" || lab_fail "no connection reached $s"
done
echo "hostile-tls: ok"
