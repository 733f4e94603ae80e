#!/bin/bash
# -4 / -6 restrict the address family of the MX host's addresses.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' || skip_test "no IPv6 loopback on this machine"
dns_setup family.conf

fake_start "[::1]" "$DNS_TEST_DIR/accepted.dialog"
probe -6 --port "$FAKE_PORT" user@family.test
fake_finish
expect_eq "-6: accepted" "$PROBE_RC" 0
expect_jq "-6: over ::1" "$PROBE_OUT" .server.ip ::1
expect_jq "-6: only IPv6 tried" "$PROBE_OUT" '[.attempts[].ip] | join(",")' ::1
expect_eq "-6: fakesmtp saw the dialogue" "$FAKE_RC" 0

probe -4 --port "$(dead_port)" user@family.test
expect_eq "-4: refused, exit 75" "$PROBE_RC" 75
expect_jq "-4: only IPv4 tried" "$PROBE_OUT" '[.attempts[].ip] | join(",")' 127.0.0.33
expect_jq "-4: refused" "$PROBE_OUT" .failure refused

# Both families: IPv6 first, then IPv4, for the same host.
probe --port "$(dead_port)" user@family.test
expect_jq "default: IPv6 then IPv4" "$PROBE_OUT" '[.attempts[].ip] | join(",")' ::1,127.0.0.33
assert_done
