#!/usr/bin/env bash
# bench/commands.sh - the wall time of the two commands that are not probes:
# `smtpprobe audit` of a domain whose MX is a real Postfix with STARTTLS
# (unbound and Postfix on loopback, started here and stopped by PID), and
# `smtpprobe explain` over the bounce fixtures (every .eml in fixtures/bounce),
# one process per file and all files in one process. Markdown on stdout.
#
#   sudo bench/commands.sh > /tmp/commands.md    (build first: ninja -C build)
#
# swaks has neither: there is nothing to set them beside. RUNS [20] hyperfine
# runs after 3 warm-ups. Needs root (Postfix), hyperfine, jq.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
SMTPPROBE=${SMTPPROBE:-$PWD/build/src/smtpprobe}
RUNS=${RUNS:-20}
. tests/lib/unbound.sh
. tests/lib/postfix.sh
certs=$(mktemp -d)
cleanup() {
	postfix_stop
	unbound_stop
	rm -rf "$certs"
}
trap cleanup EXIT

# The demo's zone (shop.test, MX mx.shop.test = 127.0.0.1) and Postfix, with
# a certificate for mx.shop.test from a throw-away CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=bench-ca -keyout "$certs/ca.key" \
	-out "$certs/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=mx.shop.test -addext subjectAltName=DNS:mx.shop.test \
	-keyout "$certs/mx.key" -out "$certs/mx.csr" 2>/dev/null
printf 'subjectAltName=DNS:mx.shop.test\n' >"$certs/ext"
openssl x509 -req -in "$certs/mx.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial -days 30 \
	-extfile "$certs/ext" -out "$certs/mx.pem" 2>/dev/null
chmod 755 "$certs"; chmod 644 "$certs"/*
unbound_start fixtures/dns/demo.conf
postfix_start fixtures/postfix myhostname=mx.shop.test mydomain=shop.test mydestination=shop.test \
	"smtpd_tls_cert_file=$certs/mx.pem" "smtpd_tls_key_file=$certs/mx.key" smtpd_tls_security_level=may

audit=("$SMTPPROBE" audit --json --timeout 5 --resolver "127.0.0.1:$UNBOUND_PORT" --port "$POSTFIX_PORT"
	--ca-file "$certs/ca.pem" shop.test)
"${audit[@]}" >"$certs/audit.jsonl" || true
summary=$(tail -n 1 "$certs/audit.jsonl" | jq -c .summary)
starttls=$(jq -r 'select(.check == "tls.handshake") | .status + " " + .evidence' "$certs/audit.jsonl")

echo "## smtpprobe audit and explain ($(git describe --always --dirty), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "audit shop.test: $summary; tls.handshake: $starttls"
echo
hyperfine -N -w 3 -r "$RUNS" --export-markdown "$certs/h1.md" \
	-n "audit shop.test (1 MX, STARTTLS, 2 sessions)" "$(printf '%q ' "${audit[@]}")" >/dev/null 2>&1
cat "$certs/h1.md"
echo
files=(fixtures/bounce/*.eml)
hyperfine -w 3 -r "$RUNS" -i --export-markdown "$certs/h2.md" \
	-n "explain, ${#files[@]} bounces, one process each" \
	"for f in fixtures/bounce/*.eml; do $SMTPPROBE explain --json \"\$f\" >/dev/null 2>&1; done" \
	-n "explain, ${#files[@]} bounces in one process" \
	"$SMTPPROBE explain --json ${files[*]} >/dev/null 2>&1" >/dev/null 2>&1
cat "$certs/h2.md"
