#!/bin/sh
# Run a nightjar binary under valgrind memcheck.  `NJ_VALGRIND=1 make check`
# sets NJ_WRAP to this script, and the integration tests start every
# nightjar and nightjar-collector as `${NJ_WRAP:-} BINARY ARGS...`.
# exec keeps the pid, so tests that signal the process still reach it.
# Reports go to $NJ_VALGRIND_LOGDIR/vg.PID.log (empty when clean); the
# process exits 1 on any memory error or definite leak.
logdir=${NJ_VALGRIND_LOGDIR:-${TMPDIR:-/tmp}}
# valgrind cannot follow PCRE2's JIT-compiled code: match with the
# interpreter.
NJ_PCRE2_NO_JIT=1
export NJ_PCRE2_NO_JIT
# nightjar may be linked with jemalloc: memcheck replaces its malloc too.
exec valgrind -q --tool=memcheck --error-exitcode=1 --leak-check=full \
    --soname-synonyms=somalloc='*jemalloc*' \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-fds=no --num-callers=30 --log-file="$logdir/vg.%p.log" "$@"
