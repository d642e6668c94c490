# nightjar test lab: a bash library for integration tests.  Source it from a
# test (which runs under `set -eu`):
#
#	. "$top_srcdir/tests/lab/lab.sh"
#	lab_init                                  # temp dir, trap EXIT
#	lab_tls good genuine 127.0.0.10           # TLS servers, one shared port
#	lab_tls sni  sni-reset 127.0.0.11 blocked=www.facebook.com
#	lab_zone probe   "www.facebook.com A 127.0.0.11"
#	lab_zone control "www.facebook.com A 127.0.0.10"
#	lab_start                                 # certs, servers, wait ready
#	lab_targets "www.facebook.com:$LAB_PORT"
#	lab_run                                   # nightjar run --once ...
#	lab_records                               # nightjar show -> JSON Lines
#	lab_check www.facebook.com \
#	    'tls(sni="www.facebook.com")[0]["failure"] == "connection_reset"'
#
# Functions
#   lab_init            make $LAB_DIR (mktemp -d), install `trap lab_stop
#                       EXIT` (a test with its own trap calls lab_stop from
#                       it); skips the test (exit 77) without python3/openssl
#   lab_tls NAME MODE ADDR [key=value...]
#                       declare a server of tests/lab/tls.py (modes and
#                       options: see there); every one listens on $LAB_PORT
#   lab_tls_port NAME MODE ADDR PORT [key=value...]
#                       same with a port of its own (0 = any free port)
#   lab_dns NAME ADDR [OPTION...]
#                       declare a DNS server (tests/lab/dns.py) whose zone is
#                       $LAB_DIR/NAME.zone; "probe" (127.0.0.2) and "control"
#                       (127.0.0.3) are declared by their first lab_zone;
#                       OPTIONs go to dns.py (--force-tcp, --inject ADDR,
#                       --dot CHAIN:KEY, --doh CHAIN:KEY; certificate paths
#                       under $LAB_CERTS, made by lab_start)
#   lab_zone NAME LINE...   append zone lines (format: tests/lab/dns.py)
#   lab_start           make certificates ($LAB_NAMES), start every declared
#                       server in the background, wait until all are ready
#   lab_stop            kill what lab_start started, remove $LAB_DIR (kept
#                       and printed when LAB_KEEP=1)
#   lab_addr NAME       "ADDR PORT" of a TLS server   lab_port NAME: its port
#   lab_dns_addr NAME   ADDR:PORT of a DNS server ([ADDR]:PORT for IPv6)
#   lab_targets LINE... write $LAB_TARGETS (one target a line)
#   lab_run [ARGS...]   $NIGHTJAR run --once --results $LAB_RESULTS
#                       --targets $LAB_TARGETS --resolver $LAB_RESOLVER
#                       [--control-resolver $LAB_CONTROL_RESOLVER]
#                       --ca-file $LAB_CERTS/lab-root.pem --timeout
#                       $LAB_TIMEOUT --interception-cas $LAB_ICA ARGS...;
#                       stdout/stderr in $LAB_DIR/run.out, run.err; returns
#                       its exit status (also in $LAB_RUN_RC), printing
#                       run.err when it is not 0
#   lab_records         $NIGHTJAR show $LAB_RESULTS > $LAB_RECORDS; fails
#                       when show fails
#   lab_check HOST|- EXPR...
#                       assert Python expressions on $LAB_RECORDS (see
#                       tests/lab/assert_records.py): `r` is the one record
#                       of target HOST, `rs` every record ("-": no HOST);
#                       E is the environment (lab_start exports LAB_DIR,
#                       LAB_CERTS, LAB_PORT, LAB_RESOLVER,
#                       LAB_CONTROL_RESOLVER), P = int($LAB_PORT)
#   lab_fp PEM          SHA-256 (lowercase hex) of the certificate's DER
#   lab_spki PEM        SHA-256 of its SubjectPublicKeyInfo DER
#   lab_fail MSG        print MSG and exit 1
#   lab_skip MSG        print MSG and exit 77
#
# Variables (set by lab_init / lab_start; the ones marked * may be set
# before to change them)
#   LAB_DIR             the test's temporary directory
#   LAB_CERTS           $LAB_DIR/certs (layout: tests/lab/mkcerts.sh)
#   LAB_NAMES*          names with genuine and forged leaves (mkcerts.sh
#                       default: www.facebook.com www.youtube.com
#                       www.wordpress.com example.org lab.test)
#   LAB_PORT            the TLS servers' shared port
#   LAB_RESOLVER        "probe" DNS server, ADDR:PORT
#   LAB_CONTROL_RESOLVER  "control" DNS server, ADDR:PORT ("" if none)
#   LAB_TARGETS         $LAB_DIR/targets.txt
#   LAB_RESULTS         $LAB_DIR/results
#   LAB_RECORDS         $LAB_DIR/records.jsonl
#   LAB_TLS_LOG         $LAB_DIR/tls.log: "NAME sni=SNI|- EVENT" a connection
#                       as it ends; $LAB_TLS_LOG.hello: "NAME sni=SNI" as
#                       a relaying box reads the ClientHello
#   LAB_DIR/dns-NAME.log  "udp|tcp QNAME QTYPE ACTION" a query
#   LAB_TIMEOUT*        --timeout for lab_run (3000: a loaded machine runs
#                       the python servers slowly; 20000 when NJ_WRAP is set)
#   LAB_ICA*            --interception-cas ($top_srcdir/targets/interception-cas)
#   NIGHTJAR*           the probe ($top_builddir/probe/nightjar)
#   LAB_EXEC*           command prefix for the lab's servers (netns.sh: run
#                       them inside a network namespace)
#   NJ_WRAP*            command prefix for nightjar (tests/valgrind-wrap.sh
#                       under NJ_VALGRIND=1 make check)

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LAB_LIB="$top_srcdir/tests/lab"
: "${NIGHTJAR:=$top_builddir/probe/nightjar}"
if [ -n "${NJ_WRAP:-}" ]; then
	: "${LAB_TIMEOUT:=20000}"	# valgrind: the probe runs ~50 times slower
else
	: "${LAB_TIMEOUT:=3000}"
fi
: "${LAB_ICA:=$top_srcdir/targets/interception-cas}"
: "${LAB_NAMES:=}"
LAB_DIR=
LAB_PIDS=
LAB_DNS_NAMES=
LAB_PORT=
LAB_RESOLVER=
LAB_CONTROL_RESOLVER=
LAB_RUN_RC=

lab_fail() { echo "FAIL: $*" >&2; exit 1; }
lab_skip() { echo "SKIP: $*" >&2; exit 77; }

lab_init() {
	command -v python3 >/dev/null 2>&1 || lab_skip "python3 not found"
	command -v openssl >/dev/null 2>&1 || lab_skip "openssl not found"
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/nightjar-lab.XXXXXX")
	LAB_CERTS="$LAB_DIR/certs"
	LAB_TARGETS="$LAB_DIR/targets.txt"
	LAB_RESULTS="$LAB_DIR/results"
	LAB_RECORDS="$LAB_DIR/records.jsonl"
	LAB_TLS_LOG="$LAB_DIR/tls.log"
	: > "$LAB_DIR/tls.spec"
	: > "$LAB_TLS_LOG"
	: > "$LAB_TLS_LOG.hello"
	trap lab_stop EXIT
	trap 'exit 1' INT TERM HUP
}

lab_stop() {
	local rc=$? p
	for p in $LAB_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $LAB_PIDS; do
		wait "$p" 2>/dev/null || true
	done
	LAB_PIDS=
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			echo "lab: kept $LAB_DIR" >&2
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	LAB_DIR=
	return $rc
}

lab_tls() {
	[ $# -ge 3 ] || lab_fail "usage: lab_tls NAME MODE ADDR [key=value...]"
	local name="$1" mode="$2" addr="$3"
	shift 3
	echo "$name $mode $addr shared $*" >> "$LAB_DIR/tls.spec"
}

lab_tls_port() {
	[ $# -ge 4 ] || lab_fail "usage: lab_tls_port NAME MODE ADDR PORT [k=v...]"
	local name="$1" mode="$2" addr="$3" port="$4"
	shift 4
	echo "$name $mode $addr $port $*" >> "$LAB_DIR/tls.spec"
}

lab_dns() {
	[ $# -ge 2 ] || lab_fail "usage: lab_dns NAME ADDR [dns.py options]"
	case " $LAB_DNS_NAMES " in
	*" $1 "*) lab_fail "lab_dns: $1 declared twice" ;;
	esac
	LAB_DNS_NAMES="$LAB_DNS_NAMES $1"
	echo "$2" > "$LAB_DIR/dns-$1.addr"
	echo "${*:3}" > "$LAB_DIR/dns-$1.flags"
	touch "$LAB_DIR/$1.zone"
}

lab_zone() {
	[ $# -ge 1 ] || lab_fail "usage: lab_zone NAME LINE..."
	local name="$1" line
	shift
	case " $LAB_DNS_NAMES " in
	*" $name "*) ;;
	*)
		case "$name" in
		probe) lab_dns probe 127.0.0.2 ;;
		control) lab_dns control 127.0.0.3 ;;
		*) lab_fail "lab_zone: declare $name with lab_dns first" ;;
		esac
		;;
	esac
	for line in "$@"; do
		echo "$line" >> "$LAB_DIR/$name.zone"
	done
}

# _lab_wait FILE PID WHAT: wait for FILE to appear while PID lives
_lab_wait() {
	local i rc
	for i in $(seq 1 200); do
		[ -s "$1" ] && return 0
		if ! kill -0 "$2" 2>/dev/null; then
			cat "$LAB_DIR/$3.err" >&2 2>/dev/null || true
			rc=0
			wait "$2" 2>/dev/null || rc=$?
			[ "$rc" -eq 3 ] && lab_skip "lab: $3: this system" \
			    "cannot make a connect time out on loopback"
			lab_fail "lab: $3 did not start"
		fi
		sleep 0.05
	done
	cat "$LAB_DIR/$3.err" >&2 2>/dev/null || true
	lab_fail "lab: $3 not ready after 10 s"
}

lab_start() {
	local n addr flags pid
	# shellcheck disable=SC2086
	"$LAB_LIB/mkcerts.sh" "$LAB_CERTS" $LAB_NAMES ||
	    lab_fail "lab: certificate generation failed"
	for n in $LAB_DNS_NAMES; do
		addr=$(cat "$LAB_DIR/dns-$n.addr")
		flags=$(cat "$LAB_DIR/dns-$n.flags")
		# shellcheck disable=SC2086
		${LAB_EXEC:-} python3 "$LAB_LIB/dns.py" --zone "$LAB_DIR/$n.zone" \
		    --listen "$addr" --state "$LAB_DIR/dns-$n.state" \
		    --log "$LAB_DIR/dns-$n.log" $flags \
		    2> "$LAB_DIR/dns-$n.err" &
		LAB_PIDS="$LAB_PIDS $!"
		echo $! > "$LAB_DIR/dns-$n.pid"
	done
	if [ -s "$LAB_DIR/tls.spec" ]; then
		${LAB_EXEC:-} python3 "$LAB_LIB/tls.py" --certs "$LAB_CERTS" \
		    --spec "$LAB_DIR/tls.spec" --state "$LAB_DIR/tls.state" \
		    --log "$LAB_TLS_LOG" 2> "$LAB_DIR/tls.err" &
		pid=$!
		LAB_PIDS="$LAB_PIDS $pid"
		_lab_wait "$LAB_DIR/tls.state" "$pid" tls
		LAB_PORT=$(awk '$1 == n { print $3 }' \
		    n="$(awk '$4 == "shared" { print $1; exit }' \
		    "$LAB_DIR/tls.spec")" "$LAB_DIR/tls.state")
	fi
	for n in $LAB_DNS_NAMES; do
		_lab_wait "$LAB_DIR/dns-$n.state" \
		    "$(cat "$LAB_DIR/dns-$n.pid")" "dns-$n"
	done
	case " $LAB_DNS_NAMES " in
	*" probe "*) LAB_RESOLVER=$(lab_dns_addr probe) ;;
	esac
	case " $LAB_DNS_NAMES " in
	*" control "*) LAB_CONTROL_RESOLVER=$(lab_dns_addr control) ;;
	esac
	mkdir -p "$LAB_RESULTS"
	export LAB_DIR LAB_CERTS LAB_PORT LAB_RESOLVER LAB_CONTROL_RESOLVER
}

lab_addr() {
	awk '$1 == n { print $2, $3; f = 1 } END { exit !f }' n="$1" \
	    "$LAB_DIR/tls.state" || lab_fail "lab_addr: no server $1"
}

lab_port() {
	awk '$1 == n { print $3; f = 1 } END { exit !f }' n="$1" \
	    "$LAB_DIR/tls.state" || lab_fail "lab_port: no server $1"
}

lab_dns_addr() {
	local a p
	[ -s "$LAB_DIR/dns-$1.state" ] || lab_fail "lab_dns_addr: no server $1"
	read -r a p < "$LAB_DIR/dns-$1.state"
	case "$a" in
	*:*) echo "[$a]:$p" ;;
	*) echo "$a:$p" ;;
	esac
}

lab_targets() {
	printf '%s\n' "$@" > "$LAB_TARGETS"
}

lab_run() {
	local args=(run --once --results "$LAB_RESULTS"
	    --targets "$LAB_TARGETS" --ca-file "$LAB_CERTS/lab-root.pem"
	    --timeout "$LAB_TIMEOUT" --interception-cas "$LAB_ICA")
	[ -n "$LAB_RESOLVER" ] && args+=(--resolver "$LAB_RESOLVER")
	[ -n "$LAB_CONTROL_RESOLVER" ] &&
	    args+=(--control-resolver "$LAB_CONTROL_RESOLVER")
	LAB_RUN_RC=0
	# shellcheck disable=SC2086
	${NJ_WRAP:-} "$NIGHTJAR" "${args[@]}" "$@" > "$LAB_DIR/run.out" \
	    2> "$LAB_DIR/run.err" || LAB_RUN_RC=$?
	if [ "$LAB_RUN_RC" -ne 0 ]; then
		echo "lab_run: nightjar exited $LAB_RUN_RC:" >&2
		cat "$LAB_DIR/run.err" >&2
	fi
	return "$LAB_RUN_RC"
}

lab_records() {
	# shellcheck disable=SC2086
	${NJ_WRAP:-} "$NIGHTJAR" show "$LAB_RESULTS" > "$LAB_RECORDS" \
	    2> "$LAB_DIR/show.err" || {
		cat "$LAB_DIR/show.err" >&2
		lab_fail "nightjar show $LAB_RESULTS failed"
	}
}

lab_check() {
	[ $# -ge 2 ] || lab_fail "usage: lab_check HOST|- EXPR..."
	local host="$1"
	shift
	if [ "$host" = - ]; then
		python3 "$LAB_LIB/assert_records.py" "$LAB_RECORDS" "$@"
	else
		python3 "$LAB_LIB/assert_records.py" "$LAB_RECORDS" \
		    --host "$host" "$@"
	fi
}

lab_fp() {
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

lab_spki() {
	openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
