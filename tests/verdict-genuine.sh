#!/bin/bash
# Genuine sites are never flagged, even with the rogue root installed in
# the system store and every known root loaded; certificates that are
# merely broken (expired, self-signed, another name) are anomalies that
# say why, not interceptions.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls genuine genuine 127.0.0.10
lab_tls expired expired 127.0.0.30
lab_tls self selfsigned 127.0.0.31
lab_tls wrong wrongname 127.0.0.32
lab_zone probe "www.facebook.com A 127.0.0.10" "www.youtube.com A 127.0.0.10" \
    "example.org A 127.0.0.10" "lab.test A 127.0.0.10" \
    "www.wordpress.com A 127.0.0.30"
lab_zone control "www.facebook.com A 127.0.0.10" "www.youtube.com A 127.0.0.10" \
    "example.org A 127.0.0.10" "www.wordpress.com A 127.0.0.30"
lab_start
mkdir "$LAB_DIR/nocerts"
cat "$LAB_CERTS/lab-root.pem" "$LAB_CERTS/rogue-root.pem" > "$LAB_DIR/system.pem"
export SSL_CERT_FILE="$LAB_DIR/system.pem" SSL_CERT_DIR="$LAB_DIR/nocerts"
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "example.org:$LAB_PORT" "lab.test:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT" "127.0.0.31:$LAB_PORT" \
    "127.0.0.32:$LAB_PORT"

lab_run
lab_records
for h in www.facebook.com www.youtube.com example.org lab.test; do
	lab_check "$h" \
	    'r["verdict"]["status"] == "ok"' 'r["verdict"]["method"] is None' \
	    'r["verdict"]["interception_ca"] is None' \
	    'all(t["trusted"] and t["trusted_by_system"] for t in tls())' \
	    '"trusted" in r["verdict"]["detail"]'
done
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "anomaly"' \
    'r["verdict"]["interception_ca"] is None' \
    '"expired" in r["verdict"]["detail"]'
# IP-literal targets: no DNS, no SNI.
lab_check 127.0.0.31 'r["dns"] == []' \
    'r["verdict"]["status"] == "anomaly"' \
    '"self-signed" in r["verdict"]["detail"]'
lab_check 127.0.0.32 'r["verdict"]["status"] == "anomaly"' \
    'r["verdict"]["interception_ca"] is None'
echo "ok: genuine sites never flagged, broken certificates are anomalies"
