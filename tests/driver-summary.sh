#!/bin/bash
# What `run --once` says: one start-up line (targets, resolvers, controls,
# collector, results) and a warning when no control outside the probe's
# network exists; a summary table that adds up (failures without a method
# get their cause: a self-signed certificate, a wrong name); -q says
# nothing at all on a healthy run.
set -eu
. "$top_srcdir/tests/lab/lab.sh"
lab_init
lab_tls good genuine 127.0.0.10
lab_tls self selfsigned 127.0.0.11
lab_tls wrong wrongname 127.0.0.12
lab_zone probe "www.wordpress.com A 127.0.0.10"
lab_zone control "www.wordpress.com A 127.0.0.10"
lab_start
# First without the control resolver.
ctl=$LAB_CONTROL_RESOLVER
LAB_CONTROL_RESOLVER=
# Addresses, not names: a loopback answer that is not trusted would be
# dns_bogon, not a certificate failure.
lab_targets "www.wordpress.com:$LAB_PORT" "127.0.0.11:$LAB_PORT" \
    "127.0.0.12:$LAB_PORT"
lab_run || lab_fail "run failed"
err=$LAB_DIR/run.err

# The start-up line, once, and the warning about controls.
[ "$(grep -c '^nightjar: measuring 3 targets, resolvers: ' "$err")" = 1 ] ||
    lab_fail "start-up line: $(cat "$err")"
grep -q "resolvers: $LAB_RESOLVER; controls: control SNI; collector: none (records kept locally); results in $LAB_RESULTS\$" \
    "$err" || lab_fail "start-up line content: $(cat "$err")"
grep -q "warning: no control outside this network.*can only show as 'anomaly'" \
    "$err" || lab_fail "no warning about the missing control"

# The table adds up: each non-ok status is the sum of its methods and
# causes; the two certificate failures carry their cause.
python3 - "$err" <<'PY' || lab_fail "summary: $(cat "$err")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
rows = {}
for l in lines:
    m = re.match(r"^(ok|blocked|intercepted|anomaly|down|error|throttled): (\d+)(?: +(.*))?$", l)
    if m:
        rows[m.group(1)] = (int(m.group(2)), m.group(3) or "")
assert rows["ok"][0] == 1, rows
assert rows["anomaly"][0] == 2, rows
for status, (n, parts) in rows.items():
    if status == "ok" or n == 0:
        continue
    total = sum(int(p.rsplit(" ", 1)[1]) for p in parts.split(", ") if p)
    assert total == n, (status, n, parts)
causes = rows["anomaly"][1]
assert "self-signed" in causes or "self signed" in causes, causes
assert "mismatch" in causes, causes
PY

# With a control resolver: no warning, and it is named.
rm -rf "$LAB_RESULTS"
LAB_CONTROL_RESOLVER=$ctl
lab_run || lab_fail "run with a control failed"
grep -q "controls: control resolver $ctl, control SNI;" "$err" ||
    lab_fail "control not named: $(cat "$err")"
if grep -q 'no control outside' "$err"; then
	lab_fail "warned although a control resolver is set"
fi

# A control resolver that answers nothing: said, not silence.
rm -rf "$LAB_RESULTS"
dead=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
LAB_CONTROL_RESOLVER=127.0.0.1:$dead
lab_run || lab_fail "run with a dead control failed"
grep -q "warning: the control resolver 127.0.0.1:$dead answered none of 2 queries" \
    "$err" || lab_fail "no warning about the dead control: $(cat "$err")"
LAB_CONTROL_RESOLVER=

# -q: quiet.
lab_targets "www.wordpress.com:$LAB_PORT"
rm -rf "$LAB_RESULTS"
lab_run -q || lab_fail "run -q failed"
[ ! -s "$err" ] || lab_fail "-q printed: $(cat "$err")"
echo "PASS: start-up line, controls warning, a summary that adds up, -q"
