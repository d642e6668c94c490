#!/bin/bash
# Slow clients do not block others: while connections trickle a body
# byte by byte, and others stall half-way through their headers, a normal
# upload is answered and stored.  Connections over --max-connections wait
# for a free slot rather than being served.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

db=$work/c.db
start_collector --listen 127.0.0.1:0 --db "$db" --timeout 5
port=$CPORT
"$GEN" --count 20 --seed 7 >"$work/recs.msgpack"
batch "$work/recs.batch" "$work/recs.msgpack"

python3 - "$LAB" "$port" "$work/recs.batch" >"$work/result" <<'PY'
import socket, sys, threading, time
sys.path.insert(0, sys.argv[1])
import njhttp
port, body = int(sys.argv[2]), open(sys.argv[3], 'rb').read()
stop = threading.Event()
socks = []

def trickle():
    s = socket.create_connection(('127.0.0.1', port))
    socks.append(s)
    s.sendall(b'POST /v1/measurements HTTP/1.1\r\nHost: x\r\n'
              b'Content-Length: 100000\r\n\r\n')
    while not stop.is_set():
        try:
            s.sendall(b'\x90')
        except OSError:
            return
        time.sleep(0.1)

def stall():
    s = socket.create_connection(('127.0.0.1', port))
    socks.append(s)
    s.sendall(b'POST /v1/measurements HTTP/1.1\r\nHost: x\r\nContent-Le')
    stop.wait()

threads = [threading.Thread(target=trickle) for _ in range(4)]
threads += [threading.Thread(target=stall) for _ in range(4)]
for t in threads:
    t.start()
time.sleep(1)
st, b = njhttp.request(port, 'POST', '/v1/measurements', body, timeout=10)
print(st, b.decode().strip())
st, b = njhttp.request(port, 'GET', '/v1/health', timeout=10)
print(st, b.decode().strip())
stop.set()
for t in threads:
    t.join()
for s in socks:
    s.close()
PY
[ "$(sed -n 1p "$work/result")" = '200 {"accepted": 20, "duplicates": 0}' ] ||
    fail "upload beside slow clients: $(cat "$work/result")"
[ "$(sed -n 2p "$work/result" | cut -d' ' -f1)" = 200 ] || fail "health"
[ "$(stored_ids "$db")" = "$(ids "$work/recs.msgpack")" ] ||
    fail "stored ids differ"
stop_collector $CPID

# With a cap of 2 connections, two idle clients hold both slots; a third
# is served once one of them goes away.
start_collector --listen 127.0.0.1:0 --db "$db" --max-connections 2
port=$CPORT
python3 - "$port" >"$work/cap" <<'PY'
import http.client, socket, sys, threading, time
port = int(sys.argv[1])
a = socket.create_connection(('127.0.0.1', port))
b = socket.create_connection(('127.0.0.1', port))
time.sleep(0.5)
res = []
def third():
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    c.request('GET', '/v1/health')
    status = c.getresponse().status
    res.append((time.monotonic(), status))
t = threading.Thread(target=third)
t.start()
time.sleep(1.0)
print('answered while full' if res else 'waiting while full')
closed = time.monotonic()
a.close()
t.join()
print('status', res[0][1], 'after close' if res[0][0] >= closed else 'before close')
b.close()
PY
grep -q 'waiting while full' "$work/cap" || fail "cap: $(cat "$work/cap")"
grep -q 'status 200 after close' "$work/cap" || fail "cap: $(cat "$work/cap")"
grep -q 'connections open' "$work/collector.err" || fail "cap not logged"
stop_collector $CPID
echo ok
