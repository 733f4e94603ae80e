#!/bin/bash
# A probe through a real SOCKS5 proxy (microsocks) reaches the server, and
# the server sees the proxy's address, not smtpprobe's. With the proxy gone,
# the same probe fails at step connect with failure proxy: it never falls
# back to a direct connection.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

socks_start -b "$TR_PROXY_IP" || { echo "not ok - microsocks did not start"; exit 1; }
echo "# microsocks pid $SOCKS_PID on 127.0.0.1:$SOCKS_PORT, outgoing from $TR_PROXY_IP"
fake_start 127.0.0.1 "$TR_DIALOG"

tr_probe --server "127.0.0.1:$FAKE_PORT" --proxy "socks5://127.0.0.1:$SOCKS_PORT" user@example.test
j=$PROBE_OUT
expect_eq "exit status 0" "$PROBE_RC" 0
expect_one_json "one JSON line"
expect_jq "verdict" "$j" .verdict accepted
expect_jq "server.port is the target's" "$j" .server.port "$FAKE_PORT"
if tr_via_proxy; then
	_assert_ok "fakesmtp saw the connection come from the proxy ($TR_PROXY_IP)"
else
	_assert_fail "fakesmtp saw the connection come from the proxy ($TR_PROXY_IP)" "$(head -n 1 "$FAKE_DIR/log")"
fi
fake_finish
expect_eq "fakesmtp saw the scripted dialogue" "$FAKE_RC" 0

# The proxy stops; the server is still there: a probe that ignored the
# proxy would be accepted.
dead_proxy=$SOCKS_PORT
socks_stop
fake_start 127.0.0.1 "$TR_DIALOG"
tr_probe --server "127.0.0.1:$FAKE_PORT" --proxy "socks5://127.0.0.1:$dead_proxy" user@example.test
j=$PROBE_OUT
expect_eq "proxy down: exit status 75" "$PROBE_RC" 75
expect_one_json "proxy down: one JSON line"
expect_jq "proxy down: step" "$j" .step connect
expect_jq "proxy down: failure" "$j" .failure proxy
if grep -q '^# session 1: connection from' "$FAKE_DIR/log" 2>/dev/null; then
	_assert_fail "proxy down: no direct connection to the server" "$(head -n 1 "$FAKE_DIR/log")"
else
	_assert_ok "proxy down: no direct connection to the server"
fi
fake_stop
assert_done
