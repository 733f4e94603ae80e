#!/bin/bash
# A foreign domain from an untrusted client: 554 5.7.1 Relay access denied.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pf_setup
pf_probe someone@elsewhere.test

expect_eq "exit status 69 (the server is not the destination: not the mailbox)" "$PROBE_RC" 69
expect_jq "blame" "$PROBE_OUT" .blame server
expect_jq "mailbox" "$PROBE_OUT" .mailbox unknown
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
