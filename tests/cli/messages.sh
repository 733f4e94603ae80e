#!/bin/bash
# Messages as a new user meets them: --resolver with a host name says it
# takes IP addresses; usage errors name the option and what to do; an
# expired certificate says how long ago it expired.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tool openssl openssl

work=$(mktemp -d)
trap 'rm -rf "$work"; dns_cleanup' EXIT

run_probe --resolver dns.google a@example.test
expect_eq "--resolver host name: exit 64" "$PROBE_RC" 64
expect_eq "--resolver host name: says it takes IP addresses" "$PROBE_ERR" \
	'smtpprobe: invalid --resolver "dns.google": give IP addresses (IP, IP:PORT or [IPv6]:PORT, separated by commas), not host names'
run_probe --resolver '127.0.0.1:53,[::1]:53,::1' --timeout 0.5 'a@[127.0.0.1]' --port "$(dead_port)"
expect_eq "--resolver with IPv4, [IPv6]:PORT and IPv6: accepted" "$(grep -c 'invalid --resolver' <<<"$PROBE_ERR")" 0

# Usage errors name the option and say what to do, without OpenSSL's codes.
LC_ALL=C LANGUAGE= run_probe --ca-file /nonexistent/ca.pem a@example.test
expect_eq "--ca-file missing: exit 64" "$PROBE_RC" 64
expect_eq "--ca-file missing: plain words" "$PROBE_ERR" 'smtpprobe: cannot read --ca-file /nonexistent/ca.pem: No such file or directory'
run_probe --helo $'mx.example.test\r\nQUIT' a@example.test
expect_eq "control character: names the option" "$PROBE_ERR" 'smtpprobe: the argument of --helo contains a control character (CR, LF, ...)'
run_probe --tls none --tls-verify a@example.test
expect_eq "--tls-verify with --tls none: what to do" "$PROBE_ERR" 'smtpprobe: --tls-verify needs TLS: drop --tls none'
mo="${SMTPPROBE_LOCALEDIR:-}/ru/LC_MESSAGES/smtpprobe.mo"
if [ -r "$mo" ]; then
	LC_ALL=C.UTF-8 LANGUAGE=ru run_probe --proxy http://proxy.example.test:3128 a@example.test
	expect_eq "proxy URL error in Russian" "$PROBE_ERR" 'smtpprobe: URL прокси должен начинаться с socks5:// или socks5h://'
fi

"$SRCDIR/tests/tls/gen-certs.sh" "$work/certs" >"$work/certs.log" 2>&1 ||
	{ echo "not ok - gen-certs.sh failed"; sed 's/^/#   /' "$work/certs.log"; exit 1; }
expired() {
	fake_start 127.0.0.1 "$FIXTURES/smtp/tls-expired-report.dialog" --cert "$work/certs/expired.pem" --key "$work/certs/expired.key"
	run_probe --timeout 3 --server "127.0.0.1:$FAKE_PORT" --tls-name mx.tls.test --ca-file "$work/certs/ca.pem" user@example.test
	fake_finish
}
expired
expect_match "expired certificate: how long ago" "$PROBE_OUT" \
	$'\n  cert     [^\n]*, expired 2021-01-01T00:00:00Z \\([0-9]+ days ago\\)\n'
expect_eq "expired certificate: no negative days" "$(grep -c '(-' <<<"$PROBE_OUT")" 0
if [ -r "$mo" ]; then
	LC_ALL=C.UTF-8 LANGUAGE=ru expired
	expect_match "expired certificate in Russian" "$PROBE_OUT" ', срок истёк 2021-01-01T00:00:00Z \([0-9]+ (день|дня|дней) назад\)'
fi
assert_done
