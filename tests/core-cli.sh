#!/bin/bash
# The command line: --version, --help on every command, exit 2 on usage
# and input errors (unknown options, bad values, bad config files, target
# lists with nothing valid), each with a message naming the problem.
set -eu

. "$top_srcdir/tests/lib-probe.sh"

# Runs nightjar ARGS; sets rc, out, err.
nj() {
	set +e
	$NJ "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# A command whose owner has not replaced the placeholder yet.
placeholder() {
	nj "$1" --help
	case $err in *"is not available in this build"*) return 0 ;; esac
	return 1
}

nj --version
test $rc -eq 0 || fail "--version exit $rc"
test "$(echo "$out" | head -1)" = "nightjar 0.1.0" ||
    fail "--version printed '$out'"
# The second line names the libraries, the allocator as linked.
libs=$(echo "$out" | sed -n 2p)
case $libs in "OpenSSL "*", libevent "*", c-ares "*) ;;
*) fail "--version libraries: '$libs'" ;; esac
if ldd "$top_builddir/probe/nightjar" 2>/dev/null | grep -q libjemalloc; then
	case $libs in *", jemalloc "*) ;; *) fail "linked with jemalloc: '$libs'" ;; esac
else
	case $libs in *", C library malloc") ;; *) fail "allocator: '$libs'" ;; esac
fi

nj --help
test $rc -eq 0 || fail "--help exit $rc"
for c in run show report upload; do
	case $out in *"$c"*) ;; *) fail "--help does not list $c" ;; esac
done

nj
test $rc -eq 2 || fail "no command: exit $rc, want 2"
nj frobnicate
test $rc -eq 2 || fail "unknown command: exit $rc, want 2"
case $err in *frobnicate*) ;; *) fail "unknown command not named: $err" ;; esac

for c in run show report upload; do
	if placeholder "$c"; then
		echo "note: '$c' is not implemented yet; its checks are skipped"
		continue
	fi
	nj "$c" --help
	test $rc -eq 0 || fail "$c --help: exit $rc"
	case $out in *"usage: nightjar $c"*) ;; *) fail "$c --help: no usage line" ;; esac
	nj "$c" --no-such-option
	test $rc -eq 2 || fail "$c --no-such-option: exit $rc, want 2"
	case $err in *no-such-option*) ;; *) fail "$c: unknown option not named: $err" ;; esac
done

# run and upload list every option of the contract in --help.
if ! placeholder run; then
	nj run --help
	for o in --once --targets --results --resolver --control-resolver \
	    --ca-file --interception-cas --timeout --concurrency --interval \
	    --jitter --collector --collector-ca --token-file --probe-id \
	    --campaign --control-sni --config --schedule --max-spool --rate \
	    --per-address --resume; do
		case $out in *"$o"*) ;; *) fail "run --help lacks $o" ;; esac
	done

	# Bad values and bad config files are usage errors, named.
	nj run --once --timeout soon
	test $rc -eq 2 || fail "run --timeout soon: exit $rc, want 2"
	case $err in *timeout*) ;; *) fail "bad --timeout not named: $err" ;; esac
	printf 'timeout = 100\n# comment\nfrobs = 3\n' >"$T/nj.conf"
	nj run --once --config "$T/nj.conf"
	test $rc -eq 2 || fail "unknown config name: exit $rc, want 2"
	case $err in *"nj.conf:3"*frobs*) ;; *) fail "config error lacks file:line: $err" ;; esac

	# A target list with no valid target: exit 2, bad lines named.
	printf '# nothing good here\nbad!host\nhost:99999\n' >"$T/targets.txt"
	nj run --once --targets "$T/targets.txt" --results "$T/res" --timeout 100
	test $rc -eq 2 || fail "no valid target: exit $rc, want 2"
	case $err in *"targets.txt:2"*) ;; *) fail "bad line 2 not named: $err" ;; esac
	case $err in *"targets.txt:3"*) ;; *) fail "bad line 3 not named: $err" ;; esac
	ls "$T/res"/*.msgpack >/dev/null 2>&1 && fail "records written for no target"
	nj run --once --targets "$T/missing.txt" --results "$T/res"
	test $rc -eq 2 || fail "unreadable target list: exit $rc, want 2"
	case $err in *missing.txt*) ;; *) fail "unreadable list not named: $err" ;; esac
fi

if ! placeholder upload; then
	nj upload --targets "$T/targets.txt"
	test $rc -eq 2 || fail "upload --targets: exit $rc, want 2"
	nj upload --help
	case $out in *--results*--collector*) ;; *) fail "upload --help lacks options" ;; esac
fi
echo "ok"
