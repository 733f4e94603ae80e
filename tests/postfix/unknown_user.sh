#!/bin/bash
# An unknown user in a local domain: 550 5.1.1 at RCPT TO, exit 67.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pf_setup
pf_probe bob@postfix.test

expect_eq "exit status 67" "$PROBE_RC" 67
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict rejected
expect_jq "step" "$j" .step rcpt
expect_jq "failure" "$j" .failure rejected
expect_jq "reply code" "$j" .reply.code 550
expect_jq "reply enhanced" "$j" .reply.enhanced 5.1.1
expect_match "reply text" "$(jq -r .reply.text <<<"$j")" 'User unknown in local recipient table'
expect_jq "server.ip" "$j" .server.ip 127.0.0.1
expect_jq "blame: the recipient" "$j" .blame recipient
expect_jq "mailbox: not found" "$j" .mailbox not_found
expect_jq "no catch-all check after a refused recipient" "$j" .catch_all_probe null
pf_expect_no_data
assert_done
