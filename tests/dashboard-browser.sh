#!/bin/bash
# nightjar-collector --dashboard in a real browser: a collector filled at
# test time (two weeks of pinned scenarios from tests/report-gen.py plus
# records whose host and probe id are HTML, uploaded by `nightjar
# upload`), loaded by headless Chromium with the token as basic-auth
# password.  The DOM must show the probes, the hosts with their status,
# the heatmap and the same windows as `nightjar report` (slow ones too,
# with report's medians), with no element
# made from record text; the same holds with JavaScript turned off.  A
# screenshot is saved in the test's directory (kept with NJ_KEEP=1).
set -eu
. "$top_srcdir/tests/lib-collector.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ] || ! command -v python3 >/dev/null; then
	echo "SKIP: chromium and python3 are needed" >&2
	exit 77
fi
if [ "${NJ_KEEP:-0}" = 1 ]; then
	trap - EXIT
	echo "keeping $work" >&2
fi

# NJ_DASH_PG=1 (tests/dashboard-browser-pg.sh): the collector stores in
# a throwaway PostgreSQL cluster instead of SQLite.
DB=$work/c.db BACKEND=SQLite
if [ "${NJ_DASH_PG:-0}" = 1 ]; then
	. "$top_srcdir/tests/lib-pg.sh"
	pg_start
	DB=$PGURI BACKEND=PostgreSQL
fi

# wait_db: until the collector's database answers (PostgreSQL connects
# in the background).
wait_db() {
	local i
	for i in $(seq 300); do
		case $(http "$CPORT" GET /v1/health) in 200\ *) return 0 ;; esac
		sleep 0.1
	done
	fail "the database never became ready"
}

TOKEN=dash-token-$RANDOM$RANDOM
printf '# readers and probes\n%s\n' "$TOKEN" > "$work/tokens"
chmod 600 "$work/tokens"
printf '%s\n' "$TOKEN" > "$work/token"
chmod 600 "$work/token"

# Records: the report scenarios, and hostile strings from a record.
SCRIPT_HOST='<script>alert(1)</script>.example'
IMG_PROBE='<img/src=x/onerror=alert(2)>'
python3 "$top_srcdir/tests/report-gen.py" spec --days 4 > "$work/spec.txt"
# a host whose downloads are slow 20:00-22:00 local
python3 "$top_srcdir/tests/report-gen.py" download --days 4 |
    grep ' dl-evening.example ' >> "$work/spec.txt"
cat >> "$work/spec.txt" <<EOF
2026-11-10T10:00:03.000Z 18000 $SCRIPT_HOST blocked tcp_reset 1.0 - $IMG_PROBE
2026-11-10T10:15:03.000Z 18000 $SCRIPT_HOST blocked tcp_reset 1.0 - $IMG_PROBE
EOF
# A page <title> and certificate subjects that are HTML, with quotes.
TITLE='</title><script>alert(3)</script>"'"'"
SUBJECT='CN="><svg onload=alert(4)>'"',O='x'"
cat > "$work/spec-text.txt" <<EOF
2026-11-10T11:00:03.000Z 18000 text.example ok - 20.0 80.0 probe-kz 200.0:64000
2026-11-10T11:15:03.000Z 18000 text.example intercepted tls_mitm 20.0 80.0 probe-kz
EOF
"$GEN" --spec --spool "$work/res" --name r --per-file 2000 \
    < "$work/spec.txt" || fail "gen-records"
"$GEN" --spec --spool "$work/res" --name t --seed 7 --title "$TITLE" \
    --subject "$SUBJECT" < "$work/spec-text.txt" || fail "gen-records text"
cat "$work/spec-text.txt" >> "$work/spec.txt"

start_collector --listen 127.0.0.1:0 --db "$DB" \
    --tokens "$work/tokens" --dashboard
wait_db
nj upload --results "$work/res" --collector "http://127.0.0.1:$CPORT" \
    --token-file "$work/token" 2>"$work/upload.err" ||
	{ cat "$work/upload.err" >&2; fail "upload"; }

# Reading needs the token as basic-auth password (any user name).
r=$(http "$CPORT" GET /)
[ "${r%% *}" = 401 ] || fail "GET / without a token: $r"
basic=$(printf 'reader:%s' "$TOKEN" | base64 -w0)
bad=$(printf 'reader:%s' "wrong" | base64 -w0)
python3 - "$CPORT" "$basic" "$bad" <<'PY' || fail "basic auth"
import http.client, sys
port, good, bad = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def get(path, auth):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={"Authorization": "Basic " + auth}
              if auth else {})
    r = c.getresponse()
    return r.status, r.getheader("Content-Type"), r.read()
s, t, b = get("/", bad)
assert s == 401, s
s, t, b = get("/v1/measurements?host=www.facebook.com", None)
assert s == 401, s
s, t, b = get("/", good)
assert s == 200 and t.startswith("text/html"), (s, t)
s, t, b = get("/dashboard.css", good)
assert s == 200 and t.startswith("text/css"), (s, t)
PY

# Chromium, over the DevTools protocol: the page with the token as
# basic-auth password, its DOM and a screenshot; then again with
# JavaScript turned off.
python3 "$top_srcdir/tests/dashboard-cdp.py" "$CHROMIUM" \
    "http://127.0.0.1:$CPORT/" "Basic $basic" "$work" ||
	fail "chromium (log: $(tail -3 "$work/chromium.err"))"
[ -s "$work/dashboard.png" ] || fail "no screenshot"
echo "screenshot: $(stat -c %s "$work/dashboard.png") bytes"

nj report "$work/res" --format json > "$work/report.json"
# records per probe id, as generated
awk '{ n[$8]++ } END { for (p in n) print p, n[p] }' "$work/spec.txt" \
    > "$work/probes.txt"
for dom in dom.html dom-nojs.html; do
	python3 "$top_srcdir/tests/dashboard-dom.py" "$work/$dom" \
	    "$SCRIPT_HOST" "$IMG_PROBE" || fail "$dom"
	python3 - "$work/$dom.json" "$work/report.json" "$SCRIPT_HOST" \
	    "$work/probes.txt" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
hostile = sys.argv[3]
probes = {r[0]: int(r[3]) for r in d["probes"]}
want = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[4])}
assert probes == want and len(want) == 4, (probes, want)
hosts = {r[2]: (r[0], r[1]) for r in d["hosts"]}
assert len(hosts) == 11, hosts
assert hosts["mitm.example"] == ("intercepted", "tls_mitm"), hosts
assert hosts["ok.example"] == ("ok", ""), hosts
assert hosts[hostile] == ("blocked", "tcp_reset"), hosts
# every host with data has a linked cell per hour with data
assert d["cells"] == 11 * 24, d["cells"]
assert d["links"] >= 9 * 24, d["links"]
assert hostile in d["hostnames"], d["hostnames"]
# the windows are report's windows
want = set()
for t in rep["targets"]:
    if t["all_day"]:
        want.add((t["host"], t["all_day"]["status"], t["all_day"]["method"],
                  "all day local"))
    for w in t["windows"]:
        want.add((t["host"], w["status"], w["method"] or "",
                  "%02d:00\u2013%02d:00 local" % (w["start_hour"],
                                                 w["end_hour"])))
    for w in t["slow_windows"]:
        want.add((t["host"], "slow", "download" if w.get("step") ==
                  "download" else "tls handshake",
                  "%02d:00\u2013%02d:00 local" % (w["start_hour"],
                                                 w["end_hour"])))
got = {(r[0], r[1], r[2], r[3]) for r in d["windows"]}
assert got == want and len(want) == 7, (got, want)
assert ("dl-evening.example", "slow", "download",
        "20:00\u201322:00 local") in got, got
assert ("slow.example", "slow", "tls handshake",
        "20:00\u201322:00 local") in got, got
# and the medians are report's
slow = {(r[0], r[3]): (r[4], r[5]) for r in d["windows"] if r[1] == "slow"}
for t in rep["targets"]:
    for w in t["slow_windows"]:
        k = (t["host"], "%02d:00\u2013%02d:00 local" % (w["start_hour"],
                                                       w["end_hour"]))
        if w.get("step") == "download":
            assert slow[k] == (
                "median %.1f kbit/s" % w["median_download_kbps"],
                "median %.1f kbit/s" % w["baseline_download_kbps"]), (slow, w)
        else:
            assert slow[k] == ("median %.1f ms" % w["median_tls_ms"],
                               "median %.1f ms" % w["baseline_tls_ms"]), (slow, w)
assert "blocked: tcp_reset" in d["labels"], d["labels"]
PY
	fail "$dom: content"
	# the slow window is outlined (dashed) on the heatmap too
	grep -q 'class="slow-window"' "$work/$dom" || fail "$dom: no slow window drawn"
	# a window's records link covers all its hours
	grep -q 'host=www.facebook.com&amp;hours=18-24"' "$work/$dom" ||
	    fail "$dom: no link to the records of the hours 18-24"
	grep -q 'host=chat.example&amp;hours=22-02"' "$work/$dom" ||
	    fail "$dom: no link to the records of the hours 22-02"
done

# A cell's link answers its records as JSON Lines; the hostile host comes
# back as JSON data, never as a page.
python3 - "$CPORT" "$basic" "$SCRIPT_HOST" "$work/spec.txt" "$TITLE" \
    "$SUBJECT" <<'PY' || fail "records"
import datetime, http.client, json, sys, urllib.parse
port, auth, hostile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def local_hour(start, tz):
    t = datetime.datetime.strptime(start[:19], "%Y-%m-%dT%H:%M:%S")
    return (t + datetime.timedelta(seconds=int(tz))).hour
spec = [l.split() for l in open(sys.argv[4])]
title, subject = sys.argv[5], sys.argv[6]
def get(q):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/v1/measurements?" + q,
              headers={"Authorization": "Basic " + auth})
    r = c.getresponse()
    return r.status, r.getheader("Content-Type"), r.read()
s, t, b = get("host=www.facebook.com&since=2026-11-03&until=2026-11-03"
              "&status=blocked")
assert s == 200 and t.startswith("application/x-ndjson"), (s, t)
recs = [json.loads(l) for l in b.decode().splitlines()]
# 18:00-24:00 local (UTC+5) on 2026-11-03 UTC: 13:00-19:00Z -> 24 rounds,
# and the local evening of the day before ends at 00:00Z: none more
assert recs and all(r["target"]["host"] == "www.facebook.com" and
                    r["verdict"]["status"] == "blocked" and
                    r["start_time"].startswith("2026-11-03") for r in recs), recs[:1]
assert len(recs) == 24, len(recs)
s, t, b = get("host=" + urllib.parse.quote(hostile))
assert s == 200 and len(b.decode().splitlines()) == 2, (s, b[:200])
s, t, b = get("host=www.facebook.com&hour=19&limit=5")
recs = [json.loads(l) for l in b.decode().splitlines()]
assert s == 200 and len(recs) == 5, (s, len(recs))
for r in recs:
    assert r["start_time"][11:13] == "14", r["start_time"]
# a window's records: every hour of it, past midnight too
for host, hours, want_hours in (
        ("www.facebook.com", "18-24", set(range(18, 24))),
        ("chat.example", "22-02", {22, 23, 0, 1})):
    s, t, b = get("host=%s&hours=%s&limit=100000" % (host, hours))
    recs = [json.loads(l) for l in b.decode().splitlines()]
    assert s == 200 and recs, (s, b[:200])
    assert {local_hour(r["start_time"], r["tz_offset"]) for r in recs} == \
        want_hours, hours
    want = [l for l in spec if l[2] == host and
            local_hour(l[0], l[1]) in want_hours]
    assert len(recs) == len(want), (hours, len(recs), len(want))
for bad in ("24-2", "5-5", "x", "3"):
    s, t, b = get("hours=" + bad)
    assert s == 400, (bad, s)
# The page <title> and certificate subjects: stored as they came, answered
# as JSON data; the page itself holds none of them as markup.
s, t, b = get("host=text.example")
recs = [json.loads(l) for l in b.decode().splitlines()]
assert s == 200 and len(recs) == 2, (s, b[:200])
assert [h["title"] for r in recs for h in (r.get("http") or [])] == [title]
subjects = {c["subject"] for r in recs for x in r["tls"] for c in x["chain"]}
assert subject in subjects, subjects
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("GET", "/", headers={"Authorization": "Basic " + auth})
r = c.getresponse()
page = r.read().decode()
assert r.status == 200 and "text.example" in page, r.status
for bad in ("<script", "<svg onload", "alert(3)", "alert(4)", "<title><"):
    assert bad not in page.lower(), bad
s, t, b = get("since=yesterday")
assert s == 400, s
s, t, b = get("status=<b>")
assert s == 400, s
PY
# Without --dashboard nothing is served at /; --dashboard needs --tokens
# unless --dashboard-public, which reads without a token.
stop_collector "$CPID"
if njc --listen 127.0.0.1:0 --db "$DB" --dashboard 2>"$work/opt.err"
then
	fail "--dashboard without --tokens started"
fi
grep -q -- '--dashboard-public' "$work/opt.err" || fail "no hint: $(cat "$work/opt.err")"
start_collector --listen 127.0.0.1:0 --db "$DB" --tokens "$work/tokens"
r=$(http "$CPORT" GET /)
[ "${r%% *}" = 404 ] || fail "GET / without --dashboard: $r"
r=$(http "$CPORT" GET "/v1/measurements?host=ok.example")
[ "${r%% *}" = 405 ] || fail "GET /v1/measurements without --dashboard: $r"
stop_collector "$CPID"
start_collector --listen 127.0.0.1:0 --db "$DB" --dashboard-public
wait_db
r=$(http "$CPORT" GET "/v1/measurements?host=ok.example&limit=3")
[ "${r%% *}" = 200 ] || fail "--dashboard-public: $r"
case $r in *'"host":"ok.example"'*) ;; *) fail "--dashboard-public records: $r" ;; esac
r=$(http "$CPORT" POST / /dev/null)
[ "${r%% *}" = 405 ] || fail "POST /: $r"
r=$(http "$CPORT" GET "/?since=2026-11-31")
[ "${r%% *}" = 400 ] || fail "bad since: $r"

echo "PASS: dashboard in headless chromium on $BACKEND (screenshot in $work)"
