#!/bin/bash
# Bad command lines: one line on stderr, exit 64, no network. Bad addresses: exit 65.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Each row: label | arguments (one per line after the label, joined by \x1f)
check_usage() {
	local label=$1
	shift
	run_probe "$@"
	expect_eq "$label: exit 64" "$PROBE_RC" 64
	expect_eq "$label: nothing on stdout" "$PROBE_OUT" ""
	expect_eq "$label: one line on stderr" "$(printf '%s\n' "$PROBE_ERR" | grep -c .)" 1
	expect_match "$label: says smtpprobe" "$PROBE_ERR" '^smtpprobe: '
}

check_usage "no address"
check_usage "unknown option" --frobnicate a@b.test
check_usage "missing argument" a@b.test --timeout
check_usage "port 0" --port 0 a@b.test
check_usage "port text" --port 25x a@b.test
check_usage "timeout 0" --timeout 0 a@b.test
check_usage "timeout text" --timeout soon a@b.test
check_usage "size negative" --size -5 a@b.test
check_usage "bad color" --color sometimes a@b.test
check_usage "helo with space" --helo "a b" a@b.test
check_usage "helo with LF" --helo $'a\nRCPT TO:<x@y>' a@b.test
check_usage "from with CRLF" --from $'a@b.test\r\nDATA' a@b.test
check_usage "from without @" --from nobody a@b.test
check_usage "server with bad port" --server 127.0.0.1:99999 a@b.test
check_usage "server unbalanced" --server '[::1' a@b.test
# Each command takes only its own options, and says so naming the command.
check_usage "--input is the probe's" explain --input list.txt
expect_match "--input: names the command" "$PROBE_ERR" 'does not apply to smtpprobe explain'
check_usage "--resume is the probe's" audit --resume r.jsonl example.test
check_usage "audit without a domain" audit
run_probe explain --help
expect_eq "explain --help: exit 0" "$PROBE_RC" 0
expect_match "explain --help: its usage" "$PROBE_OUT" '^usage: smtpprobe explain'
expect_eq "explain --help: not the probe's --input" "$(grep -c -- '--input' <<<"$PROBE_OUT")" 0
run_probe --help
expect_match "--help names the commands" "$PROBE_OUT" 'smtpprobe explain .*smtpprobe audit'
check_usage "resolver garbage" --resolver 'not-an-ip' a@b.test

# An address that does not parse is bad data, not a bad command line: exit 65.
check_invalid() {
	local label=$1
	shift
	run_probe "$@"
	expect_eq "$label: exit 65" "$PROBE_RC" 65
	expect_match "$label: says smtpprobe" "$PROBE_ERR" '^smtpprobe: '
}
check_invalid "missing @" not-an-address
check_invalid "doubled @" 'a@@b.test'
check_invalid "CR LF in address" $'a@b.test\r\nRCPT TO:<x@y.test>'
check_invalid "space in address" 'a b@c.test'
check_invalid "empty local part" '@b.test'
check_invalid "local part over 64" "$(printf 'x%.0s' {1..65})@b.test"
check_invalid "invalid IDN" 'a@xn--zz.test'

# The error names the address, with control characters made visible.
run_probe $'a@b.test\r\nDATA'
expect_match "CR LF shown escaped" "$PROBE_ERR" 'a@b\.test\\x0d\\x0aDATA'

# --json reports an invalid address as a result object on stdout instead.
run_probe --json 'a b@c.test'
expect_eq "json invalid: exit 65" "$PROBE_RC" 65
expect_jq "json invalid: verdict" "$PROBE_OUT" .verdict error
expect_jq "json invalid: step" "$PROBE_OUT" .step input
expect_jq "json invalid: failure" "$PROBE_OUT" .failure invalid_address

# --help lists every option and exits 0; the README carries the same list.
run_probe --help
expect_eq "help exit 0" "$PROBE_RC" 0
for opt in --from --helo --server --port --resolver --ipv4 --ipv6 --all-mx --timeout --size --input --json --verbose --color --version; do
	expect_match "help lists $opt" "$PROBE_OUT" "$opt"
done
# Every option --help names is in the README too, so the two cannot drift.
readme=$(cat "$SRCDIR/README.md")
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$PROBE_OUT" | sort -u); do
	expect_match "README lists $opt" "$readme" "$opt"
done
run_probe --version
expect_match "version" "$PROBE_OUT" '^smtpprobe [0-9]+\.[0-9]+'
assert_done
