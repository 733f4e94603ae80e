# shellcheck shell=bash
# Common set-up for the Postfix integration tests: sourced by each
# tests/postfix/*.sh. Gets SMTPPROBE and FIXTURES from meson's test_env.
#
#   pf_setup                 start Postfix from fixtures/postfix
#   pf_probe ARGS...         run_probe --json --timeout 3 --server 127.0.0.1:PORT
#                            (--resolver: a dead loopback port)
#   pf_wait_disconnects N    wait (bounded) until smtpd logged N disconnects
#   pf_expect_no_data        the log shows no DATA/BDAT and no queued message
# Postfix is stopped by PID on exit.

PF_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$PF_TEST_DIR/../.." && pwd)}"
: "${FIXTURES:=$SRCDIR/fixtures}"

# shellcheck source=../lib/assert.sh
. "$SRCDIR/tests/lib/assert.sh"
# shellcheck source=../lib/postfix.sh
. "$SRCDIR/tests/lib/postfix.sh"

trap postfix_stop EXIT

pf_setup() {
	require_smtpprobe
	# --server gets an IP literal, which needs no DNS; should smtpprobe ask
	# anyway, the question must go to loopback (nobody answers there), never
	# to the system resolver.
	PF_RESOLVER=127.0.0.1:$(free_port)
	if ! postfix_start "$FIXTURES/postfix"; then
		echo "not ok - Postfix did not start"
		exit 1
	fi
	echo "# postfix master pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"
}

pf_probe() {
	run_probe --json --timeout 3 --resolver "$PF_RESOLVER" \
		--server "127.0.0.1:$POSTFIX_PORT" "$@"
}

_pf_disconnects_reached() {
	[ "$(postfix_log_count 'postfix/smtpd\[[0-9]+\]: disconnect from')" -ge "$1" ]
}

# postlogd writes asynchronously and smtpd logs the disconnect after the
# client is gone: poll the log (bounded, 5 s) rather than read it at once.
pf_wait_disconnects() {
	wait_until 50 _pf_disconnects_reached "$1"
}

pf_expect_no_data() {
	local label=${1:-"no DATA reached Postfix"}
	if ! pf_wait_disconnects 1; then
		_assert_fail "$label" "smtpd logged no disconnect within 5 s"
		sed 's/^/#   log: /' "$POSTFIX_LOG"
		return
	fi
	# smtpd's disconnect line counts commands: "data=" or "bdat=" appear
	# only if the client sent them; a queued message would log "from=<"
	# from qmgr or a "message-id=" from cleanup.
	expect_eq "$label" \
		"$(postfix_log_count ' (data|bdat)=|qmgr\[[0-9]+\]: [0-9A-F]+: from=|cleanup\[[0-9]+\]: [0-9A-F]+: message-id=')" 0
	grep 'disconnect from' "$POSTFIX_LOG" | sed 's/^/# postfix: /'
}
