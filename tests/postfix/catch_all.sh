#!/bin/bash
# The catch-all check (on by default) against a real Postfix: a domain that
# takes any address (virtual alias @catchall.test) is reported as accept-all
# and its mailboxes as unverifiable; a domain with a recipient table is not.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_smtpprobe
PF_RESOLVER=127.0.0.1:$(free_port)
if ! postfix_start "$FIXTURES/postfix" "virtual_alias_domains=catchall.test" \
	"virtual_alias_maps=inline:{ @catchall.test=alice@postfix.test }"; then
	echo "not ok - Postfix did not start"
	exit 1
fi
echo "# postfix pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"

pf_probe anybody@catchall.test
expect_eq "accept-all domain: exit 0" "$PROBE_RC" 0
expect_jq "accept-all: verdict accepted" "$PROBE_OUT" .verdict accepted
expect_jq "accept-all: detected" "$PROBE_OUT" .catch_all true
expect_jq "accept-all: unverifiable" "$PROBE_OUT" .diagnosis.category accepted_catch_all
expect_jq "accept-all: the random address was accepted" "$PROBE_OUT" .catch_all_probe.reply.code 250
expect_jq "accept-all: mailbox unverifiable" "$PROBE_OUT" .mailbox unverifiable
expect_jq "accept-all: blame none" "$PROBE_OUT" .blame none
pf_probe --require-mailbox anybody@catchall.test
expect_eq "accept-all with --require-mailbox: exit 79" "$PROBE_RC" 79

pf_probe alice@postfix.test
expect_eq "real check: exit 0" "$PROBE_RC" 0
expect_jq "real check: not accept-all" "$PROBE_OUT" .catch_all false
expect_jq "real check: random address refused" "$PROBE_OUT" .catch_all_probe.reply.code 550
expect_jq "real check: diagnosis accepted" "$PROBE_OUT" .diagnosis.category accepted
expect_jq "real check: mailbox exists" "$PROBE_OUT" .mailbox exists

# Three addresses at one domain (one twice) share one session: one MAIL
# FROM, the made-up address asked once, the duplicate probed once; Postfix
# logs one session with three RCPTs, two of them refused.
pf_wait_disconnects 3
before=$(postfix_log_count 'disconnect from')
pf_probe alice@postfix.test nobody@postfix.test alice@postfix.test
expect_eq "batch: exit 67 (nobody)" "$PROBE_RC" 67
expect_eq "batch: three results" "$(grep -c . <<<"$PROBE_OUT")" 3
expect_jq "batch: alice accepted" "$(sed -n 1p <<<"$PROBE_OUT")" .mailbox exists
expect_jq "batch: nobody not found" "$(sed -n 2p <<<"$PROBE_OUT")" .mailbox not_found
expect_jq "batch: the duplicate has the same answer" "$(sed -n 3p <<<"$PROBE_OUT")" .mailbox exists
expect_jq_true "batch: the duplicate says it was probed once" "$(sed -n 3p <<<"$PROBE_OUT")" 'any(.notes[]; test("probed once"))'
pf_wait_disconnects $((before + 1))
expect_eq "batch: Postfix saw one session" "$(( $(postfix_log_count 'disconnect from') - before ))" 1
expect_match "batch: one MAIL, three RCPTs, two refused" "$(grep 'disconnect from' "$POSTFIX_LOG" | tail -n 1)" 'mail=1 rcpt=1/3'
pf_expect_no_data
assert_done
