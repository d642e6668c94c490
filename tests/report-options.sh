#!/bin/bash
# nightjar report options and inputs: --since/--until, --min-days, sent/
# files, damaged files (warned by name, skipped, exit 0), bad usage
# (exit 2), --help listing every option.
set -eu
. "$top_srcdir/tests/report-lib.sh"

make_results "$T/res" --hosts www.facebook.com,chat.example,ok.example

facts() {	# host start-end/days per window, one line per host
	python3 -c '
import json, sys
for t in json.load(sys.stdin)["targets"]:
    print(t["host"], t["measurements"], " ".join("%d-%d/%d" % (w["start_hour"],
        w["end_hour"], w["days"]) for w in t["windows"]))'
}

$NJ report "$T/res" --format json | facts > "$T/all"
cat > "$T/want" <<'W'
chat.example 1344 22-2/15
ok.example 1344 
www.facebook.com 1344 18-24/14
W
diff -u "$T/want" "$T/all" || fail "baseline"

# The second week only (UTC dates; local is UTC+5).
$NJ report "$T/res" --format json --since 2026-11-09 | facts > "$T/got"
cat > "$T/want" <<'W'
chat.example 652 22-2/7
ok.example 652 
www.facebook.com 652 18-24/7
W
diff -u "$T/want" "$T/got" || fail "--since"
$NJ report "$T/res" --format json --since 2026-11-03T00:00:00Z \
    --until 2026-11-05 | facts > "$T/got"
cat > "$T/want" <<'W'
chat.example 288 22-2/3
ok.example 288 
www.facebook.com 288 18-24/3
W
diff -u "$T/want" "$T/got" || fail "--since/--until"

# --min-days: 15 keeps only the 15-night window.
$NJ report "$T/res" --format json --min-days 15 | facts > "$T/got"
cat > "$T/want" <<'W'
chat.example 1344 22-2/15
ok.example 1344 
www.facebook.com 1344 
W
diff -u "$T/want" "$T/got" || fail "--min-days"
# Three days of data and the default --min-days 3: still found; 4: not.
$NJ report "$T/res" --format json --until 2026-11-04T19:00:00Z | \
    facts > "$T/got"
grep -q '^www.facebook.com 288 18-24/3$' "$T/got" || fail "3 days: $(cat "$T/got")"
$NJ report "$T/res" --format json --until 2026-11-04T19:00:00Z \
    --min-days 4 | facts > "$T/got"
grep -q '^www.facebook.com 288 $' "$T/got" || fail "--min-days 4: $(cat "$T/got")"

# Files in sent/ count too; dotfiles and other names are ignored.
mkdir -p "$T/res/sent"
mv "$T/res/r-000001.msgpack" "$T/res/r-000002.msgpack" "$T/res/sent/"
cp "$T/res/sent/r-000001.msgpack" "$T/res/.tmp-r.msgpack"
cp "$T/res/sent/r-000001.msgpack" "$T/res/notes.txt"
$NJ report "$T/res" --format json | facts > "$T/got"
diff -u "$T/all" "$T/got" || fail "sent/ files"

# A damaged file and a foreign one: warned by name, skipped, exit 0.
head -c 700 "$T/res/sent/r-000001.msgpack" > "$T/res/truncated.msgpack"
printf 'GIF89a not records' > "$T/res/foreign.msgpack"
$NJ report "$T/res" --format json > "$T/out.json" 2> "$T/err"
facts < "$T/out.json" > "$T/got"
diff -u "$T/all" "$T/got" || fail "damaged files changed the report"
grep -q "truncated.msgpack" "$T/err" || fail "truncated file not named"
grep -q "foreign.msgpack" "$T/err" || fail "foreign file not named"

# A single file as PATH, and the default ./results.
$NJ report "$T/res/r-000003.msgpack" --format json | facts > "$T/got"
[ "$(wc -l < "$T/got")" -ge 1 ] || fail "single file"
rc=0
(cd "$T" && $NJ report --format json) > /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] || fail "no ./results: exit $rc"
grep -q "results" "$T/err" || fail "no ./results: $(cat "$T/err")"
mkdir -p "$T/cwd" && ln -s "$T/res" "$T/cwd/results"
(cd "$T/cwd" && $NJ report --format json 2>/dev/null) | facts > "$T/got"
diff -u "$T/all" "$T/got" || fail "default ./results"

# Usage errors: exit 2 with a message.
for args in "--format xml" "--min-days 0" "--min-days x" "--since yesterday" \
    "--until 2026-13-01" "--by month" "--bogus" "$T/nonexistent"; do
	rc=0
	$NJ report "$T/res" $args > /dev/null 2> "$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "'$args': exit $rc"
	[ -s "$T/err" ] || fail "'$args': no message"
done

$NJ report --help > "$T/help"
for o in --db --format --output --by --since --until --min-days --help; do
	grep -q -- "$o" "$T/help" || fail "--help lacks $o"
done
echo "PASS: report options"
