#!/bin/bash
# The vantage is not an open proxy: asked about private, link-local
# (169.254.169.254) and other reserved addresses, whether the probe sends
# them or its own resolver answers them, it records control_refused_address
# and not one packet leaves for them; an nftables counter on the vantage's
# output says so.  The same counter sees the packets to a public address,
# so it does count.  Root only (network namespaces).
set -eu
. "$top_srcdir/tests/lab/netns.sh"

netns_init
netns_pub 93.184.216.34 1.1.1.1 9.9.9.9
lab_tls genuine genuine 93.184.216.34
lab_dns probe 9.9.9.9:53
lab_dns control 1.1.1.1:53
lab_zone probe "www.wordpress.com A 93.184.216.34"
lab_zone control "www.wordpress.com A 93.184.216.34" \
    "inside.test A 10.61.2.2" "meta.test A 169.254.169.254" \
    "mapped.test AAAA ::ffff:10.61.2.2"
netns_start
# Reachable from the vantage: without the guard, packets would go.
ip -n "$NETNS_V" route add 169.254.169.254/32 via 10.61.3.1
ip -n "$NETNS_V" route add 192.168.7.0/24 via 10.61.3.1
netns_exec v nft -f - <<'EOF'
table inet watch {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 10.61.2.2 counter
		ip daddr 169.254.169.254 counter
		ip daddr 192.168.7.7 counter
		ip6 daddr ::ffff:10.61.2.2 counter
		ip daddr 93.184.216.34 counter
	}
}
EOF
netns_vantage

port=${NETNS_CONTROL##*:}
P=$LAB_PORT
netns_exec p python3 "$LAB_LIB/vantage.py" --host 10.61.3.2 "$port" "{\"targets\": [
  {\"host\": \"www.wordpress.com\", \"port\": $P, \"sni\": \"www.wordpress.com\",
   \"addrs\": [\"10.61.2.2\", \"169.254.169.254\", \"192.168.7.7\", \"::ffff:10.61.2.2\", \"::ffff:169.254.169.254\"]},
  {\"host\": \"inside.test\", \"port\": $P, \"sni\": \"inside.test\", \"addrs\": []},
  {\"host\": \"meta.test\", \"port\": $P, \"sni\": \"meta.test\", \"addrs\": []},
  {\"host\": \"mapped.test\", \"port\": $P, \"sni\": \"mapped.test\", \"addrs\": []},
  {\"host\": \"169.254.169.254\", \"port\": $P, \"sni\": null, \"addrs\": []}]}" \
    > "$LAB_DIR/answer.json"

python3 - "$LAB_DIR/answer.json" <<'EOF' || lab_fail "answer"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["status"] == 200, a
r = a["body"]["results"]
refused = {(t["ip"], t["failure"]) for x in r for t in x["tcp"]
           if t["ip"] != "93.184.216.34"}
want = {"10.61.2.2", "169.254.169.254", "192.168.7.7", "::ffff:10.61.2.2",
        "::ffff:169.254.169.254"}
assert {ip for ip, _ in refused} == want, refused
assert all(f == "control_refused_address" for _, f in refused), refused
ok = [t for t in r[0]["tls"] if t["ip"] == "93.184.216.34"]
assert ok and ok[0]["failure"] is None and ok[0]["trusted"], r[0]["tls"]
assert all(x["tls"] == [] for x in r[1:]), r
EOF

netns_exec v nft list table inet watch > "$LAB_DIR/counters"
python3 - "$LAB_DIR/counters" <<'EOF' || { cat "$LAB_DIR/counters" >&2; lab_fail "counters"; }
import re, sys
c = {}
for line in open(sys.argv[1]):
    m = re.search(r"daddr (\S+) counter packets (\d+)", line)
    if m:
        c[m.group(1)] = int(m.group(2))
for ip in ("10.61.2.2", "169.254.169.254", "192.168.7.7", "::ffff:10.61.2.2"):
    assert c[ip] == 0, (ip, c)
assert c["93.184.216.34"] > 0, c
EOF
echo "ok: no packet left the vantage for a refused address"
