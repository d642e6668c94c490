#!/bin/bash
# The vantage's endpoint on loopback: POST /v1/control measures with its
# own resolver and the probe's addresses, answers msgpack in request
# order, refuses bogons (given or resolved) with control_refused_address
# and sends them nothing, 400 for bad requests and other ports, 401
# without a token, 405, 413, 429 with Retry-After, 404 without --control.
set -eu
. "$top_srcdir/tests/lab/lab.sh"

NJC=$top_builddir/collector/nightjar-collector
lab_init
lab_tls genuine genuine 127.0.0.10
lab_tls rst reset 127.0.0.11
lab_zone probe "www.facebook.com A 127.0.0.10"
lab_zone control "www.facebook.com A 127.0.0.10" "evil.test A 10.1.2.3" \
    "meta.test A 169.254.169.254" "meta.test AAAA ::ffff:127.0.0.10"
lab_start

printf 'tok-a\ntok-b\n' > "$LAB_DIR/tokens"
chmod 600 "$LAB_DIR/tokens"

# start NAME ARGS...: a collector; sets PORT
start() {
	local name=$1 i
	shift
	${NJ_WRAP:-} "$NJC" --listen 127.0.0.1:0 --db "$LAB_DIR/$name.db" \
	    "$@" > "$LAB_DIR/$name.out" 2> "$LAB_DIR/$name.err" &
	LAB_PIDS="$LAB_PIDS $!"
	for i in $(seq 400); do
		grep -q '^listening on' "$LAB_DIR/$name.out" && break
		kill -0 $! 2>/dev/null || lab_fail "$name did not start: $(cat "$LAB_DIR/$name.err")"
		sleep 0.05
	done
	PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$LAB_DIR/$name.out")
	[ -n "$PORT" ] || lab_fail "$name: no port"
}

# ask PORT JSON [ARGS...] > out: the answer as one JSON line
ask() {
	local port=$1 req=$2
	shift 2
	python3 "$LAB_LIB/vantage.py" "$@" "$port" "$req"
}

# check FILE EXPR...: Python expressions over a = the answer
check() {
	local f=$1
	shift
	python3 - "$f" "$@" <<'EOF' || exit 1
import json, sys
a = json.load(open(sys.argv[1]))
b = a.get("body")
for e in sys.argv[2:]:
    if not eval(e):
        sys.exit("FAIL: %s\n%s" % (e, json.dumps(a, indent=1)[:6000]))
EOF
}

P=$LAB_PORT
FB="{\"host\": \"www.facebook.com\", \"port\": $P, \"sni\": \"www.facebook.com\""

# --- without --control the resource does not exist ---------------------------
start plain
ask "$PORT" "{\"targets\": [$FB}]}" > "$LAB_DIR/a0"
check "$LAB_DIR/a0" 'a["status"] == 404'

# --- a vantage allowed onto the lab's loopback addresses ----------------------
start vantage --control --control-resolver "$LAB_CONTROL_RESOLVER" \
    --control-allow 127.0.0.0/8 --control-ports "443,80,$P" \
    --control-ca-file "$LAB_CERTS/lab-root.pem" --control-timeout 3000 \
    --tokens "$LAB_DIR/tokens" --control-rate 100 -v
VPORT=$PORT

ask "$VPORT" "{\"targets\": [$FB}]}" > "$LAB_DIR/a1"
check "$LAB_DIR/a1" 'a["status"] == 401'

python3 "$LAB_LIB/njhttp.py" "$VPORT" GET /v1/control --token tok-a > "$LAB_DIR/a2" || true
grep -q '^405 ' "$LAB_DIR/a2" || lab_fail "GET: $(cat "$LAB_DIR/a2")"

ask "$VPORT" "{\"targets\": [$FB, \"addrs\": [\"127.0.0.11\", \"192.168.1.1\", \"::ffff:10.0.0.1\", \"127.0.0.10\"]},
    {\"host\": \"evil.test\", \"port\": $P, \"sni\": \"evil.test\", \"addrs\": []},
    {\"host\": \"meta.test\", \"port\": $P, \"sni\": null}]}" --token tok-a > "$LAB_DIR/a3"
check "$LAB_DIR/a3" 'a["status"] == 200' \
    'a["headers"]["Content-Type"] == "application/msgpack"' \
    'b["vantage"] and b["time"].endswith("Z")' \
    '[x["host"] for x in b["results"]] == ["www.facebook.com", "evil.test", "meta.test"]' \
    'all(x["port"] == '"$P"' for x in b["results"])' \
    'all(set(x) >= {"host", "port", "dns", "tcp", "tls", "http"} for x in b["results"])' \
    'all(d["role"] == "control" for x in b["results"] for d in x["dns"])' \
    '{(t["ip"], t["source"], t["failure"]) for t in b["results"][0]["tcp"]} == {("127.0.0.11", "probe", None), ("192.168.1.1", "probe", "control_refused_address"), ("::ffff:10.0.0.1", "probe", "control_refused_address"), ("127.0.0.10", "probe", None)}' \
    'len(b["results"][0]["tcp"]) == 4' \
    '[t["failure"] for t in b["results"][0]["tls"] if t["ip"] == "127.0.0.11"] == ["connection_reset"]' \
    '[t["trusted"] for t in b["results"][0]["tls"] if t["ip"] == "127.0.0.10"] == [True]' \
    '[t["chain"][0]["subject"] for t in b["results"][0]["tls"] if t["ip"] == "127.0.0.10"] == ["CN=www.facebook.com"]' \
    '[(t["ip"], t["source"], t["failure"]) for t in b["results"][1]["tcp"]] == [("10.1.2.3", "control", "control_refused_address")]' \
    'b["results"][1]["tls"] == []' \
    '{(t["ip"], t["failure"]) for t in b["results"][2]["tcp"]} == {("169.254.169.254", "control_refused_address"), ("::ffff:127.0.0.10", None)}'

# --- refusals of the request itself --------------------------------------------
ask "$VPORT" "{\"targets\": [{\"host\": \"www.facebook.com\", \"port\": 22}]}" --token tok-b > "$LAB_DIR/a4"
check "$LAB_DIR/a4" 'a["status"] == 400' '"port" in a["body"]'
python3 -c '
import json, sys
print(json.dumps({"targets": [{"host": "h%d.example" % i, "port": 443} for i in range(101)]}))' > "$LAB_DIR/many.json"
ask "$VPORT" - --token tok-b < "$LAB_DIR/many.json" > "$LAB_DIR/a5"
check "$LAB_DIR/a5" 'a["status"] == 400' '"100" in a["body"]'
ask "$VPORT" "{\"targets\": [{\"host\": \"x.example\", \"port\": 443, \"addrs\": [$(seq -s, -f '"93.184.216.%g"' 17)]}]}" --token tok-b > "$LAB_DIR/a6"
check "$LAB_DIR/a6" 'a["status"] == 400' '"addrs" in a["body"]'
head -c 1000 /dev/urandom > "$LAB_DIR/garbage"
ask "$VPORT" '{}' --raw "$LAB_DIR/garbage" --token tok-b > "$LAB_DIR/a7"
check "$LAB_DIR/a7" 'a["status"] == 400'
head -c 300000 /dev/zero > "$LAB_DIR/big"
ask "$VPORT" '{}' --raw "$LAB_DIR/big" --token tok-b > "$LAB_DIR/a8"
check "$LAB_DIR/a8" 'a["status"] == 413'

# --- the rate: 100 targets a minute per token -----------------------------------
# tok-b spent nothing yet (refused requests cost nothing): 100 pass, 50
# more wait half a minute; tok-a has its own budget.
HUNDRED=$(python3 -c 'import json; print(json.dumps({"targets": [{"host": "10.%d.0.1" % i, "port": 443} for i in range(100)]}))')
ask "$VPORT" "$HUNDRED" --token tok-b > "$LAB_DIR/a9"
check "$LAB_DIR/a9" 'a["status"] == 200' 'len(b["results"]) == 100' \
    'all(t["failure"] == "control_refused_address" for x in b["results"] for t in x["tcp"])' \
    'all(x["dns"] == [] and len(x["tcp"]) == 1 for x in b["results"])'
FIFTY=$(python3 -c 'import json; print(json.dumps({"targets": [{"host": "10.%d.0.1" % i, "port": 443} for i in range(50)]}))')
ask "$VPORT" "$FIFTY" --token tok-b > "$LAB_DIR/a10"
check "$LAB_DIR/a10" 'a["status"] == 429' 'int(a["headers"]["Retry-After"]) >= 1'
ask "$VPORT" "{\"targets\": [{\"host\": \"10.9.9.9\", \"port\": 443}]}" --token tok-a > "$LAB_DIR/a11"
check "$LAB_DIR/a11" 'a["status"] == 200'

# --- without --control-allow, loopback is refused: nothing reaches it -------------
start strict --control --control-resolver "$LAB_CONTROL_RESOLVER" \
    --control-ports "$P" --control-ca-file "$LAB_CERTS/lab-root.pem"
: > "$LAB_TLS_LOG"
ask "$PORT" "{\"targets\": [$FB, \"addrs\": [\"127.0.0.10\", \"::1\", \"::ffff:127.0.0.10\"]}]}" > "$LAB_DIR/a12"
check "$LAB_DIR/a12" 'a["status"] == 200' \
    'len(b["results"][0]["tcp"]) == 3' \
    'all(t["failure"] == "control_refused_address" for t in b["results"][0]["tcp"])' \
    'b["results"][0]["tls"] == []'
sleep 0.2
[ ! -s "$LAB_TLS_LOG" ] || lab_fail "a refused address got a connection: $(cat "$LAB_TLS_LOG")"

for f in "$LAB_DIR"/*.err; do
	if grep -Eq 'Sanitizer|runtime error' "$f"; then
		cat "$f" >&2
		lab_fail "sanitizer report in $f"
	fi
done
echo "ok: the vantage measures, refuses bogons and bad requests, limits each token"
