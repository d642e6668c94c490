#!/bin/bash
# nightjar show --format ooni: hand-made records with every kind of step
# (DNS with CNAME and AAAA answers and a DoH failure, TCP, TLS with and
# without kept DER, IPv6, an IP target, HTTP, a vantage's answer, a
# collector's probe_asn/probe_cc) become one OONI measurement a line that
# matches the keys and types of OONI's data formats (df-000, -001, -002,
# -005, -006) and the records they came from (tests/ooni-check.py).
set -eu

: "${top_srcdir:?}" "${top_builddir:?}"
NJ="${NJ_WRAP:-} $top_builddir/probe/nightjar"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }

version=$($NJ --version | head -1 | cut -d' ' -f2)
python3 "$top_srcdir/tests/ooni-check.py" gen "$T/records.msgpack" "$version"
$NJ show "$T/records.msgpack" >"$T/records.jsonl" 2>"$T/err" ||
    fail "show: $(cat "$T/err")"
test "$(wc -l <"$T/records.jsonl")" -eq 6 ||
    fail "the hand-made records do not all validate: $(cat "$T/err")"
$NJ show --format ooni "$T/records.msgpack" >"$T/ooni.jsonl"
python3 "$top_srcdir/tests/ooni-check.py" check "$T/ooni.jsonl" \
    "$T/records.jsonl"
if command -v jq >/dev/null 2>&1; then
	n=$(jq -r '.test_keys.blocking' "$T/ooni.jsonl" | grep -c .)
	test "$n" -eq 6 || fail "jq read $n measurements"
fi

# The default format is JSON, the same as --format json; others are refused.
$NJ show --format json "$T/records.msgpack" | cmp -s - "$T/records.jsonl" ||
    fail "--format json differs from the default"
set +e
$NJ show --format xml "$T/records.msgpack" >/dev/null 2>"$T/err"
rc=$?
set -e
test $rc -eq 2 || fail "--format xml: exit $rc"
grep -q "format" "$T/err" || fail "--format xml: $(cat "$T/err")"
echo "show-ooni: ok"
