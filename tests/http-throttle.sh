#!/bin/bash
# Throttling: a relay that shapes by SNI at 128 kbit/s in front of a
# server with a large body.  With --http the target's download is at
# least 5x and 500 ms slower than the --control-sni baseline on the same
# address, and than the control SNI measured again right after, and so is
# the target measured again beside it:
# throttled, http_throttled.  The same relay shaping every SNI
# (a slow link) is not throttling: ok.
set -eu
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/http-lab.sh"

lab_init
lab_zone probe "www.facebook.com A 127.0.0.42" "www.youtube.com A 127.0.0.43"
lab_start
http_start backend "big,https,127.0.0.41,0,size=65536"
B=$(http_port big)
http_start shapers \
    "bysni,shaper,127.0.0.42,0,backend=127.0.0.41:$B,rate=16000,shape=www.facebook.com" \
    "every,shaper,127.0.0.43,0,backend=127.0.0.41:$B,rate=16000,shape=all"
S1=$(http_port bysni)
S2=$(http_port every)
lab_targets "www.facebook.com:$S1" "www.youtube.com:$S2"

lab_run --http --control-sni example.org
lab_records
lab_check www.facebook.com \
    'r["verdict"]["status"] == "throttled"' \
    'r["verdict"]["method"] == "http_throttled"' \
    'len([h for h in r["http"] if h["sni"] == "www.facebook.com"]) == 2' \
    'len([h for h in r["http"] if h["sni"] == "example.org"]) == 2' \
    'all(h["body_length"] == 65536 for h in r["http"])' \
    'all(len(h["samples"]) >= 10 for h in r["http"] if h["sni"] == "www.facebook.com")' \
    'len(tls()) == 2 and all(t["failure"] is None for t in tls())'
lab_check www.youtube.com \
    'r["verdict"]["status"] == "ok"' \
    'len([h for h in r["http"] if h["sni"] == "example.org"]) == 1'
# One control-SNI handshake per address per round, before the target's;
# one more at once after a target that looked slow (the shaped one),
# beside the target's SNI measured again.
grep "^bysni relay" "$LAB_DIR/http.log" | head -1 | grep -q "sni=example.org" ||
    lab_fail "the control SNI did not come first"
n=$(grep -c "^bysni relay sni=example.org" "$LAB_DIR/http.log" || true)
[ "$n" -eq 2 ] || lab_fail "want 2 control-SNI connections to bysni, got $n"
n=$(grep -c "^bysni relay sni=www.facebook.com" "$LAB_DIR/http.log" || true)
[ "$n" -eq 2 ] || lab_fail "want 2 target-SNI connections to bysni, got $n"
n=$(grep -c "^every relay sni=www.youtube.com" "$LAB_DIR/http.log" || true)
[ "$n" -eq 1 ] || lab_fail "want 1 target-SNI connection to every, got $n"
n=$(grep -c "^every relay sni=example.org" "$LAB_DIR/http.log" || true)
[ "$n" -eq 1 ] || lab_fail "want 1 control-SNI connection to every, got $n"
echo "ok: SNI shaping is throttled, a uniformly slow link is not"
