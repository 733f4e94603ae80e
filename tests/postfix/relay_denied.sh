#!/bin/bash
# A foreign domain from an untrusted client: 554 5.7.1 Relay access denied.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pf_setup
pf_probe someone@elsewhere.test

expect_eq "exit status 67" "$PROBE_RC" 67
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict rejected
expect_jq "step" "$j" .step rcpt
expect_jq "failure" "$j" .failure rejected
expect_jq "reply code" "$j" .reply.code 554
expect_jq "reply enhanced" "$j" .reply.enhanced 5.7.1
expect_match "reply text" "$(jq -r .reply.text <<<"$j")" 'Relay access denied'
pf_expect_no_data
assert_done
