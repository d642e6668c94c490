#!/bin/bash
# A round of N names (default 2000) whose control resolver is reached over
# UDP, over DNS over TLS and over DNS over HTTPS, all on loopback: wall
# time, CPU, peak memory of the probe and connections the control
# resolver's server accepted.  The probe resolver is plain UDP in every
# run; every name resolves to a closed port (connection refused at once),
# so the round is mostly DNS.  The servers are tests/lab/dns.py (Python):
# their speed bounds the figures, which compare transports, not servers.
#
#	bench/dns.sh [N] [LINGER_MS]     (LINGER_MS: --dns-linger, default 0)
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lab/lab.sh"
n=${1:-2000}
linger=${2:-0}
command -v /usr/bin/time >/dev/null || { echo "bench/dns.sh: /usr/bin/time is needed" >&2; exit 77; }

lab_init
LAB_NAMES="127.0.0.5 127.0.0.6"
LAB_TIMEOUT=10000
C=$LAB_CERTS
lab_zone probe "* A 127.0.0.9"
lab_zone control "* A 127.0.0.9"
lab_dns dot 127.0.0.5 --dot "$C/genuine/127.0.0.5.chain:$C/genuine/127.0.0.5.key"
lab_dns doh 127.0.0.6 --doh "$C/genuine/127.0.0.6.chain:$C/genuine/127.0.0.6.key"
lab_zone dot "* A 127.0.0.9"
lab_zone doh "* A 127.0.0.9"
lab_start
seq -f "n%g.bench.test:9" 1 "$n" > "$LAB_TARGETS"

printf '%-5s %8s %8s %9s %12s %8s\n' control wall_s cpu_s rss_KiB connections queries
for how in udp dot doh; do
	case $how in
	udp) ctl=$(lab_dns_addr control); log=control ;;
	dot) ctl="tls://$(lab_dns_addr dot)"; log=dot ;;
	doh) ctl="https://$(lab_dns_addr doh)/dns-query"; log=doh ;;
	esac
	: > "$LAB_DIR/dns-$log.log"
	rm -rf "$LAB_RESULTS"
	mkdir -p "$LAB_RESULTS"
	/usr/bin/time -v -o "$LAB_DIR/time.$how" "$NIGHTJAR" run --once \
	    --results "$LAB_RESULTS" --targets "$LAB_TARGETS" \
	    --ca-file "$LAB_CERTS/lab-root.pem" --timeout "$LAB_TIMEOUT" \
	    --resolver "$LAB_RESOLVER" --control-resolver "$ctl" \
	    --dns-linger "$linger" --concurrency 64 -q \
	    > /dev/null 2> "$LAB_DIR/run.$how.err" ||
	    { cat "$LAB_DIR/run.$how.err" >&2; exit 1; }
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { k = split($2, a, ":");
	    s = 0; for (i = 1; i <= k; i++) s = s * 60 + a[i]; print s }' \
	    "$LAB_DIR/time.$how")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$LAB_DIR/time.$how")
	cpu=$(awk -F': ' '/(User|System) time/ { s += $2 } END { print s }' \
	    "$LAB_DIR/time.$how")
	if [ "$how" = udp ]; then
		conns="1 socket"
		q=$(grep -c '^udp ' "$LAB_DIR/dns-$log.log" || true)
	else
		conns=$(grep -c "^$how-conn" "$LAB_DIR/dns-$log.log" || true)
		q=$(grep -c "^$how " "$LAB_DIR/dns-$log.log" || true)
	fi
	failed=$("$NIGHTJAR" show "$LAB_RESULTS" | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin for d in json.loads(l)["dns"]
          if d["role"] == "control" and d["failure"] not in
          (None, "dns_no_answer")))')
	printf '%-5s %8s %8s %9s %12s %8s' "$how" "$wall" "$cpu" "$rss" "$conns" "$q"
	[ "$failed" = 0 ] && echo || echo "  ($failed control queries failed)"
done
