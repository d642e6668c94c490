#!/bin/bash
# What asking the vantage costs: one round of N (1000) targets that all
# fail (TCP refused on loopback), measured without and with a vantage
# (nightjar-collector --control on loopback, allowed onto 127/8).  Prints
# the probe's extra wall time and peak memory, the vantage's peak memory
# and its CPU time per target.
#
#	bench/vantage.sh [N]
set -eu
. "$(dirname "$0")/lib.sh"
n=${1:-1000}
collector=${NIGHTJAR_COLLECTOR:-${top_builddir:-$here}/collector/nightjar-collector}
bench_init vantage.sh dnsmasq python3
tls_port=$(free_port)		# nothing listens there: refused
bench_dnsmasq "$n" 127.0.9.1 127.0.9.2 127.0.9.3 127.0.9.4
sleep 0.5

"$collector" --listen 127.0.0.1:0 --db "$tmp/v.db" --control \
    --control-resolver "127.0.0.1:$dns_port" --control-allow 127.0.0.0/8 \
    --control-ports "$tls_port" --control-rate 1000000 -q \
    > "$tmp/v.out" 2> "$tmp/v.err" &
vpid=$!
pids="$pids $vpid"
for _ in $(seq 100); do
	grep -q '^listening on' "$tmp/v.out" && break
	sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$tmp/v.out")

ticks() {	# user + system clock ticks of a process
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

run() {	# LABEL ARGS...
	local label=$1
	shift
	rm -rf "$tmp/results.$label"
	bench_timed "$label" "$nightjar" run --once -q \
	    --results "$tmp/results.$label" --targets "$tmp/targets.txt" \
	    --resolver "127.0.0.1:$dns_port" --timeout 5000 \
	    --concurrency 64 --dns-linger 0 "$@"
}

run plain --control none
wall0=$wall rss0=$rss cpu0=$cpu
v_rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$vpid/status")
t0=$(ticks "$vpid")
run vantage --control "$url"
wall1=$wall rss1=$rss cpu1=$cpu
t1=$(ticks "$vpid")
v_hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$vpid/status")
hz=$(getconf CLK_TCK)
asked=$("$nightjar" show "$tmp/results.vantage" | grep -c '"control": *{"url"' || true)

python3 - "$n" "$wall0" "$wall1" "$rss0" "$rss1" "$cpu0" "$cpu1" \
    "$v_rss0" "$v_hwm" "$t0" "$t1" "$hz" "$asked" <<'EOF'
import sys
n, w0, w1, r0, r1, c0, c1, vr0, vh, t0, t1, hz, asked = sys.argv[1:]
n = int(n)
w0, w1, c0, c1 = float(w0), float(w1), float(c0), float(c1)
vcpu = (int(t1) - int(t0)) / int(hz)
print("targets                  %d (all failing; %s records with an answer)"
      % (n, asked))
print("probe wall time          %.2f s without, %.2f s with (+%.2f s)"
      % (w0, w1, w1 - w0))
print("probe CPU                %.2f s without, %.2f s with" % (c0, c1))
print("probe peak memory        %d KiB without, %d KiB with (+%d KiB)"
      % (int(r0), int(r1), int(r1) - int(r0)))
print("vantage memory           %d KiB idle, %d KiB peak (+%d KiB)"
      % (int(vr0), int(vh), int(vh) - int(vr0)))
print("vantage CPU              %.2f s, %.3f ms per target"
      % (vcpu, 1000 * vcpu / n))
EOF
