#!/bin/bash
# Collector ingest speed: 100,000 records in batches of 500 posted by 4
# concurrent clients (keep-alive HTTP on loopback), against raw SQLite
# inserting the same rows with the same durability (the collector's table,
# WAL, synchronous=FULL, one transaction per batch), measured in the same
# run on the same disk.  Prints both rates and their ratio.
#
# usage: bench/collector.sh [RECORDS] [CLIENTS]   (from the build tree, or
# with top_builddir / top_srcdir set)
set -eu
records=${1:-100000}
clients=${2:-4}
per=500
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
NJC=$top_builddir/collector/nightjar-collector
GEN=$top_builddir/tests/gen-records
RAW=$top_builddir/bench/sqlite-raw
for b in "$NJC" "$GEN" "$RAW"; do
	[ -x "$b" ] || { echo "$b: not built (make)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/nj-bench.XXXXXX")
cpid=
cleanup() {
	if [ -n "$cpid" ]; then
		kill "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# Batch bodies: files of 500 records behind a msgpack array header.
mkdir "$work/spool" "$work/batches"
"$GEN" --count "$records" --seed 99 --spool "$work/spool" --per-file $per
nbatches=$(python3 - "$work" "$records" $per <<'PY'
import glob, os, sys
work, records, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = sorted(glob.glob(os.path.join(work, 'spool', '*.msgpack')))
for i, f in enumerate(files):
    n = min(per, records - i * per)	# gen-records fills files in order
    with open(os.path.join(work, 'batches', '%05d' % i), 'wb') as out:
        out.write(b'\xdc' + n.to_bytes(2, 'big') + open(f, 'rb').read())
print(len(files))
PY
)
bytes=$(cat "$work"/batches/* | wc -c)

# Raw SQLite.
read -r raw_rows raw_secs < <("$RAW" "$work/raw.db" "$work"/batches/*)

# The collector.
"$NJC" --listen 127.0.0.1:0 --db "$work/c.db" -q >"$work/out" 2>"$work/err" &
cpid=$!
for _ in $(seq 100); do
	grep -q '^listening on' "$work/out" && break
	sleep 0.05
done
port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/out")
[ -n "$port" ] || { cat "$work/err" >&2; exit 1; }
read -r col_rows col_secs < <(python3 - "$port" "$clients" "$work"/batches/* <<'PY'
import http.client, json, multiprocessing, sys, time

port, clients, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
bodies = [open(f, 'rb').read() for f in files]

def client(k, q, go):
    mine = bodies[k::clients]
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    go.wait()
    n = 0
    for b in mine:
        c.request('POST', '/v1/measurements', body=b,
                  headers={'Content-Type': 'application/msgpack'})
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            sys.stderr.write('HTTP %d %s\n' % (r.status, body))
            q.put(-1)
            return
        n += json.loads(body)['accepted']
    q.put(n)

q = multiprocessing.Queue()
go = multiprocessing.Event()
ps = [multiprocessing.Process(target=client, args=(k, q, go))
      for k in range(clients)]
for p in ps:
    p.start()
time.sleep(0.5)
t0 = time.monotonic()
go.set()
got = [q.get() for _ in ps]
t1 = time.monotonic()
if -1 in got:
    sys.exit(1)
total = sum(got)
for p in ps:
    p.join()
print(total, '%.3f' % (t1 - t0))
PY
)
stored=$(sqlite3 "$work/c.db" 'SELECT count(*) FROM measurements' 2>/dev/null || echo "$col_rows")

python3 - "$records" "$nbatches" "$bytes" "$clients" "$raw_rows" "$raw_secs" \
    "$col_rows" "$col_secs" "$stored" <<'PY'
import sys
records, nb, nbytes, clients = map(int, sys.argv[1:5])
raw_rows, raw_secs = int(sys.argv[5]), float(sys.argv[6])
col_rows, col_secs, stored = int(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
raw = raw_rows / raw_secs
col = col_rows / col_secs
print('records %d in %d batches (%.1f MB), %d clients' %
      (records, nb, nbytes / 1e6, clients))
print('raw sqlite : %6d rows in %6.2f s = %8.0f rows/s' % (raw_rows, raw_secs, raw))
print('collector  : %6d rows in %6.2f s = %8.0f rows/s (stored %d)' %
      (col_rows, col_secs, col, stored))
print('ratio collector/raw = %.2f (goal >= 0.5)' % (col / raw))
PY
