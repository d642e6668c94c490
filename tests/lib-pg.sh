# Sourced by tests that need PostgreSQL (after tests/lib-collector.sh):
# pg_start starts a throwaway cluster as an unprivileged user in a
# temporary directory, on 127.0.0.1 and a free port; it is stopped when
# the test exits.  Skips (77) when not root or PostgreSQL is missing.
PGBIN=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && PGBIN=$d
done
if [ "$(id -u)" != 0 ] || [ -z "$PGBIN" ] || ! id nobody >/dev/null 2>&1; then
	echo "SKIP: needs root and PostgreSQL (initdb, pg_ctl)"
	exit 77
fi
pgdir=

pg_stop() {
	[ -n "$pgdir" ] && [ -d "$pgdir/data" ] || return 0
	runuser -u nobody -- "$PGBIN/pg_ctl" -D "$pgdir/data" -m "${1:-fast}" \
	    -w stop >/dev/null 2>&1 || true
}

pg_cleanup() {
	local rc=$?
	pg_stop immediate
	[ -n "$pgdir" ] && rm -rf "$pgdir"
	cleanup_rc=$rc
}
# Runs before lib-collector.sh's cleanup (which exits).
trap 'pg_cleanup; set +e; (exit $cleanup_rc); cleanup' EXIT

# pg_start: sets PGPORT_T, PGURI (a postgresql:// URI for database nj).
pg_start() {
	pgdir=$(mktemp -d /tmp/nj-pg.XXXXXX)
	chmod 755 "$pgdir"
	chown nobody "$pgdir"
	PGPORT_T=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	runuser -u nobody -- "$PGBIN/initdb" -D "$pgdir/data" -A trust \
	    -U nj --no-sync >"$pgdir/initdb.log" 2>&1 ||
		fail "initdb: $(tail -5 "$pgdir/initdb.log")"
	pg_restart_only
	runuser -u nobody -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT_T" \
	    -U nj nj || fail "createdb"
	PGURI="postgresql://nj@127.0.0.1:$PGPORT_T/nj"
}

# pg_restart_only: start the cluster (again) on the same port.
pg_restart_only() {
	runuser -u nobody -- "$PGBIN/pg_ctl" -D "$pgdir/data" -w -l \
	    "$pgdir/pg.log" -o "-p $PGPORT_T -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=40" \
	    start >/dev/null || fail "pg_ctl start: $(tail -5 "$pgdir/pg.log")"
}

# psql_q SQL: one query's unaligned output.
psql_q() {
	runuser -u nobody -- "$PGBIN/psql" -X -A -t -q -h 127.0.0.1 \
	    -p "$PGPORT_T" -U nj -d nj -c "$1"
}
