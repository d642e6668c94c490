#!/bin/bash
# report and show for people: a file holding no records is exit 2 with a
# word; --since after --until is refused; errors in one style on every
# command; `show --format table` prints one human line a record.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
NJ="${NJ_WRAP:-} $top_builddir/probe/nightjar"
GEN=$top_builddir/tests/gen-records
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect RC PATTERN ARGS...
expect() {
	local want=$1 pattern=$2 rc=0
	shift 2
	$NJ "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$*: exit $rc, wanted $want: $(cat "$tmp/err")"
	grep -Eq -- "$pattern" "$tmp/err" || fail "$*: no '$pattern' in: $(cat "$tmp/err")"
}

printf 'root:x:0:0:root:/root:/bin/bash\n' > "$tmp/passwd"
expect 2 "passwd: no nightjar records in it" report "$tmp/passwd"
mkdir -p "$tmp/r"
"$GEN" --count 4 --tz-offset 18000 --spool "$tmp/r" --per-file 4
expect 2 "--since is not before --until" report --since 2026-02-01 \
    --until 2026-01-01 "$tmp/r"
expect 2 "--by: 'nope'" report --by nope "$tmp/r"

# One style: "nightjar: error: ...", then where the options are listed;
# never getopt's own words.
for cmd in run show report upload; do
	expect 2 "nightjar: error: unknown option '--no-such'|nightjar $cmd: unknown option '--no-such'" \
	    "$cmd" --no-such
	grep -q "'nightjar $cmd --help' lists the options" "$tmp/err" ||
	    fail "$cmd: no pointer to --help: $(cat "$tmp/err")"
	if grep -Eq 'unrecognized option|invalid option|option -[a-z]:' "$tmp/err"; then
		fail "$cmd: raw getopt text: $(cat "$tmp/err")"
	fi
done

# show --format table: a header, then a line per record in time order.
rc=0
$NJ show --format table "$tmp/r" > "$tmp/table" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 0 ] || fail "show --format table: exit $rc"
[ "$(wc -l < "$tmp/table")" -eq 5 ] || fail "table: $(cat "$tmp/table")"
head -1 "$tmp/table" | grep -Eq '^time \(probe\) +target +status +method +detail$' ||
    fail "table header: $(head -1 "$tmp/table")"
# The probe's local time (+05:00), the host, the status.
sed -n 2p "$tmp/table" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} \+05:00 +www\.[a-z.]+ +ok +- +generated record' ||
    fail "table line: $(sed -n 2p "$tmp/table")"
expect 2 "--format: 'xml' is not json, ooni or table" show --format xml "$tmp/r"
echo "PASS: report and show speak to people"
