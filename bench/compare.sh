#!/bin/bash
# Two nightjar binaries on the same campaign lab, in turns (not a test:
# prints numbers).  The bench/campaign.sh lab (nginx with one worker,
# dnsmasq, NAMES names over ADDRS loopback addresses); each binary runs
# the whole campaign RUNS times, alternating, so both see the same load.
# Prints, per run, targets/s, CPU ms per target (user + system) and peak
# RSS; CPU per target is the figure that says most on a busy machine.
#
# usage: bench/compare.sh OLD NEW [NAMES] [ADDRS] [RUNS]
set -eu

old=$1
new=$2
names=${3:-5000}
naddrs=${4:-500}
runs=${5:-2}
. "$(dirname "$0")/lib.sh"
bench_init bench/compare.sh nginx dnsmasq openssl python3

bench_lab "$names" "$naddrs"
echo "machine: $(nproc) cores; load before: $(uptime | sed 's/.*load average: //')"

for r in $(seq 1 "$runs"); do
	for which in old new; do
		bin=$old
		[ "$which" = new ] && bin=$new
		rm -rf "$tmp/results"
		bench_timed "$which" "$bin" run --once --campaign bench \
		    --targets "$tmp/targets.txt" --results "$tmp/results" \
		    --resolver "127.0.0.1:$dns_port" --ca-file "$tmp/ca.pem" \
		    --interception-cas "$here/targets/interception-cas" \
		    --timeout 10000 --concurrency 1000 2> "$tmp/run.err" || true
		ok=$(awk -F': ' '$1 == "ok" { print $2 }' "$tmp/run.err")
		awk -v w="$which" -v r="$r" -v n="$names" -v wall="$wall" \
		    -v cpu="$cpu" -v rss="$rss" -v ok="${ok:-?}" 'BEGIN {
			printf "run %d %-3s: %.1f targets/s, CPU %.3f ms/target, peak RSS %d MB, ok %s\n",
			    r, w, n / wall, 1000 * cpu / n, rss / 1024, ok }'
	done
done
echo "load after: $(uptime | sed 's/.*load average: //')"
