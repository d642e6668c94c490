#!/bin/bash
# What --http costs, and how well throttling is told from a slow link (not
# a test: prints numbers).
#
# 1. Cost: nginx (one worker, ECDSA P-256, full handshakes) serving a
#    PAGE_BYTES page and dnsmasq serving NAMES names on ADDRS loopback
#    addresses (bench/lib.sh); `nightjar run --once` over every name
#    without and with --http: wall time, CPU (user + system) and peak RSS.
# 2. Throttling: the lab relay (tests/lab/httpd.py) shaping one SNI at
#    128 kbit/s in front of a server with a 64 KB body, RUNS rounds with
#    --http: how many come out throttled (goal: all); then the same relay
#    shaping every SNI, RUNS rounds: how many come out throttled (goal:
#    none).
#
# usage: bench/http.sh [NAMES] [RUNS] [PAGE_BYTES]     (2000 10 20000)
set -eu

names=${1:-2000}
runs=${2:-10}
page=${3:-20000}
. "$(dirname "$0")/lib.sh"
bench_init bench/http.sh nginx dnsmasq openssl python3
bench_certs
# Not 127.0.0.1-4: OONI's DNS fingerprints name 127.0.0.1 (a censor's answer).
addrs="127.0.0.21 127.0.0.22 127.0.0.23 127.0.0.24"
# shellcheck disable=SC2086
bench_nginx $addrs
# The page instead of nginx's "ok": rewrite and reload.
mkdir -p "$tmp/www"
python3 -c 'import sys; n = int(sys.argv[1]); head = "<html><head><title>bench</title></head><body>"; sys.stdout.write(head + "x" * max(0, n - len(head) - 14) + "</body></html>")' \
    "$page" > "$tmp/www/index.html"
sed -i "s|return 200 \"ok\\\\n\";|root $tmp/www; index index.html;|" \
    "$tmp/nginx.conf"
# shellcheck disable=SC2086
bench_dnsmasq "$names" $addrs
bench_wait 127.0.0.21
nginx -c "$tmp/nginx.conf" -p "$tmp/nginx" -s reload
sleep 1

echo "cpu: $(nproc) cores; $names names on $(echo $addrs | wc -w) addresses; page $page bytes"
run() {		# label [options]
	local label="$1"
	shift
	rm -rf "$tmp/results"
	bench_timed "$label" "$nightjar" run --once \
	    --targets "$tmp/targets.txt" --results "$tmp/results" \
	    --resolver "127.0.0.1:$dns_port" --ca-file "$tmp/ca.pem" \
	    --interception-cas "$here/targets/interception-cas" \
	    --timeout 10000 --concurrency 256 --per-address 0 "$@" \
	    2> "$tmp/run.$label"
	ok=$("$nightjar" show "$tmp/results" | python3 -c '
import collections, json, sys
rs = [json.loads(l) for l in sys.stdin]
st = collections.Counter("%s/%s" % (r["verdict"]["status"], r["verdict"]["method"]) for r in rs)
print(" ".join("%s=%d" % kv for kv in sorted(st.items())),
      "http entries:", sum(len(r.get("http") or []) for r in rs))')
	printf '%-10s wall %6.2f s  cpu %6.2f s  peak RSS %4d MB  %s\n' \
	    "$label" "$wall" "$cpu" $((rss / 1024)) "$ok"
}
run "plain"
run "http" --http

# --- throttling ------------------------------------------------------------
lab=$here/tests/lab
"$lab/mkcerts.sh" "$tmp/lab" >/dev/null
printf '%s\n' "www.facebook.com A 127.0.0.42" "www.youtube.com A 127.0.0.43" \
    > "$tmp/zone"
python3 "$lab/dns.py" --zone "$tmp/zone" --listen 127.0.0.2 \
    --state "$tmp/dns.state" --log /dev/null 2>/dev/null &
pids="$pids $!"
python3 "$lab/httpd.py" --certs "$tmp/lab" --state "$tmp/big.state" \
    "big,https,127.0.0.41,0,size=65536" 2>/dev/null &
pids="$pids $!"
for _ in $(seq 1 100); do
	[ -s "$tmp/big.state" ] && [ -s "$tmp/dns.state" ] && break
	sleep 0.1
done
big=$(awk '{ print $3 }' "$tmp/big.state")
python3 "$lab/httpd.py" --certs "$tmp/lab" --state "$tmp/shape.state" \
    "bysni,shaper,127.0.0.42,0,backend=127.0.0.41:$big,rate=16000,shape=www.facebook.com" \
    "every,shaper,127.0.0.43,0,backend=127.0.0.41:$big,rate=16000,shape=all" \
    2>/dev/null &
pids="$pids $!"
for _ in $(seq 1 100); do
	[ -s "$tmp/shape.state" ] && break
	sleep 0.1
done
dns="$(awk '{ print $1 ":" $2 }' "$tmp/dns.state")"
s1=$(awk '$1 == "bysni" { print $3 }' "$tmp/shape.state")
s2=$(awk '$1 == "every" { print $3 }' "$tmp/shape.state")

rounds() {	# target -> how many of $runs are throttled
	local i n=0 st
	echo "$1" > "$tmp/t.txt"
	for i in $(seq 1 "$runs"); do
		rm -rf "$tmp/res"
		"$nightjar" run --once --http --targets "$tmp/t.txt" \
		    --results "$tmp/res" --resolver "$dns" \
		    --ca-file "$tmp/lab/lab-root.pem" --timeout 5000 \
		    -q 2>/dev/null || true
		st=$("$nightjar" show "$tmp/res" | python3 -c '
import json, sys
for l in sys.stdin:
    v = json.loads(l)["verdict"]
    print(v["status"] + "/" + str(v["method"]))')
		case "$st" in throttled/*) n=$((n + 1)) ;; esac
		echo "  run $i: $st" >&2
	done
	echo "$n"
}
echo "throttling (128 kbit/s, 64 KB body, --http):"
n=$(rounds "www.facebook.com:$s1" 2>"$tmp/shaped.log")
echo "  shaped by SNI:      $n of $runs throttled (goal $runs)"
n=$(rounds "www.youtube.com:$s2" 2>"$tmp/uniform.log")
echo "  every SNI shaped:   $n of $runs throttled (goal 0)"
sed 's/^/ /' "$tmp/shaped.log" "$tmp/uniform.log" | sort | uniq -c | sed 's/^/  /'
