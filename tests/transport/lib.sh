# shellcheck shell=bash
# Common set-up for the SOCKS5 tests against a real proxy (microsocks):
# sourced by each tests/transport/socks_*.sh. SMTPPROBE and FIXTURES come
# from meson's test environment, fakesmtp's path is the first argument.
#
#   tr_probe ARGS...    run_probe --json --timeout 3 --resolver DEAD ARGS
#                       (DEAD: a loopback port nobody answers on, so no
#                       name is ever resolved by anything but the proxy)
#   tr_via_proxy        fakesmtp's log shows the connection came from the
#                       proxy's outgoing address ($TR_PROXY_IP, microsocks -b)
# Also everything in tests/dns/lib.sh (fake_start, fake_finish, asserts)
# and tests/lib/socks.sh. fakesmtp and microsocks are stopped by PID on exit.

TR_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SRCDIR:=$(cd "$TR_TEST_DIR/../.." && pwd)}"

# shellcheck source=../dns/lib.sh
. "$SRCDIR/tests/dns/lib.sh"
# shellcheck source=../lib/socks.sh
. "$SRCDIR/tests/lib/socks.sh"

# smtpprobe connects from 127.0.0.1; the proxy's connections leave from here.
TR_PROXY_IP=127.0.0.2
# shellcheck disable=SC2034 # used by the scripts that source this file
TR_DIALOG=$SRCDIR/tests/dns/accepted.dialog

tr_cleanup() {
	fake_stop
	socks_stop
}
trap tr_cleanup EXIT

require_smtpprobe
require_tool microsocks microsocks
TR_RESOLVER=127.0.0.1:$(free_port)

tr_probe() {
	run_probe --json --timeout 3 --resolver "$TR_RESOLVER" "$@"
}

# fakesmtp's log stays until fake_stop (fake_finish keeps it).
tr_via_proxy() {
	grep -q "^# session 1: connection from $TR_PROXY_IP port " "$FAKE_DIR/log"
}
