#!/bin/bash
# RFC 7505 null MX: no mail host, no connection, even though an A exists.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup nullmx.conf
port=$(dead_port)
probe --port "$port" user@nullmx.test

expect_eq "exit status 68" "$PROBE_RC" 68
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict rejected
expect_jq "failure" "$j" .failure null_mx
expect_jq "step" "$j" .step dns
expect_jq "null_mx" "$j" .null_mx true
expect_jq "no connection attempted" "$j" '.attempts == []' true
expect_jq "no server" "$j" .server null
expect_jq "no reply" "$j" .reply null
assert_done
