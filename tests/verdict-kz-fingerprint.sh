#!/bin/bash
# An interceptor that presents a real Kazakh root (from
# targets/interception-cas) as an extra certificate: intercepted by the
# certificate's fingerprint, and the root it names is the one presented.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

ICA="$top_srcdir/targets/interception-cas"
QAZ=00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2
ISCA=1df696f021ab1c3ace9a376b07ed7256a40214cd3396d7934087614924e2d7ef

lab_init
lab_tls mitmqaz mitm 127.0.0.21 "extra=$ICA/$QAZ.pem"
lab_tls mitmisca mitm 127.0.0.22 "extra=$ICA/$ISCA.pem"
lab_zone probe "www.facebook.com A 127.0.0.21" "www.youtube.com A 127.0.0.22"
lab_zone control "www.facebook.com A 127.0.0.21" "www.youtube.com A 127.0.0.22"
lab_start
mkdir "$LAB_DIR/nocerts"
export SSL_CERT_FILE="$LAB_CERTS/lab-root.pem" SSL_CERT_DIR="$LAB_DIR/nocerts"
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT"

lab_run
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "intercepted"' \
    'r["verdict"]["method"] == "tls_mitm"' \
    'r["verdict"]["interception_ca"] == "CN=Qaznet Trust Network,C=KZ"' \
    "'$QAZ' in [c['sha256'] for c in tls(ip='127.0.0.21')[0]['chain']]" \
    '"presented" in r["verdict"]["detail"]' \
    'tls(ip="127.0.0.21")[0]["trusted"] is False'
# The leaf names the (rogue) Qaznet root, but the presented ISCA root's
# fingerprint is the stronger evidence and is the one reported.
lab_check www.youtube.com \
    'r["verdict"]["status"] == "intercepted"' \
    "r['verdict']['interception_ca'] == subject('$ICA/$ISCA.pem')" \
    'r["verdict"]["interception_ca"] == "C=KZ,O=ISCA,CN=Information Security Certification Authority"' \
    "'$ISCA' in [c['sha256'] for c in tls()[0]['chain']]" \
    '"presented" in r["verdict"]["detail"]'
echo "ok: a real Kazakh root presented as an extra certificate"
