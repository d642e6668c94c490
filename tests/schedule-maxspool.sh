#!/bin/bash
# --max-spool: over the limit, the oldest files of sent/ are deleted first;
# pending and rejected records never are, and when they alone exceed the
# limit the daemon says so loudly and keeps measuring.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

p1=$(closed_port)
printf '127.0.0.1:%s\n' "$p1" > "$tmp/targets.txt"
R="$tmp/results"
mkdir -p "$R/sent" "$R/rejected"

# 1 MiB limit.  sent/: three 400 KiB files, oldest first by mtime (the
# names deliberately sort the other way); a pending 100 KiB file.
mk() { head -c $(( $2 * 1024 )) /dev/zero > "$1"; touch -d "$3" "$1"; }
mk "$R/sent/c-old.msgpack" 400 '2026-01-01 00:00:00'
mk "$R/sent/b-mid.msgpack" 400 '2026-01-02 00:00:00'
mk "$R/sent/a-new.msgpack" 400 '2026-01-03 00:00:00'
mk "$R/0-pending.msgpack" 100 '2025-01-01 00:00:00'
mk "$R/rejected/batch.msgpack" 10 '2025-01-01 00:00:00'

TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$R" \
    --interval 1 --jitter 0 --timeout 1000 --max-spool 1 -v \
    2> "$tmp/stderr" &
pid=$!
wait_files "$R" 3
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc, wanted 0"
[ ! -e "$R/sent/c-old.msgpack" ] || fail "the oldest sent file was kept"
[ -e "$R/sent/b-mid.msgpack" ] || fail "a sent file was deleted needlessly"
[ -e "$R/sent/a-new.msgpack" ] || fail "the newest sent file was deleted"
[ -e "$R/0-pending.msgpack" ] || fail "a pending file was deleted"
[ -e "$R/rejected/batch.msgpack" ] || fail "a rejected file was deleted"
grep -q 'deleted the 1 oldest uploaded' "$tmp/stderr" ||
    fail "no log of the deletion"
if grep -q 'not uploaded, over the' "$tmp/stderr"; then
	fail "complained about pending records under the limit"
fi

# Pending alone over the limit: every sent file goes, no pending one.
mk "$R/1-big-pending.msgpack" 1200 '2025-01-01 00:00:00'
before=$(count_files "$R")
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$R" \
    --interval 1 --jitter 0 --timeout 1000 --max-spool 1 \
    2> "$tmp/stderr" &
pid=$!
wait_files "$R" $(( before + 2 ))
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc, wanted 0"
left=$(find "$R/sent" -type f | wc -l)
[ "$left" -eq 0 ] || fail "$left sent files kept over the limit"
[ -e "$R/0-pending.msgpack" ] || fail "a pending file was deleted"
[ -e "$R/1-big-pending.msgpack" ] || fail "a pending file was deleted"
[ -e "$R/rejected/batch.msgpack" ] || fail "a rejected file was deleted"
# Loud (an error, shown without -v) and measuring went on.
grep -q 'error: --max-spool: .* not uploaded, over the 1 MB limit' \
    "$tmp/stderr" || fail "no error about pending records over the limit"
[ "$(count_files "$R")" -ge $(( before + 2 )) ] || fail "measuring stopped"
no_temp_files "$R"
echo "PASS: --max-spool prunes sent/ only"
