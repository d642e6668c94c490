# Shared setup of the report tests (sourced): a temp dir removed on exit,
# the binaries, and the pinned scenarios of tests/report-gen.py written as
# a results directory by tests/gen-records.
T=$(mktemp -d "${TMPDIR:-/tmp}/nj-report.XXXXXX")
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

NJ="${NJ_WRAP:-} $top_builddir/probe/nightjar"
GEN="$top_builddir/tests/gen-records"
GENPY="$top_srcdir/tests/report-gen.py"
GOLDEN="$top_srcdir/tests/report-golden"

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to generate the records" >&2
	exit 77
fi

fail() { echo "FAIL: $*" >&2; exit 1; }

# make_results DIR [report-gen.py spec options...]
make_results() {
	dir=$1
	shift
	python3 "$GENPY" spec "$@" > "$T/spec.txt"
	"$GEN" --spec --spool "$dir" --name r --per-file 500 < "$T/spec.txt"
}
