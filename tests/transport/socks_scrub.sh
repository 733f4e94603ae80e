#!/bin/bash
# The SOCKS5 proxy's password leaves the process list and the environment
# once smtpprobe has read it: /proc/PID/cmdline and /proc/PID/environ of the
# running probe hold neither --proxy's user:password nor SMTPPROBE_PROXY.
# The "proxy" here accepts and never speaks, so the probe stays in its
# SOCKS5 handshake while the test looks.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secret=Proxy-Pw-77
look() {
	local pid=$1 label=$2
	if ! wait_until 100 fake_connected; then
		_assert_fail "$label: the probe reached the proxy"
		return
	fi
	expect_eq "$label: not in /proc/PID/cmdline" "$(tr '\0' ' ' </proc/"$pid"/cmdline | grep -c "$secret")" 0
	expect_eq "$label: not in /proc/PID/environ" "$(tr '\0' '\n' </proc/"$pid"/environ | grep -c "$secret")" 0
	expect_match "$label: the rest of the URL stays" "$(tr '\0' ' ' </proc/"$pid"/cmdline)" "${3:-.}"
}

fake_start 127.0.0.1 "$SRCDIR/tests/cli/silent.dialog"
"$SMTPPROBE" --timeout 10 --resolver "$TR_RESOLVER" --server 127.0.0.1:25 \
	--proxy "socks5://carol:$secret@127.0.0.1:$FAKE_PORT" user@example.test >/dev/null 2>&1 &
pid=$!
look "$pid" "--proxy" "socks5://\\*+@127\\.0\\.0\\.1:$FAKE_PORT"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
fake_stop

fake_start 127.0.0.1 "$SRCDIR/tests/cli/silent.dialog"
SMTPPROBE_PROXY="socks5://carol:$secret@127.0.0.1:$FAKE_PORT" \
	"$SMTPPROBE" --timeout 10 --resolver "$TR_RESOLVER" --server 127.0.0.1:25 user@example.test >/dev/null 2>&1 &
pid=$!
look "$pid" "SMTPPROBE_PROXY"
expect_eq "SMTPPROBE_PROXY: unset" "$(tr '\0' '\n' </proc/"$pid"/environ | grep -c '^SMTPPROBE_PROXY=.')" 0
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
assert_done
