#!/bin/bash
# --catch-all against a real Postfix: a domain that takes any address
# (virtual alias @catchall.test) is reported as accept-all; a domain with a
# recipient table is not.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_smtpprobe
PF_RESOLVER=127.0.0.1:$(free_port)
if ! postfix_start "$FIXTURES/postfix" "virtual_alias_domains=catchall.test" \
	"virtual_alias_maps=inline:{ @catchall.test=alice@postfix.test }"; then
	echo "not ok - Postfix did not start"
	exit 1
fi
echo "# postfix pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"

pf_probe --catch-all anybody@catchall.test
expect_eq "accept-all domain: exit 0" "$PROBE_RC" 0
expect_jq "accept-all: verdict accepted" "$PROBE_OUT" .verdict accepted
expect_jq "accept-all: detected" "$PROBE_OUT" .catch_all true
expect_jq "accept-all: unverifiable" "$PROBE_OUT" .diagnosis.category accepted_catch_all
expect_jq "accept-all: the random address was accepted" "$PROBE_OUT" .catch_all_probe.reply.code 250

pf_probe --catch-all alice@postfix.test
expect_eq "real check: exit 0" "$PROBE_RC" 0
expect_jq "real check: not accept-all" "$PROBE_OUT" .catch_all false
expect_jq "real check: random address refused" "$PROBE_OUT" .catch_all_probe.reply.code 550
expect_jq "real check: diagnosis accepted" "$PROBE_OUT" .diagnosis.category accepted
pf_expect_no_data
assert_done
