#!/bin/bash
# Engine, TCP: a closed port is connection_refused, a connect that gets no
# answer is generic_timeout_error, each address is tried on its own, and an
# IP-literal target skips DNS and is handshaken without SNI.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls good genuine 127.0.0.10
lab_tls closed closed 127.0.0.12
lab_tls blackhole timeout 127.0.0.13
lab_tls v6 genuine ::1
lab_zone probe \
    "www.facebook.com A 127.0.0.12" \
    "www.youtube.com A 127.0.0.13" \
    "www.wordpress.com A 127.0.0.12" \
    "www.wordpress.com A 127.0.0.10"
lab_start

lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT" "127.0.0.10:$LAB_PORT" "[::1]:$LAB_PORT"
lab_run
lab_records
lab_check - 'len(rs) == 5'

lab_check www.facebook.com \
    'len(r["tcp"]) == 1' \
    'r["tcp"][0]["ip"] == "127.0.0.12" and r["tcp"][0]["port"] == P' \
    'r["tcp"][0]["source"] == "probe"' \
    'r["tcp"][0]["failure"] == "connection_refused"' \
    'r["tls"] == []'
lab_check www.youtube.com \
    'len(r["tcp"]) == 1' \
    'r["tcp"][0]["ip"] == "127.0.0.13"' \
    'r["tcp"][0]["failure"] == "generic_timeout_error"' \
    'r["tls"] == []'
# one address refused, the other connects and is handshaken
lab_check www.wordpress.com \
    'sorted((t["ip"], t["failure"]) for t in r["tcp"]) == [("127.0.0.10", None), ("127.0.0.12", "connection_refused")]' \
    '[t["ip"] for t in tls()] == ["127.0.0.10"]' \
    'tls()[0]["failure"] is None and tls()[0]["trusted"] is True'
# IP literals: no DNS, no SNI, the certificate is still kept
lab_check 127.0.0.10 \
    'r["dns"] == []' \
    '[(t["ip"], t["failure"]) for t in r["tcp"]] == [("127.0.0.10", None)]' \
    'len(r["tls"]) == 1 and r["tls"][0]["sni"] is None' \
    'r["tls"][0]["version"] is not None' \
    'len(r["tls"][0]["chain"]) == 2'
lab_check ::1 \
    'r["dns"] == []' \
    '[(t["ip"], t["failure"]) for t in r["tcp"]] == [("::1", None)]' \
    'r["tls"][0]["sni"] is None and len(r["tls"][0]["chain"]) == 2'
grep -q "^good sni=- handshake-done$" "$LAB_TLS_LOG" ||
    lab_fail "the IP-literal handshake carried an SNI"
if grep -q "^good sni=127" "$LAB_TLS_LOG"; then
	lab_fail "an address was sent as SNI"
fi
echo "engine-tcp: ok"
