#!/bin/bash
# nightjar needs no privileges: `run --once` warns when started as root and
# says nothing of the kind otherwise; the round is measured either way.
set -eu

NJ="$top_builddir/probe/nightjar"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A port nobody listens on: the target is refused at once, no DNS needed.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "127.0.0.1:$port" > "$work/targets.txt"
chmod 755 "$work"
chmod 644 "$work/targets.txt"

# run_as USER-PREFIX... : one round into a fresh results dir; sets $res
run_as() {
	res=$(mktemp -d "$work/res.XXXXXX")
	chmod 777 "$res"
	"$@" ${NJ_WRAP:-} "$NJ" run --once --results "$res" \
	    --targets "$work/targets.txt" --resolver 127.0.0.1:1 \
	    --timeout 1000 >"$res.out" 2>"$res.err" ||
	    fail "run exited $?: $(cat "$res.err")"
	"$NJ" show "$res" >"$res.jsonl"
	python3 - "$res.jsonl" "$port" <<'PY' || fail "record not as expected"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len(rs) == 1, rs
r = rs[0]
assert r["target"]["host"] == "127.0.0.1" and r["target"]["port"] == int(sys.argv[2]), r["target"]
assert r["tcp"] and r["tcp"][0]["failure"] == "connection_refused", r["tcp"]
PY
}

if [ "$(id -u)" -eq 0 ]; then
	run_as
	grep -q 'running as root' "$res.err" || fail "no warning as root"
	nobody="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	# In a clone under a directory nobody cannot enter (a 0700 temporary
	# directory, /root/...) the binary and its data are out of reach.
	reach() {
		$nobody test -x "$NJ" -a -r "$top_builddir/roots.pem" \
		    -a -r "$top_srcdir/targets/default.txt" \
		    -a -r "$work/targets.txt" 2>/dev/null &&
		    { [ -z "${NJ_WRAP:-}" ] || $nobody test -x "${NJ_WRAP%% *}"; }
	}
	if ! command -v setpriv >/dev/null 2>&1; then
		echo "setpriv not found: the unprivileged run is skipped"
	elif ! reach; then
		echo "SKIP (unprivileged run): user 65534 cannot reach $NJ," \
		    "its data or $work (a build under a directory only root" \
		    "may enter); the run as root was checked"
	else
		run_as $nobody
		if grep -q 'running as root' "$res.err"; then
			fail "root warning for an ordinary user"
		fi
	fi
else
	run_as
	if grep -q 'running as root' "$res.err"; then
		fail "root warning for an ordinary user"
	fi
fi
echo "ok"
