#!/bin/bash
# http_reset / http_timeout with the vantage, end to end on loopback: the
# probe's resolver sends it to a censor's box that resets or never answers
# the HTTP request after the connection succeeded, while the vantage (a
# nightjar-collector with --control, allowed onto 127.0.0.0/8) resolves the
# site's other server too and gets an answer there: blocked, http_reset / http_timeout.  The
# same for a GET over a genuine handshake with --http.  Where the vantage's
# request is reset too, the site is down.
set -eu
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/lab/http-lab.sh"

NJC=$top_builddir/collector/nightjar-collector
lab_init
lab_zone probe "www.facebook.com A 127.0.0.51" "www.youtube.com A 127.0.0.52" \
    "lab.test A 127.0.0.53" "www.wordpress.com A 127.0.0.55" \
    "example.org A 127.0.0.57"
# The vantage's resolver knows both servers of each site (the probe's
# answer is one of them, so it is consistent); the probe's knows only the
# one behind the censor's box.  The probe runs without a control resolver:
# it reaches only what its own resolver said, as a censored network does.
lab_zone control "www.facebook.com A 127.0.0.51" "www.facebook.com A 127.0.0.54" \
    "www.youtube.com A 127.0.0.52" "www.youtube.com A 127.0.0.54" \
    "lab.test A 127.0.0.53" "www.wordpress.com A 127.0.0.55" \
    "www.wordpress.com A 127.0.0.56" "example.org A 127.0.0.57"
lab_start
# Plain HTTP: every box on one port P, TLS ones on P2.
http_start censor "rst,http,127.0.0.51,0,mode=reset"
P=$(http_port rst)
http_start plain "stall,http,127.0.0.52,$P,mode=stall" \
    "gone,http,127.0.0.53,$P,mode=reset" "real,http,127.0.0.54,$P"
http_start tlscensor "tlsrst,https,127.0.0.55,0,mode=reset"
P2=$(http_port tlsrst)
http_start tlsreal "tlsreal,https,127.0.0.56,$P2,size=4000" \
    "tlsok,https,127.0.0.57,$P2,size=4000"

# The vantage: loopback allowed, the lab's ports, its own resolver.
${NJ_WRAP:-} "$NJC" --listen 127.0.0.1:0 --db "$LAB_DIR/v.db" --control \
    --control-resolver "$LAB_CONTROL_RESOLVER" --control-allow 127.0.0.0/8 \
    --control-ports "443,80,$P,$P2" \
    --control-ca-file "$LAB_CERTS/lab-root.pem" \
    > "$LAB_DIR/v.out" 2> "$LAB_DIR/v.err" &
LAB_PIDS="$LAB_PIDS $!"
for _ in $(seq 400); do
	grep -q '^listening on' "$LAB_DIR/v.out" && break
	kill -0 $! 2>/dev/null || lab_fail "vantage did not start: $(cat "$LAB_DIR/v.err")"
	sleep 0.05
done
VPORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$LAB_DIR/v.out")
[ -n "$VPORT" ] || lab_fail "vantage: no port"

lab_targets "http://www.facebook.com:$P/" "http://www.youtube.com:$P/" \
    "http://lab.test:$P/" "www.wordpress.com:$P2" "example.org:$P2"
VRES=$LAB_CONTROL_RESOLVER
LAB_CONTROL_RESOLVER= lab_run --http --control "http://127.0.0.1:$VPORT"
[ "$LAB_CONTROL_RESOLVER" = "$VRES" ]
lab_records

# Plain HTTP reset by the censor's box, answered at the vantage.
lab_check www.facebook.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "http_reset"' \
    'r["tcp"][0]["failure"] is None' \
    'r["http"][0]["failure"] == "connection_reset"' \
    'r["control"]["failure"] is None' \
    'any(h["status"] == 200 and h["ip"] == "127.0.0.54" and h["sni"] is None for h in r["control"]["http"])' \
    'r["control"]["tls"] == []'
# Never answered.
lab_check www.youtube.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "http_timeout"' \
    'r["http"][0]["status"] is None' \
    'any(h["status"] == 200 and h["ip"] == "127.0.0.54" for h in r["control"]["http"])'
# Reset for the vantage too: down.
lab_check lab.test \
    'r["verdict"]["status"] == "down"' \
    'r["verdict"]["method"] == "http_reset"' \
    'r["control"]["http"] and all(h["status"] is None for h in r["control"]["http"])'
# --http: the GET over a genuine handshake is reset; the vantage's is not.
lab_check www.wordpress.com \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "http_reset"' \
    'any(t["sni"] == "www.wordpress.com" and t["failure"] is None for t in r["tls"])' \
    'any(h["sni"] == "www.wordpress.com" and h["failure"] in ("connection_reset", "eof_error") for h in r["http"])' \
    'any(h["status"] == 200 and h["sni"] == "www.wordpress.com" and h["ip"] == "127.0.0.56" for h in r["control"]["http"])'
# A site that works is not sent to the vantage.
lab_check example.org \
    'r["verdict"]["status"] == "ok"' \
    'r["control"] is None'
# The vantage fetched "/" of the plain targets over plain HTTP only.
! grep -q '^real tls-attempt' "$LAB_DIR/http.log" ||
	lab_fail "the vantage tried TLS on the plain HTTP port"
grep -Eq '^real get host=www.facebook.com(:[0-9]+)? path=/ ' "$LAB_DIR/http.log" ||
	lab_fail "the vantage did not fetch / from the real server: $(cat "$LAB_DIR/http.log")"
echo "ok: http_reset / http_timeout are blocked where the vantage got an answer, down where it did not"
