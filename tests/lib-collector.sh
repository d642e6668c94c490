# Sourced by tests/collector-*.sh: a temporary directory, collectors on
# loopback started and always stopped, small helpers.
NJC=$top_builddir/collector/nightjar-collector
NJ=$top_builddir/probe/nightjar
GEN=$top_builddir/tests/gen-records
LAB=$top_srcdir/tests/lab
work=$(mktemp -d)
pids=

cleanup() {
	local rc=$? p
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# A sanitizer build reports memory errors and leaks on stderr.
	if grep -Eq 'Sanitizer|runtime error' "$work"/*.err 2>/dev/null; then
		grep -E -A12 'Sanitizer|runtime error' "$work"/*.err >&2
		rc=1
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$work/collector.err" ]; then
		echo "--- collector stderr:" >&2
		tail -20 "$work/collector.err" >&2
	fi
	exit 1
}

# nj / njc ARGS...: nightjar / nightjar-collector, under $NJ_WRAP
# (valgrind with NJ_VALGRIND=1) when set.
nj() {
	${NJ_WRAP:-} "$NJ" "$@"
}
njc() {
	${NJ_WRAP:-} "$NJC" "$@"
}

# start_collector ARGS...: start one, wait for its "listening on" line;
# sets CPID and CPORT.
start_collector() {
	local out=$work/collector.out.$RANDOM i
	${NJ_WRAP:-} "$NJC" "$@" >"$out" 2>>"$work/collector.err" &
	CPID=$!
	pids="$pids $CPID"
	for i in $(seq 200); do
		grep -q '^listening on' "$out" 2>/dev/null && break
		if ! kill -0 "$CPID" 2>/dev/null; then
			fail "collector did not start: $*"
		fi
		sleep 0.05
	done
	CPORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out")
	[ -n "$CPORT" ] || fail "collector did not report its port"
}

# stop_collector PID [SIGNAL]
stop_collector() {
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# http PORT METHOD PATH [BODYFILE] [--token T] [--cafile F]: "STATUS BODY"
http() {
	python3 "$LAB/njhttp.py" "$@" || true
}

# ids FILE...: record ids in spool files, sorted
ids() {
	python3 "$LAB/mpids.py" "$@" | sort
}

# stored_ids DB: ids in a collector database, sorted
stored_ids() {
	sqlite3 "$1" 'SELECT id FROM measurements' | sort
}

# batch OUT FILE...: a msgpack array of the records in FILEs
batch() {
	local out=$1
	shift
	LAB=$LAB python3 -c '
import os, sys
sys.path.insert(0, os.environ["LAB"])
import mpids
out = sys.argv[1]
raw = b"".join(open(p, "rb").read() for p in sys.argv[2:])
n = len(mpids.records(raw))
hdr = bytes([0x90 | n]) if n < 16 else (b"\xdc" + n.to_bytes(2, "big") if n < 65536 else b"\xdd" + n.to_bytes(4, "big"))
open(out, "wb").write(hdr + raw)
' "$out" "$@"
}

command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 77; }
