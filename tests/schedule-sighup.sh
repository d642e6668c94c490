#!/bin/bash
# SIGHUP re-reads the targets between rounds: a broken targets file is
# refused (error logged) and the old targets stay in use; a valid new one
# replaces them.
set -eu
: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib-daemon.sh"

p1=$(closed_port)
p2=$(closed_port)
printf '127.0.0.1:%s\n' "$p1" > "$tmp/targets.txt"

# Ports measured by the newest round file in $tmp/results.
last_round_ports() {
	local f
	f=$(find "$tmp/results" -maxdepth 1 -name '*.msgpack' -type f |
	    sort | tail -n 1)
	$NJ show "$f" | python3 -c 'import json, sys
print(" ".join(sorted(str(json.loads(l)["target"]["port"]) for l in sys.stdin)))'
}

# Wait for N more round files than there are now.
wait_more() {
	wait_files "$tmp/results" $(( $(count_files "$tmp/results") + $1 ))
}

TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --interval 1 --jitter 0 --timeout 1000 2> "$tmp/stderr" &
pid=$!
wait_files "$tmp/results" 1
[ "$(last_round_ports)" = "$p1" ] || fail "first round: $(last_round_ports)"

# Broken: no valid target in the file.
printf 'this is not a target\n::::\n' > "$tmp/targets.txt"
kill -HUP "$pid"
wait_grep "$tmp/stderr" 'keeping the old'
wait_more 2
[ "$(last_round_ports)" = "$p1" ] ||
    fail "after a broken reload: $(last_round_ports), wanted $p1"
kill -0 "$pid" || fail "the daemon died after a broken reload"

# Unreadable file: the same.
rm -f "$tmp/targets.txt"
n_err=$(grep -c 'keeping the old' "$tmp/stderr")
kill -HUP "$pid"
for i in $(seq 1 600); do
	[ "$(grep -c 'keeping the old' "$tmp/stderr")" -gt "$n_err" ] && break
	sleep 0.1
done
[ "$(grep -c 'keeping the old' "$tmp/stderr")" -gt "$n_err" ] ||
    fail "no error for a missing targets file"
wait_more 2
[ "$(last_round_ports)" = "$p1" ] ||
    fail "after a missing file: $(last_round_ports), wanted $p1"

# Valid: the new targets are measured from the next round on.
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$p1" "$p2" > "$tmp/targets.txt"
kill -HUP "$pid"
want=$(printf '%s\n%s\n' "$p1" "$p2" | sort | tr '\n' ' ' | sed 's/ $//')
for i in $(seq 1 600); do
	[ "$(last_round_ports)" = "$want" ] && break
	kill -0 "$pid" 2>/dev/null || fail "the daemon died"
	sleep 0.1
done
[ "$(last_round_ports)" = "$want" ] ||
    fail "after a good reload: $(last_round_ports), wanted $want"

stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
no_temp_files "$tmp/results"
# Nothing else was logged: the broken files' lines, the refusals, the
# warning about root (a reload while waiting plans the same round again,
# it does not think the clock went back).
if grep -v -e 'running as root' -e 'keeping the old' \
    -e "$tmp/targets.txt" "$tmp/stderr" | not_startup | grep -q .; then
	fail "unexpected messages on stderr"
fi
# A reload while waiting for the next round plans that round anew: the
# next start stays an interval after the last one.
rm -rf "$tmp/results"
printf '127.0.0.1:%s\n' "$p1" > "$tmp/targets.txt"
TZ=UTC $NJ run --targets "$tmp/targets.txt" --results "$tmp/results" \
    --interval 3600 --jitter 0 --timeout 1000 -v 2> "$tmp/stderr" &
pid=$!
wait_files "$tmp/results" 1
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$p1" "$p2" > "$tmp/targets.txt"
kill -HUP "$pid"
wait_grep "$tmp/stderr" 'SIGHUP: 2 targets'
kill -HUP "$pid"
for i in $(seq 1 600); do
	[ "$(grep -c 'SIGHUP: 2 targets' "$tmp/stderr")" -ge 2 ] && break
	sleep 0.1
done
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, wanted 0"
[ "$(count_files "$tmp/results")" -eq 1 ] || fail "a reload started a round"
if grep -q 'clock went back' "$tmp/stderr"; then
	fail "a reload while waiting moved the next round"
fi
grep -q 'next round at .*in 3[56][0-9][0-9] s' "$tmp/stderr" ||
    fail "no next round an interval after the first"

echo "PASS: SIGHUP keeps old targets on errors, takes valid new ones"
