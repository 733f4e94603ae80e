#!/bin/bash
# A real Postfix with smtpd TLS: STARTTLS, the certificate audit, --tls-verify,
# and a server that insists on TLS before MAIL FROM.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_smtpprobe

certs=$(mktemp -d /tmp/smtpprobe-certs.XXXXXX)
trap 'postfix_stop; rm -rf "$certs"' EXIT
bash "$SRCDIR/tests/tls/gen-certs.sh" "$certs" >/dev/null || { echo "not ok - certificates"; exit 1; }
PF_RESOLVER=127.0.0.1:$(free_port)

start() {
	if ! postfix_start "$FIXTURES/postfix" "smtpd_tls_cert_file=$certs/$1.pem" \
		"smtpd_tls_key_file=$certs/$1.key" "smtpd_tls_security_level=$2"; then
		echo "not ok - Postfix did not start"
		exit 1
	fi
	echo "# postfix pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT ($1 certificate, TLS $2)"
}

start valid may
pf_probe --tls-name mx.tls.test --ca-file "$certs/ca.pem" --tls-verify alice@postfix.test
expect_eq "STARTTLS, verified: exit 0" "$PROBE_RC" 0
j=$PROBE_OUT
expect_jq "accepted" "$j" .verdict accepted
expect_match "TLS version" "$(jq -r .tls.version <<<"$j")" '^TLSv1\.[23]$'
expect_jq "chain verified" "$j" .tls.verified true
expect_jq "name checked" "$j" .tls.name mx.tls.test
expect_jq "name matched" "$j" .tls.name_matched true
expect_jq "SAN listed" "$j" '.tls.san | index("DNS:mx.tls.test") != null' true
expect_jq "issuer is the test CA" "$j" '.tls.issuer | test("smtpprobe test CA")' true
expect_jq_true "days left positive" "$j" '.tls.days_left > 300'

# Three sessions to the same server in one run (one recipient each): the
# first handshake is in full and hands out a TLS 1.3 ticket, the second
# resumes with it (Postfix gives one ticket per full handshake, none after a
# resumption, and takes each once: the third is in full again), and every
# result still has its verified certificate.
run_probe -v --timeout 3 --resolver "$PF_RESOLVER" --server "127.0.0.1:$POSTFIX_PORT" --rcpt-per-session 1 \
	--tls-name mx.tls.test --ca-file "$certs/ca.pem" --tls-verify alice@postfix.test postmaster@postfix.test nobody@postfix.test
expect_eq "resumption: exit 67 (nobody)" "$PROBE_RC" 67
expect_match "resumption: the first handshake in full" "$(grep -m1 '\*\*\* TLS ' <<<"$PROBE_ERR")" 'TLS established'
expect_eq "resumption: the second resumed" "$(grep '\*\*\* TLS ' <<<"$PROBE_ERR" | sed -n 2p | grep -c 'TLS resumed')" 1
expect_eq "resumption: still verified, shown once per server" "$(grep -c '^  verify   chain trusted; name mx.tls.test matches' <<<"$PROBE_OUT")" 1
expect_jq "ehlo.starttls: offered before TLS (the EHLO after it does not)" "$j" .ehlo.starttls true
expect_eq "the EHLO after TLS offers no STARTTLS" "$(jq -r '.ehlo.keywords | map(select(. == "STARTTLS")) | length' <<<"$j")" 0

# Not trusted without the CA: a note by default, the result with --tls-verify.
pf_probe --tls-name mx.tls.test alice@postfix.test
expect_eq "untrusted, no --tls-verify: exit 0" "$PROBE_RC" 0
expect_jq "untrusted: reported" "$PROBE_OUT" .tls.verified false
expect_jq_true "untrusted: noted" "$PROBE_OUT" '.notes | any(test("not trusted"))'
pf_probe --tls-name mx.tls.test --tls-verify alice@postfix.test
expect_eq "untrusted with --tls-verify: exit 69" "$PROBE_RC" 69
expect_jq "untrusted with --tls-verify: step" "$PROBE_OUT" .step tls
expect_jq "untrusted with --tls-verify: failure" "$PROBE_OUT" .failure tls_verify
# The system store honours SSL_CERT_FILE (and SSL_CERT_DIR), as OpenSSL does.
SSL_CERT_FILE=$certs/ca.pem pf_probe --tls-name mx.tls.test --tls-verify alice@postfix.test
expect_eq "trusted through SSL_CERT_FILE: exit 0" "$PROBE_RC" 0
expect_jq "trusted through SSL_CERT_FILE: verified" "$PROBE_OUT" .tls.verified true
# The wrong name, with the CA trusted.
pf_probe --tls-name other.tls.test --ca-file "$certs/ca.pem" --tls-verify alice@postfix.test
expect_eq "wrong name with --tls-verify: exit 69" "$PROBE_RC" 69
expect_jq "wrong name: chain fine" "$PROBE_OUT" .tls.verified true
expect_jq "wrong name: name not matched" "$PROBE_OUT" .tls.name_matched false
postfix_stop

# smtpd_tls_security_level=encrypt: MAIL FROM in clear text is refused.
start valid encrypt
pf_probe --tls none alice@postfix.test
expect_eq "TLS required by the server, probe in clear: exit 77 (policy)" "$PROBE_RC" 77
expect_jq "refused at MAIL FROM" "$PROBE_OUT" .step mail
expect_jq "530" "$PROBE_OUT" .reply.code 530
expect_jq "5.7.0" "$PROBE_OUT" .reply.enhanced 5.7.0
expect_match "says STARTTLS" "$(jq -r .reply.text <<<"$PROBE_OUT")" 'STARTTLS'
pf_probe --tls required --tls-name mx.tls.test --ca-file "$certs/ca.pem" alice@postfix.test
expect_eq "same server with --tls required: exit 0" "$PROBE_RC" 0
pf_expect_no_data
postfix_stop

# A server without TLS under --tls required.
if ! postfix_start "$FIXTURES/postfix"; then echo "not ok - Postfix did not start"; exit 1; fi
pf_probe --tls required alice@postfix.test
expect_eq "no STARTTLS under --tls required: exit 69" "$PROBE_RC" 69
expect_jq "step starttls" "$PROBE_OUT" .step starttls
expect_jq "failure starttls_missing" "$PROBE_OUT" .failure starttls_missing
assert_done
