#!/bin/bash
# An http:// URL with an explicit port is plain HTTP only: no TLS
# handshake is attempted on that port, and the GET carries the URL's path,
# the Host with the port and a User-Agent naming nightjar.  The record
# keeps the status, headers, body length, SHA-256, title and samples;
# --http-max-body cuts a larger body and says so.
set -eu
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/http-lab.sh"

lab_init
lab_zone probe "lab.test A 127.0.0.21" "www.wordpress.com A 127.0.0.22"
lab_zone control "lab.test A 127.0.0.21" "www.wordpress.com A 127.0.0.22"
lab_start
http_start httpd "plain,http,127.0.0.21,0,size=3000" \
    "chunked,http,127.0.0.22,0,size=9000,chunked=1"
P1=$(http_port plain)
P2=$(http_port chunked)
lab_targets "http://lab.test:$P1/some/path?q=1" \
    "http://www.wordpress.com:$P2/"

lab_run --http-max-body 4096
lab_records
version=$("$NIGHTJAR" --version | head -1 | cut -d' ' -f2)
grep -q "tls-attempt" "$LAB_DIR/http.log" &&
    lab_fail "a TLS handshake was attempted on a plain HTTP port"
grep -q "^plain get host=lab.test:$P1 path=/some/path?q=1 sni=- ua=nightjar/$version$" \
    "$LAB_DIR/http.log" || lab_fail "no GET as expected: $(cat "$LAB_DIR/http.log")"
body_sha=$(python3 -c '
import sys; sys.path.insert(0, sys.argv[1])
from httpd import page_body; import hashlib
print(hashlib.sha256(page_body(3000)).hexdigest())' "$top_srcdir/tests/lab")
lab_check lab.test \
    'r["verdict"]["status"] == "ok"' \
    'r["target"]["port"] == '"$P1" \
    'r["tls"] == []' \
    'len(r["tcp"]) == 1 and r["tcp"][0]["port"] == '"$P1" \
    'len(r["http"]) == 1' \
    'r["http"][0]["url"] == "http://lab.test:'"$P1"'/some/path?q=1"' \
    'r["http"][0]["sni"] is None and r["http"][0]["ip"] == "127.0.0.21"' \
    'r["http"][0]["failure"] is None and r["http"][0]["status"] == 200' \
    'r["http"][0]["headers"]["server"] == "nightjar-lab"' \
    'r["http"][0]["headers"]["content-type"].startswith("text/html")' \
    'r["http"][0]["body_length"] == 3000' \
    'r["http"][0]["body_sha256"] == "'"$body_sha"'"' \
    'r["http"][0]["title"] == "Lab page"' \
    'r["http"][0]["truncated"] is False' \
    'len(r["http"][0]["samples"]) >= 1' \
    'r["http"][0]["samples"][-1][1] > 3000' \
    'r["http"][0]["t0_ms"] >= 0 and r["http"][0]["t_ms"] > 0'
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "ok"' \
    'r["tls"] == []' \
    'r["http"][0]["status"] == 200' \
    'r["http"][0]["body_length"] == 4096' \
    'r["http"][0]["truncated"] is True'
echo "ok: plain HTTP on an explicit port, no TLS attempted"
