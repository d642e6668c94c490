#!/bin/bash
# A full disk: `run --once` says how many records are not spooled, counts
# them in no status and exits 1; the daemon keeps them in memory and
# writes them before its next round once there is room again.
set -eu
: "${top_srcdir:=.}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: mounting a tiny file system needs root"
	exit 77
fi
. "$top_srcdir/tests/lib-daemon.sh"
mnt=$tmp/mnt
cleanup() {
	kill_daemon
	if mountpoint -q "$mnt" 2>/dev/null; then
		umount "$mnt" || umount -l "$mnt" || true
	fi
	lib_cleanup
}
trap cleanup EXIT

mkdir -p "$mnt"
if ! mount -t tmpfs -o size=256k tmpfs "$mnt" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here"
	exit 77
fi
res=$mnt/results
mkdir -p "$res/sent" "$res/rejected"
# Three targets refused at once (nothing listens on the port).
port=$(closed_port)
printf '127.0.0.1:%s\n127.0.0.2:%s\n127.0.0.3:%s\n' "$port" "$port" "$port" \
    > "$tmp/targets.txt"
fill() {
	dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null || true
}

# 1. run --once on a full disk.
fill
rc=0
$NJ run --once --targets "$tmp/targets.txt" --results "$res" \
    --probe-id fulldisk --timeout 2000 2> "$tmp/stderr" || rc=$?
[ "$rc" -eq 1 ] || fail "exit status $rc on a full disk, wanted 1"
[ "$(count_files "$res")" -eq 0 ] || fail "a round file on a full disk?"
no_temp_files "$res"
grep -q '3 records are not spooled' "$tmp/stderr" ||
    fail "the count of records not spooled is not said"
grep -q '^NOT SPOOLED: 3 records' "$tmp/stderr" || fail "summary: no NOT SPOOLED"
grep -q '^anomaly: 0$' "$tmp/stderr" || fail "summary counts unspooled records"
grep -q ' 0 records spooled in 0 files' "$tmp/stderr" || fail "summary totals"

# 2. The daemon: the first round meets a full disk, the next one (after
# room was made) writes both rounds' records.
$NJ run --targets "$tmp/targets.txt" --results "$res" --probe-id fulldisk \
    --interval 2 --jitter 0 --timeout 2000 2> "$tmp/stderr" &
pid=$!
wait_grep "$tmp/stderr" 'kept in memory and written before the next round'
[ "$(count_files "$res")" -eq 0 ] || fail "written on a full disk?"
rm -f "$mnt/filler"
wait_files "$res" 2
stop_daemon TERM
[ "$rc" -eq 0 ] || fail "daemon exit status $rc, wanted 0"
no_temp_files "$res"
$NJ show "$res" > "$tmp/records.jsonl"
python3 - "$tmp/records.jsonl" <<'PY' || fail "records of the held round"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
runs = {}
for r in recs:
    runs.setdefault(r["run_id"], []).append(r)
# The round that met the full disk and the one after it, 3 records each.
assert len(runs) >= 2, sorted(runs)
assert all(len(v) == 3 for v in runs.values()), {k: len(v) for k, v in runs.items()}
PY
grep -q 'are now spooled' "$tmp/stderr" || fail "no log of the held records written"
echo "PASS: a full disk loses nothing silently"
