# Helpers for the tests that run the probe's daemon or `run --once`
# (sourced, not run).  Sourcing makes a private directory $tmp, empty
# $pid (the daemon) and $spid (a helper server), and removes them all on
# exit; a test with more to stop sets its own trap and calls lib_cleanup.
: "${top_srcdir:=.}" "${top_builddir:=.}"
tmp=$(mktemp -d)
pid=
spid=

lib_cleanup() {
	kill_daemon
	if [ -n "${spid:-}" ]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap lib_cleanup EXIT

NJ="${NJ_WRAP:-} $top_builddir/probe/nightjar"

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$tmp/stderr" ]; then
		echo "--- daemon stderr:" >&2
		cat "$tmp/stderr" >&2
	fi
	exit 1
}

# A loopback TCP port nothing listens on (bound, then released).
closed_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Pending round files in DIR.
count_files() {
	find "$1" -maxdepth 1 -name '*.msgpack' -type f 2>/dev/null | wc -l
}

# Wait (at most 60 s) until DIR holds at least N pending files.
wait_files() {
	local i
	for i in $(seq 1 600); do
		if [ "$(count_files "$1")" -ge "$2" ]; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || fail "the daemon died"
		sleep 0.1
	done
	fail "fewer than $2 round files in $1 after 60 s"
}

# Wait (at most 60 s) until FILE contains PATTERN (grep -E).
wait_grep() {
	local i
	for i in $(seq 1 600); do
		if grep -Eq "$2" "$1" 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || fail "the daemon died"
		sleep 0.1
	done
	fail "'$2' not in $1 after 60 s"
}

# Send SIG and wait for the daemon: its exit status in $rc.
stop_daemon() {
	kill -"$1" "$pid"
	rc=0
	wait "$pid" || rc=$?
	pid=
}

# No temporary (dot) files anywhere in the results directory.
no_temp_files() {
	local left
	left=$(find "$1" -mindepth 1 -name '.*')
	[ -z "$left" ] || fail "temporary files left: $left"
}

# stdin without the start-up line and the warning about controls that
# every run prints (both checked in tests/driver-startup.sh).
not_startup() {
	grep -v -E -e '^nightjar: (started, )?measuring [0-9]+ targets' \
	    -e 'no control outside this network' || true
}

kill_daemon() {
	if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}

# Wait (at most 10 s) until FILE is written (a helper server's port).
wait_written() {
	local i
	for i in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	fail "$2"
}
