#!/bin/bash
# The deploy-pipeline use of --expect against a real Postfix, the MX of
# shop.test (fixtures/dns/demo.conf, served by unbound): sales@ and
# postmaster@ accept, noreply@ is refused, so the file saying so passes
# (exit 0); a wrong expectation fails (exit 1) with the Postfix reply in
# the output and in the JUnit failure, which validates against
# fixtures/junit/junit.xsd. No DATA reaches Postfix.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../lib/unbound.sh
. "$SRCDIR/tests/lib/unbound.sh"
require_tool xmllint libxml2-utils
require_smtpprobe

work=$(mktemp -d)
cleanup() {
	postfix_stop
	unbound_stop
	rm -rf "$work"
}
trap cleanup EXIT

if ! unbound_start "$FIXTURES/dns/demo.conf"; then
	echo "not ok - unbound did not start"
	exit 1
fi
if ! postfix_start "$FIXTURES/postfix" myhostname=mx.shop.test mydomain=shop.test mydestination=shop.test \
	'local_recipient_maps=texthash:@CONFIG_DIR@/recipients.demo'; then
	echo "not ok - Postfix did not start"
	exit 1
fi
echo "# unbound on 127.0.0.1:$UNBOUND_PORT, postfix master pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"
XSD=$FIXTURES/junit/junit.xsd
xp() { xmllint --xpath "$2" "$1" 2>&1; }
run_expect() {
	run_probe --expect "$1" --resolver "127.0.0.1:$UNBOUND_PORT" --port "$POSTFIX_PORT" --timeout 5 "${@:2}"
}

cat >"$work/deploy.txt" <<'X'
# What the deploy pipeline asserts about shop.test's mail.
sales@shop.test       accepted
postmaster@shop.test  accepted rcpt
noreply@shop.test     rejected rcpt recipient_unknown recipient code=550
X
run_expect "$work/deploy.txt" --junit "$work/deploy.xml"
expect_eq "the right expectations: exit 0" "$PROBE_RC" 0
expect_eq "one ok line per expectation, in file order" "$(printf '%s\n' "$PROBE_OUT" | grep '^ok ' | awk '{print $2}')" \
"sales@shop.test
postmaster@shop.test
noreply@shop.test"
expect_eq "three ok lines" "$(printf '%s\n' "$PROBE_OUT" | grep -c '^ok ')" 3
expect_eq "summary" "$(printf '%s\n' "$PROBE_OUT" | tail -n 1)" "3 passed, 0 failed"
out=$(xmllint --noout --schema "$XSD" "$work/deploy.xml" 2>&1)
expect_eq "JUnit validates ($out)" "$?" 0
expect_eq "JUnit: 3 tests, 0 failures" "$(xp "$work/deploy.xml" 'concat(//testsuite/@tests, " ", //testsuite/@failures)')" "3 0"

# noreply@ expected to accept: the job fails, with Postfix's refusal as the evidence.
cat >"$work/wrong.txt" <<'X'
sales@shop.test       accepted
noreply@shop.test     accepted
X
run_expect "$work/wrong.txt" --junit "$work/wrong.xml"
expect_eq "a wrong expectation: exit 1" "$PROBE_RC" 1
expect_match "FAIL with expected vs got" "$PROBE_OUT" $'FAIL noreply@shop.test accepted  \\('"$work"$'/wrong.txt:2\\)\n     verdict +expected accepted, got rejected\n'
expect_match "the Postfix reply that decided" "$PROBE_OUT" \
	$'\n     reply +550 5\\.1\\.1 <noreply@shop\\.test>: Recipient address rejected: User unknown in local recipient table\n     result +RCPT TO rejected by mx\\.shop\\.test \\[127\\.0\\.0\\.1\\]:'"$POSTFIX_PORT"
expect_eq "summary" "$(printf '%s\n' "$PROBE_OUT" | tail -n 1)" "1 passed, 1 failed"
out=$(xmllint --noout --schema "$XSD" "$work/wrong.xml" 2>&1)
expect_eq "JUnit with a failure validates ($out)" "$?" 0
expect_eq "JUnit: 2 tests, 1 failure" "$(xp "$work/wrong.xml" 'concat(//testsuite/@tests, " ", //testsuite/@failures)')" "2 1"
expect_eq "JUnit: the failing case" "$(xp "$work/wrong.xml" 'concat(//testcase[failure]/@classname, "|", //testcase[failure]/@name, "|", //failure/@message)')" \
	"shop.test|noreply@shop.test accepted|verdict: expected accepted, got rejected"
expect_match "JUnit: the failure text holds Postfix's reply and the server" "$(xp "$work/wrong.xml" 'string(//failure)')" \
	'reply +550 5\.1\.1 <noreply@shop\.test>: Recipient address rejected: User unknown in local recipient table.*result +RCPT TO rejected by mx\.shop\.test \[127\.0\.0\.1\]'

pf_expect_no_data "no DATA reached Postfix"
assert_done
