#!/bin/bash
# No MX record, only A: the domain itself is the (implicit) mail host.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup implicit.conf
port=$(dead_port)
probe --port "$port" user@implicit.test

expect_eq "exit status 75 (refused)" "$PROBE_RC" 75
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "one mx entry" "$j" '.mx | length' 1
expect_jq "mx[0].implicit" "$j" '.mx[0].implicit' true
expect_jq "mx[0].host is the domain" "$j" '.mx[0].host' implicit.test
expect_jq "attempt on the A record" "$j" '.attempts[0].ip' 127.0.0.31
expect_jq "attempt port" "$j" '.attempts[0].port' "$port"
expect_jq "failure" "$j" .failure refused
expect_jq "null_mx false" "$j" .null_mx false
assert_done
