#!/bin/bash
# `smtpprobe explain` against every bounce in fixtures/bounce/ (format in
# docs/fixtures.md, "Bounce fixtures"): for NAME.eml, NAME.expect says what
# `smtpprobe explain --json NAME.eml` must print.
#
#   - JSON Lines, one per recipient: exit 0, exactly as many output objects
#     as expected lines, and the Nth object holds every field of the Nth line
#     with exactly that value (objects such as reply and diagnosis compared
#     key by key, as subsets; strings, numbers, booleans and null must be
#     equal, not merely contained; a field the output lacks is a mismatch,
#     even when null is expected);
#   - one line {"exit": 65, "stderr": "ERE"}: exit 65, nothing on stdout,
#     exactly one line on stderr, matching the extended regex.
#
# Run from the fixture directory, so FILE in the messages is NAME.eml.
# Arguments (by hand): fixture names to run only those, e.g.
#   SMTPPROBE=build/src/smtpprobe tests/cli/explain_fixtures.sh postfix-rcpt-unknown
# Without arguments every fixture runs and fewer than 60 is a failure.
TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$TEST_DIR/../.." && pwd)}"
: "${FIXTURES:=$SRCDIR/fixtures}"
# shellcheck source=../lib/assert.sh
. "$SRCDIR/tests/lib/assert.sh"
# shellcheck source=../lib/common.sh
. "$SRCDIR/tests/lib/common.sh"

require_smtpprobe
require_tool jq jq
require_tool timeout coreutils

MIN_FIXTURES=60
BOUNCE_DIR=${BOUNCE_FIXTURES:-$FIXTURES/bounce}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Where WANT is not a subset of GOT: one line per difference, "PATH: want
# W, got G" (G is "absent" when GOT lacks the key). Exact comparison at the
# leaves; jq's `contains` would accept a substring for a string.
# shellcheck disable=SC2016
JQ_DIFF='
def diffs($w; $g; $p):
  if ($w | type) == "object" then
    if ($g | type) != "object" then
      ["\($p): want an object \($w | tojson), got \($g | tojson)"]
    else
      [ $w | to_entries[] | .key as $k | .value as $v |
        if ($g | has($k)) then diffs($v; $g[$k]; "\($p).\($k)")[]
        else "\($p).\($k): want \($v | tojson), got absent" end ]
    end
  elif $w == $g then []
  else ["\($p): want \($w | tojson), got \($g | tojson)"]
  end;
diffs($want; $got; "")[]
'

# check_records NAME: the JSON Lines case.
check_records() {
	local name=$1 n_want n_got i want got d
	n_want=$(grep -c . "$BOUNCE_DIR/$name.expect")
	n_got=$(grep -c . <<<"$PROBE_OUT")
	[ -z "$PROBE_OUT" ] && n_got=0
	expect_eq "$name: exit status" "$PROBE_RC" 0
	expect_eq "$name: number of recipient objects" "$n_got" "$n_want"
	for ((i = 1; i <= n_want; i++)); do
		want=$(sed -n "${i}p" "$BOUNCE_DIR/$name.expect")
		got=$(printf '%s\n' "$PROBE_OUT" | sed -n "${i}p")
		if ! jq -e 'type == "object"' >/dev/null 2>&1 <<<"$got"; then
			_assert_fail "$name: object $i" "not a JSON object: '$got'"
			continue
		fi
		if ! d=$(jq -nr --argjson want "$want" --argjson got "$got" "$JQ_DIFF" 2>&1); then
			_assert_fail "$name: object $i" "jq failed: $d"
		elif [ -n "$d" ]; then
			local lines=()
			mapfile -t lines <<<"$d"
			_assert_fail "$name: object $i" "${lines[@]}"
		else
			_assert_ok "$name: object $i"
		fi
	done
}

# check_refusal NAME EXPECT_LINE: the not-a-bounce case.
check_refusal() {
	local name=$1 spec=$2 rc re n_err
	rc=$(jq -r '.exit' <<<"$spec")
	re=$(jq -r '.stderr' <<<"$spec")
	expect_eq "$name: exit status" "$PROBE_RC" "$rc"
	expect_eq "$name: nothing on stdout" "$PROBE_OUT" ""
	n_err=$(grep -c . <<<"$PROBE_ERR")
	[ -z "$PROBE_ERR" ] && n_err=0
	expect_eq "$name: one line on stderr" "$n_err" 1
	expect_match "$name: the reason" "$PROBE_ERR" "$re"
}

if [ ! -d "$BOUNCE_DIR" ]; then
	echo "not ok - no fixture directory $BOUNCE_DIR"
	exit 1
fi

names=()
if [ $# -gt 0 ]; then
	for a in "$@"; do
		a=${a##*/}
		names+=("${a%.eml}")
	done
else
	for f in "$BOUNCE_DIR"/*.eml; do
		[ -e "$f" ] || continue
		f=${f##*/}
		names+=("${f%.eml}")
	done
	expect_jq_true "at least $MIN_FIXTURES bounce fixtures (found ${#names[@]})" \
		"${#names[@]}" ". >= $MIN_FIXTURES"
	# Every expectation has its message: a lone .expect is a fixture that
	# silently stopped running.
	for f in "$BOUNCE_DIR"/*.expect; do
		[ -e "$f" ] || continue
		f=${f##*/}
		[ -e "$BOUNCE_DIR/${f%.expect}.eml" ] ||
			_assert_fail "${f%.expect}: has an .expect but no .eml"
	done
fi

cd "$BOUNCE_DIR" || exit 1
for name in "${names[@]}"; do
	if [ ! -f "$name.eml" ] || [ ! -f "$name.expect" ]; then
		_assert_fail "$name: needs both $name.eml and $name.expect"
		continue
	fi
	if ! jq -e . >/dev/null 2>&1 <"$name.expect" || [ "$(grep -c . "$name.expect")" -eq 0 ]; then
		_assert_fail "$name: $name.expect is not JSON Lines"
		continue
	fi
	# Bounded like run_probe; stdout and stderr kept apart, quietly.
	timeout 60 "$SMTPPROBE" explain --json "$name.eml" >"$work/out" 2>"$work/err"
	PROBE_RC=$?
	PROBE_OUT=$(cat "$work/out")
	PROBE_ERR=$(cat "$work/err")
	if [ "$PROBE_RC" -eq 124 ]; then
		_assert_fail "$name: smtpprobe explain did not finish within 60 s"
		continue
	fi
	first=$(head -n 1 "$name.expect")
	if [ "$(grep -c . "$name.expect")" -eq 1 ] && jq -e 'has("exit")' >/dev/null <<<"$first"; then
		check_refusal "$name" "$first"
	else
		check_records "$name"
	fi
	if [ "$PROBE_RC" -ne 0 ] && [ "$PROBE_RC" -ne 65 ]; then
		printf '# %s: exit %s, stderr: %s\n' "$name" "$PROBE_RC" "$PROBE_ERR"
	fi
done
assert_done
