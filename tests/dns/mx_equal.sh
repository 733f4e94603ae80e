#!/bin/bash
# Equal preferences: both hosts are listed and, as neither listens, both are
# tried (in either order: RFC 5321 5.1 asks for a random one).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup equal.conf
port=$(dead_port)
probe --port "$port" user@equal.test

expect_eq "exit status 75" "$PROBE_RC" 75
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict tempfail
expect_jq "failure" "$j" .failure refused
expect_jq "step" "$j" .step connect
expect_jq "mx hosts" "$j" '[.mx[].host] | sort | join(",")' a.equal.test,b.equal.test
expect_jq "mx preferences" "$j" '[.mx[].preference | tostring] | join(",")' 10,10
expect_jq "both attempted" "$j" '[.attempts[].host] | sort | join(",")' a.equal.test,b.equal.test
expect_jq "attempts follow .mx" "$j" '[.attempts[].host] == [.mx[].host]' true
expect_jq "attempt ips" "$j" '[.attempts[].ip] | sort | join(",")' 127.0.0.21,127.0.0.22
expect_jq "all refused" "$j" '[.attempts[].failure] | unique | join(",")' refused
expect_jq "no server reached" "$j" .server null
assert_done
