# nightjar lab with an outside: network namespaces (root only) in which the
# probe's traffic and the vantage's see different networks.  A bash
# library on top of lab.sh; source it from a test running under `set -eu`:
#
#	. "$top_srcdir/tests/lab/netns.sh"
#	netns_init                      # skips (77) unless root with ip, nft
#	netns_pub 93.184.216.34 157.240.1.35      # "public" server addresses
#	lab_tls genuine genuine 93.184.216.34     # servers live in the world
#	lab_dns probe 9.9.9.9:53; lab_dns control 1.1.1.1:53
#	lab_zone probe "www.facebook.com A 157.240.1.35" ...
#	netns_start                     # lab_start inside the world
#	netns_censor "ip daddr 157.240.1.35 tcp dport $LAB_PORT drop"
#	netns_dpi 31.13.64.1 blocked=www.facebook.com [residual=SEC]
#	netns_vantage [collector args]  # sets NETNS_CONTROL (its URL)
#	netns_probe [run args]          # nightjar run --once in the probe's ns
#	lab_records; lab_check ...      # as with lab.sh
#
# Topology (addresses exist only inside these namespaces):
#
#	probe (10.61.1.2) -- censor (10.61.1.1 | 10.61.2.1) -- world
#	vantage (10.61.3.2) ----------------------------------- world
#
# The world holds every server on its loopback interface ("public-looking"
# addresses from netns_pub) and routes between the probe's side and the
# vantage's.  The censor forwards the probe's packets through an nftables
# chain (netns_censor rules: drop, reject with tcp reset, ...) and can
# redirect chosen addresses to tests/lab/dpi.py, which resets handshakes
# by SNI (and, with residual=SEC, every handshake to that address:port for
# SEC seconds after).  The vantage reaches the world directly.
#
# Functions
#   netns_init          lab_init, then the four namespaces; everything is
#                       removed on exit (trap)
#   netns_pub ADDR...   add addresses to the world's loopback interface
#   netns_start         lab_start with the servers inside the world
#   netns_censor RULE...  nft rules in the censor's forward chain
#   netns_dpi ADDR... [blocked=N,N] [residual=SEC] [port=P]
#                       start dpi.py; the probe's TCP to ADDR:$LAB_PORT
#                       goes through it; log in $LAB_DIR/dpi.log (another
#                       instance for other addresses: its own port=P,
#                       log dpi-P.log)
#   netns_vantage ARGS  nightjar-collector --control in the vantage's ns
#                       (resolver: the "control" DNS server, reference
#                       store: the lab root, port $LAB_PORT allowed); sets
#                       NETNS_CONTROL=http://10.61.3.2:PORT, or https://
#                       when NETNS_HTTPS=1 (a lab-root certificate for
#                       10.61.3.2, which netns_start then makes)
#   netns_probe ARGS    nightjar run --once in the probe's ns, with the lab's
#                       options (see lab_run) and --control $NETNS_CONTROL
#                       (--collector-ca: the lab root); each run is killed
#                       after NETNS_RUN_MAX seconds (default 120, 900
#                       under $NJ_WRAP)
#   netns_exec NS CMD   run CMD in namespace NS (p, c, w or v)
# Variables: NETNS_P NETNS_C NETNS_W NETNS_V (namespace names).
# The probe refuses a plain-http --control off loopback, so a test that
# runs the probe against the vantage sets NETNS_HTTPS=1 before netns_start.

. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

NETNS_P= NETNS_C= NETNS_W= NETNS_V= NETNS_CONTROL=
: "${NETNS_HTTPS:=0}"
if [ -n "${NJ_WRAP:-}" ]; then
	: "${NETNS_RUN_MAX:=900}"
else
	: "${NETNS_RUN_MAX:=120}"
fi

netns_exec() {
	local ns
	case "$1" in
	p) ns=$NETNS_P ;; c) ns=$NETNS_C ;; w) ns=$NETNS_W ;; v) ns=$NETNS_V ;;
	*) lab_fail "netns_exec: unknown namespace $1" ;;
	esac
	shift
	ip netns exec "$ns" "$@"
}

netns_stop() {
	local rc=$? ns
	lab_stop || true
	# Whatever still runs inside the namespaces would outlive them.
	for ns in $NETNS_P $NETNS_C $NETNS_W $NETNS_V; do
		# shellcheck disable=SC2046
		kill -9 $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null || true
	done
	for ns in $NETNS_P $NETNS_C $NETNS_W $NETNS_V; do
		ip netns del "$ns" 2>/dev/null || true
	done
	exit $rc
}

_netns_link() {	# NS1 IF1 ADDR1 NS2 IF2 ADDR2
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

netns_init() {
	[ "$(id -u)" = 0 ] || lab_skip "network namespaces need root"
	command -v ip >/dev/null 2>&1 || lab_skip "ip not found"
	command -v nft >/dev/null 2>&1 || lab_skip "nft not found"
	lab_init
	trap netns_stop EXIT
	local s=$$ ns
	NETNS_P=njp$s NETNS_C=njc$s NETNS_W=njw$s NETNS_V=njv$s
	for ns in $NETNS_P $NETNS_C $NETNS_W $NETNS_V; do
		ip netns add "$ns" || lab_skip "cannot create network namespaces"
		ip -n "$ns" link set lo up
	done
	_netns_link "$NETNS_P" p0 10.61.1.2/24 "$NETNS_C" c0 10.61.1.1/24
	_netns_link "$NETNS_C" c1 10.61.2.1/24 "$NETNS_W" w0 10.61.2.2/24
	_netns_link "$NETNS_V" v0 10.61.3.2/24 "$NETNS_W" w1 10.61.3.1/24
	ip -n "$NETNS_P" route add default via 10.61.1.1
	ip -n "$NETNS_C" route add default via 10.61.2.2
	ip -n "$NETNS_V" route add default via 10.61.3.1
	ip -n "$NETNS_W" route add 10.61.1.0/24 via 10.61.2.1
	netns_exec c sysctl -qw net.ipv4.ip_forward=1
	netns_exec w sysctl -qw net.ipv4.ip_forward=1
	netns_exec c nft -f - <<'EOF'
table inet censor {
	chain forward { type filter hook forward priority 0; policy accept; }
	chain pre { type nat hook prerouting priority -100; policy accept; }
}
EOF
}

netns_pub() {
	local a
	for a in "$@"; do
		ip -n "$NETNS_W" addr add "$a/32" dev lo
	done
}

netns_start() {
	LAB_EXEC="ip netns exec $NETNS_W"
	if [ "$NETNS_HTTPS" = 1 ]; then
		LAB_NAMES="${LAB_NAMES:-www.facebook.com www.youtube.com www.wordpress.com example.org lab.test}"
		LAB_NAMES="$LAB_NAMES${LAB_NAMES:+ }10.61.3.2"
	fi
	lab_start
}

netns_censor() {
	local r
	for r in "$@"; do
		# shellcheck disable=SC2086
		netns_exec c nft add rule inet censor forward $r
	done
}

netns_dpi() {
	local addrs="" blocked="" residual=0 a port=18443 name=dpi
	for a in "$@"; do
		case "$a" in
		blocked=*) blocked=${a#blocked=} ;;
		residual=*) residual=${a#residual=} ;;
		port=*) port=${a#port=} name=dpi-$port ;;
		*) addrs="$addrs${addrs:+, }$a" ;;
		esac
	done
	netns_exec c nft add rule inet censor pre ip saddr 10.61.1.0/24 \
	    ip daddr "{ $addrs }" tcp dport "$LAB_PORT" redirect to :$port
	# Not through netns_exec: $! must be the server itself.
	ip netns exec "$NETNS_C" python3 "$LAB_LIB/dpi.py" --listen $port \
	    --blocked "$blocked" --residual "$residual" \
	    --state "$LAB_DIR/$name.state" --log "$LAB_DIR/$name.log" \
	    2> "$LAB_DIR/$name.err" &
	LAB_PIDS="$LAB_PIDS $!"
	_lab_wait "$LAB_DIR/$name.state" $! "$name"
}

netns_vantage() {
	local i out="$LAB_DIR/vantage.out" tls=()
	[ "$NETNS_HTTPS" = 1 ] && tls=(--tls-cert
	    "$LAB_CERTS/genuine/10.61.3.2.chain"
	    --tls-key "$LAB_CERTS/genuine/10.61.3.2.key")
	ip netns exec "$NETNS_V" ${NJ_WRAP:-} \
	    "$top_builddir/collector/nightjar-collector" \
	    "${tls[@]}" \
	    --listen 10.61.3.2:0 --db "$LAB_DIR/vantage.db" --control \
	    --control-resolver "$LAB_CONTROL_RESOLVER" \
	    --control-ports "443,80,$LAB_PORT" \
	    --control-ca-file "$LAB_CERTS/lab-root.pem" \
	    --control-timeout "$LAB_TIMEOUT" "$@" \
	    > "$out" 2> "$LAB_DIR/vantage.err" &
	LAB_PIDS="$LAB_PIDS $!"
	for i in $(seq 400); do
		grep -q '^listening on' "$out" 2>/dev/null && break
		kill -0 $! 2>/dev/null ||
		    lab_fail "vantage did not start: $(cat "$LAB_DIR/vantage.err")"
		sleep 0.05
	done
	NETNS_CONTROL=$(sed -n 's/^listening on \(.*\)$/\1/p' "$out")
	[ -n "$NETNS_CONTROL" ] || lab_fail "vantage: no URL"
	export NETNS_CONTROL
}

netns_probe() {
	local rc=0
	netns_exec p timeout -k 5 "$NETNS_RUN_MAX" \
	    ${NJ_WRAP:-} "$NIGHTJAR" run --once \
	    --collector-ca "$LAB_CERTS/lab-root.pem" \
	    --results "$LAB_RESULTS" --targets "$LAB_TARGETS" \
	    --resolver "$LAB_RESOLVER" \
	    ${LAB_CONTROL_PROBE:+--control-resolver "$LAB_CONTROL_PROBE"} \
	    --ca-file "$LAB_CERTS/lab-root.pem" --timeout "$LAB_TIMEOUT" \
	    --interception-cas "$LAB_ICA" \
	    ${NETNS_CONTROL:+--control "$NETNS_CONTROL"} "$@" \
	    > "$LAB_DIR/run.out" 2> "$LAB_DIR/run.err" || rc=$?
	LAB_RUN_RC=$rc
	[ $rc = 0 ] || cat "$LAB_DIR/run.err" >&2
	return $rc
}
