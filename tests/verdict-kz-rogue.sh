#!/bin/bash
# The Kazakhstan case, rogue root NOT installed on the machine: the probe's
# resolver sends www.facebook.com to an interceptor whose forged leaf is
# issued by a root named "C=KZ, CN=Qaznet Trust Network" (made at test
# time, so not the real one); the control resolver leads to the genuine
# server.  Intercepted by the root's name, and, with no known roots
# loaded at all, by the leaf key that differs from the control's.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls genuine genuine 127.0.0.10
lab_tls mitm mitm 127.0.0.20
lab_zone probe "www.facebook.com A 127.0.0.20" "www.youtube.com A 127.0.0.10"
lab_zone control "www.facebook.com A 127.0.0.10" "www.youtube.com A 127.0.0.10"
lab_start
# A system store that holds only the lab's public root.
mkdir "$LAB_DIR/nocerts"
export SSL_CERT_FILE="$LAB_CERTS/lab-root.pem" SSL_CERT_DIR="$LAB_DIR/nocerts"
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT"

lab_run
lab_records
ROGUE="$LAB_CERTS/rogue-root.pem"
lab_check www.facebook.com \
    'r["verdict"]["status"] == "intercepted"' \
    'r["verdict"]["method"] == "tls_mitm"' \
    'r["verdict"]["interception_ca"] == "CN=Qaznet Trust Network,C=KZ"' \
    "r['verdict']['interception_ca'] == subject('$ROGUE')" \
    '"known interception root" in r["verdict"]["detail"]' \
    'tls(ip="127.0.0.20")[0]["trusted"] is False' \
    'tls(ip="127.0.0.20")[0]["trusted_by_system"] is False' \
    "tls(ip='127.0.0.20')[0]['chain'][0]['issuer'] == subject('$ROGUE')" \
    'tls(ip="127.0.0.10")[0]["trusted"] is True' \
    'tls(ip="127.0.0.10")[0]["source"] == "control"'
lab_check www.youtube.com \
    'r["verdict"]["status"] == "ok"' 'r["verdict"]["method"] is None' \
    'r["verdict"]["interception_ca"] is None'

# No known interception roots: the control's key gives it away.
mkdir "$LAB_DIR/no-cas"
LAB_ICA="$LAB_DIR/no-cas"
LAB_RESULTS="$LAB_DIR/results2"
LAB_RECORDS="$LAB_DIR/records2.jsonl"
mkdir "$LAB_RESULTS"
lab_run
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "intercepted"' \
    'r["verdict"]["method"] == "tls_mitm"' \
    "r['verdict']['interception_ca'] == subject('$ROGUE')" \
    '"differs from the one seen from the control" in r["verdict"]["detail"]' \
    "tls(ip='127.0.0.20')[0]['chain'][0]['spki_sha256'] != tls(ip='127.0.0.10')[0]['chain'][0]['spki_sha256']"
lab_check www.youtube.com 'r["verdict"]["status"] == "ok"'
echo "ok: rogue Qaznet root not installed"
