#!/bin/bash
# The resolver answers SERVFAIL: a temporary failure at step dns.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup servfail.conf
start=$SECONDS
probe user@servfail.test
elapsed=$((SECONDS - start))

expect_eq "exit status 75" "$PROBE_RC" 75
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict tempfail
expect_jq "failure" "$j" .failure servfail
expect_jq "step" "$j" .step dns
expect_jq "no connection attempted" "$j" '.attempts == []' true
expect_match "answered within --timeout (${elapsed}s)" "$elapsed" '^[0-5]$'
assert_done
