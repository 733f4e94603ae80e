#!/bin/bash
# The SMTP checks of smtpprobe audit, pass and fail, against fakesmtp on
# one loopback address per MX: a good MX, an open relay, two MX hosts that
# disagree about postmaster@, a refused connection, a 554 greeting and an
# EHLO-less server; the JUnit report validated against the JUnit schema.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tool xmllint libxml2-utils

audit_dns audit.conf
audit_port
fake_at 127.0.0.2 "$AUDIT_TEST_DIR/plain-good.dialog"
fake_at 127.0.0.3 "$AUDIT_TEST_DIR/open-relay.dialog"
fake_at 127.0.0.4 "$AUDIT_TEST_DIR/postmaster-refused.dialog"
fake_at 127.0.0.5 "$AUDIT_TEST_DIR/plain-good.dialog"
fake_at 127.0.0.7 "$AUDIT_TEST_DIR/greeting-554.dialog"
fake_at 127.0.0.8 "$AUDIT_TEST_DIR/helo-only.dialog"
fake_at 127.0.0.15 "$AUDIT_TEST_DIR/hostile.dialog"
junit=$(mktemp /tmp/smtpprobe-audit-junit.XXXXXX)
AUDIT_EXTRA_CLEANUP='rm -f "$junit"'
audit --json --junit "$junit" good.test relay.test pm.test down.test banner.test helo.test evil.test
fakes_finish
expect_eq "every fakesmtp saw its scripted dialogue (nothing after RCPT TO, no DATA)" "$FAKES_RC" 0
expect_eq "a check failed: exit status 1" "$PROBE_RC" 1

g="mx.good.test [127.0.0.2]"
r="mx.relay.test [127.0.0.3]"
p1="mx1.pm.test [127.0.0.4]"
p2="mx2.pm.test [127.0.0.5]"
expect_status "connect: pass" good.test smtp.connect "$g" pass
expect_status "connect: refused fails" down.test smtp.connect "mx.down.test [127.0.0.6]" fail
expect_status "connect refused: the rest is skipped" down.test smtp.postmaster "mx.down.test [127.0.0.6]" skip
expect_status "greeting: pass" good.test smtp.greeting "$g" pass
expect_evidence "greeting: the line as evidence" good.test smtp.greeting "$g" '^220 mx.good.test ESMTP'
expect_status "greeting: 554 fails" banner.test smtp.greeting "mx.banner.test [127.0.0.7]" fail
expect_evidence "greeting: the 554 as evidence" banner.test smtp.greeting "mx.banner.test [127.0.0.7]" '^554 5.7.1'
expect_status "greeting name: FQDN passes" good.test smtp.greeting-name "$g" pass
expect_status "greeting name: localhost warns" relay.test smtp.greeting-name "$r" warn
expect_status "EHLO: pass" good.test smtp.ehlo "$g" pass
expect_status "EHLO refused, HELO only: warn" helo.test smtp.ehlo "mx.helo.test [127.0.0.8]" warn
expect_status "SIZE: pass" good.test smtp.size "$g" pass
expect_evidence "SIZE: the limit" good.test smtp.size "$g" 'SIZE 10240000'
expect_status "SIZE missing: warn" relay.test smtp.size "$r" warn
expect_status "postmaster: accepted passes" good.test smtp.postmaster "$g" pass
expect_status "postmaster: refused fails" pm.test smtp.postmaster "$p1" fail
expect_evidence "postmaster: the 550 as evidence" pm.test smtp.postmaster "$p1" '550 5.1.1'
expect_status "postmaster: the other MX accepts" pm.test smtp.postmaster "$p2" pass
expect_status "postmaster the same everywhere: fails when the MX hosts disagree" pm.test smtp.postmaster-same pm.test fail
expect_status "postmaster the same everywhere: one MX passes" good.test smtp.postmaster-same good.test pass
expect_status "open relay: refused at RCPT passes" good.test smtp.open-relay "$g" pass
expect_status "open relay: refused at MAIL passes" helo.test smtp.open-relay "mx.helo.test [127.0.0.8]" pass
expect_status "open relay: accepted fails" relay.test smtp.open-relay "$r" fail
expect_evidence "open relay: the foreign addresses as evidence" relay.test smtp.open-relay "$r" \
	'MAIL FROM:<smtpprobe-relay-test@example.com> RCPT TO:<smtpprobe-relay-test@example.net> accepted: 250'
expect_status "no STARTTLS: fail" good.test tls.starttls "$g" fail
expect_status "no STARTTLS: handshake skipped" good.test tls.handshake "$g" skip
expect_status "FCrDNS: pass" good.test dns.fcrdns "$g" pass
expect_status "FCrDNS: a PTR name without the address warns" relay.test dns.fcrdns "$r" warn
# A hostile server's bytes: escaped in JSON, never raw on stdout.
e="mx.evil.test [127.0.0.15]"
expect_status "hostile greeting: still a 220" evil.test smtp.greeting "$e" pass
expect_eq "hostile: every line is JSON" "$(jq -c . <<<"$AUDIT_JSON" >/dev/null 2>&1 && echo valid)" valid
expect_eq "hostile: no raw ESC on stdout" "$(grep -c $'\x1b' <<<"$AUDIT_JSON")" 0
expect_eq "hostile: no raw bidi override on stdout" "$(grep -c $'\xe2\x80\xae' <<<"$AUDIT_JSON")" 0
expect_match "hostile: the ESC as an escape in the evidence" "$(_field evil.test smtp.greeting "$e" evidence)" $'^220 mx.evil.test \x1b\\[31mESMTP'
expect_status "hostile: postmaster@ refused" evil.test smtp.postmaster "$e" fail
expect_jq "summary: the last line" "$(tail -n 1 <<<"$AUDIT_JSON")" '.summary.exit_status' 1
expect_jq "each object has the contract's keys" "$(head -n 1 <<<"$AUDIT_JSON")" 'keys | join(",")' \
	"check,domain,evidence,group,rfc,status,target"
expect_eq "no object without a status" "$(jq -r 'select(.check) | select(.status | test("^(pass|warn|fail|skip)$") | not)' <<<"$AUDIT_JSON" | wc -l)" 0

# JUnit: valid against the schema, one testcase per check and target, the failures with their evidence.
if xmllint --noout --schema "$FIXTURES/junit/junit.xsd" "$junit" 2>/tmp/xmllint.$$; then
	_assert_ok "JUnit report is valid against fixtures/junit/junit.xsd"
else
	_assert_fail "JUnit report is valid against fixtures/junit/junit.xsd" "$(cat /tmp/xmllint.$$)"
fi
rm -f /tmp/xmllint.$$
checks=$(grep -c '"check"' <<<"$AUDIT_JSON")
expect_eq "JUnit: one testcase per JSON check" "$(xmllint --xpath 'count(//testcase)' "$junit")" "$checks"
expect_eq "JUnit: failures as in JSON" "$(xmllint --xpath 'count(//testcase/failure)' "$junit")" \
	"$(jq -s 'map(select(.status == "fail")) | length' <<<"$AUDIT_JSON")"
expect_eq "JUnit: one suite per domain" "$(xmllint --xpath 'count(//testsuite)' "$junit")" 7
expect_eq "JUnit: no raw ESC" "$(grep -c $'\x1b' "$junit")" 0
expect_match "JUnit: the open relay's failure message is the evidence" \
	"$(xmllint --xpath "string(//testcase[@classname='relay.test.smtp' and @name='smtp.open-relay $r']/failure/@message)" "$junit")" \
	'^open relay: MAIL FROM'

# The text report of the hostile server: escaped for the terminal too.
fake_at 127.0.0.15 "$AUDIT_TEST_DIR/hostile.dialog"
audit --color always evil.test
fakes_finish
expect_eq "hostile, text: exit 1 (postmaster@ refused)" "$PROBE_RC" 1
expect_eq "hostile, text: only our own escape sequences (colours)" \
	"$(grep -o $'\x1b[^m]*m' <<<"$PROBE_OUT" | LC_ALL=C sort -u | tr '\n' ' ')" $'\x1b[0m \x1b[1;31m \x1b[1;33m \x1b[1m \x1b[2m \x1b[32m '
expect_match "hostile, text: the server's ESC shown as \\x1b" "$PROBE_OUT" 'smtp.greeting +mx.evil.test \[127.0.0.15\] 220 mx.evil.test \\x1b\[31mESMTP \\xe2\\x80\\xae\\x07'
assert_done
