#!/usr/bin/env bash
# The MTA-STS policy fetch (https.c + mta_sts.c, through tests/tools/stsfetch)
# against a real HTTPS server (openssl s_server) with a certificate from the
# test CA, names resolved by a real unbound through smtpprobe's c-ares
# resolver. Each case is its own server and its own name:
#   good        200 text/plain; charset=utf-8, a valid policy    -> ok, parsed
#   wrong name  the same, served with a certificate for another name -> certificate
#   untrusted   the good server without --ca-file (system store) -> certificate
#   redirect    301 to another https URL                         -> redirect, not followed
#   ctype       200 text/html                                    -> content_type
#   big         200 text/plain, 65,537 bytes, with and without
#               Content-Length                                   -> too_large
#   missing     404                                              -> http_status
#   badpolicy   200 text/plain, mode "enforcing"                 -> ok, policy_error
#   v6          the good policy on [::1], the name AAAA only     -> ok
#   no server   a port nothing listens on                        -> connect
#   nxdomain    a name unbound does not know                     -> dns
#   silent      accepts, never answers the TLS hello (fakesmtp !silent) -> timeout
# Usage: sts_fetch.sh STSFETCH FAKESMTP
set -u
here=$(dirname "$0")
. "$here/../lib/assert.sh"
. "$here/../lib/unbound.sh"
. "$here/../lib/https.sh"

stsfetch=${1:?usage: sts_fetch.sh STSFETCH FAKESMTP}
fakesmtp=${2:?usage: sts_fetch.sh STSFETCH FAKESMTP}
require_tool jq jq
work=$(mktemp -d)
silent_pid=
cleanup() {
	[ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null && wait "$silent_pid" 2>/dev/null
	https_stop_all
	unbound_stop
	rm -rf "$work"
}
trap cleanup EXIT

https_certs "$work/certs" || { echo "not ok - certificates"; exit 1; }
unbound_start "$FIXTURES/audit/sts.conf" || { echo "not ok - unbound"; exit 1; }
certs=$work/certs

fetch() { # NAME [stsfetch options...]
	local name=$1
	shift
	FETCH_OUT=$(timeout 30 "$stsfetch" --resolver "127.0.0.1:$UNBOUND_PORT" "$@" \
		"https://$name/.well-known/mta-sts.txt" 2>&1)
	FETCH_RC=$?
	printf '# %s: rc %s %s\n' "$name" "$FETCH_RC" "$FETCH_OUT"
}

serve() { # CASE STATUS CTYPE BODYFILE [CERT] [EXTRA]
	local root=$work/$1 cert=${5:-mtasts}
	mkdir -p "$root"
	https_response "$root" "$2" "$3" "$4" "${6:-}"
	https_start "$root" "$certs/$cert.pem" "$certs/$cert.key" || { echo "not ok - s_server for $1"; exit 1; }
}

printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmx: *.mx.example.test\r\nmax_age: 86400\r\n' >"$work/good.body"
printf 'version: STSv1\nmode: enforcing\nmx: mx.example.test\nmax_age: 86400\n' >"$work/bad.body"
printf '<html>moved</html>\n' >"$work/moved.body"
head -c 65537 /dev/zero | tr '\0' 'x' >"$work/big.body"

# good
serve good "200 OK" "text/plain; charset=utf-8" "$work/good.body"
good_port=$HTTPS_PORT
fetch mta-sts.good.sts.test --ca-file "$certs/ca.pem" --port "$good_port"
expect_eq "good: exit 0" "$FETCH_RC" 0
expect_jq "good: status ok" "$FETCH_OUT" .status ok
expect_jq "good: 200" "$FETCH_OUT" .http_code 200
expect_jq "good: connected to unbound's address" "$FETCH_OUT" .ip 127.0.0.1
expect_jq "good: parsed mode" "$FETCH_OUT" .policy.mode enforce
expect_jq "good: parsed max_age" "$FETCH_OUT" .policy.max_age 86400
expect_jq "good: mx patterns" "$FETCH_OUT" '.policy.mx | join(" ")' "mx.example.test *.mx.example.test"

# The same server and certificate, under a name the certificate lacks: refused.
fetch mta-sts.example.test --ca-file "$certs/ca.pem" --port "$good_port"
expect_jq "name in certificate (control): ok" "$FETCH_OUT" .status ok

# Trust: the test CA only through --ca-file; the system store does not know it,
# nor does a --ca-file holding some other certificate.
fetch mta-sts.good.sts.test --port "$good_port"
expect_jq "untrusted CA: certificate" "$FETCH_OUT" .status certificate
expect_eq "untrusted CA: exit 1" "$FETCH_RC" 1
fetch mta-sts.good.sts.test --port "$good_port" --ca-file "$certs/selfsigned.pem"
expect_jq "another --ca-file: certificate" "$FETCH_OUT" .status certificate
fetch mta-sts.good.sts.test --port "$good_port" --ca-file "$work/nonexistent.pem"
expect_jq "unreadable --ca-file: certificate" "$FETCH_OUT" .status certificate
SSL_CERT_FILE=$certs/ca.pem fetch mta-sts.good.sts.test --port "$good_port"
expect_jq "SSL_CERT_FILE honoured like the SMTP side" "$FETCH_OUT" .status ok

# wrong name: a valid certificate from the same CA for wrong.example.test
serve wrongname "200 OK" "text/plain" "$work/good.body" wrongname
fetch mta-sts.good.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "wrong-name certificate: certificate" "$FETCH_OUT" .status certificate
expect_match "wrong-name certificate: says why" "$(jq -r .error <<<"$FETCH_OUT")" "certificate|subject|name"
expect_jq "wrong-name certificate: no body read" "$FETCH_OUT" .len 0

# redirect: 301 to the good server, never followed
serve redirect "301 Moved Permanently" "text/html" "$work/moved.body" mtasts \
	"Location: https://mta-sts.good.sts.test:$good_port/.well-known/mta-sts.txt"
fetch mta-sts.redirect.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "redirect: status redirect" "$FETCH_OUT" .status redirect
expect_jq "redirect: 301" "$FETCH_OUT" .http_code 301
expect_jq "redirect: location reported" "$FETCH_OUT" .location "https://mta-sts.good.sts.test:$good_port/.well-known/mta-sts.txt"
expect_jq "redirect: no policy" "$FETCH_OUT" 'has("policy")' false

# wrong content type: a valid policy as text/html
serve ctype "200 OK" "text/html" "$work/good.body"
ctype_port=$HTTPS_PORT
fetch mta-sts.ctype.sts.test --ca-file "$certs/ca.pem" --port "$ctype_port"
expect_jq "text/html: content_type" "$FETCH_OUT" .status content_type
expect_jq "text/html: type reported" "$FETCH_OUT" .content_type text/html
fetch mta-sts.ctype.sts.test --ca-file "$certs/ca.pem" --port "$ctype_port" --any-type
expect_jq "text/html with no type required (control): ok" "$FETCH_OUT" .status ok

# oversized: one byte over 64 KiB
serve big "200 OK" "text/plain" "$work/big.body"
fetch mta-sts.big.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "65,537 bytes: too_large" "$FETCH_OUT" .status too_large
expect_jq "65,537 bytes: at most the limit kept" "$FETCH_OUT" '.len <= 65536' true

# oversized with no Content-Length: only the body reader can stop it
mkdir -p "$work/bignolen/.well-known"
{ printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n'; cat "$work/big.body"; } \
	>"$work/bignolen/.well-known/mta-sts.txt"
https_start "$work/bignolen" "$certs/mtasts.pem" "$certs/mtasts.key" || { echo "not ok - s_server"; exit 1; }
fetch mta-sts.big.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "65,537 bytes, no length: too_large" "$FETCH_OUT" .status too_large
expect_jq "65,537 bytes, no length: exactly the limit kept" "$FETCH_OUT" .len 65536

# 404
serve missing "404 Not Found" "text/plain" "$work/moved.body"
fetch mta-sts.missing.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "404: http_status" "$FETCH_OUT" .status http_status
expect_jq "404: code" "$FETCH_OUT" .http_code 404

# a policy that does not parse
serve badpolicy "200 OK" "text/plain" "$work/bad.body"
fetch mta-sts.badpolicy.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "bad policy: fetched" "$FETCH_OUT" .status ok
expect_jq "bad policy: the line and the reason" "$FETCH_OUT" .policy_error 'line 2: mode "enforcing" is not enforce, testing or none'
expect_eq "bad policy: exit 1" "$FETCH_RC" 1

# IPv6 only (AAAA ::1): the address reaches libcurl bracketed, and is used
serve_v6_root=$work/v6
mkdir -p "$serve_v6_root"
https_response "$serve_v6_root" "200 OK" "text/plain" "$work/good.body"
https_start "$serve_v6_root" "$certs/mtasts.pem" "$certs/mtasts.key" "[::1]" || { echo "not ok - s_server on ::1"; exit 1; }
fetch mta-sts.v6.sts.test --ca-file "$certs/ca.pem" --port "$HTTPS_PORT"
expect_jq "IPv6: ok" "$FETCH_OUT" .status ok
expect_jq "IPv6: connected to ::1" "$FETCH_OUT" .ip ::1

# nothing listening; a name that does not exist
dead=$(free_port)
fetch mta-sts.good.sts.test --ca-file "$certs/ca.pem" --port "$dead"
expect_jq "no server: connect" "$FETCH_OUT" .status connect
fetch mta-sts.nowhere.sts.test --ca-file "$certs/ca.pem" --port "$good_port"
expect_jq "NXDOMAIN: dns" "$FETCH_OUT" .status dns

# A server that accepts and never speaks: the fetch's own deadline ends it.
printf 'description: accepts, never speaks\n---\n!silent\n' >"$work/silent.dialog"
"$fakesmtp" --listen 127.0.0.1:0 --script "$work/silent.dialog" --log "$work/silent.log" --timeout 30 \
	</dev/null >"$work/silent.port" 2>"$work/silent.err" &
silent_pid=$!
silent_up() {
	[ -s "$work/silent.port" ] && return 0
	kill -0 "$silent_pid" 2>/dev/null || return 2
	return 1
}
wait_until 100 silent_up || { echo "not ok - fakesmtp: $(cat "$work/silent.err")"; exit 1; }
fetch mta-sts.good.sts.test --ca-file "$certs/ca.pem" --port "$(head -n 1 "$work/silent.port")" --timeout 1000
expect_jq "silent server: timeout" "$FETCH_OUT" .status timeout
expect_eq "silent server: exit 1" "$FETCH_RC" 1

# The test port from the environment, as the audit gets it.
SMTPPROBE_TEST_HTTPS_PORT=$good_port fetch mta-sts.good.sts.test --ca-file "$certs/ca.pem"
expect_jq "SMTPPROBE_TEST_HTTPS_PORT: ok" "$FETCH_OUT" .status ok

# Not https, and cancelled before the loop runs: no callback, no leak.
out=$(timeout 10 "$stsfetch" http://mta-sts.good.sts.test/.well-known/mta-sts.txt)
expect_jq "http:// refused at start" "$out" .start_error "not an https:// URL: http://mta-sts.good.sts.test/.well-known/mta-sts.txt"
out=$(timeout 10 "$stsfetch" --cancel --resolver "127.0.0.1:$UNBOUND_PORT" https://mta-sts.good.sts.test/.well-known/mta-sts.txt)
expect_eq "cancel: no result, just the cancel" "$out" '{"cancelled":true}'

assert_done
