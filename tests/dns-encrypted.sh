#!/bin/bash
# Encrypted resolvers: a DNS-over-TLS resolver as the probe's and a
# DNS-over-HTTPS one as the control answer every query, each over one
# kept connection (a few for DoH) for the whole round; an HTTPS resolver
# named by host name is looked up first.  A resolver whose certificate
# only the system store trusts (SSL_CERT_FILE = the rogue root) is refused
# with ssl_unknown_authority and never sees a question; one with a
# certificate for another name gets ssl_invalid_hostname.  No answer of a
# refused resolver is used.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
LAB_NAMES="www.facebook.com www.youtube.com example.org lab.test 127.0.0.5 127.0.0.6 127.0.0.7 localhost"
C=$LAB_CERTS
lab_tls good genuine 127.0.0.10
lab_dns dot 127.0.0.5 --dot "$C/genuine/127.0.0.5.chain:$C/genuine/127.0.0.5.key"
lab_dns doh 127.0.0.6 --doh "$C/genuine/127.0.0.6.chain:$C/genuine/127.0.0.6.key"
lab_dns byname 127.0.0.1 --doh "$C/genuine/localhost.chain:$C/genuine/localhost.key" --doh-path /q
lab_dns rogue 127.0.0.7 --dot "$C/forged/127.0.0.7.chain:$C/forged/127.0.0.7.key"
lab_dns wrong 127.0.0.8 --dot "$C/special/wrongname.chain:$C/special/wrongname.key"
lab_dns tcponly 127.0.0.4 --force-tcp
for n in dot doh byname rogue wrong tcponly; do
	lab_zone "$n" \
	    "www.facebook.com A 127.0.0.10" \
	    "www.youtube.com CNAME yt.lab.test" \
	    "yt.lab.test A 127.0.0.10" \
	    "example.org A 127.0.0.10" \
	    "lab.test * NXDOMAIN"
done
lab_start
dot=$(lab_dns_addr dot)
doh=$(lab_dns_addr doh)
byname_port=$(lab_dns_addr byname | sed 's/.*://')
LAB_RESOLVER="tls://$dot"
LAB_CONTROL_RESOLVER="https://$doh/dns-query"
targets=()
for h in www.facebook.com www.youtube.com example.org lab.test; do
	targets+=("$h:$LAB_PORT")
done
lab_targets "${targets[@]}"

lab_run --concurrency 4
lab_records
lab_check - 'len(rs) == 4' \
    'all(len(x["dns"]) == 4 for x in rs)' \
    'all(d["resolver"] == E["LAB_RESOLVER"] for x in rs for d in x["dns"] if d["role"] == "probe")' \
    'all(d["resolver"] == E["LAB_CONTROL_RESOLVER"] for x in rs for d in x["dns"] if d["role"] == "control")'
# server: the address really asked; transport; when each query started
lab_check - \
    'all(d["transport"] == "dot" and d["server"] == E["LAB_RESOLVER"][6:] for x in rs for d in x["dns"] if d["role"] == "probe")' \
    'all(d["transport"] == "doh" and E["LAB_CONTROL_RESOLVER"] == "https://" + d["server"] + "/dns-query" for x in rs for d in x["dns"] if d["role"] == "control")' \
    'all(0 <= d["t0_ms"] <= x["runtime_ms"] for x in rs for d in x["dns"])'
for h in www.facebook.com example.org; do
	lab_check "$h" \
	    'dns("probe", "A")[0]["failure"] is None' \
	    'dns("probe", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 300}]' \
	    'dns("control", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 300}]' \
	    'dns("probe", "AAAA")[0]["failure"] == "dns_no_answer"' \
	    'r["verdict"]["status"] == "ok"'
done
lab_check www.youtube.com \
    '[a["type"] for a in dns("probe", "A")[0]["answers"]] == ["CNAME", "A"]' \
    '[a["type"] for a in dns("control", "A")[0]["answers"]] == ["CNAME", "A"]'
lab_check lab.test \
    'all(d["failure"] == "dns_nxdomain_error" and d["rcode"] == "NXDOMAIN" for d in r["dns"])'
# Every question went over the encrypted transports, on kept connections.
q=$(grep -c '^dot ' "$LAB_DIR/dns-dot.log")
[ "$q" -eq 8 ] || lab_fail "DoT server saw $q queries, want 8"
q=$(grep -c '^doh ' "$LAB_DIR/dns-doh.log")
[ "$q" -eq 8 ] || lab_fail "DoH server saw $q queries, want 8"
c=$(grep -c '^dot-conn' "$LAB_DIR/dns-dot.log")
[ "$c" -eq 1 ] || lab_fail "DoT: $c connections for one round, want 1"
c=$(grep -c '^doh-conn' "$LAB_DIR/dns-doh.log")
[ "$c" -ge 1 ] && [ "$c" -le 4 ] ||
    lab_fail "DoH: $c connections for one round, want 1 to 4"
echo "DoT: 8 queries on 1 connection; DoH: 8 queries on $c connection(s)"

# A DoH resolver named by host name (localhost, from /etc/hosts).
if getent hosts localhost | grep -q '^127\.0\.0\.1'; then
	rm -f "$LAB_RESULTS"/*.msgpack
	LAB_CONTROL_RESOLVER="https://localhost:$byname_port/q"
	lab_targets "www.facebook.com:$LAB_PORT"
	lab_run
	lab_records
	lab_check www.facebook.com \
	    'dns("control", "A")[0]["resolver"] == E["LAB_CONTROL_RESOLVER"]' \
	    'dns("control", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 300}]' \
	    'r["verdict"]["status"] == "ok"'
	grep -q '^doh www.facebook.com A ' "$LAB_DIR/dns-byname.log" ||
	    lab_fail "the DoH resolver named localhost was not asked"
else
	echo "localhost is not 127.0.0.1 here: the by-name case is skipped"
fi

# A resolver only the system store trusts, and one with a wrong name.
for bad in rogue:ssl_unknown_authority wrong:ssl_invalid_hostname; do
	n=${bad%%:*}
	f=${bad#*:}
	rm -f "$LAB_RESULTS"/*.msgpack
	LAB_RESOLVER="tls://$(lab_dns_addr "$n")"
	LAB_CONTROL_RESOLVER="https://$doh/dns-query"
	lab_targets "www.facebook.com:$LAB_PORT"
	SSL_CERT_FILE="$LAB_CERTS/rogue-root.pem" lab_run
	lab_records
	lab_check www.facebook.com \
	    "all(d[\"failure\"] == \"$f\" for d in dns(\"probe\"))" \
	    'all(not d["answers"] for d in dns("probe"))' \
	    'dns("control", "A")[0]["failure"] is None' \
	    'all(t["source"] == "control" for t in r["tcp"])'
	if grep -q '^dot [a-z]' "$LAB_DIR/dns-$n.log"; then
		lab_fail "a question reached the refused resolver $n"
	fi
	echo "tls:// with a bad certificate ($n): $f, no question sent"
done
# a plain resolver that makes every answer come over TCP says so
rm -f "$LAB_RESULTS"/*.msgpack
LAB_RESOLVER=$(lab_dns_addr tcponly)
LAB_CONTROL_RESOLVER=
lab_targets "www.facebook.com:$LAB_PORT"
lab_run
lab_records
lab_check www.facebook.com \
    'dns("probe", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 300}]' \
    'all(d["transport"] == "tcp" and d["server"] == E["LAB_RESOLVER"] for d in dns("probe"))'
echo "dns-encrypted: ok"
