#!/bin/bash
# Measurement engine throughput and memory (not a test: prints numbers).
#
# A local nginx (one worker, ECDSA P-256, no session cache or tickets, so
# every handshake is full) and dnsmasq on loopback serving N names.  The
# baseline is two `openssl s_time -new` processes at once against the same
# server; then `nightjar run --once` measures every name (DNS A+AAAA,
# connect, full handshake, chain capture and verification, records
# spooled) at --concurrency 256, and again at 1000 for peak RSS.
#
# usage: bench/engine.sh [NAMES] [S_TIME_SECONDS]
#   NIGHTJAR=path/to/nightjar (default: ./probe/nightjar of the build tree)
#   WRAP="perf record -g -o /tmp/perf.data" runs nightjar under a profiler
set -eu

names=${1:-2000}
stime_secs=${2:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
nightjar=${NIGHTJAR:-${top_builddir:-$here}/probe/nightjar}

for cmd in nginx dnsmasq openssl python3 /usr/bin/time; do
	if ! command -v "$cmd" >/dev/null 2>&1 && ! test -x "$cmd" &&
	    ! test -x "/usr/sbin/$cmd"; then
		echo "bench/engine.sh: $cmd is needed" >&2
		exit 77
	fi
done
test -x "$nightjar" || { echo "bench/engine.sh: build $nightjar first" >&2; exit 2; }
PATH=$PATH:/usr/sbin

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- certificates: ECDSA P-256 root and a *.bench.test leaf -------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 \
    -subj "/CN=nightjar bench root" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" -subj "/CN=bench.test" \
    2>/dev/null
printf 'subjectAltName=DNS:*.bench.test,DNS:bench.test\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -out "$tmp/leaf.pem" -days 2 -extfile "$tmp/ext" \
    2>/dev/null
cat "$tmp/leaf.pem" "$tmp/ca.pem" > "$tmp/chain.pem"

# --- nginx ---------------------------------------------------------------
tls_port=$(free_port)
mkdir -p "$tmp/nginx"
user_line=
test "$(id -u)" = 0 && user_line="user root;"
cat > "$tmp/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
		listen 127.0.0.1:$tls_port ssl backlog=4096;
		ssl_certificate $tmp/chain.pem;
		ssl_certificate_key $tmp/leaf.key;
		ssl_session_cache off;
		ssl_session_tickets off;
		return 200 "ok\n";
	}
}
EOF
nginx -c "$tmp/nginx.conf" -p "$tmp/nginx" &
pids="$pids $!"

# --- dnsmasq with the names ---------------------------------------------
dns_port=$(free_port)
: > "$tmp/hosts"
: > "$tmp/targets.txt"
for i in $(seq 1 "$names"); do
	echo "127.0.0.1 n$i.bench.test" >> "$tmp/hosts"
	echo "n$i.bench.test:$tls_port" >> "$tmp/targets.txt"
done
dns_user=
test "$(id -u)" = 0 && dns_user=--user=root
dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon \
    --listen-address=127.0.0.1 --bind-interfaces --port="$dns_port" \
    --addn-hosts="$tmp/hosts" --local=/bench.test/ --cache-size=10000 \
    --pid-file="$tmp/dnsmasq.pid" $dns_user --log-facility=/dev/null &
pids="$pids $!"

# Wait for both servers.
for _ in $(seq 1 50); do
	if openssl s_client -connect "127.0.0.1:$tls_port" </dev/null \
	    >/dev/null 2>&1 && python3 - "$dns_port" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02n1\x05bench\x04test\x00\x00\x01\x00\x01"
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
sys.exit(0 if len(s.recv(512)) > 12 else 1)
EOF
	then
		break
	fi
	sleep 0.1
done

echo "cpu: $(nproc) cores; server: nginx $(nginx -v 2>&1 | sed 's/.*\///'), one worker, ECDSA P-256, full handshakes"

# --- baseline: two openssl s_time -new at once --------------------------
t0=$(date +%s.%N)
for n in 1 2; do
	openssl s_time -connect "127.0.0.1:$tls_port" -new -time "$stime_secs" \
	    > "$tmp/stime$n.out" 2>&1 &
	eval "st$n=\$!"
done
wait "$st1" "$st2"
t1=$(date +%s.%N)
baseline=$(cat "$tmp/stime1.out" "$tmp/stime2.out" | awk -v w="$t0 $t1" '
	BEGIN { split(w, a, " "); wall = a[2] - a[1] }
	/connections in [0-9]+ real seconds/ { n += $1 }
	END { printf "%.0f handshakes/s (%d in %.1fs)", n / wall, n, wall }')
echo "baseline: two 'openssl s_time -new' at once: $baseline"

# --- nightjar -----------------------------------------------------------
run_nightjar() {	# concurrency label
	rm -rf "$tmp/results"
	/usr/bin/time -v -o "$tmp/time.$2" ${WRAP:-} "$nightjar" run --once \
	    --targets "$tmp/targets.txt" --results "$tmp/results" \
	    --resolver "127.0.0.1:$dns_port" --ca-file "$tmp/ca.pem" \
	    --interception-cas "$here/targets/interception-cas" \
	    --timeout 10000 --concurrency "$1" -v 2> "$tmp/run.$2"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":");
	    s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' \
	    "$tmp/time.$2")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$tmp/time.$2")
	ok=$(awk -F': ' '$1 == "ok" { print $2 }' "$tmp/run.$2")
	bytes=$(cat "$tmp/results"/*.msgpack | wc -c)
	rate=$(awk -v n="$names" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	# "nightjar: info: measured N of N targets in S s, ..."
	round=$(awk '$3 == "measured" && $9 > 0 { printf "%.0f", $4 / $9 }' \
	    "$tmp/run.$2")
	echo "nightjar --concurrency $1: $names targets in ${wall}s = $rate targets/s (${round:-?}/s within the round; ok: ${ok:-?}), peak RSS $((rss / 1024)) MB, $bytes bytes of records"
	if [ "${ok:-0}" != "$names" ]; then
		echo "  (not every target was ok; stderr:)"
		sed 's/^/  /' "$tmp/run.$2" | tail -8
	fi
}
run_nightjar 256 c256
run_nightjar 1000 c1000
