#!/bin/bash
# 30 recipients at one domain, 15 known and 15 unknown, against a real
# Postfix: shared sessions give the same verdicts as one session per
# address, and Postfix's error limits are respected (its log shows no
# "too many errors" and no disconnect for errors): the sessions end before
# smtpd_soft_error_limit (10) is reached.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_smtpprobe
PF_RESOLVER=127.0.0.1:$(free_port)
if ! postfix_start "$FIXTURES/postfix" 'local_recipient_maps=texthash:@CONFIG_DIR@/recipients.many'; then
	echo "not ok - Postfix did not start"
	exit 1
fi
echo "# postfix pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"

addresses=()
for i in $(seq -w 1 30); do
	addresses+=("user$i@postfix.test")
done

pf_probe "${addresses[@]}"
shared=$PROBE_OUT
expect_eq "shared: exit 67 (the unknown ones)" "$PROBE_RC" 67
expect_eq "shared: 30 results" "$(grep -c . <<<"$shared")" 30
pf_wait_disconnects 1
sessions=$(postfix_log_count 'disconnect from')
expect_match "shared: a few sessions, not 30" "$sessions" '^[2-5]$'

pf_probe --rcpt-per-session 1 "${addresses[@]}"
single=$PROBE_OUT
expect_eq "one per session: 30 results" "$(grep -c . <<<"$single")" 30

verdicts() { jq -r '[.address, .verdict, .mailbox, .blame, (.reply.code|tostring)] | @tsv' <<<"$1"; }
expect_eq "the same verdicts either way" "$(verdicts "$shared")" "$(verdicts "$single")"
expect_eq "15 exist" "$(jq -s 'map(select(.mailbox == "exists")) | length' <<<"$shared")" 15
expect_eq "15 not found" "$(jq -s 'map(select(.mailbox == "not_found")) | length' <<<"$shared")" 15

pf_wait_disconnects $((sessions + 30))
expect_eq "Postfix never hit its error limits" "$(postfix_log_count 'too many errors|hard error limit|soft error limit')" 0
# smtpd's disconnect line counts RCPTs as accepted/sent: no session took 10 refusals
max_refused=$(grep -o 'rcpt=[0-9]*/[0-9]*' "$POSTFIX_LOG" | awk -F'[=/]' '{ r = $3 - $2; if (r > m) m = r } END { print m + 0 }')
expect_match "no session took 10 refusals (most: $max_refused)" "$max_refused" '^[0-9]$'
pf_expect_no_data
assert_done
