#!/bin/bash
# Engine, DNS: what each resolver (probe, control) answered is recorded per
# query type -- answers with TTLs, CNAME chains, rcode, df-007 failures --
# and only the addresses that were answered are connected to.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
LAB_NAMES="www.facebook.com www.youtube.com example.org lab.test"
lab_tls a genuine 127.0.0.10
lab_tls b genuine 127.0.0.11
lab_tls v6 genuine ::1
lab_zone probe \
    "www.facebook.com A 127.0.0.10 60" \
    "www.facebook.com AAAA ::1 30" \
    "www.youtube.com CNAME yt.l.lab.test 600" \
    "yt.l.lab.test A 127.0.0.10 120" \
    "nx.lab.test * NXDOMAIN" \
    "sf.lab.test * SERVFAIL" \
    "rf.lab.test * REFUSED" \
    "drop.lab.test * DROP" \
    "both.lab.test * NXDOMAIN"
lab_dns control ::1	# an IPv6 resolver: recorded as [::1]:PORT
lab_zone control \
    "www.facebook.com A 127.0.0.11 300" \
    "www.youtube.com A 127.0.0.10" \
    "nx.lab.test A 127.0.0.11" \
    "sf.lab.test A 127.0.0.11" \
    "rf.lab.test A 127.0.0.11" \
    "drop.lab.test A 127.0.0.11" \
    "both.lab.test * NXDOMAIN"
lab_dns tcponly 127.0.0.4 --force-tcp
lab_zone tcponly "www.facebook.com A 127.0.0.10 45"
lab_start

t=
for h in www.facebook.com www.youtube.com nx.lab.test sf.lab.test \
    rf.lab.test drop.lab.test both.lab.test; do
	t="$t $h:$LAB_PORT"
done
# shellcheck disable=SC2086
lab_targets $t
lab_run
lab_records
lab_check - 'len(rs) == 7' \
    'all(x["target"]["port"] == P for x in rs)' \
    'all(len(x["dns"]) == 4 for x in rs)'

# answers with their TTLs, per role and query type; resolver names the server
lab_check www.facebook.com \
    'dns("probe", "A")[0]["resolver"] == E["LAB_RESOLVER"]' \
    'dns("probe", "A")[0]["failure"] is None' \
    'dns("probe", "A")[0]["rcode"] == "NOERROR"' \
    'dns("probe", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 60}]' \
    'dns("probe", "AAAA")[0]["answers"] == [{"type": "AAAA", "ip": "::1", "ttl": 30}]' \
    'dns("control", "A")[0]["resolver"] == E["LAB_CONTROL_RESOLVER"]' \
    'E["LAB_CONTROL_RESOLVER"].startswith("[::1]:")' \
    'dns("control", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.11", "ttl": 300}]' \
    'dns("control", "AAAA")[0]["failure"] == "dns_no_answer"' \
    'dns("control", "AAAA")[0]["rcode"] == "NOERROR"' \
    'all(d["t_ms"] >= 0 for d in r["dns"])'
# every distinct address connected once, tagged with where it came from
lab_check www.facebook.com \
    'sorted((t["ip"], t["source"]) for t in r["tcp"]) == [("127.0.0.10", "probe"), ("127.0.0.11", "control"), ("::1", "probe")]' \
    'all(t["failure"] is None and t["port"] == P for t in r["tcp"])' \
    'sorted(t["ip"] for t in tls()) == ["127.0.0.10", "127.0.0.11", "::1"]' \
    'all(t["trusted"] and t["sni"] == "www.facebook.com" for t in tls())'

# a CNAME chain is kept in order, the final address with its own TTL
lab_check www.youtube.com \
    'dns("probe", "A")[0]["answers"][0]["type"] == "CNAME"' \
    'dns("probe", "A")[0]["answers"][0]["hostname"] == "yt.l.lab.test"' \
    'dns("probe", "A")[0]["answers"][1:] == [{"type": "A", "ip": "127.0.0.10", "ttl": 120}]' \
    'dns("probe", "AAAA")[0]["failure"] == "dns_no_answer"' \
    '[a["type"] for a in dns("probe", "AAAA")[0]["answers"]] == ["CNAME"]' \
    'dns("control", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 300}]' \
    '[t["ip"] for t in r["tcp"]] == ["127.0.0.10"]' \
    'tls()[0]["trusted"] is True'

# failures: df-007 strings, the rcode as the server said it
lab_check nx.lab.test \
    'dns("probe", "A")[0]["failure"] == "dns_nxdomain_error"' \
    'dns("probe", "A")[0]["rcode"] == "NXDOMAIN"' \
    'dns("probe", "A")[0]["answers"] == []' \
    'dns("probe", "AAAA")[0]["failure"] == "dns_nxdomain_error"' \
    'ips(dns("control", "A")[0]) == ["127.0.0.11"]' \
    'tcp(source="probe") == []' \
    '[t["ip"] for t in tcp(source="control")] == ["127.0.0.11"]'
lab_check sf.lab.test \
    'dns("probe", "A")[0]["failure"] == "dns_servfail_error"' \
    'dns("probe", "A")[0]["rcode"] == "SERVFAIL"' \
    'dns("probe", "AAAA")[0]["failure"] == "dns_servfail_error"' \
    'tcp(source="probe") == []'
lab_check rf.lab.test \
    'dns("probe", "A")[0]["failure"] == "dns_refused_error"' \
    'dns("probe", "A")[0]["rcode"] == "REFUSED"' \
    'dns("probe", "AAAA")[0]["failure"] == "dns_refused_error"'
# a resolver that never answers: a timeout, no rcode, within --timeout
lab_check drop.lab.test \
    'dns("probe", "A")[0]["failure"] == "generic_timeout_error"' \
    'dns("probe", "A")[0]["rcode"] is None' \
    'dns("probe", "AAAA")[0]["failure"] == "generic_timeout_error"' \
    'dns("probe", "A")[0]["answers"] == []' \
    'dns("control", "A")[0]["failure"] is None'
# both resolvers say NXDOMAIN: nothing to connect to
lab_check both.lab.test \
    'all(d["failure"] == "dns_nxdomain_error" for d in r["dns"])' \
    'r["tcp"] == [] and r["tls"] == []'

# the control resolver really was asked, over UDP
for h in www.facebook.com nx.lab.test drop.lab.test; do
	grep -q "^udp $h A " "$LAB_DIR/dns-control.log" ||
	    lab_fail "control resolver never asked for $h"
done

# a resolver that truncates every UDP answer: the probe retries over TCP
LAB_RESOLVER=$(lab_dns_addr tcponly)
LAB_CONTROL_RESOLVER=
export LAB_RESOLVER
LAB_RESULTS="$LAB_DIR/results-tcp"
LAB_RECORDS="$LAB_DIR/records-tcp.jsonl"
lab_targets "www.facebook.com:$LAB_PORT"
lab_run
lab_records
lab_check www.facebook.com \
    'len(r["dns"]) == 2' \
    'dns("probe", "A")[0]["resolver"] == E["LAB_RESOLVER"]' \
    'dns("probe", "A")[0]["answers"] == [{"type": "A", "ip": "127.0.0.10", "ttl": 45}]' \
    'dns(role="control", qtype=None) == []' \
    'tls()[0]["trusted"] is True'
grep -q "^udp www.facebook.com A tc$" "$LAB_DIR/dns-tcponly.log" ||
    lab_fail "no truncated UDP answer sent"
grep -q "^tcp www.facebook.com A noerror$" "$LAB_DIR/dns-tcponly.log" ||
    lab_fail "the probe did not retry over TCP"
echo "engine-dns: ok"
