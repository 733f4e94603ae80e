#!/bin/bash
# The only MX host has no address: nothing to connect to.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup noaddr.conf implicit.conf
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
expect_jq "the domain's DNS is blamed" "$j" .blame dns

# -6 against a domain whose mail host has only an IPv4 address: the advice
# is about -6, not about the domain's DNS.
probe -6 --port "$port" user@implicit.test
expect_eq "-6, IPv4 only: exit status 68" "$PROBE_RC" 68
expect_jq "-6, IPv4 only: failure" "$PROBE_OUT" .failure no_address
expect_jq "-6, IPv4 only: blamed on the option" "$PROBE_OUT" .blame local
expect_jq "-6, IPv4 only: category" "$PROBE_OUT" .diagnosis.category dns_no_address_family
expect_match "-6, IPv4 only: the message names -6" "$(jq -r .message <<<"$PROBE_OUT")" 'no IPv6 address for implicit\.test \(-6'
expect_match "-6, IPv4 only: the advice names -6" "$(jq -r .diagnosis.remedy <<<"$PROBE_OUT")" 'drop -4/-6'
assert_done
