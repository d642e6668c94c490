#!/bin/bash
# Engine, SNI filtering: before the first handshake with a target's SNI on
# an address the engine makes one with --control-sni there (the baseline,
# once per address and round), recorded as a tls entry of every target on
# that address; a reset or timeout of the target's SNI needs no retry.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls good genuine 127.0.0.10
lab_tls dpi sni-reset 127.0.0.11 blocked=www.facebook.com
lab_tls slowdpi sni-stall 127.0.0.12 blocked=www.youtube.com
lab_tls ok2 sni-reset 127.0.0.13 blocked=www.facebook.com
lab_zone probe \
    "www.facebook.com A 127.0.0.11" \
    "www.youtube.com A 127.0.0.12" \
    "www.wordpress.com A 127.0.0.13"
lab_zone control \
    "www.facebook.com A 127.0.0.10" \
    "www.youtube.com A 127.0.0.10" \
    "www.wordpress.com A 127.0.0.10"
lab_start

lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT"
lab_run
lab_records

# reset for the target's name, the default control SNI goes through
lab_check www.facebook.com \
    '[t["sni"] for t in tls(ip="127.0.0.11", every=True)] == ["example.org", "www.facebook.com"]' \
    'tls(ip="127.0.0.11")[0]["failure"] == "connection_reset"' \
    'tls(ip="127.0.0.11")[0]["chain"] == []' \
    'tls(ip="127.0.0.11", sni="example.org")[0]["failure"] is None' \
    'tls(ip="127.0.0.11", sni="example.org")[0]["port"] == P' \
    'tls(ip="127.0.0.11", sni="example.org")[0]["trusted"] is True' \
    'tls(ip="127.0.0.11", sni="example.org")[0]["chain"][0]["sha256"] == fp(C("genuine/example.org.pem"))' \
    'tls(ip="127.0.0.11", sni="example.org")[0]["chain"][0]["san"] == ["example.org"]' \
    '[t["sni"] for t in tls(ip="127.0.0.10", every=True)] == ["example.org", "www.facebook.com"]' \
    'tls(ip="127.0.0.10")[0]["trusted"] is True'
# silence for the target's name: a timeout, then the control SNI
lab_check www.youtube.com \
    '[t["sni"] for t in tls(ip="127.0.0.12", every=True)] == ["example.org", "www.youtube.com"]' \
    'tls(ip="127.0.0.12")[0]["failure"] == "generic_timeout_error"' \
    'tls(ip="127.0.0.12", sni="example.org")[0]["failure"] is None' \
    'tls(ip="127.0.0.12", sni="example.org")[0]["trusted"] is True'
# a name the box lets through: the baseline and one handshake, no retry
lab_check www.wordpress.com \
    '[t["sni"] for t in tls(ip="127.0.0.13", every=True)] == ["example.org", "www.wordpress.com"]' \
    'tls(ip="127.0.0.13")[0]["failure"] is None' \
    'tls(ip="127.0.0.13")[0]["trusted"] is True' \
    'tls(ip="127.0.0.13")[0]["chain"][0]["sha256"] == fp(C("genuine/www.wordpress.com.pem"))'
grep -q "^dpi sni=www.facebook.com sni-reset$" "$LAB_TLS_LOG" ||
    lab_fail "the reset box never saw the target's SNI"
grep -q "^dpi sni=example.org relayed$" "$LAB_TLS_LOG" ||
    lab_fail "the reset box never saw the control SNI"
for box in ok2 dpi; do
	n=$(grep -c "^$box sni=example.org" "$LAB_TLS_LOG" || true)
	[ "$n" -eq 1 ] ||
	    lab_fail "$box: $n control SNI handshakes on one address, want 1"
done
grep "^dpi sni=" "$LAB_TLS_LOG.hello" | head -1 | grep -q "sni=example.org" ||
    lab_fail "the control SNI did not come first on the address"

# --control-sni names the benign SNI
LAB_RESULTS="$LAB_DIR/results-csni"
LAB_RECORDS="$LAB_DIR/records-csni.jsonl"
lab_targets "www.facebook.com:$LAB_PORT"
lab_run --control-sni lab.test
lab_records
lab_check www.facebook.com \
    '[t["sni"] for t in tls(ip="127.0.0.11", every=True)] == ["lab.test", "www.facebook.com"]' \
    'tls(ip="127.0.0.11", sni="lab.test")[0]["failure"] is None' \
    'tls(ip="127.0.0.11", sni="lab.test")[0]["chain"][0]["sha256"] == fp(C("genuine/lab.test.pem"))'
grep -q "^dpi sni=lab.test relayed$" "$LAB_TLS_LOG" ||
    lab_fail "--control-sni lab.test was not used"
echo "engine-sni: ok"
