#!/bin/bash
# A censor on the path: (1) a resolver that answers every UDP query twice,
# a forged reply first and the real one 50 ms later (an injector racing
# the server).  The probe keeps listening --dns-linger ms after the first
# reply, records both in "replies", and calls it blocked/dns_injection
# because the first disagrees with the control; with --dns-linger 0 it
# only sees the forged reply.  (2) A resolver answering a known censor
# address (a DNS fingerprint, location_found = dns) is blocked/
# dns_blockpage naming the fingerprint, even with no control resolver.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls good genuine 127.0.0.10
lab_tls censor selfsigned 127.0.0.77
lab_dns probe 127.0.0.2 --inject 127.0.0.66
lab_zone probe "www.facebook.com A 127.0.0.10" "example.org A 127.0.0.10"
lab_zone control "www.facebook.com A 127.0.0.10" "example.org A 127.0.0.10"
lab_dns censor 127.0.0.4
lab_zone censor "www.youtube.com A 127.0.0.77" "example.org A 127.0.0.10"
lab_start
fp="$LAB_DIR/fingerprints_dns.csv"
cat > "$fp" <<'EOF'
name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes
lab.censor_1,nat,,dns,full,127.0.0.77,5,ZZ,lab,,the lab's censor address
lab.body_1,nat,,body,contains,127.0.0.10,5,ZZ,lab,,an HTTP pattern: not for DNS
EOF

# (1) injection
lab_targets "www.facebook.com:$LAB_PORT" "example.org:$LAB_PORT"
lab_run --fingerprints "$fp"
lab_records
grep -q '^udp www.facebook.com A ' "$LAB_DIR/dns-probe.log" ||
    lab_fail "the injecting resolver was not asked"
for h in www.facebook.com example.org; do
	lab_check "$h" \
	    'dns("probe", "A")[0]["answers"][0]["ip"] == "127.0.0.66"' \
	    'len(dns("probe", "A")[0]["replies"]) == 2' \
	    '[a["ip"] for x in dns("probe", "A")[0]["replies"] for a in x["answers"]] == ["127.0.0.66", "127.0.0.10"]' \
	    'dns("probe", "A")[0]["replies"][0]["t_ms"] <= dns("probe", "A")[0]["replies"][1]["t_ms"]' \
	    'dns("probe", "A")[0]["transport"] == "udp"' \
	    'dns("probe", "A")[0]["server"] == E["LAB_RESOLVER"]' \
	    '"replies" not in dns("control", "A")[0] or len(dns("control", "A")[0]["replies"]) <= 1' \
	    'r["verdict"]["status"] == "blocked"' \
	    'r["verdict"]["method"] == "dns_injection"'
done

# without lingering only the forged reply is seen: no injection to tell
rm -f "$LAB_RESULTS"/*.msgpack
lab_targets "www.facebook.com:$LAB_PORT"
lab_run --fingerprints "$fp" --dns-linger 0
lab_records
lab_check www.facebook.com \
    'dns("probe", "A")[0]["answers"][0]["ip"] == "127.0.0.66"' \
    'len(dns("probe", "A")[0].get("replies") or []) <= 1' \
    'r["verdict"]["method"] != "dns_injection"'

# (2) a censor address, without a control resolver
rm -f "$LAB_RESULTS"/*.msgpack
LAB_RESOLVER=$(lab_dns_addr censor)
LAB_CONTROL_RESOLVER=
lab_targets "www.youtube.com:$LAB_PORT" "example.org:$LAB_PORT"
lab_run --fingerprints "$fp"
lab_records
lab_check www.youtube.com \
    'dns("probe", "A")[0]["answers"][0]["ip"] == "127.0.0.77"' \
    'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "dns_blockpage"' \
    'r["verdict"]["blockpage"] == "lab.censor_1"'
# an address that only an HTTP fingerprint mentions is no censor address
lab_check example.org \
    'r["verdict"]["method"] != "dns_blockpage"' \
    'r["verdict"]["blockpage"] is None'
echo "dns-injection: ok"
