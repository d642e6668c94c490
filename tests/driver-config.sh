#!/bin/bash
# Configuration is checked before anything is measured (exit 2, no
# connection made, no record written); only `run` creates a results
# directory; --resume needs --once; --schedule with --once is warned about.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

# A listener that logs every connection: a measurement would show here.
python3 - "$tmp/port" "$tmp/accepted" <<'PY' &
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("accepted\n")
    c.close()
PY
spid=$!
wait_written "$tmp/port" "the listener did not start"
port=$(cat "$tmp/port")
printf '127.0.0.1:%s\n' "$port" > "$tmp/targets.txt"
: > "$tmp/accepted"

# expect_usage NAME PATTERN ARGS...: exit 2, PATTERN on stderr, nothing
# measured.
expect_usage() {
	local name=$1 pattern=$2 rc=0
	shift 2
	$NJ "$@" 2> "$tmp/stderr" || rc=$?
	[ "$rc" -eq 2 ] || fail "$name: exit status $rc, wanted 2"
	grep -Eq -- "$pattern" "$tmp/stderr" ||
	    fail "$name: no '$pattern' in: $(cat "$tmp/stderr")"
	[ ! -s "$tmp/accepted" ] || fail "$name: a target was measured"
	if [ -d "$tmp/results" ] &&
	    [ -n "$(find "$tmp/results" -name '*.msgpack')" ]; then
		fail "$name: records written"
	fi
}

expect_usage "missing token file" '/nonexistent/token.*No such file' \
    run --once --targets "$tmp/targets.txt" --results "$tmp/results" \
    --collector http://127.0.0.1:1 --token-file /nonexistent/token
printf '# only a comment\n' > "$tmp/empty-token"
expect_usage "empty token file" 'no token in it' \
    run --once --targets "$tmp/targets.txt" --results "$tmp/results" \
    --collector http://127.0.0.1:1 --token-file "$tmp/empty-token"
printf 'not a certificate\n' > "$tmp/bad-ca.pem"
expect_usage "bad collector CA" 'collector-ca' \
    run --once --targets "$tmp/targets.txt" --results "$tmp/results" \
    --collector https://127.0.0.1:1 --collector-ca "$tmp/bad-ca.pem"
expect_usage "--resume without --once" 'resume works with --once only' \
    run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --campaign c1 --resume
expect_usage "daemon with a missing token file" '/nonexistent/token' \
    run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --collector http://127.0.0.1:1 --token-file /nonexistent/token
expect_usage "missing CA file" '/nonexistent/roots.pem' \
    run --once --targets "$tmp/targets.txt" --results "$tmp/results" \
    --ca-file /nonexistent/roots.pem

# --schedule means nothing for one round: said, and the round is measured.
rc=0
$NJ run --once --targets "$tmp/targets.txt" --results "$tmp/results" \
    --schedule '*=5m' --timeout 2000 2> "$tmp/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "--schedule --once: exit $rc"
grep -q 'schedule has no effect with --once' "$tmp/stderr" ||
    fail "--schedule --once: no warning"
[ "$(count_files "$tmp/results")" -eq 1 ] || fail "--schedule --once: no round"

# upload never invents a results directory.
rc=0
$NJ upload --results "$tmp/nowhere/results" \
    --collector http://127.0.0.1:1 2> "$tmp/stderr" || rc=$?
[ "$rc" -eq 2 ] || fail "upload to a missing directory: exit $rc"
grep -q "$tmp/nowhere/results" "$tmp/stderr" || fail "upload: no name in the error"
[ ! -e "$tmp/nowhere" ] || fail "upload created $tmp/nowhere"
echo "PASS: configuration checked before measuring; no invented directories"
