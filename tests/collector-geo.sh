#!/bin/bash
# --asn-db / --country-db / --trusted-proxy: each stored record gets the
# uploader's probe_asn, probe_network and probe_cc from MaxMind DB files
# made here (tests/mkmmdb.pl); behind a trusted proxy from the last
# X-Forwarded-For hop, otherwise from the connection, whatever the header
# says.  The address is neither stored nor logged.  report --by asn.
set -eu
. "$top_srcdir/tests/lib-collector.sh"
if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	echo "SKIP: needs libmaxmind-db-writer-perl"
	exit 77
fi
perl "$top_srcdir/tests/mkmmdb.pl" "$work" || fail "mkmmdb.pl"

mkdir -p "$work/r"
"$GEN" --count 120 --seed 5 --spool "$work/r" --per-file 40 --name g
set -- $(ls "$work"/r/*.msgpack)
b1=$1 b2=$2 b3=$3

# post PORT FILE [X-Forwarded-For]: one batch; prints "STATUS BODY".
post() {
	python3 - "$@" <<'PY'
import http.client, struct, sys
data = open(sys.argv[2], "rb").read()
body = b"\xdc" + struct.pack(">H", 40) + data
h = {"Content-Type": "application/msgpack"}
if len(sys.argv) > 3:
    h["X-Forwarded-For"] = sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request("POST", "/v1/measurements", body=body, headers=h)
r = c.getresponse()
print(r.status, r.read().decode().strip())
PY
}
# net DB FILE: "asn|network|cc" of FILE's records (one line if all agree)
net() {
	python3 "$LAB/mpids.py" "$2" | sed "s/.*/'&'/" | paste -sd, >"$work/in"
	sqlite3 "$1" "SELECT DISTINCT ifnull(probe_asn, '-') || '|' ||
	    ifnull(probe_network, '-') || '|' || ifnull(probe_cc, '-')
	    FROM measurements WHERE id IN ($(cat "$work/in"))"
}

# A proxy that is not trusted: the header is ignored.
start_collector --listen 127.0.0.1:0 --db "$work/a.db" -vv \
    --asn-db "$work/asn.mmdb" --country-db "$work/country.mmdb" \
    --trusted-proxy 192.0.2.1/32
r=$(post $CPORT "$b1" "198.51.100.7")
case $r in 200\ *) ;; *) fail "upload: $r" ;; esac
[ "$(net "$work/a.db" "$b1")" = "AS64500|Loopback Net|KZ" ] ||
	fail "untrusted proxy: $(net "$work/a.db" "$b1")"
stop_collector $CPID

# Loopback is a trusted proxy: the last hop counts, not the first.
start_collector --listen 127.0.0.1:0 --db "$work/b.db" -vv \
    --asn-db "$work/asn.mmdb" --country-db "$work/country.mmdb" \
    --trusted-proxy 10.0.0.0/8 --trusted-proxy 127.0.0.0/8 --dashboard-public
r=$(post $CPORT "$b1" "127.0.0.9, 198.51.100.7")
case $r in 200\ *) ;; *) fail "upload: $r" ;; esac
[ "$(net "$work/b.db" "$b1")" = "AS64501|Forwarded Net|DE" ] ||
	fail "trusted proxy: $(net "$work/b.db" "$b1")"
# A hop that is not an address, or one in no network: nothing known.
post $CPORT "$b2" "not-an-address" >/dev/null
[ "$(net "$work/b.db" "$b2")" = "-|-|-" ] ||
	fail "garbage hop: $(net "$work/b.db" "$b2")"
post $CPORT "$b3" "203.0.113.77" >/dev/null
[ "$(net "$work/b.db" "$b3")" = "-|-|-" ] ||
	fail "unknown network: $(net "$work/b.db" "$b3")"

# Every exported record (export, GET /v1/measurements) carries the network
# stored with it, null when unknown, and nothing else changes.
# same_net JSONL: each line's three keys equal the row's columns.
same_net() {
	sqlite3 -separator '|' "$work/b.db" "SELECT id, ifnull(probe_asn, '-'),
	    ifnull(probe_network, '-'), ifnull(probe_cc, '-')
	    FROM measurements" >"$work/cols"
	python3 - "$1" "$work/cols" "$2" <<'PY'
import json, sys
cols = {}
for l in open(sys.argv[2]):
    i, a, n, c = l.rstrip("\n").split("|")
    cols[i] = [None if v == "-" else v for v in (a, n, c)]
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[3]), len(lines)
seen = set()
for r in lines:
    got = [r["probe_asn"], r["probe_network"], r["probe_cc"]]
    assert got == cols[r["id"]], (r["id"], got, cols[r["id"]])
    assert "target" in r and "verdict" in r, r
    seen.add(tuple(got))
assert ("AS64501", "Forwarded Net", "DE") in seen, seen
assert (None, None, None) in seen, seen
PY
}
njc export --db "$work/b.db" >"$work/export.jsonl" || fail "export"
same_net "$work/export.jsonl" 120 || fail "export: network fields"
python3 - "$CPORT" >"$work/get.jsonl" <<'PY' || fail "GET /v1/measurements"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
c.request("GET", "/v1/measurements")
r = c.getresponse()
assert r.status == 200, r.status
sys.stdout.write(r.read().decode())
PY
same_net "$work/get.jsonl" 120 || fail "GET /v1/measurements: network fields"
stop_collector $CPID

# Only one of the files.
start_collector --listen 127.0.0.1:0 --db "$work/c.db" \
    --country-db "$work/country.mmdb"
post $CPORT "$b1" >/dev/null
[ "$(net "$work/c.db" "$b1")" = "-|-|KZ" ] ||
	fail "country only: $(net "$work/c.db" "$b1")"
stop_collector $CPID

# The addresses are neither stored nor logged (-vv logs every request).
for db in a b c; do
	! sqlite3 "$work/$db.db" .dump | grep -Eq '127\.0\.0\.|198\.51\.100\.7' ||
		fail "an address is stored in $db.db"
done
! grep -Eq '127\.0\.0\.[0-9]|198\.51\.100\.7' "$work/collector.err" ||
	fail "an address is logged: $(grep -E '127\.0\.0\.|198\.51' "$work/collector.err" | head -3)"

# Bad files and CIDRs are usage errors.
rc=0; njc --listen 127.0.0.1:0 --db "$work/d.db" --asn-db "$work/in" \
    2>/dev/null || rc=$?
[ $rc = 2 ] || fail "bad --asn-db: exit $rc"
rc=0; njc --listen 127.0.0.1:0 --db "$work/d.db" --trusted-proxy 10.0.0.0/33 \
    2>/dev/null || rc=$?
[ $rc = 2 ] || fail "bad --trusted-proxy: exit $rc"

# report --by asn: one row per host and network.
nj report --db "$work/b.db" --by asn --format json >"$work/rep.json" ||
	fail "report --by asn"
python3 - "$work/rep.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["targets"]
asns = sorted({x["asn"] for x in t})
assert asns == ["AS64501", "unknown"], asns
assert sum(x["measurements"] for x in t) == 120, t
assert sum(x["measurements"] for x in t if x["asn"] == "AS64501") == 40
PY
echo "PASS: collector networks"
