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

# A batch of three addresses at one domain asks the catch-all question once:
# of the three sessions Postfix logs, one has two RCPTs (one refused:
# "rcpt=1/2"), the others one each.
pf_wait_disconnects 3
before=$(postfix_log_count 'disconnect from')
pf_probe alice@postfix.test alice@postfix.test alice@postfix.test
expect_eq "batch: exit 0" "$PROBE_RC" 0
expect_eq "batch: three results" "$(grep -c . <<<"$PROBE_OUT")" 3
expect_eq "batch: one shared answer reused twice" "$(jq -s 'map(.catch_all_probe.shared) | map(select(.)) | length' <<<"$PROBE_OUT")" 2
pf_wait_disconnects $((before + 3))
expect_eq "batch: Postfix saw three sessions" "$(( $(postfix_log_count 'disconnect from') - before ))" 3
expect_eq "batch: Postfix saw the made-up recipient once" \
	"$(tail -n +1 "$POSTFIX_LOG" | grep 'disconnect from' | tail -n 3 | grep -c 'rcpt=1/2')" 1
pf_expect_no_data
assert_done
