#!/bin/bash
# Politeness: at most --per-address connections at once to one destination
# address.  Twelve names resolve to one address where a listener holds
# every connection 0.5 s and records the most open at once; with
# --per-address 3 that peak is at most 3 (and every target is still
# measured), with --per-address 0 it goes higher.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
zone=()
targets=()
for i in $(seq 1 12); do
	zone+=("n$i.lab.test A 127.0.0.31")
	targets+=("n$i.lab.test:PORT")
done
lab_zone probe "${zone[@]}"
lab_start

listen() {	# NAME: start a listener on 127.0.0.31, set $lport
	python3 "$top_srcdir/tests/campaign-listener.py" --listen 127.0.0.31 \
	    --state "$LAB_DIR/$1.state" --peak "$LAB_DIR/$1.peak" --hold 0.5 \
	    2> "$LAB_DIR/$1.err" &
	LAB_PIDS="$LAB_PIDS $!"
	_lab_wait "$LAB_DIR/$1.state" "$!" "$1"
	lport=$(awk '{ print $2 }' "$LAB_DIR/$1.state")
}

listen limited
printf '%s\n' "${targets[@]}" | sed "s/PORT/$lport/" > "$LAB_TARGETS"
lab_run --per-address 3 --concurrency 50
read -r peak total < "$LAB_DIR/limited.peak"
echo "per-address 3: peak $peak of $total connections"
[ "$peak" -le 3 ] || lab_fail "$peak connections at once with --per-address 3"
[ "$total" -ge 12 ] || lab_fail "only $total connections"
lab_records
lab_check - 'len(rs) == 12' \
    'all(len(r["tcp"]) == 1 and r["tcp"][0]["failure"] is None for r in rs)' \
    'all(len(r["tls"]) >= 1 and r["tls"][0]["failure"] is not None for r in rs)'

# The same without a limit: the listener sees more at once.
listen unlimited
LAB_RESULTS="$LAB_DIR/results2"
mkdir "$LAB_RESULTS"
printf '%s\n' "${targets[@]}" | sed "s/PORT/$lport/" > "$LAB_TARGETS"
lab_run --per-address 0 --concurrency 50
read -r peak total < "$LAB_DIR/unlimited.peak"
echo "per-address 0: peak $peak of $total connections"
[ "$peak" -gt 3 ] || lab_fail "no limit, yet only $peak connections at once"
echo "campaign-peraddr: ok"
