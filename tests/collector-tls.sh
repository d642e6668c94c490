#!/bin/bash
# TLS: a collector with a certificate made here for the name
# collector.test and the address 127.0.0.1.  nightjar upload verifies it
# against --collector-ca and the address in the URL; a name the
# certificate does not carry, or an unknown CA, is refused and the
# records stay pending.  The collector also listens on [::1].
set -eu
. "$top_srcdir/tests/lib-collector.sh"
command -v openssl >/dev/null || { echo "openssl missing: skipped"; exit 77; }

cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=nightjar-test-ca \
    -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=collector.test \
    -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:collector.test,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 2 -out srv.pem -extfile srv.ext 2>/dev/null
# Another CA, unrelated.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
    -keyout other.key -out other.pem 2>/dev/null

res=$work/results
db=$work/c.db
mkdir -p "$res"
"$GEN" --count 120 --seed 31 --spool "$res" --per-file 40
ids "$res"/*.msgpack >want

start_collector --listen 127.0.0.1:0 --db "$db" --tls-cert srv.pem \
    --tls-key srv.key
port=$CPORT
# The database holds where volunteers were: readable by its owner only.
[ "$(stat -c %a "$db")" = 600 ] || fail "database mode $(stat -c %a "$db")"

# A name the certificate does not carry: refused, nothing sent.
rc=0
nj upload --results "$res" --collector "https://localhost:$port" \
    --collector-ca ca.pem 2>name.err || rc=$?
[ $rc = 1 ] || fail "wrong name: exit $rc"
grep -q 'certificate verify failed' name.err || fail "wrong name: $(cat name.err)"
# Said as what it is, not as an unreachable collector.
grep -q 'stay pending: certificate verify failed' name.err ||
    fail "wrong name: the cause is not the last word: $(cat name.err)"
if grep -qi 'unreachable' name.err; then
	fail "a certificate failure logged as unreachable: $(cat name.err)"
fi
grep -q '^uploaded 0, pending 120$' name.err || fail "wrong name: $(tail -1 name.err)"

# An unknown CA (the system store, then another CA): refused.
rc=0
SSL_CERT_FILE=other.pem SSL_CERT_DIR=/nonexistent nj upload \
    --results "$res" --collector "https://127.0.0.1:$port" 2>ca.err || rc=$?
[ $rc = 1 ] || fail "system store: exit $rc"
grep -q 'certificate verify failed' ca.err || fail "system store: $(cat ca.err)"
rc=0
nj upload --results "$res" --collector "https://127.0.0.1:$port" \
    --collector-ca other.pem 2>ca2.err || rc=$?
[ $rc = 1 ] || fail "other CA: exit $rc"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM measurements')" = 0 ] ||
    fail "records stored over an unverified connection"
[ -z "$(ls "$res/sent")" ] || fail "files moved without a verified 2xx"

# Plain HTTP to the TLS port gets nothing stored either.
r=$(http $port GET /v1/health)
[ "${r%% *}" != 200 ] || fail "plain HTTP answered on the TLS port"

# The right CA and the address in the URL: accepted.
nj upload --results "$res" --collector "https://127.0.0.1:$port" \
    --collector-ca ca.pem 2>ok.err || fail "upload: $(cat ok.err)"
grep -q '^uploaded 120, pending 0$' ok.err || fail "upload: $(tail -1 ok.err)"
[ "$(stored_ids "$db")" = "$(cat want)" ] || fail "stored ids differ"
r=$(http $port GET /v1/health --cafile ca.pem)
[ "${r%% *}" = 200 ] || fail "health over TLS: $r"
stop_collector $CPID

# IPv6 loopback, by address.
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	start_collector --listen '[::1]:0' --db "$work/c6.db" --tls-cert srv.pem \
	    --tls-key srv.key
	grep -q "listening on https://\[::1\]:$CPORT" "$work"/collector.out.* ||
	    fail "no [::1] listening line"
	mkdir -p res6
	"$GEN" --count 10 --seed 32 --spool res6
	nj upload --results res6 --collector "https://[::1]:$CPORT" \
	    --collector-ca ca.pem 2>v6.err || fail "IPv6: $(cat v6.err)"
	[ "$(stored_ids "$work/c6.db")" = "$(ids res6/sent/*.msgpack)" ] ||
	    fail "IPv6: stored ids differ"
	stop_collector $CPID
else
	echo "no IPv6 loopback: [::1] part skipped"
fi
# The early 413 over TLS: JSON, at once, connection closed.
start_collector --listen 127.0.0.1:0 --db "$work/c413.db" --tls-cert srv.pem \
    --tls-key srv.key --max-body 100000
r=$(python3 "$LAB/early413.py" "$CPORT" 100000 none --cafile ca.pem 2>&1) ||
    fail "early 413 over TLS: $r"
[ "$r" = ok ] || fail "early 413 over TLS: $r"
stop_collector $CPID
echo ok
