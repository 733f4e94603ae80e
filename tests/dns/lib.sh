# shellcheck shell=bash
# Common set-up for the DNS integration tests: sourced by each tests/dns/*.sh.
#
# The scripts get SMTPPROBE, FIXTURES (and SRCDIR) from meson's test_env and
# fakesmtp's path as their first argument (or FAKESMTP in the environment).
#
#   dns_setup ZONE.conf...     start unbound with fixtures/dns/ZONE.conf...
#   probe ARGS...              run_probe with --json --timeout 3 --resolver
#   fake_start IP DIALOG [ARG...]  run fakesmtp on IP:<any port> (ARGs: more
#                              options, e.g. --cert/--key); sets FAKE_PORT
#   fake_finish                wait (bounded) for fakesmtp; sets FAKE_RC
#   fake_connected             true once fakesmtp has taken a connection (for
#                              wait_until: a client is in its session)
# Everything started is stopped by PID on exit.

DNS_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$DNS_TEST_DIR/../.." && pwd)}"
: "${FIXTURES:=$SRCDIR/fixtures}"
: "${FAKESMTP:=${1:-}}"

# shellcheck source=../lib/assert.sh
. "$SRCDIR/tests/lib/assert.sh"
# shellcheck source=../lib/unbound.sh
. "$SRCDIR/tests/lib/unbound.sh"

FAKE_PID=
FAKE_PORT=
FAKE_DIR=
FAKE_RC=

dns_cleanup() {
	fake_stop
	unbound_stop
}
trap dns_cleanup EXIT

dns_setup() {
	local zones=() z
	require_smtpprobe
	for z in "$@"; do
		zones+=("$FIXTURES/dns/$z")
	done
	if ! unbound_start "${zones[@]}"; then
		echo "not ok - unbound did not start"
		exit 1
	fi
	echo "# unbound pid $UNBOUND_PID on 127.0.0.1:$UNBOUND_PORT"
}

probe() {
	run_probe --json --timeout 3 --resolver "127.0.0.1:$UNBOUND_PORT" "$@"
}

_fake_ready() {
	[ -s "$FAKE_DIR/port" ] && return 0
	kill -0 "$FAKE_PID" 2>/dev/null || return 2
	return 1
}

_fake_gone() {
	! kill -0 "$FAKE_PID" 2>/dev/null
}

fake_start() {
	local ip=$1 dialog=$2
	shift 2
	fake_stop # a script may run several fake servers one after another
	if [ -z "$FAKESMTP" ] || [ ! -x "$FAKESMTP" ]; then
		skip_test "fakesmtp not built (pass its path as the first argument)"
	fi
	FAKE_DIR=$(mktemp -d /tmp/smtpprobe-fake.XXXXXX)
	"$FAKESMTP" --listen "$ip:0" --script "$dialog" --log "$FAKE_DIR/log" \
		--timeout 10 "$@" </dev/null >"$FAKE_DIR/port" 2>"$FAKE_DIR/err" &
	FAKE_PID=$!
	# It prints its port once it listens: bounded wait for that line.
	if ! wait_until 100 _fake_ready; then
		echo "not ok - fakesmtp did not start on $ip"
		sed 's/^/#   /' "$FAKE_DIR/err"
		exit 1
	fi
	FAKE_PORT=$(head -n 1 "$FAKE_DIR/port")
	echo "# fakesmtp pid $FAKE_PID on $ip:$FAKE_PORT"
}

fake_connected() { grep -q 'connection from' "$FAKE_DIR/log" 2>/dev/null; }

# fakesmtp exits once its sessions are over (or after its own 10 s timeout).
fake_finish() {
	[ -n "$FAKE_PID" ] || return 0
	wait_until 150 _fake_gone || kill -TERM "$FAKE_PID" 2>/dev/null || true
	FAKE_RC=0
	wait "$FAKE_PID" 2>/dev/null || FAKE_RC=$?
	FAKE_PID=
	sed 's/^/# fakesmtp: /' "$FAKE_DIR/log" 2>/dev/null
}

fake_stop() {
	if [ -n "$FAKE_PID" ]; then
		kill -TERM "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
		FAKE_PID=
	fi
	if [ -n "$FAKE_DIR" ] && [ -d "$FAKE_DIR" ]; then
		rm -rf "$FAKE_DIR"
	fi
	FAKE_DIR=
}

# A port nothing listens on (any address): connections to it are refused.
dead_port() {
	free_port
}
