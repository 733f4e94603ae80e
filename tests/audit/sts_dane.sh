#!/bin/bash
# smtpprobe audit's MTA-STS, TLS-RPT and DANE checks, end to end: a
# DNSSEC-signed zone and an unsigned one behind a validating unbound
# (tests/lib/dnssec.sh), the MTA-STS policy served over HTTPS by openssl
# s_server (tests/lib/https.sh), the MX played by fakesmtp with STARTTLS
# and a chain from the test CA.
#   example.test      unsigned: MTA-STS policy good, then not covering the
#                     MX (mode testing, max_age an hour), then served with a
#                     certificate for another name; TLS-RPT good; TLSA not
#                     validated
#   dane.test         signed: TLSA validated and matching; TLS-RPT invalid
#   wrong.dane.test   signed: TLSA validated, matching nothing; MTA-STS
#                     record invalid
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=../lib/dnssec.sh
. "$SRCDIR/tests/lib/dnssec.sh"
# shellcheck source=../lib/https.sh
. "$SRCDIR/tests/lib/https.sh"
require_smtpprobe
require_tool jq jq

work=$(mktemp -d /tmp/smtpprobe-audit-sts.XXXXXX)
AUDIT_EXTRA_CLEANUP='https_stop_all; dnssec_stop; rm -rf "$work"'
bash "$SRCDIR/tests/tls/gen-certs.sh" "$work/certs" >/dev/null || { echo "not ok - certificates"; exit 1; }
certs=$work/certs
cat "$certs/mxdane.pem" "$certs/ca.pem" >"$work/chain.pem"
ee=$(openssl x509 -in "$certs/mxdane.pem" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)

dnssec_init || { echo "not ok - dnssec_init"; exit 1; }
sed -e "s/@EE@/$ee/g" "$FIXTURES/audit/audit-dane.test.zone" >"$DNSSEC_DIR/dane.zone"
sed -e "s/@EE@/$ee/g" "$FIXTURES/audit/audit-example.test.zone" >"$DNSSEC_DIR/example.zone"
dnssec_sign dane.test "$DNSSEC_DIR/dane.zone" || { echo "not ok - signing the zone"; exit 1; }
dnssec_start "dane.test=$DNSSEC_DIR/dane.test.signed" "example.test=$DNSSEC_DIR/example.zone" ||
	{ echo "not ok - the DNSSEC resolvers"; exit 1; }
echo "# validator on 127.0.0.1:$DNSSEC_PORT"
UNBOUND_PORT=$DNSSEC_PORT   # audit() asks this resolver

# The policy: s_server -HTTP reads the response file at every request, so a case rewrites it.
policy() { # BODY
	printf '%b' "$1" >"$work/policy.body"
	https_response "$work/www" "200 OK" "text/plain; charset=utf-8" "$work/policy.body"
}
mkdir -p "$work/www" "$work/www-wrong"
policy 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n'
https_start "$work/www" "$certs/mtasts.pem" "$certs/mtasts.key" || { echo "not ok - s_server"; exit 1; }
good_https=$HTTPS_PORT
cp -r "$work/www/.well-known" "$work/www-wrong/"
https_start "$work/www-wrong" "$certs/valid.pem" "$certs/valid.key" || { echo "not ok - s_server"; exit 1; }
wrong_https=$HTTPS_PORT

# run_case DOMAIN HTTPS_PORT [CERT KEY]: one fakesmtp (two sessions: postmaster@, relay test), one audit.
run_case() {
	fake_at 127.0.0.1 "$AUDIT_TEST_DIR/tls-any.dialog" --cert "${3:-$work/chain.pem}" --key "${4:-$certs/mxdane.key}"
	SMTPPROBE_TEST_HTTPS_PORT=$2 audit --json --ca-file "$certs/ca.pem" "$1"
	fakes_finish
	expect_eq "$1: fakesmtp saw the scripted dialogue" "$FAKES_RC" 0
}
mx="mx.example.test [127.0.0.1]"

run_case example.test "$good_https"
for c in mta-sts.record mta-sts.policy mta-sts.mode mta-sts.max-age tls-rpt.record; do
	expect_status "good policy: $c passes" example.test "$c" example.test pass
done
expect_evidence "policy: what it says" example.test mta-sts.policy example.test '^mode enforce, max_age 604800, mx mx.example.test$'
expect_evidence "TLS-RPT: the destination" example.test tls-rpt.record example.test 'rua=mailto:tlsrpt@example.test'
expect_status "good policy: the MX is covered" example.test mta-sts.mx mx.example.test pass
expect_status "good policy: the MX certificate is valid for it" example.test mta-sts.cert "$mx" pass
expect_status "unsigned TLSA: reported as not validated" example.test dane.tlsa mx.example.test warn
expect_evidence "unsigned TLSA: says so" example.test dane.tlsa mx.example.test 'not DNSSEC-validated'
expect_status "unsigned TLSA: the chain matches, but only a warning" example.test dane.match "$mx" warn
expect_eq "warnings only: exit 0" "$PROBE_RC" 0

policy 'version: STSv1\nmode: testing\nmx: other.example.test\nmax_age: 3600\n'
run_case example.test "$good_https"
expect_status "policy without the MX: mta-sts.mx fails" example.test mta-sts.mx mx.example.test fail
expect_status "mode testing: warn" example.test mta-sts.mode example.test warn
expect_status "max_age an hour: warn" example.test mta-sts.max-age example.test warn
expect_eq "the MX not covered: exit 1" "$PROBE_RC" 1

policy 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n'
run_case example.test "$wrong_https"
expect_status "policy over a certificate for another name: fails" example.test mta-sts.policy example.test fail
expect_evidence "bad certificate: says so" example.test mta-sts.policy example.test '\(certificate\)$'
expect_eq "bad certificate: no mx check without a policy" "$(status example.test mta-sts.mx mx.example.test)" ""

run_case example.test "$good_https" "$certs/valid.pem" "$certs/valid.key"
expect_status "MX certificate for another name: mta-sts.cert fails" example.test mta-sts.cert "$mx" fail
expect_evidence "MX certificate for another name: says which" example.test mta-sts.cert "$mx" 'no DNS name of the certificate covers mx.example.test'
expect_status "MX certificate for another name: the policy itself is fine" example.test mta-sts.policy example.test pass

run_case dane.test "$good_https"
expect_status "signed TLSA: validated" dane.test dane.tlsa mx.dane.test pass
expect_status "signed TLSA: matches" dane.test dane.match "mx.dane.test [127.0.0.1]" pass
expect_evidence "signed TLSA: which record" dane.test dane.match "mx.dane.test [127.0.0.1]" '^DANE-EE 1 1 matched at depth 0$'
expect_status "no MTA-STS record: skipped" dane.test mta-sts.record dane.test skip
expect_status "TLS-RPT with an ftp: rua: fails" dane.test tls-rpt.record dane.test fail

# --tls none: nothing to check the TLSA records against, said so.
fake_at 127.0.0.1 "$AUDIT_TEST_DIR/plain-good.dialog"
SMTPPROBE_TEST_HTTPS_PORT=$good_https audit --json --tls none dane.test
fakes_finish
expect_eq "--tls none: fakesmtp saw no STARTTLS" "$FAKES_RC" 0
expect_status "--tls none: tls.starttls skipped" dane.test tls.starttls "mx.dane.test [127.0.0.1]" skip
expect_status "--tls none: dane.match skipped" dane.test dane.match "mx.dane.test [127.0.0.1]" skip
expect_status "--tls none: the TLSA records still looked up" dane.test dane.tlsa mx.dane.test pass

run_case wrong.dane.test "$good_https"
expect_status "wrong TLSA: validated" wrong.dane.test dane.tlsa ta.dane.test pass
expect_status "wrong TLSA: no match fails" wrong.dane.test dane.match "ta.dane.test [127.0.0.1]" fail
expect_status "MTA-STS record with an empty id: fails" wrong.dane.test mta-sts.record wrong.dane.test fail
expect_status "invalid MTA-STS record: no policy fetched" wrong.dane.test mta-sts.policy wrong.dane.test skip
expect_status "no TLS-RPT record: skipped" wrong.dane.test tls-rpt.record wrong.dane.test skip
assert_done
