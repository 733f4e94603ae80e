#!/bin/bash
# The primary MX refuses the connection (127.0.0.2: nothing listens on the
# port), the backup MX (127.0.0.3, fakesmtp) accepts.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup backup.conf
fake_start 127.0.0.3 "$DNS_TEST_DIR/accepted.dialog"
probe --port "$FAKE_PORT" user@backup.test
fake_finish

expect_eq "exit status 0" "$PROBE_RC" 0
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict accepted
expect_jq "mx[0] is the primary" "$j" '.mx[0].host' mx1.backup.test
expect_jq "two attempts" "$j" '.attempts | length' 2
expect_jq "primary tried first" "$j" '.attempts[0].ip' 127.0.0.2
expect_jq "primary refused" "$j" '.attempts[0].failure' refused
expect_jq "primary failed at connect" "$j" '.attempts[0].step' connect
expect_jq "backup tried second" "$j" '.attempts[1].ip' 127.0.0.3
expect_jq "backup accepted" "$j" '.attempts[1].failure' none
expect_jq "server.ip" "$j" .server.ip 127.0.0.3
expect_jq "server.host" "$j" .server.host mx2.backup.test
expect_jq "reply code" "$j" .reply.code 250
expect_eq "fakesmtp saw the scripted dialogue" "$FAKE_RC" 0
assert_done
