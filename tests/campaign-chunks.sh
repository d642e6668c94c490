#!/bin/bash
# Campaigns: a list bigger than a chunk (1,000 records) is spooled as several
# files while it runs, every record carries the campaign name, every target
# is measured once, and the end summary counts by status and method.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls good genuine 127.0.0.10
lab_zone probe \
    "www.facebook.com A 127.0.0.10" \
    "www.youtube.com A 127.0.0.10" \
    "gone.lab.test * NXDOMAIN"
lab_start

# 2,400 addresses where nothing listens on the lab's port (refused), and
# three names.
python3 - "$LAB_PORT" > "$LAB_TARGETS" <<'PY'
import sys
port = int(sys.argv[1])
for i in range(2400):
    print("127.77.%d.%d:%d" % (i // 200, i % 200 + 1, port))
for h in ("www.facebook.com", "www.youtube.com", "gone.lab.test"):
    print("%s:%d" % (h, port))
PY
lab_run --campaign "cmp 2026/11" --concurrency 200
lab_records

lab_check - 'len(rs) == 2403' \
    'all(r["campaign"] == "cmp 2026/11" for r in rs)' \
    'len({(r["target"]["host"], r["target"]["port"]) for r in rs}) == 2403' \
    'len({r["run_id"] for r in rs}) == 1' \
    'sum(r["verdict"]["method"] == "tcp_refused" for r in rs) == 2400'
lab_check www.facebook.com 'r["verdict"]["status"] == "ok"'
lab_check gone.lab.test 'r["verdict"]["method"] == "dns_nxdomain"'

# Chunks: at least three files, none over 1,000 records, and together
# exactly the records shown.
files=$(find "$LAB_RESULTS" -maxdepth 1 -name '*.msgpack' | sort)
nfiles=$(echo "$files" | wc -l)
[ "$nfiles" -ge 3 ] || lab_fail "$nfiles spool files for 2403 records"
total=0
for f in $files; do
	n=$("$NIGHTJAR" show "$f" | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -le 1000 ] || lab_fail "$f holds $n records"
	total=$((total + n))
done
[ "$total" -eq 2403 ] || lab_fail "the files hold $total records"
if find "$LAB_RESULTS" -name '.*' -type f | grep -q .; then
	lab_fail "temporary files left in the spool"
fi

# The summary: totals, files, and each status with its methods.
err="$LAB_DIR/run.err"
grep -q "^measured 2403 of 2403 targets in .* 2403 records spooled in $nfiles files$" "$err" ||
    lab_fail "no totals line: $(cat "$err")"
grep -q "^ok: 2$" "$err" || lab_fail "summary ok: $(cat "$err")"
grep -Eq "^anomaly: 2401 +(dns_nxdomain 1, tcp_refused 2400|tcp_refused 2400)" "$err" ||
    lab_fail "summary anomaly: $(cat "$err")"
# not a TTY: no progress line rewritten in place
if grep -q $'\r' "$err"; then
	lab_fail "carriage returns on a non-TTY stderr"
fi

# Without a campaign the same round is one file (unless it grows large).
LAB_RESULTS="$LAB_DIR/results2"
mkdir "$LAB_RESULTS"
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT"
lab_run
[ "$(find "$LAB_RESULTS" -maxdepth 1 -name '*.msgpack' | wc -l)" -eq 1 ] ||
    lab_fail "a round without a campaign is not one file"
lab_records
lab_check - 'len(rs) == 2' 'all(r["campaign"] is None for r in rs)'
echo "campaign-chunks: ok"
