#!/bin/bash
# Campaign throughput against the tools a researcher would otherwise use
# (not a test: prints numbers).
#
# One nginx (one worker, ECDSA P-256, no session cache or tickets: every
# handshake is full) listening on ADDRS loopback addresses
# (127.20.x.y, unprivileged port) and dnsmasq serving NAMES names spread
# over those addresses in turn (set-up: bench/lib.sh).  In one run:
#   - two `openssl s_time -new` at once for S_TIME seconds against one
#     address: the handshake ceiling of blocking clients on both cores;
#   - `nmap -n -Pn -sT --script ssl-cert` over the ADDRS addresses (no DNS,
#     no SNI: one handshake and one certificate per address);
#   - `nightjar run --once --campaign bench` over all NAMES names at
#     --concurrency 1000 with the default --per-address 4 (DNS A+AAAA,
#     connect, full handshake with SNI, chain verification, records
#     spooled in chunks).
# Prints targets/s for each, nightjar's ratio to each, peak RSS, and the
# client's CPU time per target (user + system; the server's is the same
# per handshake for all three), with the load average before and after:
# on a busy machine the rates say more about the share of CPU each process
# got than about the program, the CPU per target less so.
#
# usage: bench/campaign.sh [NAMES] [S_TIME_SECONDS] [ADDRS]
#   NIGHTJAR=path/to/nightjar (default: ./probe/nightjar of the build tree)
#   COMPARE="LABEL=PATH ..." also runs those builds over the same lab, one
#     after the other, each on a line of its own (e.g. an older commit's)
set -eu

names=${1:-10000}
stime_secs=${2:-10}
naddrs=${3:-1000}
. "$(dirname "$0")/lib.sh"
bench_init bench/campaign.sh nginx dnsmasq openssl nmap python3

bench_lab "$names" "$naddrs"
printf '%s\n' "${addrs[@]}" > "$tmp/addrs.txt"

echo "machine: $(nproc) cores; load before: $(uptime | sed 's/.*load average: //')"
echo "server: nginx $(nginx -v 2>&1 | sed 's/.*\///'), one worker on $naddrs addresses, ECDSA P-256, full handshakes"

# --- two openssl s_time -new at once --------------------------------------
srv0=$(bench_server_ms)
bench_stime "$stime_secs" "${addrs[0]}"
srv_stime=$(( $(bench_server_ms) - srv0 ))
per() { awk -v c="$1" -v n="$2" 'BEGIN { r = 0; if (n > 0) r = 1000 * c / n; printf "%.2f", r }'; }
echo "openssl s_time -new x2: $stime_rate handshakes/s ($stime_n in ${stime_wall}s), peak RSS $((stime_rss / 1024)) MB each, CPU $(per "$stime_cpu" "$stime_n") ms/handshake; server CPU $(per "$srv_stime" "$stime_n" | awk '{ printf "%.2f", $1 / 1000 }') ms/handshake"

# --- nmap ssl-cert over the addresses -------------------------------------
bench_timed nmap nmap -n -Pn -sT -p "$tls_port" --script ssl-cert \
    -iL "$tmp/addrs.txt" -oN "$tmp/nmap.out" > /dev/null 2>&1
nmap_wall=$wall
nmap_rss=$rss
nmap_certs=$(grep -c "ssl-cert: Subject: commonName=bench.test" \
    "$tmp/nmap.out" || true)
nmap_rate=$(awk -v n="$naddrs" -v w="$nmap_wall" 'BEGIN { printf "%.1f", n / w }')
nmap_cpu=$cpu
echo "nmap -sT --script ssl-cert: $naddrs addresses in ${nmap_wall}s = $nmap_rate targets/s ($nmap_certs certificates), peak RSS $((nmap_rss / 1024)) MB, CPU $(per "$nmap_cpu" "$naddrs") ms/target"

# --- nightjar -------------------------------------------------------------
nj_run() {	# LABEL BINARY
	rm -rf "$tmp/results"
	bench_timed "$1" "$2" run --once --campaign bench \
	    --targets "$tmp/targets.txt" --results "$tmp/results" \
	    --resolver "127.0.0.1:$dns_port" --ca-file "$tmp/ca.pem" \
	    --interception-cas "$here/targets/interception-cas" \
	    --timeout 10000 --concurrency 1000 2> "$tmp/run.err" || true
}
for spec in ${COMPARE:-}; do
	srv0=$(bench_server_ms)
	nj_run "${spec%%=*}" "${spec#*=}"
	srv=$(( $(bench_server_ms) - srv0 ))
	ok=$(awk -F': ' '$1 == "ok" { print $2 }' "$tmp/run.err")
	echo "${spec%%=*} --concurrency 1000: $names names in ${wall}s = $(awk -v n="$names" -v w="$wall" 'BEGIN { printf "%.1f", n / w }') targets/s (ok: ${ok:-?}), peak RSS $((rss / 1024)) MB, CPU $(per "$cpu" "$names") ms/target (user $(per "$usr" "$names") + system $(per "$sys" "$names")); server $(per "$srv" "$names" | awk '{ printf "%.2f", $1 / 1000 }') ms/target"
done
srv0=$(bench_server_ms)
nj_run nightjar "$nightjar"
srv=$(( $(bench_server_ms) - srv0 ))
nj_wall=$wall
nj_rss=$rss
ok=$(awk -F': ' '$1 == "ok" { print $2 }' "$tmp/run.err")
files=$(find "$tmp/results" -maxdepth 1 -name '*.msgpack' | wc -l)
nj_rate=$(awk -v n="$names" -v w="$nj_wall" 'BEGIN { printf "%.1f", n / w }')
nj_cpu=$cpu
echo "nightjar --concurrency 1000: $names names in ${nj_wall}s = $nj_rate targets/s (ok: ${ok:-?}, $files spool files), peak RSS $((nj_rss / 1024)) MB, CPU $(per "$nj_cpu" "$names") ms/target (user $(per "$usr" "$names") + system $(per "$sys" "$names")); server $(per "$srv" "$names" | awk '{ printf "%.2f", $1 / 1000 }') ms/target"
if [ "${ok:-0}" != "$names" ]; then
	echo "  (not every target was ok; stderr:)"
	sed 's/^/  /' "$tmp/run.err" | tail -9
fi

awk -v nj="$nj_rate" -v st="$stime_rate" -v nm="$nmap_rate" 'BEGIN {
	r1 = 0; r2 = 0
	if (st > 0) r1 = nj / st
	if (nm > 0) r2 = nj / nm
	printf "ratios: nightjar / (two s_time) = %.2fx, nightjar / nmap = %.1fx\n", r1, r2 }'
echo "load after: $(uptime | sed 's/.*load average: //')"
