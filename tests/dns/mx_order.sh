#!/bin/bash
# MX order: the preference 10 host is tried first (and, as it accepts, is the
# only one tried). fakesmtp listens on mx1's address 127.0.0.11 only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup order.conf
fake_start 127.0.0.11 "$DNS_TEST_DIR/accepted.dialog"
probe --port "$FAKE_PORT" user@order.test
fake_finish

expect_eq "exit status 0" "$PROBE_RC" 0
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict accepted
expect_jq "step" "$j" .step rcpt
expect_jq "failure" "$j" .failure none
expect_jq "two MX hosts" "$j" '.mx | length' 2
expect_jq "mx[0] is the best" "$j" '.mx[0].host' mx1.order.test
expect_jq "mx[0] preference" "$j" '.mx[0].preference' 10
expect_jq "mx[1] is the backup" "$j" '.mx[1].host' mx2.order.test
expect_jq "mx[1] preference" "$j" '.mx[1].preference' 20
expect_jq "server.host" "$j" .server.host mx1.order.test
expect_jq "server.ip" "$j" .server.ip 127.0.0.11
expect_jq "server.port" "$j" .server.port "$FAKE_PORT"
expect_jq "one attempt" "$j" '.attempts | length' 1
expect_jq "attempt on mx1" "$j" '.attempts[0].host' mx1.order.test
expect_jq "null_mx false" "$j" .null_mx false
expect_eq "fakesmtp saw the scripted dialogue" "$FAKE_RC" 0
assert_done
