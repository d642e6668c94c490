#!/bin/bash
# What a record keeps of a handshake: the DER of every certificate of a
# chain the reference store does not trust (all of them, and only those,
# unless --keep-certs keeps every chain), the cipher by its IANA name, and
# t0_ms (start since start_time) on every dns, tcp and tls step, in the
# order the steps ran.  `show --format ooni` gives that DER back as OONI's
# peer_certificates.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

lab_init
lab_tls genuine genuine 127.0.0.10
lab_tls mitm mitm 127.0.0.20
lab_tls old genuine 127.0.0.30 tls=1.2
lab_zone probe "www.facebook.com A 127.0.0.20" \
    "www.youtube.com A 127.0.0.10" "www.wordpress.com A 127.0.0.30"
lab_start
lab_targets "www.facebook.com:$LAB_PORT" "www.youtube.com:$LAB_PORT" \
    "www.wordpress.com:$LAB_PORT"

lab_run
lab_records
# derfp(c): SHA-256 of the certificate's kept DER; derok(c): openssl
# parses it as a certificate.
DER='import base64, hashlib, subprocess
def derfp(c): return hashlib.sha256(base64.b64decode(c["der"])).hexdigest()
def derok(c): return subprocess.run(["openssl", "x509", "-inform", "DER",
    "-noout"], input=base64.b64decode(c["der"])).returncode == 0'
cat > "$LAB_DIR/derlib.py" <<PY
$DER
PY
export PYTHONPATH="$LAB_DIR"
lab_check www.facebook.com \
    'r["tls"][0]["trusted"] is False' \
    'len(r["tls"][0]["chain"]) >= 1' \
    'all("der" in c for c in r["tls"][0]["chain"])' \
    '__import__("derlib").derfp(r["tls"][0]["chain"][0]) == r["tls"][0]["chain"][0]["sha256"]' \
    'all(__import__("derlib").derfp(c) == c["sha256"] for c in r["tls"][0]["chain"])' \
    'all(__import__("derlib").derok(c) for c in r["tls"][0]["chain"])'
lab_check www.youtube.com \
    'r["tls"][0]["trusted"] is True' \
    'not any("der" in c for c in r["tls"][0]["chain"])' \
    're.fullmatch(r"TLS_[A-Z0-9_]+", r["tls"][0]["cipher"])'
# TLS 1.2: OpenSSL would say ECDHE-RSA-AES256-GCM-SHA384.
lab_check www.wordpress.com \
    'r["tls"][0]["version"] == "TLSv1.2"' \
    're.fullmatch(r"TLS_ECDHE_(RSA|ECDSA)_WITH_[A-Z0-9_]+", r["tls"][0]["cipher"])'
# t0_ms on every step, in the order they ran (a target's own handshake
# after its connect; the control-SNI baseline of its address may come first).
lab_check - \
    'all(isinstance(s.get("t0_ms"), float) and s["t0_ms"] >= 0 for r in rs for s in r["dns"] + r["tcp"] + r["tls"])' \
    'all(max(d["t0_ms"] + d["t_ms"] for d in r["dns"]) <= min(t["t0_ms"] for t in r["tcp"]) + 0.01 for r in rs)' \
    'all(r["tcp"][0]["t0_ms"] + r["tcp"][0]["t_ms"] <= t["t0_ms"] + 0.01 for r in rs for t in r["tls"] if t["sni"] != "example.org" and t["ip"] == r["tcp"][0]["ip"])' \
    'all(s["t0_ms"] + s["t_ms"] <= r["runtime_ms"] + 0.01 for r in rs for s in r["dns"] + r["tcp"] + r["tls"])'

# As OONI measurements: peer_certificates are the kept DER.
$NIGHTJAR show --format ooni "$LAB_RESULTS" > "$LAB_DIR/ooni.jsonl"
python3 "$top_srcdir/tests/ooni-check.py" check "$LAB_DIR/ooni.jsonl" \
    "$LAB_RECORDS" || lab_fail "OONI output"
n=$(grep -c '"peer_certificates":\[{' "$LAB_DIR/ooni.jsonl" || true)
[ "$n" -eq 1 ] || lab_fail "$n measurements with peer certificates (want 1)"

# --keep-certs: every chain keeps its DER.
rm -rf "$LAB_RESULTS"
lab_run --keep-certs
lab_records
lab_check - 'len(rs) == 3' \
    'all("der" in c for r in rs for t in r["tls"] for c in t["chain"])' \
    'all(__import__("derlib").derfp(c) == c["sha256"] for r in rs for t in r["tls"] for c in t["chain"])'
echo "tls-evidence: ok"
