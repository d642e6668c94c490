#!/bin/bash
# TCP verdicts: refused or timed out on every address is an anomaly (from
# the probe's own network nothing tells blocking from an outage); one
# address failing while another (here IPv6 ::1) completes a trusted
# handshake is ok; a TLS reset with no control SNI to confirm it is an
# anomaly too.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls genuine genuine 127.0.0.10
lab_tls v6 genuine ::1
lab_tls closed closed 127.0.0.40
lab_tls slow timeout 127.0.0.41
lab_zone probe "www.facebook.com A 127.0.0.40" "www.youtube.com A 127.0.0.41" \
    "www.wordpress.com A 127.0.0.40" "www.wordpress.com AAAA ::1"
lab_zone control "www.facebook.com A 127.0.0.40" "www.youtube.com A 127.0.0.41" \
    "www.wordpress.com A 127.0.0.40" "www.wordpress.com AAAA ::1"
lab_start
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT"

lab_run
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "anomaly"' \
    'r["verdict"]["method"] == "tcp_refused"' \
    'tcp(ip="127.0.0.40")[0]["failure"] == "connection_refused"' \
    '"every address" in r["verdict"]["detail"]'
lab_check www.youtube.com \
    'r["verdict"]["status"] == "anomaly"' \
    'r["verdict"]["method"] == "tcp_timeout"'
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "ok"' \
    'tcp(ip="127.0.0.40")[0]["failure"] == "connection_refused"' \
    'tls(ip="::1")[0]["trusted"] is True'
grep -q "anomaly: 2" "$LAB_DIR/run.err" ||
    lab_fail "summary: $(cat "$LAB_DIR/run.err")"
echo "ok: TCP failures are anomalies, one working address is enough"
