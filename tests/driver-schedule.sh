#!/bin/bash
# The schedule tells the truth: a first start shortly before a window of
# the --schedule is not "the clock went back", and the next round starts
# at the window's boundary.  --max-spool applies to `run --once` too.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

p1=$(closed_port)
printf '127.0.0.1:%s\n' "$p1" > "$tmp/targets.txt"

# A denser window starting 20 minutes from now (UTC), as with
# '17:00-01:00=5m,*=30m' started at 16:40.
read -r wstart wend <<EOF2
$(python3 -c 'import datetime as d
n = d.datetime.utcnow().replace(second=0, microsecond=0) + d.timedelta(minutes=20)
e = n + d.timedelta(hours=2)
print(n.strftime("%H:%M"), e.strftime("%H:%M"))')
EOF2
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/r1" \
    --schedule "$wstart-$wend=5m,*=30m" --jitter 0 --timeout 1000 -v \
    2> "$tmp/stderr" &
pid=$!
wait_grep "$tmp/stderr" 'next round at'
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc"
if grep -q 'clock went back' "$tmp/stderr"; then
	fail "a false 'clock went back' warning"
fi
grep -q "next round at [0-9-]* $wstart:00 UTC" "$tmp/stderr" ||
    fail "the next round is not at the window's start $wstart"

# --max-spool with --once: the oldest uploaded files go, as in the daemon.
R=$tmp/r2
mkdir -p "$R/sent"
mk() { head -c $(( $2 * 1024 )) /dev/zero > "$1"; touch -d "$3" "$1"; }
mk "$R/sent/c-old.msgpack" 400 '2026-01-01 00:00:00'
mk "$R/sent/b-mid.msgpack" 400 '2026-01-02 00:00:00'
mk "$R/sent/a-new.msgpack" 400 '2026-01-03 00:00:00'
rc=0
$NJ run --once --targets "$tmp/targets.txt" --results "$R" --timeout 1000 \
    --max-spool 1 -v 2> "$tmp/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "--once --max-spool: exit $rc"
[ ! -e "$R/sent/c-old.msgpack" ] || fail "--once: the oldest sent file was kept"
[ -e "$R/sent/b-mid.msgpack" ] || fail "--once: deleted needlessly"
[ -e "$R/sent/a-new.msgpack" ] || fail "--once: the newest sent file went"
grep -q 'deleted the 1 oldest uploaded' "$tmp/stderr" || fail "--once: no log"
[ "$(count_files "$R")" -eq 1 ] || fail "--once: the round is not pending"
echo "PASS: no false clock warning; --max-spool with --once"
