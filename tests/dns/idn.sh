#!/bin/bash
# An IDN domain: DNS is asked for the A-label form, the result shows both.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup idn.conf
port=$(dead_port)
probe --port "$port" 'info@bücher.test'

expect_eq "exit status 75 (refused)" "$PROBE_RC" 75
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "address as given" "$j" .address 'info@bücher.test'
expect_jq "domain in A-labels" "$j" .domain xn--bcher-kva.test
expect_jq "domain_unicode" "$j" .domain_unicode 'bücher.test'
expect_jq "MX found under the A-label" "$j" '.mx[0].host' mx.xn--bcher-kva.test
expect_jq "attempt ip" "$j" '.attempts[0].ip' 127.0.0.51
expect_jq "failure" "$j" .failure refused
assert_done
