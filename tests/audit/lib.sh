# shellcheck shell=bash
# Common set-up for the audit tests: sourced by each tests/audit/*.sh.
# Gets SMTPPROBE and FIXTURES from meson's test_env, fakesmtp's path as
# the first argument.
#
#   audit_dns ZONE.conf...        start unbound with fixtures/dns/ZONE.conf...
#   audit_port                    pick the one SMTP port every MX shares (AUDIT_PORT)
#   fake_at IP DIALOG [ARG...]    fakesmtp on IP:AUDIT_PORT (several at once, one per IP)
#   fakes_finish                  wait (bounded) for every fakesmtp; FAKES_RC is 0
#                                 when each one ran its script fully
#   audit ARGS...                 run_probe audit --timeout 3 --resolver ... --port AUDIT_PORT
#   status DOMAIN CHECK TARGET    the status of one check in $AUDIT_JSON (JSON Lines)
#   expect_status LABEL DOMAIN CHECK TARGET STATUS
#   expect_evidence LABEL DOMAIN CHECK TARGET REGEX
# Everything started is stopped by PID on exit.

AUDIT_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$AUDIT_TEST_DIR/../.." && pwd)}"
: "${FIXTURES:=$SRCDIR/fixtures}"
: "${FAKESMTP:=${1:-}}"

# shellcheck source=../lib/assert.sh
. "$SRCDIR/tests/lib/assert.sh"
# shellcheck source=../lib/unbound.sh
. "$SRCDIR/tests/lib/unbound.sh"

FAKE_PIDS=()
FAKE_DIRS=()
FAKES_RC=
AUDIT_PORT=
AUDIT_JSON=

audit_cleanup() {
	local p d
	for p in "${FAKE_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for d in "${FAKE_DIRS[@]}"; do
		rm -rf "$d"
	done
	FAKE_PIDS=()
	FAKE_DIRS=()
	unbound_stop
	[ -n "${AUDIT_EXTRA_CLEANUP:-}" ] && eval "$AUDIT_EXTRA_CLEANUP"
	return 0
}
trap audit_cleanup EXIT

audit_dns() {
	local zones=() z
	require_smtpprobe
	require_tool jq jq
	for z in "$@"; do
		zones+=("$FIXTURES/dns/$z")
	done
	if ! unbound_start "${zones[@]}"; then
		echo "not ok - unbound did not start"
		exit 1
	fi
	echo "# unbound pid $UNBOUND_PID on 127.0.0.1:$UNBOUND_PORT"
}

audit_port() {
	AUDIT_PORT=$(free_port) || { echo "not ok - no free port"; exit 1; }
}

_fake_listening() { # DIR PID
	[ -s "$1/port" ] && return 0
	kill -0 "$2" 2>/dev/null || return 2
	return 1
}

fake_at() {
	local ip=$1 dialog=$2 dir pid
	shift 2
	if [ -z "$FAKESMTP" ] || [ ! -x "$FAKESMTP" ]; then
		echo "not ok - fakesmtp not built (pass its path as the first argument)"
		exit 1
	fi
	[ -n "$AUDIT_PORT" ] || audit_port
	dir=$(mktemp -d /tmp/smtpprobe-fake.XXXXXX)
	"$FAKESMTP" --listen "$ip:$AUDIT_PORT" --script "$dialog" --log "$dir/log" \
		--timeout 10 "$@" </dev/null >"$dir/port" 2>"$dir/err" &
	pid=$!
	FAKE_PIDS+=("$pid")
	FAKE_DIRS+=("$dir")
	if ! wait_until 100 _fake_listening "$dir" "$pid"; then
		echo "not ok - fakesmtp did not start on $ip:$AUDIT_PORT"
		sed 's/^/#   /' "$dir/err"
		exit 1
	fi
	echo "# fakesmtp pid $pid on $ip:$AUDIT_PORT ($(basename "$dialog"))"
}

_gone() {
	! kill -0 "$1" 2>/dev/null
}

fakes_finish() {
	local i rc
	FAKES_RC=0
	for i in "${!FAKE_PIDS[@]}"; do
		wait_until 150 _gone "${FAKE_PIDS[$i]}" || kill -TERM "${FAKE_PIDS[$i]}" 2>/dev/null || true
		rc=0
		wait "${FAKE_PIDS[$i]}" 2>/dev/null || rc=$?
		if [ "$rc" -ne 0 ]; then
			FAKES_RC=$rc
			sed 's/^/# fakesmtp: /' "${FAKE_DIRS[$i]}/log" 2>/dev/null
		fi
		rm -rf "${FAKE_DIRS[$i]}"
	done
	FAKE_PIDS=()
	FAKE_DIRS=()
}

audit() {
	[ -n "$AUDIT_PORT" ] || audit_port
	run_probe audit --timeout 3 --resolver "127.0.0.1:$UNBOUND_PORT" --port "$AUDIT_PORT" "$@"
	AUDIT_JSON=$PROBE_OUT
}

# One check's field: every line matching domain, check and target.
_field() { # DOMAIN CHECK TARGET FIELD
	jq -r --arg d "$1" --arg c "$2" --arg t "$3" \
		'select(.domain == $d and .check == $c and .target == $t) | .'"$4" <<<"$AUDIT_JSON" 2>&1
}

status() {
	_field "$1" "$2" "$3" status
}

expect_status() { # LABEL DOMAIN CHECK TARGET STATUS
	local got
	got=$(status "$2" "$3" "$4")
	if [ "$got" == "$5" ]; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "$3 $4 of $2" "got:  '$got' ($(_field "$2" "$3" "$4" evidence))" "want: '$5'"
	fi
}

expect_evidence() { # LABEL DOMAIN CHECK TARGET REGEX
	expect_match "$1" "$(_field "$2" "$3" "$4" evidence)" "$5"
}
