# Helpers for the tests that run the probe's command line (sourced, not
# run): $NJ (under $NJ_WRAP), a private directory $T removed on exit,
# fail, and no_network to run a command with no network at all.
: "${top_srcdir:?}" "${top_builddir:?}"
NJ="${NJ_WRAP:-} $top_builddir/probe/nightjar"
T=$(mktemp -d)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Set $NONET to a prefix that runs a command in a new network namespace
# (no interface but a down loopback), or skip the test.
no_network() {
	if unshare -n true 2>/dev/null; then
		NONET="unshare -n"
	elif unshare -rn true 2>/dev/null; then
		NONET="unshare -rn"
	else
		echo "SKIP: cannot create a network namespace (unshare -n)"
		exit 77
	fi
}
