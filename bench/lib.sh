# Shared set-up of the bench/ scripts (sourced, not run): a temporary
# directory cleaned up on exit, an ECDSA P-256 root and *.bench.test leaf,
# nginx (one worker, no session cache or tickets: every handshake is full)
# on one or many loopback addresses, dnsmasq serving bench names, the
# `openssl s_time -new` baseline and /usr/bin/time figures.
#
#	. "$(dirname "$0")/lib.sh"
#	bench_init NAME nginx dnsmasq ...   # needed commands, $tmp, trap
#	bench_certs                          # $tmp/ca.pem, chain.pem, leaf.key
#	bench_nginx ADDR...                  # $tls_port on every ADDR
#	bench_dnsmasq NAMES ADDR...          # n$i.bench.test -> ADDRs in turn,
#	                                     # $dns_port, $tmp/targets.txt
#	bench_wait ADDR                      # nginx and dnsmasq answer
#	bench_stime SECS ADDR                # $stime_rate, $stime_n,
#	                                     # $stime_wall, $stime_rss (KiB),
#	                                     # $stime_cpu (s, both)
#	bench_timed LABEL CMD...             # /usr/bin/time -v into
#	                                     # $tmp/time.LABEL; $wall, $rss (KiB),
#	                                     # $cpu (user + system s),
#	                                     # $usr, $sys (s)
#
# Variables: $here (source tree), $nightjar (NIGHTJAR or the build's).

here=$(cd "$(dirname "$0")/.." && pwd)
nightjar=${NIGHTJAR:-${top_builddir:-$here}/probe/nightjar}
PATH=$PATH:/usr/sbin
tmp=
pids=

bench_cleanup() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}

bench_init() {	# SCRIPT-NAME COMMAND...
	local me="$1" cmd
	shift
	for cmd in "$@" /usr/bin/time; do
		if ! command -v "$cmd" >/dev/null 2>&1 && ! test -x "$cmd" &&
		    ! test -x "/usr/sbin/$cmd"; then
			echo "$me: $cmd is needed" >&2
			exit 77
		fi
	done
	test -x "$nightjar" ||
	    { echo "$me: build $nightjar first" >&2; exit 2; }
	tmp=$(mktemp -d)
	trap bench_cleanup EXIT
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ECDSA P-256 root and a *.bench.test leaf.
bench_certs() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 \
	    -subj "/CN=nightjar bench root" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" \
	    -subj "/CN=bench.test" 2>/dev/null
	printf 'subjectAltName=DNS:*.bench.test,DNS:bench.test\n' > "$tmp/ext"
	openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" \
	    -CAkey "$tmp/ca.key" -CAcreateserial -out "$tmp/leaf.pem" \
	    -days 2 -extfile "$tmp/ext" 2>/dev/null
	cat "$tmp/leaf.pem" "$tmp/ca.pem" > "$tmp/chain.pem"
}

# One nginx worker listening on $tls_port of every ADDR.
bench_nginx() {
	local user_line= a
	tls_port=$(free_port)
	mkdir -p "$tmp/nginx"
	test "$(id -u)" = 0 && user_line="user root;"
	{
		cat <<EOF
$user_line
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	server {
EOF
		for a in "$@"; do
			echo "		listen $a:$tls_port ssl backlog=4096;"
		done
		cat <<EOF
		ssl_certificate $tmp/chain.pem;
		ssl_certificate_key $tmp/leaf.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_cache off;
		ssl_session_tickets off;
		return 200 "ok\n";
	}
}
EOF
	} > "$tmp/nginx.conf"
	nginx -c "$tmp/nginx.conf" -p "$tmp/nginx" &
	nginx_pid=$!
	pids="$pids $!"
}

# CPU time (user + system, ms) nginx's master and workers have used so far.
bench_server_ms() {
	local p kids
	kids=$(cat /proc/"$nginx_pid"/task/*/children 2>/dev/null || true)
	for p in $nginx_pid $kids; do
		cat /proc/"$p"/stat 2>/dev/null || true
	done | awk -v hz="$(getconf CLK_TCK)" '
	    { sub(/.*\) /, ""); s += $12 + $13 }
	    END { printf "%d\n", s * 1000 / hz }'
}

# dnsmasq on 127.0.0.1:$dns_port: n1..nNAMES.bench.test, name i on the
# i-th ADDR (round robin); $tmp/targets.txt lists them with $tls_port.
bench_dnsmasq() {
	local names="$1" dns_user=
	shift
	dns_port=$(free_port)
	python3 - "$names" "$tls_port" "$tmp/hosts" "$tmp/targets.txt" "$@" <<'EOF'
import sys
n, port, hosts, targets = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
addrs = sys.argv[5:]
with open(hosts, "w") as h, open(targets, "w") as t:
    for i in range(1, n + 1):
        h.write("%s n%d.bench.test\n" % (addrs[(i - 1) % len(addrs)], i))
        t.write("n%d.bench.test:%s\n" % (i, port))
EOF
	test "$(id -u)" = 0 && dns_user=--user=root
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon \
	    --listen-address=127.0.0.1 --bind-interfaces --port="$dns_port" \
	    --addn-hosts="$tmp/hosts" --local=/bench.test/ \
	    --cache-size=10000 --pid-file="$tmp/dnsmasq.pid" $dns_user \
	    --log-facility=/dev/null &
	pids="$pids $!"
}

# Wait (up to 5 s) until nginx answers on ADDR and dnsmasq resolves n1.
bench_wait() {
	local _
	for _ in $(seq 1 50); do
		if openssl s_client -connect "$1:$tls_port" </dev/null \
		    >/dev/null 2>&1 && python3 - "$dns_port" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02n1\x05bench\x04test\x00\x00\x01\x00\x01"
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
sys.exit(0 if len(s.recv(512)) > 12 else 1)
EOF
		then
			return 0
		fi
		sleep 0.1
	done
	echo "bench: nginx or dnsmasq did not start" >&2
	return 1
}

# The usual lab: NADDRS loopback addresses in $addrs (127.20.x.y), one
# nginx serving them all, dnsmasq answering NAMES names over them.
bench_lab() {	# NAMES NADDRS
	local i
	addrs=()
	for i in $(seq 0 $(($2 - 1))); do
		addrs+=("127.20.$((i / 250)).$((i % 250 + 1))")
	done
	bench_certs
	bench_nginx "${addrs[@]}"
	bench_dnsmasq "$1" "${addrs[@]}"
	bench_wait "${addrs[0]}" 2>/dev/null
}

# Two `openssl s_time -new` at once for SECS against ADDR: full handshakes
# a second over the measured wall time, both together.
bench_stime() {
	local secs="$1" addr="$2" t0 t1 n st1 st2
	t0=$(date +%s.%N)
	for n in 1 2; do
		/usr/bin/time -v -o "$tmp/time.stime$n" openssl s_time \
		    -connect "$addr:$tls_port" -new -time "$secs" \
		    > "$tmp/stime$n.out" 2>&1 &
		eval "st$n=\$!"
	done
	wait "$st1" "$st2"
	t1=$(date +%s.%N)
	read -r stime_rate stime_n stime_wall <<EOF
$(cat "$tmp/stime1.out" "$tmp/stime2.out" | awk -v w="$t0 $t1" '
	BEGIN { split(w, a, " "); wall = a[2] - a[1] }
	/connections in [0-9]+ real seconds/ { n += $1 }
	END { printf "%.0f %d %.1f\n", n / wall, n, wall }')
EOF
	stime_rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$tmp/time.stime1")
	stime_cpu=$(cat "$tmp/time.stime1" "$tmp/time.stime2" |
	    awk -F': ' '/(User|System) time/ { s += $2 } END { print s }')
}

# Run CMD under /usr/bin/time -v: $wall (s) and $rss (KiB) of LABEL.
bench_timed() {
	local label="$1"
	shift
	/usr/bin/time -v -o "$tmp/time.$label" "$@"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":");
	    s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' \
	    "$tmp/time.$label")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$tmp/time.$label")
	cpu=$(awk -F': ' '/(User|System) time/ { s += $2 } END { print s }' \
	    "$tmp/time.$label")
	usr=$(awk -F': ' '/User time/ { print $2 }' "$tmp/time.$label")
	sys=$(awk -F': ' '/System time/ { print $2 }' "$tmp/time.$label")
}
