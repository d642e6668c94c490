#!/bin/bash
# The Debian packages, end to end: build nightjar and nightjar-collector
# with `dpkg-buildpackage -us -uc -b` from a clean copy of the source (the
# files git tracks), check them with lintian (no error), install them, run
# `nightjar run --once` as the nightjar user from the installed
# configuration in a network namespace without network, check that a
# record was spooled in /var/lib/nightjar, and purge both packages.
#
# Needs root on a Debian system with the build dependencies, debhelper,
# dpkg-dev, fakeroot and lintian; exit 77 (skipped) otherwise. It installs
# packages on this machine: .ci/run runs it as a stage of its own, not in
# `make check`. Run: top_srcdir=. tests/package.sh
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (installs packages)"
for c in dpkg-buildpackage dpkg lintian fakeroot git unshare runuser; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not found"
done
git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 ||
    skip "$top_srcdir is not a git checkout"
if dpkg-query -W -f '${Status}' nightjar 2>/dev/null | grep -q installed; then
	skip "a nightjar package is installed already; not touching it"
fi

T=$(mktemp -d)
installed=0
cleanup() {
	if [ "$installed" = 1 ]; then
		dpkg --purge nightjar-collector nightjar >/dev/null 2>&1 || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# A clean tree: the tracked files as they are in the working tree.
version=$(sed -n 's/^nightjar (\([^)]*\)).*/\1/p;q' \
    "$top_srcdir/debian/changelog")
src="$T/nightjar-$version"
mkdir "$src"
(cd "$top_srcdir" && git ls-files -z | xargs -0 tar -cf - --) |
    tar -xf - -C "$src"

echo "== dpkg-buildpackage"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=2 nocheck" \
    dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1); then
	tail -40 "$T/build.log"
	fail "dpkg-buildpackage failed"
fi
deb=$(ls "$T"/nightjar_"$version"_*.deb)
cdeb=$(ls "$T"/nightjar-collector_"$version"_*.deb)
changes=$(ls "$T"/nightjar_"$version"_*.changes)

echo "== lintian"
lintian --fail-on error "$changes" | tee "$T/lintian.log" ||
    fail "lintian reports errors"
if grep -q '^E: ' "$T/lintian.log"; then
	fail "lintian reports errors"
fi

echo "== contents"
dpkg-deb -c "$deb" >"$T/contents"
dpkg-deb -c "$cdeb" >>"$T/contents"
for f in ./usr/bin/nightjar ./usr/bin/nightjar-collector \
    ./etc/nightjar/nightjar.conf ./etc/nightjar/collector.conf \
    ./lib/systemd/system/nightjar.service \
    ./lib/systemd/system/nightjar-collector.service \
    ./usr/share/nightjar/roots.pem ./usr/share/nightjar/targets/default.txt \
    ./usr/share/man/man1/nightjar.1.gz \
    ./usr/share/man/man1/nightjar-collector.1.gz; do
	grep -q " $f\$" "$T/contents" || fail "$f not packaged"
done
n=$(grep -c ' ./usr/share/nightjar/targets/interception-cas/.*\.pem$' \
    "$T/contents" || true)
[ "$n" -ge 3 ] || fail "$n interception roots packaged"
if grep -q 'usr/lib/systemd/system/' "$T/contents"; then
	fail "a second copy of a unit in /usr/lib/systemd/system"
fi
dpkg-deb -I "$deb" conffiles | grep -qx /etc/nightjar/nightjar.conf ||
    fail "nightjar.conf is not a conffile"

echo "== install"
installed=1
dpkg -i "$deb" "$cdeb" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "dpkg -i failed"; }

# The system user, the spool, the units: installed, hardened, not enabled.
ent=$(getent passwd nightjar) || fail "no nightjar user"
uid=$(echo "$ent" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "nightjar is not a system user (uid $uid)"
case "$(echo "$ent" | cut -d: -f7)" in
*/nologin|*/false) ;;
*) fail "the nightjar user has a login shell: $ent" ;;
esac
[ "$(stat -c %U /var/lib/nightjar)" = nightjar ] ||
    fail "/var/lib/nightjar is not the nightjar user's"
for u in nightjar nightjar-collector; do
	unit=/lib/systemd/system/$u.service
	for k in ProtectSystem=strict NoNewPrivileges=yes \
	    CapabilityBoundingSet= PrivateTmp=yes ProtectHome=yes; do
		grep -qx "$k" "$unit" || fail "$unit: no $k"
	done
	if ls /etc/systemd/system/*.wants/"$u".service >/dev/null 2>&1; then
		fail "$u.service is enabled at install"
	fi
done
grep -qx User=nightjar /lib/systemd/system/nightjar.service ||
    fail "nightjar.service does not run as the nightjar user"
grep -qx DynamicUser=yes /lib/systemd/system/nightjar-collector.service ||
    fail "nightjar-collector.service has no DynamicUser"
/usr/bin/nightjar --version | grep -qx "nightjar $version" ||
    fail "installed nightjar --version: $(/usr/bin/nightjar --version)"
/usr/bin/nightjar-collector --help >/dev/null ||
    fail "installed nightjar-collector --help"

echo "== nightjar run --once as nightjar, no network"
cd /
if ! unshare -n runuser -u nightjar -- /usr/bin/nightjar run --once \
    --config /etc/nightjar/nightjar.conf >"$T/run.out" 2>"$T/run.err"; then
	cat "$T/run.err"
	fail "nightjar run --once as nightjar failed"
fi
files=$(find /var/lib/nightjar -maxdepth 1 -name '*.msgpack' | wc -l)
[ "$files" -ge 1 ] || fail "no record file spooled in /var/lib/nightjar"
owner=$(find /var/lib/nightjar -maxdepth 1 -name '*.msgpack' \
    -printf '%u\n' | sort -u)
[ "$owner" = nightjar ] || fail "record files owned by $owner"
want=$(grep -cv '^[[:space:]]*\(#\|$\)' /usr/share/nightjar/targets/default.txt)
got=$(runuser -u nightjar -- /usr/bin/nightjar show /var/lib/nightjar | wc -l)
[ "$got" -eq "$want" ] || fail "$got records for $want default targets"

echo "== purge"
dpkg --purge nightjar-collector nightjar >"$T/purge.log" 2>&1 ||
    { cat "$T/purge.log"; fail "dpkg --purge failed"; }
installed=0
for p in /usr/bin/nightjar /usr/bin/nightjar-collector /etc/nightjar \
    /var/lib/nightjar /lib/systemd/system/nightjar.service; do
	[ ! -e "$p" ] || fail "$p left after purge"
done
echo "package: ok ($got records from the installed probe)"
