#!/bin/bash
# Why a resolver could not be asked, as OONI Probe names it: a closed port
# on loopback is connection_refused for every transport (UDP, DoT, DoH);
# with no network at all (a network namespace of its own whose loopback
# is down: no packet leaves) every kind of resolver, "system" included, is
# network_unreachable, not connection_refused, and the record says which
# server was asked.  The namespace part needs root (skipped otherwise).
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_start
closed=127.0.0.9:9
lab_targets "www.example.com"
LAB_RESOLVER=$closed
LAB_CONTROL_RESOLVER=
lab_run --resolver "tls://$closed" --control-resolver "https://$closed/q" \
    --ca-file "$LAB_CERTS/lab-root.pem"
lab_records
lab_check www.example.com \
    'len(r["dns"]) == 6' \
    'all(d["failure"] == "connection_refused" for d in r["dns"])' \
    'all(d["server"] == "127.0.0.9:9" for d in r["dns"])' \
    'all(not d["answers"] for d in r["dns"])' \
    'r["verdict"]["status"] == "error"'

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1 ||
    ! unshare -n true 2>/dev/null; then
	echo "no network namespace here (not root?): that part is skipped"
	echo "dns-failures: ok"
	exit 0
fi
rm -f "$LAB_RESULTS"/*.msgpack
# The whole probe runs in the namespace (NJ_WRAP, valgrind, inside it).
LAB_RESOLVER=system
NJ_WRAP="unshare -n ${NJ_WRAP:-}" lab_run --resolver 192.0.2.53 \
    --resolver "tls://192.0.2.53" \
    --control-resolver "https://192.0.2.53/dns-query"
lab_records
lab_check www.example.com \
    'len(r["dns"]) == 8' \
    'all(d["failure"] == "network_unreachable" for d in r["dns"])' \
    'all(d["server"] == "192.0.2.53:53" for d in r["dns"] if d["resolver"] == "192.0.2.53:53")' \
    'all(d["server"] == "192.0.2.53:853" for d in r["dns"] if d["resolver"].startswith("tls:"))' \
    'all(d["server"] == "192.0.2.53:443" for d in r["dns"] if d["resolver"].startswith("https:"))' \
    'all(re.match(r"^\[?[0-9a-f.:]+\]?:[0-9]+$", d["server"]) for d in r["dns"] if d["resolver"] == "system")' \
    'r["verdict"]["status"] == "error"'
echo "dns-failures: ok"
