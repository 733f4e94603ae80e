#!/bin/bash
# socks5h: the proxy resolves the server name. microsocks runs with its own
# /etc/hosts holding mx.proxied.test; nothing else on this machine can
# resolve that name (smtpprobe's --resolver is a dead loopback port). So
# socks5h:// is accepted, while socks5:// (smtpprobe resolves) fails at dns.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=mx.proxied.test
hosts=$(mktemp /tmp/smtpprobe-hosts.XXXXXX)
printf '127.0.0.1\t%s\n' "$name" >"$hosts"
socks_start --hosts "$hosts" -b "$TR_PROXY_IP"
case $? in
0) ;;
2)
	rm -f "$hosts"
	skip_test "no private mount namespace here (unshare/mount): cannot give the proxy its own /etc/hosts"
	;;
*)
	rm -f "$hosts"
	echo "not ok - microsocks did not start"
	exit 1
	;;
esac
rm -f "$hosts" # microsocks has it bind-mounted; the name stays with it
echo "# microsocks pid $SOCKS_PID on 127.0.0.1:$SOCKS_PORT, resolving $name itself"
if getent hosts "$name" >/dev/null 2>&1; then
	skip_test "$name resolves outside the proxy too: the test would prove nothing"
fi

fake_start 127.0.0.1 "$TR_DIALOG"
tr_probe --server "$name:$FAKE_PORT" --proxy "socks5h://127.0.0.1:$SOCKS_PORT" user@example.test
j=$PROBE_OUT
expect_eq "socks5h: exit status 0" "$PROBE_RC" 0
expect_one_json "socks5h: one JSON line"
expect_jq "socks5h: verdict" "$j" .verdict accepted
expect_jq "socks5h: server.host" "$j" .server.host "$name"
if tr_via_proxy; then
	_assert_ok "fakesmtp saw the connection come from the proxy ($TR_PROXY_IP)"
else
	_assert_fail "fakesmtp saw the connection come from the proxy ($TR_PROXY_IP)" "$(head -n 1 "$FAKE_DIR/log")"
fi
fake_finish
expect_eq "fakesmtp saw the scripted dialogue" "$FAKE_RC" 0

# The control: socks5:// makes smtpprobe resolve the name itself, and it cannot.
tr_probe --server "$name:25" --proxy "socks5://127.0.0.1:$SOCKS_PORT" user@example.test
expect_jq "socks5 (local resolution): fails at step dns" "$PROBE_OUT" .step dns
expect_jq "socks5 (local resolution): not accepted" "$PROBE_OUT" '.verdict != "accepted"' true
assert_done
