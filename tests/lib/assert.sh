# shellcheck shell=bash
# Assertions for the integration scripts. Each check prints "ok - LABEL" or
# "not ok - LABEL" with what was got and wanted (TAP-like); assert_done
# prints "N passed, N failed" and exits 0 only if nothing failed.
#
#   expect_eq LABEL GOT WANT
#   expect_match LABEL GOT ERE            GOT matches the extended regex
#   expect_jq LABEL JSON FILTER WANT      jq -r FILTER on JSON equals WANT
#   expect_jq_true LABEL JSON FILTER      jq -e FILTER is true
#   run_probe ARGS...                     runs $SMTPPROBE ARGS, bounded;
#                                         sets PROBE_OUT PROBE_ERR PROBE_RC
#   expect_one_json LABEL                 PROBE_OUT is exactly one JSON object
#   skip_test REASON                      exit 77 (meson: skipped)
#   assert_done

ASSERT_PASSED=0
ASSERT_FAILED=0
PROBE_OUT=
PROBE_ERR=
PROBE_RC=

_assert_ok() {
	ASSERT_PASSED=$((ASSERT_PASSED + 1))
	printf 'ok - %s\n' "$1"
}

_assert_fail() {
	ASSERT_FAILED=$((ASSERT_FAILED + 1))
	printf 'not ok - %s\n' "$1"
	shift
	printf '#   %s\n' "$@"
}

expect_eq() {
	if [ "$2" == "$3" ]; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "got:  '$2'" "want: '$3'"
	fi
}

expect_match() {
	if [[ $2 =~ $3 ]]; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "got:  '$2'" "want match: /$3/"
	fi
}

expect_jq() {
	local got
	if ! got=$(jq -r "$3" <<<"$2" 2>&1); then
		_assert_fail "$1" "jq '$3' failed: $got" "json: $2"
		return
	fi
	if [ "$got" == "$4" ]; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "jq '$3'" "got:  '$got'" "want: '$4'"
	fi
}

expect_jq_true() {
	if jq -e "$3" >/dev/null 2>&1 <<<"$2"; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "jq -e '$3' is not true" "json: $2"
	fi
}

# Run smtpprobe with a hard bound (its own --timeout should end it much
# sooner; 124 here means it hung). Output is kept for the assertions.
run_probe() {
	local errf
	errf=$(mktemp)
	PROBE_OUT=$(timeout 60 "$SMTPPROBE" "$@" 2>"$errf")
	PROBE_RC=$?
	PROBE_ERR=$(cat "$errf")
	rm -f "$errf"
	printf '# $ smtpprobe %s\n# exit %s\n' "$*" "$PROBE_RC"
	[ -n "$PROBE_OUT" ] && printf '# stdout: %s\n' "$PROBE_OUT"
	[ -n "$PROBE_ERR" ] && printf '# stderr: %s\n' "$PROBE_ERR"
	return 0
}

expect_one_json() {
	local n
	n=$(printf '%s\n' "$PROBE_OUT" | grep -c .)
	if [ "$n" -eq 1 ] && jq -e 'type == "object"' >/dev/null 2>&1 <<<"$PROBE_OUT"; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "stdout is not exactly one JSON object line ($n lines)"
	fi
}

skip_test() {
	printf '# SKIP %s\n' "$*"
	exit 77
}

# The smtpprobe binary must exist: a missing binary is a failure, not a skip.
require_smtpprobe() {
	if [ -z "${SMTPPROBE:-}" ] || [ ! -x "$SMTPPROBE" ]; then
		echo "not ok - SMTPPROBE (${SMTPPROBE:-unset}) is not an executable"
		exit 1
	fi
}

# A script that checked nothing (a syntax error cut it short, a loop over
# nothing) has not passed.
assert_done() {
	echo "$ASSERT_PASSED passed, $ASSERT_FAILED failed"
	if [ $((ASSERT_PASSED + ASSERT_FAILED)) -eq 0 ]; then
		echo "not ok - no check ran"
		exit 1
	fi
	[ "$ASSERT_FAILED" -eq 0 ]
	exit
}
