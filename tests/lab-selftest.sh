#!/bin/bash
# The test lab itself: certificates, DNS answers, every TLS server mode and
# the JSON assertion helper, checked with openssl and small python clients.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

L="$top_srcdir/tests/lab"
KZ="$top_srcdir/targets/interception-cas/00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2.pem"
nfail=0

# check WHAT JSON EXPR: EXPR on d = the parsed JSON
check() {
	if python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3"; then
		echo "ok: $1"
	else
		echo "FAIL: $1: $3 on $2" >&2
		nfail=$((nfail + 1))
	fi
}

# is WHAT A B: string equality
is() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: got '$2', want '$3'" >&2
		nfail=$((nfail + 1))
	fi
}

lab_init
lab_tls gen genuine 127.0.0.10
lab_tls mitm mitm 127.0.0.11
lab_tls mitmkz mitm 127.0.0.12 "extra=$KZ"
lab_tls sni sni-reset 127.0.0.13 blocked=www.facebook.com,www.youtube.com
lab_tls closed closed 127.0.0.14
lab_tls slowconn timeout 127.0.0.15
lab_tls stall stall 127.0.0.16
lab_tls garbage garbage 127.0.0.17
lab_tls close close 127.0.0.18
lab_tls trickle trickle 127.0.0.19 delay=1
lab_tls endless endless-chain 127.0.0.20
lab_tls big big-cert 127.0.0.21
lab_tls expired expired 127.0.0.22
lab_tls self selfsigned 127.0.0.23
lab_tls wrong wrongname 127.0.0.24
lab_tls reset reset 127.0.0.25
lab_tls snistall sni-stall 127.0.0.26 blocked=www.facebook.com
lab_tls v6 genuine ::1
lab_tls tls12 genuine 127.0.0.27 tls=1.2
lab_tls longc long-chain 127.0.0.28 count=20
lab_zone probe \
    "www.facebook.com A 127.0.0.13 60" \
    "www.facebook.com AAAA ::1" \
    "www.youtube.com CNAME youtube-ui.l.google.com" \
    "youtube-ui.l.google.com A 127.0.0.10 120" \
    "nx.lab.test * NXDOMAIN" \
    "sf.lab.test A SERVFAIL" \
    "ref.lab.test * REFUSED" \
    "drop.lab.test * DROP" \
    "loop.lab.test * compression-loop" \
    "trunc.lab.test A truncated" \
    "wid.lab.test A wrong-id" \
    "ll.lab.test A long-label" \
    "ln.lab.test A long-name" \
    "on.lab.test A other-name" \
    "garb.lab.test A garbage"
lab_zone control "www.facebook.com A 127.0.0.10"
lab_dns tcponly 127.0.0.4 --force-tcp
lab_zone tcponly "lab.test A 127.0.0.10"
lab_start

P=$LAB_PORT
C=$LAB_CERTS
[ -n "$P" ] || lab_fail "no LAB_PORT"
is "every shared server on one port" \
    "$(awk '{print $3}' "$LAB_DIR/tls.state" | sort -u)" "$P"

# --- certificates ------------------------------------------------------------
is "genuine chain verifies" "$(openssl verify -CAfile "$C/lab-root.pem" \
    -untrusted "$C/lab-int.pem" "$C/genuine/www.facebook.com.pem" 2>&1)" \
    "$C/genuine/www.facebook.com.pem: OK"
is "rogue root subject" "$(lab_subject() { openssl x509 -in "$1" -noout \
    -subject -nameopt RFC2253; }; lab_subject "$C/rogue-root.pem")" \
    "subject=CN=Qaznet Trust Network,C=KZ"
is "forged leaf chains to the rogue root" "$(openssl verify -CAfile \
    "$C/rogue-root.pem" "$C/forged/www.facebook.com.pem" 2>&1)" \
    "$C/forged/www.facebook.com.pem: OK"
if openssl verify -CAfile "$C/lab-root.pem" -untrusted "$C/lab-int.pem" \
    "$C/forged/www.facebook.com.pem" >/dev/null 2>&1; then
	is "forged leaf not trusted by the lab root" trusted untrusted
fi
case "$(openssl verify -CAfile "$C/lab-root.pem" -untrusted "$C/lab-int.pem" \
    "$C/special/expired.pem" 2>&1)" in
*"certificate has expired"*) echo "ok: expired leaf is expired" ;;
*) is "expired leaf" not-expired expired ;;
esac
case "$(openssl verify -CAfile "$C/lab-root.pem" -verify_hostname lab.test \
    -untrusted "$C/lab-int.pem" "$C/special/wrongname.pem" 2>&1)" in
*"hostname mismatch"*) echo "ok: wrong-name leaf mismatches" ;;
*) is "wrong-name leaf" matches mismatch ;;
esac
is "self-signed leaf issuer = subject" \
    "$(openssl x509 -in "$C/special/selfsigned.pem" -noout -issuer | cut -d= -f2-)" \
    "$(openssl x509 -in "$C/special/selfsigned.pem" -noout -subject | cut -d= -f2-)"
bigsize=$(openssl x509 -in "$C/special/big.pem" -outform DER | wc -c)
is "big certificate is 64 KB or more" "$([ "$bigsize" -ge 65536 ] && echo y)" y

# --- DNS -----------------------------------------------------------------------
read -r DA DP < "$LAB_DIR/dns-probe.state"
q() { python3 "$L/dnsq.py" "$DA" "$DP" "$@" --timeout 0.5; }
check "A answer with TTL" "$(q www.facebook.com A)" \
    'd["rcode"] == "NOERROR" and d["answers"] == [{"type": "A", "name": "www.facebook.com", "ttl": 60, "ip": "127.0.0.13"}]'
check "AAAA answer" "$(q www.facebook.com AAAA)" \
    '[a["ip"] for a in d["answers"]] == ["::1"]'
check "CNAME followed" "$(q www.youtube.com A)" \
    '[a.get("hostname") or a.get("ip") for a in d["answers"]] == ["youtube-ui.l.google.com", "127.0.0.10"] and d["answers"][1]["ttl"] == 120'
check "NXDOMAIN" "$(q nx.lab.test A)" 'd["rcode"] == "NXDOMAIN"'
check "unknown name NXDOMAIN" "$(q nope.lab.test A)" 'd["rcode"] == "NXDOMAIN"'
check "SERVFAIL" "$(q sf.lab.test A)" 'd["rcode"] == "SERVFAIL"'
check "NODATA for a type without rules" "$(q sf.lab.test AAAA)" \
    'd["rcode"] == "NOERROR" and d["answers"] == []'
check "REFUSED" "$(q ref.lab.test AAAA)" 'd["rcode"] == "REFUSED"'
check "drop never answers" "$(q drop.lab.test A)" 'd.get("error") == "timeout"'
check "TCP answers" "$(q www.youtube.com A --tcp)" 'len(d["answers"]) == 2'
check "compression loop" "$(q loop.lab.test A)" 'd.get("why") == "pointer loop"'
check "truncated record" "$(q trunc.lab.test A)" 'd.get("why") == "rdata past end"'
check "wrong query id" "$(q wid.lab.test A)" 'd["id_ok"] is False'
check "oversized label" "$(q ll.lab.test A)" 'd.get("why") == "bad label type"'
check "oversized name" "$(q ln.lab.test A)" 'd.get("why") == "name too long"'
check "answer for another name" "$(q on.lab.test A)" \
    'd["answers"][0]["name"] == "other.lab.test"'
check "garbage" "$(q garb.lab.test A)" '"error" in d or d["answers"] == []'
read -r TA TP < "$LAB_DIR/dns-tcponly.state"
check "force-tcp: UDP truncated" \
    "$(python3 "$L/dnsq.py" "$TA" "$TP" lab.test A)" 'd["tc"] and d["answers"] == []'
check "force-tcp: TCP answers" \
    "$(python3 "$L/dnsq.py" "$TA" "$TP" lab.test A --tcp)" 'not d["tc"] and len(d["answers"]) == 1'
check "control zone differs" "$(python3 "$L/dnsq.py" \
    "${LAB_CONTROL_RESOLVER%:*}" "${LAB_CONTROL_RESOLVER##*:}" www.facebook.com A)" \
    'd["answers"][0]["ip"] == "127.0.0.10"'
grep -q "^udp www.facebook.com A noerror$" "$LAB_DIR/dns-probe.log" &&
    echo "ok: query log" || is "query log" missing present

# --- TLS -----------------------------------------------------------------------
t() { python3 "$L/tlsc.py" "$@" --timeout 1; }
check "genuine: verified leaf" \
    "$(t 127.0.0.10 "$P" www.youtube.com --ca "$C/lab-root.pem")" \
    "d[\"outcome\"] == \"ok\" and d[\"verified\"] and d[\"leaf_sha256\"] == \"$(lab_fp "$C/genuine/www.youtube.com.pem")\""
check "genuine over IPv6" "$(t ::1 "$P" example.org --ca "$C/lab-root.pem")" \
    'd["outcome"] == "ok" and d["verified"]'
check "genuine TLS 1.2 only" "$(t 127.0.0.27 "$P" lab.test)" \
    'd["version"] == "TLSv1.2"'
check "mitm: forged leaf, not verified" \
    "$(t 127.0.0.11 "$P" www.facebook.com --ca "$C/lab-root.pem")" \
    "d[\"outcome\"] == \"ok\" and not d[\"verified\"] and d[\"leaf_sha256\"] == \"$(lab_fp "$C/forged/www.facebook.com.pem")\""
check "mitm: verified by the rogue root" \
    "$(t 127.0.0.11 "$P" www.facebook.com --ca "$C/rogue-root.pem")" \
    'd["verified"]'
check "mitm: any SNI forged on demand" \
    "$(t 127.0.0.11 "$P" any.where.example --ca "$C/rogue-root.pem" --timeout 30)" \
    'd["outcome"] == "ok" and d["verified"]'
chain=$(openssl s_client -connect "127.0.0.12:$P" -servername www.facebook.com \
    -showcerts </dev/null 2>/dev/null |
    awk '/BEGIN CERT/ {n++; in_c = 1} in_c {print > (dir "/kz-" n ".pem")} /END CERT/ {in_c = 0}' \
    dir="$LAB_DIR"; ls "$LAB_DIR"/kz-*.pem | wc -l)
is "mitm extra=: two certificates presented" "$chain" 2
is "mitm extra=: second is the Kazakh root" "$(lab_fp "$LAB_DIR/kz-2.pem")" \
    "$(lab_fp "$KZ")"
check "sni-reset: blocked SNI reset" "$(t 127.0.0.13 "$P" www.facebook.com)" \
    'd["outcome"] == "reset"'
check "sni-reset: other SNI served" \
    "$(t 127.0.0.13 "$P" example.org --ca "$C/lab-root.pem")" \
    'd["outcome"] == "ok" and d["verified"]'
check "sni-stall: blocked SNI times out" "$(t 127.0.0.26 "$P" www.facebook.com)" \
    'd["outcome"] == "timeout" and d["detail"] == "handshake"'
check "reset" "$(t 127.0.0.25 "$P" lab.test)" 'd["outcome"] == "reset"'
check "closed port refused" "$(t 127.0.0.14 "$P" lab.test)" \
    'd["outcome"] == "refused"'
check "full accept queue: connect times out" "$(t 127.0.0.15 "$P" lab.test)" \
    'd["outcome"] == "timeout" and d["detail"] == "connect"'
check "stall: handshake times out" "$(t 127.0.0.16 "$P" lab.test)" \
    'd["outcome"] == "timeout" and d["detail"] == "handshake"'
check "garbage" "$(t 127.0.0.17 "$P" lab.test)" \
    'd["outcome"] == "ssl_error" and d["detail"] in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")'
check "close: EOF" "$(t 127.0.0.18 "$P" lab.test)" 'd["outcome"] == "eof"'
check "trickle completes slowly" \
    "$(python3 "$L/tlsc.py" 127.0.0.19 "$P" lab.test --timeout 10)" \
    'd["outcome"] == "ok"'
check "endless chain refused by the client" "$(t 127.0.0.20 "$P" lab.test)" \
    'd["outcome"] == "ssl_error" and d["detail"] == "EXCESSIVE_MESSAGE_SIZE"'
check "big certificate presented" \
    "$(t 127.0.0.21 "$P" www.facebook.com --ca "$C/lab-root.pem")" \
    "d[\"verified\"] and d[\"leaf_sha256\"] == \"$(lab_fp "$C/special/big.pem")\""
check "expired" "$(t 127.0.0.22 "$P" lab.test --ca "$C/lab-root.pem")" \
    '"expired" in d["verify_error"]'
check "self-signed" "$(t 127.0.0.23 "$P" lab.test --ca "$C/lab-root.pem")" \
    '"self-signed" in d["verify_error"] or "self signed" in d["verify_error"]'
check "wrong name" "$(t 127.0.0.24 "$P" lab.test --ca "$C/lab-root.pem")" \
    '"mismatch" in d["verify_error"]'
n=$(openssl s_client -connect "127.0.0.28:$P" -servername lab.test -showcerts \
    </dev/null 2>/dev/null | grep -c "BEGIN CERT")
is "long chain: leaf + 20" "$n" 21
grep -q "^sni sni=www.facebook.com sni-reset$" "$LAB_TLS_LOG" &&
    echo "ok: TLS log names the SNI" || is "tls log" missing present

# --- assert_records.py ----------------------------------------------------------
cat > "$LAB_RECORDS" <<'EOF'
{"target": {"host": "a.test", "port": 443}, "dns": [{"role": "probe", "query_type": "A", "answers": [{"type": "A", "ip": "127.0.0.2"}, {"type": "A", "ip": "127.0.0.1"}]}], "tls": [{"sni": "a.test", "failure": "connection_reset"}, {"sni": "example.org", "failure": null}]}
{"target": {"host": "b.test", "port": 443}, "dns": [], "tls": []}
EOF
if lab_check a.test 'ips(dns()[0]) == ["127.0.0.1", "127.0.0.2"]' \
    'tls(sni="a.test")[0]["failure"] == "connection_reset"' \
    'tls(sni="example.org")[0]["failure"] is None' 'len(rs) == 2'; then
	echo "ok: lab_check passes true expressions"
else
	is "lab_check true" failed passed
fi
if lab_check a.test 'r["tls"] == []' 2>/dev/null; then
	is "lab_check false" passed failed
else
	echo "ok: lab_check fails a false expression"
fi
if lab_check c.test 'True' 2>/dev/null; then
	is "lab_check missing host" passed failed
else
	echo "ok: lab_check fails on a missing host"
fi
lab_check - 'len(rs) == 2' "sans('$C/genuine/lab.test.pem') == ['lab.test']" \
    "subject('$C/rogue-root.pem') == 'CN=Qaznet Trust Network,C=KZ'" \
    "spki('$C/lab-root.pem') == '$(lab_spki "$C/lab-root.pem")'" ||
    is "lab_check helpers" failed passed

[ "$nfail" -eq 0 ] || lab_fail "$nfail lab self-test checks failed"
echo "lab self-test: all checks passed"
