#!/bin/bash
# DNS verdicts against the control resolver: NXDOMAIN, SERVFAIL, no reply
# and a forged address while the control answers -> blocked; a name the
# control also says does not exist -> down; the same failure without a
# control resolver -> anomaly.  And the round's summary on stderr.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls genuine genuine 127.0.0.10
lab_zone probe "www.facebook.com * NXDOMAIN" "www.youtube.com A SERVFAIL" \
    "www.wordpress.com A 127.0.0.99" "slow.lab.test * DROP" \
    "lab.test A 127.0.0.10"
lab_zone control "www.facebook.com A 127.0.0.10" "www.youtube.com A 127.0.0.10" \
    "www.wordpress.com A 127.0.0.10" "slow.lab.test A 127.0.0.10" \
    "lab.test A 127.0.0.10"
lab_start
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT" "slow.lab.test:$LAB_PORT" \
    "gone.lab.test:$LAB_PORT" "lab.test:$LAB_PORT"

lab_run
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "dns_nxdomain"' \
    'dns()[0]["failure"] == "dns_nxdomain_error"' \
    '"NXDOMAIN" in r["verdict"]["detail"]'
lab_check www.youtube.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "dns_servfail"'
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "dns_inconsistent"' \
    '"127.0.0.99" in r["verdict"]["detail"]'
lab_check slow.lab.test \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "dns_timeout"'
lab_check gone.lab.test \
    'r["verdict"]["status"] == "down"' \
    'r["verdict"]["method"] == "dns_nxdomain"' \
    'dns(role="control")[0]["failure"] == "dns_nxdomain_error"'
lab_check lab.test 'r["verdict"]["status"] == "ok"'

# The summary: one line per status at the end of the round.
for want in "ok: 1" "blocked: 4" "down: 1" "intercepted: 0" "anomaly: 0" \
    "error: 0"; do
	grep -q "$want" "$LAB_DIR/run.err" ||
	    lab_fail "no '$want' in the summary: $(cat "$LAB_DIR/run.err")"
done

# Without a control resolver nothing confirms: anomalies.
LAB_CONTROL_RESOLVER=
LAB_RESULTS="$LAB_DIR/results2"
LAB_RECORDS="$LAB_DIR/records2.jsonl"
mkdir "$LAB_RESULTS"
lab_targets "www.facebook.com:$LAB_PORT" "gone.lab.test:$LAB_PORT"
lab_run
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "anomaly"' \
    'r["verdict"]["method"] == "dns_nxdomain"'
lab_check gone.lab.test 'r["verdict"]["status"] == "anomaly"'
grep -q "anomaly: 2" "$LAB_DIR/run.err" || lab_fail "summary: $(cat "$LAB_DIR/run.err")"
echo "ok: DNS blocking, down and anomaly"
