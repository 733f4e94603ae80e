#!/bin/bash
# smtpprobe audit against the real Postfix with smtpd TLS (the test CA's
# certificate for mx.tls.test): every SMTP and TLS check passes, the relay
# test is refused by reject_unauth_destination, and no DATA reaches it.
# Then the same Postfix with an expired certificate: tls.expiry fails.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../lib/postfix.sh
. "$SRCDIR/tests/lib/postfix.sh"

certs=$(mktemp -d /tmp/smtpprobe-certs.XXXXXX)
AUDIT_EXTRA_CLEANUP='postfix_stop; rm -rf "$certs"'
bash "$SRCDIR/tests/tls/gen-certs.sh" "$certs" >/dev/null || { echo "not ok - certificates"; exit 1; }
audit_dns audit-tls.conf
t="mx.tls.test [127.0.0.1]"

start() {
	if ! postfix_start "$FIXTURES/postfix" "smtpd_tls_cert_file=$certs/$1.pem" \
		"smtpd_tls_key_file=$certs/$1.key" "smtpd_tls_security_level=may"; then
		echo "not ok - Postfix did not start"
		exit 1
	fi
	AUDIT_PORT=$POSTFIX_PORT
	echo "# postfix pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT ($1 certificate)"
}

_disconnects() {
	[ "$(postfix_log_count 'postfix/smtpd\[[0-9]+\]: disconnect from')" -ge "$1" ]
}

start valid
audit --json --ca-file "$certs/ca.pem" postfix.test
expect_eq "valid certificate: nothing fails, exit 0" "$PROBE_RC" 0
for c in smtp.connect smtp.greeting smtp.greeting-name smtp.ehlo smtp.size smtp.postmaster smtp.open-relay \
	tls.starttls tls.handshake tls.version tls.chain tls.name tls.expiry; do
	expect_status "Postfix: $c passes" postfix.test "$c" "$t" pass
done
expect_evidence "greeting: Postfix's banner" postfix.test smtp.greeting "$t" '^220 mx.postfix.test ESMTP smtpprobe-test'
expect_evidence "relay test: Postfix's refusal" postfix.test smtp.open-relay "$t" 'refused at RCPT TO: 554 5.7.1 .*Relay access denied'
expect_evidence "postmaster@: accepted" postfix.test smtp.postmaster "$t" '^postmaster@postfix.test: 250'
# Two sessions: postmaster@, then the relay test; neither sent DATA, nothing was queued.
if wait_until 50 _disconnects 2; then
	_assert_ok "Postfix saw the two sessions end"
else
	_assert_fail "Postfix saw the two sessions end" "$(cat "$POSTFIX_LOG")"
fi
expect_eq "no DATA or BDAT, no message queued" \
	"$(postfix_log_count ' (data|bdat)=|qmgr\[[0-9]+\]: [0-9A-F]+: from=|cleanup\[[0-9]+\]: [0-9A-F]+: message-id=')" 0
postfix_stop

start expired
audit --json --ca-file "$certs/ca.pem" postfix.test
expect_eq "expired certificate: exit 1" "$PROBE_RC" 1
expect_status "expired certificate: tls.expiry fails" postfix.test tls.expiry "$t" fail
expect_status "expired certificate: the handshake still succeeds" postfix.test tls.handshake "$t" pass
assert_done
