#!/bin/bash
# Targets by URL scheme: an https:// URL with a port is handshaken there;
# an http:// URL with an explicit port is plain HTTP only, so nightjar
# connects to that port and never starts a TLS handshake on it (even
# when a TLS server happens to listen there); an IDN host is resolved by
# its A-label and the record keeps the name as written.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls good genuine 127.0.0.10
lab_zone probe \
    "www.wordpress.com A 127.0.0.10" \
    "www.facebook.com A 127.0.0.10" \
    "xn--bcher-kva.example A 127.0.0.10"
lab_start

lab_targets "http://www.wordpress.com:$LAB_PORT/blog" \
    "https://www.facebook.com:$LAB_PORT/" \
    "https://b$(printf '\xc3\xbc')cher.example:$LAB_PORT/"
lab_run
lab_records
lab_check - 'len(rs) == 3'

lab_check www.wordpress.com \
    'r["target"]["port"] == P' \
    'r["target"]["input"] == "http://www.wordpress.com:%d/blog" % P' \
    '[(t["ip"], t["port"], t["failure"]) for t in r["tcp"]] == [("127.0.0.10", P, None)]' \
    'r["tls"] == []'
lab_check www.facebook.com \
    'len(tls()) == 1 and tls()[0]["failure"] is None' \
    'tls()[0]["port"] == P'
lab_check xn--bcher-kva.example \
    'r["target"]["input"] == "https://b\u00fccher.example:%d/" % P' \
    'r["dns"][0]["answers"][0]["ip"] == "127.0.0.10"' \
    'tls()[0]["sni"] == "xn--bcher-kva.example"'
if grep -q "sni=www.wordpress.com" "$LAB_TLS_LOG"; then
	lab_fail "a TLS handshake on the plain-HTTP port of http://www.wordpress.com:$LAB_PORT/"
fi
grep -q "^good sni=www.facebook.com handshake-done$" "$LAB_TLS_LOG" ||
    lab_fail "no handshake for the https target"
echo "targets-http: ok"
