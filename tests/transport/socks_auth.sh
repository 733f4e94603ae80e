#!/bin/bash
# A real SOCKS5 proxy that wants a user name and password (RFC 1929): the
# wrong password is refused by the proxy (step connect, failure proxy, exit
# 75), the right one gets through. Neither password shows in the output.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

user=carol
pass=Right-Px-secret-42
wrong=Wrong-Px-secret-17
socks_start -u "$user" -P "$pass" -b "$TR_PROXY_IP" || { echo "not ok - microsocks did not start"; exit 1; }
echo "# microsocks pid $SOCKS_PID on 127.0.0.1:$SOCKS_PORT (user $user), outgoing from $TR_PROXY_IP"
# One session: only the probe with the right password reaches the server.
fake_start 127.0.0.1 "$TR_DIALOG"

tr_probe -v --server "127.0.0.1:$FAKE_PORT" --proxy "socks5://$user:$wrong@127.0.0.1:$SOCKS_PORT" user@example.test
j=$PROBE_OUT
expect_eq "wrong password: exit status 75" "$PROBE_RC" 75
expect_one_json "wrong password: one JSON line"
expect_jq "wrong password: verdict" "$j" .verdict tempfail
expect_jq "wrong password: step" "$j" .step connect
expect_jq "wrong password: failure" "$j" .failure proxy
expect_jq "wrong password: no reply" "$j" .reply null
expect_eq "wrong password: not in the output" "$(grep -cF -- "$wrong" <<<"$PROBE_OUT$PROBE_ERR")" 0

# Without credentials, this proxy offers no acceptable method.
tr_probe --server "127.0.0.1:$FAKE_PORT" --proxy "socks5://127.0.0.1:$SOCKS_PORT" user@example.test
expect_eq "no credentials: exit status 75" "$PROBE_RC" 75
expect_jq "no credentials: failure" "$PROBE_OUT" .failure proxy

tr_probe -v --server "127.0.0.1:$FAKE_PORT" --proxy "socks5://$user:$pass@127.0.0.1:$SOCKS_PORT" user@example.test
j=$PROBE_OUT
expect_eq "right password: exit status 0" "$PROBE_RC" 0
expect_jq "right password: verdict" "$j" .verdict accepted
expect_eq "right password: not in the output" "$(grep -cF -- "$pass" <<<"$PROBE_OUT$PROBE_ERR")" 0
if tr_via_proxy; then
	_assert_ok "fakesmtp saw the connection come from the proxy ($TR_PROXY_IP)"
else
	_assert_fail "fakesmtp saw the connection come from the proxy ($TR_PROXY_IP)" "$(head -n 1 "$FAKE_DIR/log")"
fi
fake_finish
expect_eq "fakesmtp saw the scripted dialogue (one session)" "$FAKE_RC" 0
assert_done
