#!/bin/bash
# The vantage's verdicts end to end, in network namespaces where the
# probe's traffic crosses a censor and the vantage's reaches the servers
# directly.  One probe run measures every case:
#   dnsblock  the probe's resolver denies it, the vantage's resolves: blocked
#   gone      both resolvers say NXDOMAIN: down
#   drop      the censor drops the probe's packets: blocked (tcp_timeout)
#   reject    the censor answers ICMP port unreachable: blocked (tcp_refused)
#   reset     the censor answers a TCP reset: blocked (tcp_refused)
#   dead      nothing listens there, for the vantage either: down
#   dpi       DPI resets handshakes with the target's SNI and the control
#             SNI, so only the vantage tells: blocked (tls_reset)
#   broken    the server itself resets every handshake: down (tls_reset)
#   mitm      the censor sends the probe to an interceptor whose root is in
#             no list and no store: intercepted, through the vantage's view
#             of the real key
#   ok        works: ok, and the vantage is not asked
# Then residual blocking, one target at a time: after bad.test's handshake
# a censor resets every handshake to that address for a minute; good.test,
# measured next there, is not blamed (anomaly naming bad.test), while two
# names blocked on one address without a residual block are both blocked.
# Then a machine that inspects its own TLS with a root in no list: every
# handshake of the round ends in it, the system store trusts it, and the
# vantage sees the real keys: error (local inspection), one warning.
# Then a vantage that cannot be reached: the record says why, nothing is
# lost.  Root only (network namespaces); skipped without ip or nft.
set -eu
. "$top_srcdir/tests/lab/netns.sh"

# A short step deadline keeps the dropped and reset cases quick.
[ -n "${NJ_WRAP:-}" ] || LAB_TIMEOUT=2000
NETNS_HTTPS=1
# Leaves the checks need: ok.test's genuine one, mitm.test's forged one.
LAB_NAMES="ok.test mitm.test mitm2.test"
netns_init
netns_pub 9.9.9.9 1.1.1.1 93.184.216.10 93.184.216.20 93.184.216.21 \
    93.184.216.22 93.184.216.30 93.184.216.31 93.184.216.40 \
    93.184.216.41 93.184.216.50 93.184.216.60 93.184.216.61
lab_tls genuine genuine 93.184.216.10
lab_tls drop genuine 93.184.216.20
lab_tls rst genuine 93.184.216.21
lab_tls icmp genuine 93.184.216.22
lab_tls dpi genuine 93.184.216.30
lab_tls broken reset 93.184.216.31
lab_tls real genuine 93.184.216.40
lab_tls mitm mitm 93.184.216.41
lab_tls residual genuine 93.184.216.60
lab_tls shared genuine 93.184.216.61
lab_dns probe 9.9.9.9:53
lab_dns control 1.1.1.1:53
both() {
	lab_zone probe "$@"
	lab_zone control "$@"
}
lab_zone probe "dnsblock.test A NXDOMAIN"
lab_zone control "dnsblock.test A 93.184.216.10"
both "dnsblock.test AAAA NODATA" "gone.test * NXDOMAIN" \
    "drop.test A 93.184.216.20" "reset.test A 93.184.216.21" \
    "reject.test A 93.184.216.22" "dpi.test A 93.184.216.30" \
    "broken.test A 93.184.216.31" "mitm.test A 93.184.216.40" \
    "ok.test A 93.184.216.10" "dead.test A 93.184.216.50" \
    "bad.test A 93.184.216.60" "good.test A 93.184.216.60" \
    "bad2.test A 93.184.216.61" "bad3.test A 93.184.216.61" \
    "mitm2.test A 93.184.216.40" \
    "* AAAA NODATA"
netns_start
netns_censor "ip daddr 93.184.216.20 tcp dport $LAB_PORT drop" \
    "ip daddr 93.184.216.21 tcp dport $LAB_PORT reject with tcp reset" \
    "ip daddr 93.184.216.22 tcp dport $LAB_PORT reject with icmp type port-unreachable"
netns_dpi 93.184.216.30 blocked=dpi.test,example.org
netns_dpi 93.184.216.60 blocked=bad.test residual=60 port=18444
netns_dpi 93.184.216.61 blocked=bad2.test,bad3.test port=18445
netns_exec c nft add rule inet censor pre ip saddr 10.61.1.0/24 \
    ip daddr 93.184.216.40 tcp dport "$LAB_PORT" dnat ip to 93.184.216.41
netns_vantage
# The rogue root is in no list (and the lab's store never has it).
mkdir "$LAB_DIR/no-roots"
LAB_ICA="$LAB_DIR/no-roots"
lab_targets dnsblock.test gone.test drop.test reject.test reset.test \
    dead.test dpi.test broken.test mitm.test ok.test
sed -i "s/\$/:$LAB_PORT/" "$LAB_TARGETS"

netns_probe
lab_records
# Every case in one pass: status, method and further facts about r.
python3 - "$LAB_RECORDS" <<'EOF' || lab_fail "verdicts"
import json, os, sys
rs = [json.loads(line) for line in open(sys.argv[1])]
by = {r["target"]["host"]: r for r in rs}
url = os.environ["NETNS_CONTROL"]
def ctl(r, key):
    return r["control"][key]
cases = {
    "dnsblock.test": ("blocked", "dns_nxdomain", lambda r:
        isinstance(r["control"]["clock_skew_ms"], float) and
        any(a.get("ip") == "93.184.216.10"
            for d in ctl(r, "dns") for a in d["answers"])),
    "gone.test": ("down", "dns_nxdomain", None),
    "drop.test": ("blocked", "tcp_timeout", lambda r:
        [t["failure"] for t in ctl(r, "tcp")
         if t["ip"] == "93.184.216.20"] == [None]),
    "reject.test": ("blocked", "tcp_refused", lambda r:
        "vantage connected" in r["verdict"]["detail"]),
    "reset.test": ("blocked", "tcp_refused", None),
    "dead.test": ("down", "tcp_refused", lambda r: ctl(r, "tcp") and
        all(t["failure"] == "connection_refused" for t in ctl(r, "tcp"))),
    # The vantage completed a handshake (its name check aside).
    "dpi.test": ("blocked", "tls_reset", lambda r:
        any(t["version"] is not None for t in ctl(r, "tls"))),
    "broken.test": ("down", "tls_reset", lambda r: ctl(r, "tls") and
        all(t["failure"] for t in ctl(r, "tls"))),
    "mitm.test": ("intercepted", "tls_mitm", lambda r:
        "vantage" in r["verdict"]["detail"]),
}
bad = []
for host, (status, method, more) in cases.items():
    r = by.get(host)
    if r is None:
        bad.append("%s: no record" % host)
        continue
    c, v = r["control"], r["verdict"]
    if (c is None or c["failure"] is not None or c["url"] != url or
            v["status"] != status or v["method"] != method or
            (more is not None and not more(r))):
        bad.append("%s: want %s/%s, got %s" % (host, status, method,
                                               json.dumps(r, indent=1)))
r = by.get("ok.test")
if r is None or r["verdict"]["status"] != "ok" or r["control"] is not None:
    bad.append("ok.test: want ok without the vantage: %s" % json.dumps(r))
if len(rs) != len(cases) + 1:
    bad.append("%d records for %d targets" % (len(rs), len(cases) + 1))
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
grep -q "sni=dpi.test" "$LAB_DIR/dpi.log" ||
    lab_fail "the DPI saw no forbidden handshake: $(cat "$LAB_DIR/dpi.log")"

# Residual blocking: one target at a time, in this order.
rm -rf "$LAB_RESULTS"
lab_targets "bad.test:$LAB_PORT" "good.test:$LAB_PORT" \
    "bad2.test:$LAB_PORT" "bad3.test:$LAB_PORT"
netns_probe --concurrency 1
lab_records
lab_check bad.test 'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "tls_sni"'
lab_check good.test 'r["verdict"]["status"] == "anomaly"' \
    '"set off by bad.test" in r["verdict"]["detail"]' \
    '[t.get("residual_of") for t in tls() if t["failure"]] == ["bad.test"]' \
    'tls(sni="example.org")[-1]["failure"] == "connection_reset"'
lab_check bad3.test 'r["verdict"]["status"] == "blocked"' \
    'r["verdict"]["method"] == "tls_sni"' \
    '[t.get("residual_of") for t in tls() if t["failure"]] == ["bad2.test"]'
grep -q "sni=good.test residual" "$LAB_DIR/dpi-18444.log" ||
    lab_fail "no residual block: $(cat "$LAB_DIR/dpi-18444.log")"

# Local inspection: the interceptor's root is in the system store.
rm -rf "$LAB_RESULTS"
lab_targets "mitm.test:$LAB_PORT" "mitm2.test:$LAB_PORT"
SSL_CERT_FILE="$LAB_CERTS/rogue-root.pem" netns_probe
lab_records
lab_check - 'len(rs) == 2' \
    'all(r["verdict"]["status"] == "error" for r in rs)' \
    'all("inspected on this machine" in r["verdict"]["detail"] for r in rs)' \
    'all("Qaznet Trust Network" in r["verdict"]["detail"] for r in rs)' \
    'all(r["control"]["failure"] is None for r in rs)' \
    'all(t["trusted_by_system"] for r in rs for t in r["tls"] if t["chain"])'
[ "$(grep -c 'this machine inspects TLS' "$LAB_DIR/run.err")" = 1 ] ||
    lab_fail "want one warning: $(cat "$LAB_DIR/run.err")"

# A vantage that cannot be reached: the record says why; nothing is lost.
NETNS_CONTROL=https://10.61.3.2:9
rm -rf "$LAB_RESULTS"
lab_targets "gone.test:$LAB_PORT" "ok.test:$LAB_PORT"
netns_probe
lab_records
lab_check - \
    'sorted((r["target"]["host"], r["verdict"]["status"]) for r in rs) == [("gone.test", "anomaly"), ("ok.test", "ok")]' \
    '[r["control"]["failure"] for r in rs if r["target"]["host"] == "gone.test"] in (["connection_refused"], ["connection_failed"])'
echo "ok: the vantage tells blocking from outages"
