#!/bin/bash
# The only MX host has no address: nothing to connect to.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup noaddr.conf
port=$(dead_port)
probe --port "$port" user@noaddr.test

expect_eq "exit status 68" "$PROBE_RC" 68
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict rejected
expect_jq "failure" "$j" .failure no_address
expect_jq "step" "$j" .step dns
expect_jq "mx listed" "$j" '.mx[0].host' ghost.noaddr.test
expect_jq "no connection attempted" "$j" '.attempts == []' true
assert_done
