#!/bin/bash
# Run every built libFuzzer target for SECONDS each; fail on any crash,
# leak, timeout or out-of-memory.  Builds nothing: configure with
# --enable-fuzzing CC=clang and run make first.
#
# usage: tests/fuzz/run-fuzzers.sh SECONDS [BUILDDIR]
#   BUILDDIR defaults to $top_builddir, else the current directory.
# Seeds come from tests/fuzz/corpus/NAME/ of the source tree (read only);
# inputs the fuzzer discovers go to a temporary directory, crash inputs to
# $FUZZ_ARTIFACTS (default BUILDDIR/tests/fuzz/artifacts/).
set -eu

if [ $# -lt 1 ] || ! [ "$1" -gt 0 ] 2>/dev/null; then
	echo "usage: $0 SECONDS [BUILDDIR]" >&2
	exit 2
fi
secs=$1
builddir=${2:-${top_builddir:-.}}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
artifacts=${FUZZ_ARTIFACTS:-$builddir/tests/fuzz/artifacts}
mkdir -p "$artifacts"

fuzzers=$(ls "$builddir"/tests/fuzz/fuzz_* 2>/dev/null | grep -v '\.[a-z]*$' || true)
if [ -z "$fuzzers" ]; then
	echo "$0: no fuzzers in $builddir/tests/fuzz (configure --enable-fuzzing CC=clang; make)" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
printf '%-22s %10s %8s %6s %s\n' fuzzer execs exec/s cov result
for f in $fuzzers; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	name=${name#fuzz_}
	mkdir -p "$work/$name"
	seeds=$srcdir/tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=
	log=$work/$name.log
	rc=0
	"$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$artifacts/$name-" \
	    "$work/$name" $seeds >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc)"
		failed=1
	fi
	printf '%-22s %10s %8s %6s %s\n' "$name" "${execs:-?}" "${rate:-?}" \
	    "${cov:-?}" "$result"
	if [ $rc -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|artifact|==[0-9]+==' "$log" | head -40 >&2
	fi
done
exit $failed
