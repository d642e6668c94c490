#!/bin/bash
# SNI filtering: the handshake with the target's SNI is reset (or never
# answered) while the --control-sni handshake to the same address
# completes -> blocked, tls_sni.  A reset that no control SNI confirms is
# an anomaly.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls snireset sni-reset 127.0.0.11 blocked=www.facebook.com
lab_tls snistall sni-stall 127.0.0.12 blocked=www.wordpress.com
lab_tls reset reset 127.0.0.13
lab_zone probe "www.facebook.com A 127.0.0.11" "www.youtube.com A 127.0.0.11" \
    "www.wordpress.com A 127.0.0.12" "lab.test A 127.0.0.13"
lab_zone control "www.facebook.com A 127.0.0.11" "www.youtube.com A 127.0.0.11" \
    "www.wordpress.com A 127.0.0.12" "lab.test A 127.0.0.13"
lab_start
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT" "lab.test:$LAB_PORT"

lab_run --control-sni example.org
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "tls_sni"' \
    'r["verdict"]["interception_ca"] is None' \
    'tls(sni="www.facebook.com", ip="127.0.0.11")[0]["failure"] == "connection_reset"' \
    'tls(sni="example.org", ip="127.0.0.11")[0]["chain"] != []' \
    '"example.org" in r["verdict"]["detail"]'
lab_check www.youtube.com 'r["verdict"]["status"] == "ok"'
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "tls_sni"' \
    'tls(sni="www.wordpress.com", ip="127.0.0.12")[0]["failure"] == "generic_timeout_error"'
lab_check lab.test \
    'r["verdict"]["status"] == "anomaly"' \
    'r["verdict"]["method"] == "tls_reset"'
echo "ok: SNI filtering confirmed by the control SNI"
