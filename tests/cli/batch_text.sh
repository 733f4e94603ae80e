#!/bin/bash
# The text report of a batch: an invalid line is in stdout too (a redirect
# keeps it) and is named on stderr when stdout is not a terminal; a server's
# TLS lines are shown once, later results at it say "as above".
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tool openssl openssl

work=$(mktemp -d)
trap 'rm -rf "$work"; dns_cleanup' EXIT

# --- An invalid line among good ones: in the report, on stderr, exit 65.
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
printf 'good@[127.0.0.1]\nnot an address\nbad@[127.0.0.1]\n' >"$work/list"
run_probe --timeout 3 --port "$FAKE_PORT" --input "$work/list"
fake_finish
expect_eq "invalid line: exit 65" "$PROBE_RC" 65
expect_eq "three reports" "$(grep -cE '^(ACCEPTED|REJECTED|TEMPFAIL|ERROR) ' <<<"$PROBE_OUT")" 3
expect_match "the invalid line in the report, in its place" "$PROBE_OUT" \
	$'ACCEPTED +good@.*\nERROR +not an address +at address check\n +detail +invalid address: contains white space outside quotes\n.*REJECTED +bad@'
expect_eq "and one line on stderr" "$PROBE_ERR" 'smtpprobe: invalid address "not an address": contains white space outside quotes'

# On a terminal the report is there to read: no second copy on stderr
# (script(1) gives stdout a pty; stderr goes to a file).
require_tool script bsdutils
out=$(timeout 30 script -qec "$SMTPPROBE --timeout 3 'not an address' 2>$work/err" /dev/null | tr -d '\r')
expect_match "TTY: the report" "$out" '^ERROR +not an address'
expect_eq "TTY: stderr quiet" "$(cat "$work/err")" ""

# --- Three addresses at one STARTTLS server, a session each (--rcpt-per-session 1): the TLS lines once.
"$SRCDIR/tests/tls/gen-certs.sh" "$work/certs" >"$work/certs.log" 2>&1 ||
	{ echo "not ok - gen-certs.sh failed"; sed 's/^/#   /' "$work/certs.log"; exit 1; }
fake_start 127.0.0.1 "$CLI_TEST_DIR/tls-three.dialog" --cert "$work/certs/valid.pem" --key "$work/certs/valid.key"
run_probe --no-catch-all --rcpt-per-session 1 --timeout 3 --server "127.0.0.1:$FAKE_PORT" --tls-name mx.tls.test \
	--ca-file "$work/certs/ca.pem" a@example.test b@example.test c@example.test
fake_finish
expect_eq "tls: exit 67" "$PROBE_RC" 67
expect_eq "tls: the server saw three sessions" "$FAKE_RC" 0
expect_eq "tls: the cert line once" "$(grep -c '^  cert ' <<<"$PROBE_OUT")" 1
expect_eq "tls: the verify line once" "$(grep -c '^  verify ' <<<"$PROBE_OUT")" 1
expect_eq "tls: 'as above' for the two others" \
	"$(grep -c "^  tls      as above for \[127\.0\.0\.1\]:$FAKE_PORT\$" <<<"$PROBE_OUT")" 2
expect_match "tls: in full for the first" "$PROBE_OUT" \
	$'^ACCEPTED +a@example\\.test\n(  [^\n]*\n)*  tls      TLSv1\\.[23] [^\n]*\n  cert     [^\n]*\n  verify   chain trusted; name mx\\.tls\\.test matches\nREJECTED +b@'

# JSON keeps every result whole.
fake_start 127.0.0.1 "$CLI_TEST_DIR/tls-three.dialog" --cert "$work/certs/valid.pem" --key "$work/certs/valid.key"
run_probe --json --no-catch-all --rcpt-per-session 1 --timeout 3 --server "127.0.0.1:$FAKE_PORT" --tls-name mx.tls.test \
	--ca-file "$work/certs/ca.pem" a@example.test b@example.test c@example.test
fake_finish
expect_eq "json: every result has its tls object" "$(jq -s '[.[] | .tls.verified] | all' <<<"$PROBE_OUT")" true
assert_done
