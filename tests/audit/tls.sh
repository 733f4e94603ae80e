#!/bin/bash
# The TLS checks of smtpprobe audit, pass and fail, against fakesmtp with
# STARTTLS and the test PKI (tests/tls/gen-certs.sh): a valid certificate,
# an expired one, one for another name, one expiring within
# --cert-min-days, an untrusted chain, a failed handshake, TLS 1.2 pinned.
# Also the exit status with and without --strict.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

certs=$(mktemp -d /tmp/smtpprobe-certs.XXXXXX)
AUDIT_EXTRA_CLEANUP='rm -rf "$certs"'
bash "$SRCDIR/tests/tls/gen-certs.sh" "$certs" >/dev/null || { echo "not ok - certificates"; exit 1; }
audit_dns audit-tls.conf
audit_port
t="mx.tls.test [127.0.0.1]"

# run_case CERT DIALOG AUDIT-ARGS...: one fakesmtp with CERT, one audit of tlsaudit.test.
run_case() {
	local cert=$1 dialog=$2
	shift 2
	fake_at 127.0.0.1 "$AUDIT_TEST_DIR/$dialog" --cert "$certs/$cert.pem" --key "$certs/$cert.key"
	audit --json "$@" tlsaudit.test
	fakes_finish
	expect_eq "$cert: fakesmtp saw the scripted dialogue" "$FAKES_RC" 0
}

run_case valid tls-good.dialog --ca-file "$certs/ca.pem"
expect_eq "valid: nothing fails, exit 0" "$PROBE_RC" 0
for c in tls.starttls tls.handshake tls.version tls.chain tls.name tls.expiry smtp.postmaster smtp.open-relay; do
	expect_status "valid: $c passes" tlsaudit.test "$c" "$t" pass
done
expect_evidence "valid: the version" tlsaudit.test tls.version "$t" '^TLSv1\.[23]$'
expect_evidence "valid: the issuer" tlsaudit.test tls.chain "$t" 'smtpprobe test CA'
expect_jq "valid: warnings do not fail" "$(tail -n 1 <<<"$AUDIT_JSON")" '.summary.warn > 0 and .summary.fail == 0' true

run_case valid tls-good.dialog --ca-file "$certs/ca.pem" --strict
expect_eq "valid, --strict: the IPv6 warning fails, exit 1" "$PROBE_RC" 1

run_case valid tls-good.dialog
expect_status "valid, without the test CA: chain fails" tlsaudit.test tls.chain "$t" fail
expect_evidence "untrusted: OpenSSL's reason" tlsaudit.test tls.chain "$t" 'local issuer'
expect_status "valid, without the test CA: the name still matches" tlsaudit.test tls.name "$t" pass

run_case expired tls-good.dialog --ca-file "$certs/ca.pem"
expect_status "expired: expiry fails" tlsaudit.test tls.expiry "$t" fail
expect_evidence "expired: the date" tlsaudit.test tls.expiry "$t" '^expired on 2021-01-01'
expect_status "expired: the chain does not verify" tlsaudit.test tls.chain "$t" fail
expect_eq "expired: exit 1" "$PROBE_RC" 1

run_case wrongname tls-good.dialog --ca-file "$certs/ca.pem"
expect_status "wrong name: name fails" tlsaudit.test tls.name "$t" fail
expect_evidence "wrong name: the names it has" tlsaudit.test tls.name "$t" 'does not cover mx.tls.test .*wrong.example.test'
expect_status "wrong name: the chain verifies" tlsaudit.test tls.chain "$t" pass

run_case soon tls-good.dialog --ca-file "$certs/ca.pem"
expect_status "expires in 6 days, --cert-min-days 14 (default): warn" tlsaudit.test tls.expiry "$t" warn
expect_evidence "expires soon: the days left" tlsaudit.test tls.expiry "$t" 'in [56] days \(fewer than 14\)'
expect_eq "expires soon: a warning only, exit 0" "$PROBE_RC" 0
run_case soon tls-good.dialog --ca-file "$certs/ca.pem" --cert-min-days 3
expect_status "expires in 6 days, --cert-min-days 3: pass" tlsaudit.test tls.expiry "$t" pass

run_case valid tls-garbage.dialog --ca-file "$certs/ca.pem"
expect_status "garbage handshake: STARTTLS offered" tlsaudit.test tls.starttls "$t" pass
expect_status "garbage handshake: handshake fails" tlsaudit.test tls.handshake "$t" fail
expect_status "garbage handshake: version skipped" tlsaudit.test tls.version "$t" skip
expect_status "garbage handshake: postmaster@ still checked (clear-text retry)" tlsaudit.test smtp.postmaster "$t" pass

run_case valid tls12.dialog --ca-file "$certs/ca.pem"
expect_status "TLS 1.2: version passes" tlsaudit.test tls.version "$t" pass
expect_evidence "TLS 1.2: named" tlsaudit.test tls.version "$t" '^TLSv1\.2$'
assert_done
