#!/bin/bash
# The Kazakhstan case as it happened in 2019: users installed the "Qaznet
# Trust Network" root and every connection went through the interceptor.
# The system store (SSL_CERT_FILE) trusts the forged chain, the reference
# store (--ca-file) does not: intercepted, trusted_by_system true, trusted
# false -- by name with the known roots, by the system store alone without.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls genuine genuine 127.0.0.10
lab_tls mitm mitm 127.0.0.20
# On the path: the control resolver's addresses are intercepted too.
lab_zone probe "www.facebook.com A 127.0.0.20" "www.youtube.com A 127.0.0.10"
lab_zone control "www.facebook.com A 127.0.0.20" "www.youtube.com A 127.0.0.10"
lab_start
mkdir "$LAB_DIR/nocerts"
export SSL_CERT_FILE="$LAB_CERTS/rogue-root.pem" SSL_CERT_DIR="$LAB_DIR/nocerts"
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT"
ROGUE="$LAB_CERTS/rogue-root.pem"

lab_run
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "intercepted"' \
    'r["verdict"]["method"] == "tls_mitm"' \
    'r["verdict"]["interception_ca"] == "CN=Qaznet Trust Network,C=KZ"' \
    '"system store trusts it" in r["verdict"]["detail"]' \
    'all(t["trusted_by_system"] is True for t in tls(sni="www.facebook.com"))' \
    'all(t["trusted"] is False for t in tls(sni="www.facebook.com"))'
lab_check www.youtube.com 'r["verdict"]["status"] == "ok"' \
    'tls()[0]["trusted"] is True'

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
    '"system store trusts but the reference store does not" in r["verdict"]["detail"]' \
    'tls(sni="www.facebook.com")[0]["trusted_by_system"] is True' \
    'tls(sni="www.facebook.com")[0]["trusted"] is False'
lab_check www.youtube.com 'r["verdict"]["status"] == "ok"'
echo "ok: rogue Qaznet root installed in the system store"
