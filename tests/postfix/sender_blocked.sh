#!/bin/bash
# A sender refused by policy. With smtpd_delay_reject = yes Postfix answers
# MAIL FROM with 250 and refuses at RCPT TO: smtpprobe must report step
# rcpt (not mail), 5.7.1 and the server's text.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pf_setup
pf_probe --from blocked@sender.test alice@postfix.test

expect_eq "exit status 77, not 67: the sender is refused, not the mailbox" "$PROBE_RC" 77
expect_jq "blame" "$PROBE_OUT" .blame sender
expect_jq "mailbox" "$PROBE_OUT" .mailbox unknown
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict rejected
expect_jq "step" "$j" .step rcpt
expect_jq "failure" "$j" .failure rejected
expect_match "reply code 554 or 550" "$(jq -r .reply.code <<<"$j")" '^55[04]$'
expect_jq "reply enhanced" "$j" .reply.enhanced 5.7.1
expect_match "reply text" "$(jq -r .reply.text <<<"$j")" 'Sender blocked'
expect_jq "diagnosis names the sender, not the recipient" "$j" .diagnosis.category sender_rejected
pf_expect_no_data
# Two RCPTs went in the pipelined flight: the address and the made-up one of
# the catch-all check; Postfix refused both for the sender.
expect_eq "Postfix logged the sender rejection at RCPT" \
	"$(postfix_log_count 'NOQUEUE: reject: RCPT from .*Sender blocked by policy; from=<blocked@sender.test> to=<alice@postfix.test>')" 1
expect_jq "a made-up address refused for the sender proves nothing about catch-all" "$j" .catch_all null
assert_done
