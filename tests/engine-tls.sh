#!/bin/bash
# Engine, TLS: the whole presented chain is kept (every certificate, its
# DER and SPKI hashes, names, dates, SANs) whether or not it verifies;
# trusted/verify_error come from --ca-file with the hostname checked;
# trusted_by_system from OpenSSL's default paths (SSL_CERT_FILE); failed
# handshakes get df-007 failure strings.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

KZ_HASH=00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2
KZ="$top_srcdir/targets/interception-cas/$KZ_HASH.pem"
export KZ KZ_HASH
unset SSL_CERT_FILE SSL_CERT_DIR

lab_init
LAB_NAMES="www.youtube.com www.facebook.com www.wordpress.com example.org
lab.test expired.lab.test self.lab.test misnamed.lab.test big.lab.test
long.lab.test tls12.lab.test reset.lab.test eof.lab.test stall.lab.test"
export LAB_NAMES
lab_tls gen genuine 127.0.0.10
lab_tls mitm mitm 127.0.0.11
lab_tls kz mitm 127.0.0.12 "extra=$KZ"
lab_tls exp expired 127.0.0.13
lab_tls self selfsigned 127.0.0.14
lab_tls wrong wrongname 127.0.0.15
lab_tls big big-cert 127.0.0.16
lab_tls long long-chain 127.0.0.17 count=20
lab_tls t12 genuine 127.0.0.18 tls=1.2
lab_tls reset reset 127.0.0.19
lab_tls close close 127.0.0.20
lab_tls stall stall 127.0.0.21
lab_zone probe \
    "www.youtube.com A 127.0.0.10" \
    "www.facebook.com A 127.0.0.11" \
    "www.wordpress.com A 127.0.0.12" \
    "expired.lab.test A 127.0.0.13" \
    "self.lab.test A 127.0.0.14" \
    "misnamed.lab.test A 127.0.0.15" \
    "big.lab.test A 127.0.0.16" \
    "long.lab.test A 127.0.0.17" \
    "tls12.lab.test A 127.0.0.18" \
    "reset.lab.test A 127.0.0.19" \
    "eof.lab.test A 127.0.0.20" \
    "stall.lab.test A 127.0.0.21"
lab_start

t=
for h in www.youtube.com www.facebook.com www.wordpress.com expired.lab.test \
    self.lab.test misnamed.lab.test big.lab.test long.lab.test \
    tls12.lab.test reset.lab.test eof.lab.test stall.lab.test; do
	t="$t $h:$LAB_PORT"
done
# shellcheck disable=SC2086
lab_targets $t
lab_run
lab_records
lab_check - 'len(rs) == 12'

# a genuine chain: leaf and intermediate, each exactly as generated
lab_check www.youtube.com \
    'len(tls()) == 1' \
    'tls()[0]["ip"] == "127.0.0.10" and tls()[0]["port"] == P' \
    'tls()[0]["sni"] == "www.youtube.com"' \
    'tls()[0]["failure"] is None' \
    'tls()[0]["version"] == "TLSv1.3"' \
    'tls()[0]["cipher"].startswith("TLS_")' \
    'tls()[0]["trusted"] is True' \
    'tls()[0]["verify_error"] is None' \
    'tls()[0]["trusted_by_system"] is False' \
    'len(tls()[0]["chain"]) == 2' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("genuine/www.youtube.com.pem"))' \
    'tls()[0]["chain"][0]["spki_sha256"] == spki(C("genuine/www.youtube.com.pem"))' \
    'tls()[0]["chain"][0]["subject"] == subject(C("genuine/www.youtube.com.pem"))' \
    'tls()[0]["chain"][0]["issuer"] == subject(C("lab-int.pem"))' \
    'tls()[0]["chain"][0]["san"] == sans(C("genuine/www.youtube.com.pem")) == ["www.youtube.com"]' \
    '(tls()[0]["chain"][0]["not_before"], tls()[0]["chain"][0]["not_after"]) == dates(C("genuine/www.youtube.com.pem"))' \
    'tls()[0]["chain"][1]["sha256"] == fp(C("lab-int.pem"))' \
    'tls()[0]["chain"][1]["spki_sha256"] == spki(C("lab-int.pem"))' \
    'tls()[0]["chain"][1]["subject"] == subject(C("lab-int.pem"))' \
    'tls()[0]["chain"][1]["issuer"] == subject(C("lab-root.pem"))' \
    'tls()[0]["chain"][1]["san"] == []'

# a forged leaf from the rogue root: kept although it does not verify
lab_check www.facebook.com \
    'tls()[0]["failure"] == "ssl_unknown_authority"' \
    'tls()[0]["version"] == "TLSv1.3"' \
    'tls()[0]["trusted"] is False' \
    'tls()[0]["trusted_by_system"] is False' \
    'isinstance(tls()[0]["verify_error"], str) and tls()[0]["verify_error"]' \
    'len(tls()[0]["chain"]) == 1' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("forged/www.facebook.com.pem"))' \
    'tls()[0]["chain"][0]["spki_sha256"] == spki(C("forged/www.facebook.com.pem"))' \
    'tls()[0]["chain"][0]["issuer"] == "CN=Qaznet Trust Network,C=KZ"' \
    'tls()[0]["chain"][0]["san"] == ["www.facebook.com"]'

# the real Kazakh root presented as an extra certificate is kept too
lab_check www.wordpress.com \
    'len(tls()[0]["chain"]) == 2' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("forged/www.wordpress.com.pem"))' \
    'tls()[0]["chain"][1]["sha256"] == E["KZ_HASH"] == fp(E["KZ"])' \
    'tls()[0]["chain"][1]["spki_sha256"] == spki(E["KZ"])' \
    'tls()[0]["chain"][1]["subject"] == subject(E["KZ"])' \
    'tls()[0]["trusted"] is False'

# certificate problems: each its own failure, the chain still kept
lab_check expired.lab.test \
    'tls()[0]["failure"] == "ssl_invalid_certificate"' \
    '"expired" in tls()[0]["verify_error"]' \
    'tls()[0]["trusted"] is False' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("special/expired.pem"))' \
    'tls()[0]["chain"][0]["not_after"] == dates(C("special/expired.pem"))[1]' \
    'tls()[0]["chain"][0]["not_after"].startswith("2020-02-01")'
lab_check self.lab.test \
    'tls()[0]["failure"] == "ssl_unknown_authority"' \
    're.search("self.signed", tls()[0]["verify_error"])' \
    '[c["sha256"] for c in tls()[0]["chain"]] == [fp(C("special/selfsigned.pem"))]' \
    'tls()[0]["chain"][0]["subject"] == tls()[0]["chain"][0]["issuer"]'
lab_check misnamed.lab.test \
    'tls()[0]["failure"] == "ssl_invalid_hostname"' \
    '"mismatch" in tls()[0]["verify_error"]' \
    'tls()[0]["chain"][0]["san"] == ["wrong.lab.test"]' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("special/wrongname.pem"))'

# a 64 KB certificate and a 21-certificate chain
lab_check big.lab.test \
    'tls()[0]["failure"] is None and tls()[0]["trusted"] is True' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("special/big.pem"))' \
    'tls()[0]["chain"][0]["spki_sha256"] == spki(C("special/big.pem"))' \
    'tls()[0]["chain"][0]["san"][:14] == E["LAB_NAMES"].split()' \
    'tls()[0]["chain"][1]["sha256"] == fp(C("lab-int.pem"))'
lab_check long.lab.test \
    'tls()[0]["failure"] is None and tls()[0]["trusted"] is True' \
    'len(tls()[0]["chain"]) == 21' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("genuine/long.lab.test.pem"))' \
    'all(c["sha256"] == fp(C("lab-int.pem")) for c in tls()[0]["chain"][1:])'
lab_check tls12.lab.test \
    'tls()[0]["version"] == "TLSv1.2"' \
    're.fullmatch(r"TLS_ECDHE_(RSA|ECDSA)_WITH_[A-Z0-9_]+", tls()[0]["cipher"])' \
    'tls()[0]["trusted"] is True' \
    'len(tls()[0]["chain"]) == 2'

# handshakes that fail: reset, EOF, silence
lab_check reset.lab.test \
    'tls(sni="reset.lab.test")[0]["failure"] == "connection_reset"' \
    'tls(sni="reset.lab.test")[0]["chain"] == []' \
    'tls(sni="reset.lab.test")[0]["trusted"] is False'
lab_check eof.lab.test \
    'tls(sni="eof.lab.test")[0]["failure"] == "eof_error"' \
    'tls(sni="eof.lab.test")[0]["chain"] == []'
lab_check stall.lab.test \
    'tls(sni="stall.lab.test")[0]["failure"] == "generic_timeout_error"' \
    'tls(sni="stall.lab.test")[0]["chain"] == []'

# the rogue root installed in the system store: trusted_by_system only
LAB_RESULTS="$LAB_DIR/results-system"
LAB_RECORDS="$LAB_DIR/records-system.jsonl"
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT"
SSL_CERT_FILE="$LAB_CERTS/rogue-root.pem" lab_run
lab_records
lab_check www.facebook.com \
    'tls()[0]["trusted_by_system"] is True' \
    'tls()[0]["trusted"] is False' \
    'tls()[0]["chain"][0]["sha256"] == fp(C("forged/www.facebook.com.pem"))'
lab_check www.youtube.com \
    'tls()[0]["trusted_by_system"] is False' \
    'tls()[0]["trusted"] is True'
echo "engine-tls: ok"
