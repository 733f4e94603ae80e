#!/bin/bash
# A domain that does not exist (absent from a static zone): NXDOMAIN.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup nxdomain.conf
probe user@missing.nx.test

expect_eq "exit status 68" "$PROBE_RC" 68
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict rejected
expect_jq "failure" "$j" .failure nxdomain
expect_jq "step" "$j" .step dns
expect_jq "domain" "$j" .domain missing.nx.test
expect_jq "no connection attempted" "$j" '.attempts == []' true
expect_jq "no server" "$j" .server null
assert_done
