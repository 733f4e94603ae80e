#!/bin/bash
# selftest.sh FAKESMTP - fakesmtp's TLS and SOCKS5 directives against
# reference clients (openssl s_client, swaks, curl), without smtpprobe: the
# transport fixtures are only worth something if fakesmtp passes what a
# correct client does and fails what a wrong one does.
#
# Each case starts fakesmtp on 127.0.0.1:<any port> with a dialogue, runs a
# client against it and checks fakesmtp's exit status and log. Skipped (77)
# fails, naming the package, without openssl, swaks with TLS, or curl.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

FAKESMTP=${1:-${FAKESMTP:-}}
[ -x "$FAKESMTP" ] || { echo "not ok - fakesmtp not given"; exit 1; }
require_tool openssl openssl
# swaks without Net::SSLeay and IO::Socket::SSL says "TLS not available" and exits 10.
require_tool swaks "swaks libnet-ssleay-perl libio-socket-ssl-perl" "TLS support" \
	sh -c 'swaks --support 2>&1 | grep -q "^=== TLS supported"'

dir=$(mktemp -d /tmp/smtpprobe-selftest.XXXXXX)
fake_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

"$(dirname "${BASH_SOURCE[0]}")/../tls/gen-certs.sh" "${CERTS_DIR:-$dir/certs}" >/dev/null ||
	{ echo "not ok - gen-certs.sh failed"; exit 1; }
certs=$(cd "${CERTS_DIR:-$dir/certs}" && pwd)

# shellcheck disable=SC2317 # called by wait_until
_port_ready() {
	[ -s "$dir/port" ] && return 0
	kill -0 "$fake_pid" 2>/dev/null || return 2
	return 1
}
# shellcheck disable=SC2317 # called by wait_until
_fake_gone() { ! kill -0 "$fake_pid" 2>/dev/null; }

# run_case DIALOG CERT CLIENT_ARGS...: @P@ in the client arguments becomes
# the port; CASE_TIMEOUT is fakesmtp's --timeout (default 5). Sets FAKE_RC,
# CLIENT_RC; the log is $dir/log.
run_case() {
	local dialog=$1 cert=$2
	shift 2
	: >"$dir/port"
	"$FAKESMTP" --listen 127.0.0.1:0 --script "$dir/$dialog" --log "$dir/log" --timeout "${CASE_TIMEOUT:-5}" \
		--cert "$certs/$cert.pem" --key "$certs/$cert.key" >"$dir/port" 2>"$dir/err" </dev/null &
	fake_pid=$!
	if ! wait_until 100 _port_ready; then
		echo "not ok - fakesmtp did not start"
		sed 's/^/#   /' "$dir/err"
		exit 1
	fi
	local port
	port=$(head -n 1 "$dir/port")
	timeout 20 "${@//@P@/$port}" </dev/null >"$dir/client" 2>&1
	CLIENT_RC=$?
	wait_until 100 _fake_gone || kill "$fake_pid" 2>/dev/null
	FAKE_RC=0
	wait "$fake_pid" || FAKE_RC=$?
	fake_pid=
	sed 's/^/# fakesmtp: /' "$dir/log"
}

log_has() { # LABEL ERE
	if grep -qE -- "$2" "$dir/log"; then
		_assert_ok "$1"
	else
		_assert_fail "$1" "no log line matches /$2/"
	fi
}

swaks_base=(swaks --server 127.0.0.1:@P@ --from '<>' --to user@example.test --quit-after RCPT
	--tls-sni mx.tls.test --tls-verify --tls-ca-path "$certs/ca.pem")
s_client=(openssl s_client -connect 127.0.0.1:@P@ -servername mx.tls.test -CAfile "$certs/ca.pem"
	-verify_hostname mx.tls.test -verify_return_error)

cat >"$dir/starttls-auth.dialog" <<'EOF'
S: 220 mx.tls.test ESMTP
C: EHLO *
S: 250-mx.tls.test
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
!starttls
!expect-sni mx.tls.test
C: EHLO *
S: 250-mx.tls.test
S: 250 AUTH PLAIN
C: AUTH PLAIN AGFsaWNlAGh1bnRlcjItV29uZGVybGFuZA==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<user@example.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
EOF
run_case starttls-auth.dialog valid "${swaks_base[@]}" --tls --auth PLAIN --auth-user alice --auth-password hunter2-Wonderland
expect_eq "STARTTLS + AUTH PLAIN (swaks): fakesmtp passes" "$FAKE_RC" 0
expect_eq "STARTTLS + AUTH PLAIN (swaks): swaks is happy" "$CLIENT_RC" 0
log_has "the AUTH line is logged decoded" '^C: AUTH PLAIN AGFsaWNlAGh1bnRlcjItV29uZGVybGFuZA==$'
log_has "the SNI is logged" '^# TLS handshake done: TLSv1\.[23] .*, SNI mx\.tls\.test$'

run_case starttls-auth.dialog valid "${swaks_base[@]/mx.tls.test/other.tls.test}" --tls --auth PLAIN \
	--auth-user alice --auth-password hunter2-Wonderland
expect_eq "wrong SNI: fakesmtp fails" "$FAKE_RC" 1
log_has "wrong SNI: logged as a mismatch" "^MISMATCH: expected SNI 'mx.tls.test' got 'other.tls.test'"

cat >"$dir/implicit.dialog" <<'EOF'
!tls-implicit tls1.2
S: 220 mx.tls.test ESMTP
C: EHLO *
S: 250 mx.tls.test
C: MAIL FROM:<>
S: 250 2.1.0 Ok
C: RCPT TO:<user@example.test>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
EOF
run_case implicit.dialog valid "${swaks_base[@]}" --tlsc
expect_eq "implicit TLS 1.2 (swaks --tlsc): fakesmtp passes" "$FAKE_RC" 0
log_has "implicit TLS 1.2: version pinned" '^# TLS handshake done: TLSv1\.2 '

cat >"$dir/refuse.dialog" <<'EOF'
S: 220 mx.tls.test ESMTP
C: EHLO *
S: 250-mx.tls.test
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
!expect-tls-fail
EOF
for cert in wrongname expired selfsigned; do
	run_case refuse.dialog "$cert" "${s_client[@]}" -starttls smtp
	expect_eq "$cert certificate refused (s_client): fakesmtp passes" "$FAKE_RC" 0
	expect_eq "$cert certificate refused (s_client): s_client fails" "$((CLIENT_RC != 0))" 1
	log_has "$cert: the handshake failed, as expected" '^# TLS handshake failed, as expected: '
done
# A client that accepts the certificate and goes on must fail the run.
run_case refuse.dialog valid "${swaks_base[@]}" --tls
expect_eq "a client that goes on after !expect-tls-fail: fakesmtp fails" "$FAKE_RC" 1
log_has "it says why" '^ERROR: the client went on after the TLS handshake instead of aborting: .EHLO '

cat >"$dir/garbage.dialog" <<'EOF'
S: 220 mx.tls.test ESMTP
C: EHLO *
S: 250-mx.tls.test
S: 250 STARTTLS
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
!tls-garbage 6e 6f 74 20 54 4c 53 0d 0a
EOF
run_case garbage.dialog valid "${s_client[@]}" -starttls smtp
expect_eq "!tls-garbage (s_client): fakesmtp passes" "$FAKE_RC" 0
expect_eq "!tls-garbage (s_client): the handshake fails" "$((CLIENT_RC != 0))" 1
log_has "!tls-garbage: it saw a ClientHello" '^# the client started a TLS handshake: 16 03 '

cat >"$dir/cork.dialog" <<'EOF'
S: 220 mx.tls.test ESMTP
C: EHLO *
S: 250-mx.tls.test
S: 250 STARTTLS
C: STARTTLS
!cork
S: 220 2.0.0 Ready to start TLS
S: 250 injected
!expect-close
EOF
# A client in bash: it gets the 220 and the injected line, and hangs up.
# shellcheck disable=SC2016 # $1 is the inner bash's
run_case cork.dialog valid bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && read -r _ <&3 &&
	printf "EHLO selftest\r\n" >&3 && read -r _ <&3 && read -r _ <&3 && printf "STARTTLS\r\n" >&3 &&
	read -r a <&3 && read -r b <&3 && printf "%s|%s\n" "$a" "$b"' bash @P@
expect_eq "!cork: the client got both lines" "$(tr -d '\r' <"$dir/client")" "220 2.0.0 Ready to start TLS|250 injected"
log_has "!cork: in one write" '^# sending the 44 corked bytes in one write$'
expect_eq "!cork: fakesmtp passes" "$FAKE_RC" 0

require_tool curl curl
cat >"$dir/socks.dialog" <<'EOF'
!socks5 user=carol pass=Proxy-Pw-77
S: 220 mx.socks.test ESMTP
C: EHLO *
S: 250 mx.socks.test
C: VRFY *
S: 252 2.0.0 Cannot VRFY user
C: QUIT
S: 221 2.0.0 Bye
===
!socks5 reply=5
EOF
# shellcheck disable=SC2016 # $1 is the inner sh's
run_case socks.dialog valid sh -c 'curl -s --proxy socks5h://carol:Proxy-Pw-77@127.0.0.1:$1 smtp://mx.socks.test:25 --mail-rcpt bob@example.test &&
	! curl -s --proxy socks5h://127.0.0.1:$1 smtp://mx.socks.test:25 --mail-rcpt bob@example.test' sh @P@
expect_eq "SOCKS5 (curl): fakesmtp passes" "$FAKE_RC" 0
expect_eq "SOCKS5 (curl): curl got through, then was refused" "$CLIENT_RC" 0
log_has "SOCKS5: credentials logged" '^C: SOCKS5 auth user=carol pass=Proxy-Pw-77$'
log_has "SOCKS5: the name went to the proxy (socks5h)" '^C: SOCKS5 CONNECT mx\.socks\.test:25$'
log_has "SOCKS5: REP 5 sent" '^S: SOCKS5 reply 05$'

run_case socks.dialog valid curl -s --proxy socks5://carol:wrong@127.0.0.1:@P@ smtp://127.0.0.1:25 --mail-rcpt bob@example.test
expect_eq "SOCKS5 wrong password: fakesmtp fails" "$FAKE_RC" 1
log_has "SOCKS5 wrong password: a mismatch" '^MISMATCH: SOCKS5: expected user=carol pass=Proxy-Pw-77'

# !data: the one place a client may send DATA (for the real MTAs of
# tests/postfix/bounce.sh). swaks sends a whole message; the refusal after
# the final "." must reach it, and DATA elsewhere is still forbidden.
cat >"$dir/data.dialog" <<'EOF'
S: 220 mx.data.test ESMTP
C: EHLO *
S: 250 mx.data.test
C: MAIL FROM:<sender@example.test>
S: 250 2.1.0 Ok
C: RCPT TO:<user@example.test>
S: 250 2.1.5 Ok
!data
S: 554 5.7.1 message content rejected
C: QUIT
S: 221 2.0.0 Bye
EOF
swaks_data=(swaks --server 127.0.0.1:@P@ --from sender@example.test --to user@example.test
	--header 'Subject: selftest' --body $'line one\n.leading dot\nline three')
run_case data.dialog valid "${swaks_data[@]}"
expect_eq "!data (swaks): fakesmtp passes" "$FAKE_RC" 0
expect_eq "!data (swaks): swaks saw the refusal after the message" "$((CLIENT_RC != 0))" 1
expect_match "!data (swaks): swaks got the end-of-data reply" "$(cat "$dir/client")" '<\*\* +554 5\.7\.1 message content rejected'
log_has "!data: DATA logged, not flagged" '^C: DATA$'
log_has "!data: the message counted up to the lone dot" '^# message received: [0-9]+ lines, [0-9]+ octets'
if grep -qE '^(FORBIDDEN|C: line one)' "$dir/log"; then
	_assert_fail "!data: the message is neither flagged nor logged line by line" "$(grep -E '^(FORBIDDEN|C: line)' "$dir/log")"
else
	_assert_ok "!data: the message is neither flagged nor logged line by line"
fi

cat >"$dir/nodata.dialog" <<'EOF'
S: 220 mx.data.test ESMTP
C: EHLO *
S: 250 mx.data.test
C: MAIL FROM:<sender@example.test>
S: 250 2.1.0 Ok
C: RCPT TO:<user@example.test>
S: 250 2.1.5 Ok
C: *
S: 554 5.7.1 no
C: QUIT
S: 221 2.0.0 Bye
EOF
run_case nodata.dialog valid "${swaks_data[@]}"
expect_eq "DATA without !data: fakesmtp fails" "$FAKE_RC" 1
log_has "DATA without !data: FORBIDDEN" '^FORBIDDEN: DATA$'

cat >"$dir/data-mismatch.dialog" <<'EOF'
S: 220 mx.data.test ESMTP
C: EHLO *
S: 250 mx.data.test
C: MAIL FROM:<sender@example.test>
S: 250 2.1.0 Ok
!data
S: 554 5.7.1 no
EOF
run_case data-mismatch.dialog valid "${swaks_data[@]}"
expect_eq "!data where the client sends RCPT: fakesmtp fails" "$FAKE_RC" 1
log_has "!data where the client sends RCPT: a mismatch" "^MISMATCH: expected 'DATA' got 'RCPT TO:<user@example.test>'"

# A script with TLS directives needs a certificate.
"$FAKESMTP" --listen 127.0.0.1:0 --script "$dir/refuse.dialog" --log "$dir/log" </dev/null >/dev/null 2>"$dir/err"
expect_eq "TLS script without --cert: usage error" "$?" 2

assert_done
