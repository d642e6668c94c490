#!/bin/bash
# A damaged pending file (a good file cut short, garbage after good
# records, a file of garbage): upload keeps its intact records (they are
# uploaded), moves the file to damaged/ once, and never warns about it
# again; the upload then has nothing pending.
set -eu
. "$top_srcdir/tests/lib-collector.sh"

res=$work/results
db=$work/c.db
mkdir -p "$res"
"$GEN" --count 20 --seed 31 --spool "$res" --per-file 10 --name good
"$GEN" --count 5 --seed 32 --spool "$work" --per-file 5 --name cut
"$GEN" --count 5 --seed 33 --spool "$work" --per-file 5 --name tail
cut=$(ls "$work"/cut*.msgpack)
tail=$(ls "$work"/tail*.msgpack)
# cut: its five records, the last one cut in the middle: four intact.
size=$(stat -c %s "$cut")
head -c $((size - 20)) "$cut" > "$res/cut.msgpack"
# tail: five intact records, then bytes that are not a record.
{ cat "$tail"; printf '\xc1\xc1garbage'; } > "$res/tail.msgpack"
printf 'not msgpack at all\n' > "$res/junk.msgpack"
want=$(( 20 + 4 + 5 ))

start_collector --listen 127.0.0.1:0 --db "$db"
rc=0
nj upload --results "$res" --collector "http://127.0.0.1:$CPORT" \
    2>"$work/up1.err" || rc=$?
[ $rc = 0 ] || fail "first upload: exit $rc: $(cat "$work/up1.err")"
grep -q "^uploaded $want, pending 0\$" "$work/up1.err" ||
    fail "first upload: $(cat "$work/up1.err")"
for f in cut tail junk; do
	[ -f "$res/damaged/$f.msgpack" ] || fail "$f not in damaged/"
	[ "$(grep -c "$f.msgpack" "$work/up1.err")" -ge 1 ] ||
	    fail "$f not named in the warnings"
done
grep -q '3 damaged files moved to' "$work/up1.err" || fail "no damaged count"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM measurements')" = $want ] ||
    fail "stored: $(sqlite3 "$db" 'SELECT count(*) FROM measurements')"

# Again: nothing pending, not a word about the damaged files.
"$GEN" --count 3 --seed 34 --spool "$res" --per-file 3 --name more
rc=0
nj upload --results "$res" --collector "http://127.0.0.1:$CPORT" \
    2>"$work/up2.err" || rc=$?
[ $rc = 0 ] || fail "second upload: exit $rc"
grep -q '^uploaded 3, pending 0$' "$work/up2.err" || fail "second: $(cat "$work/up2.err")"
if grep -q damaged "$work/up2.err"; then
	fail "warned again: $(cat "$work/up2.err")"
fi
stop_collector $CPID
echo "PASS: damaged files: intact records count, moved aside once"
