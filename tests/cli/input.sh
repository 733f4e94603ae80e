#!/bin/bash
# Paste-friendly input: name-addr, mailto: and lists on one line, each
# address reported as given and probed as the address in it; a byte order
# mark before the first line; a line too long to be addresses is one invalid
# result, not a skipped line.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"; dns_cleanup' EXIT

# --- One line, two addresses as a mail client copies them; a BOM before it.
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
printf '\xef\xbb\xbf"Person, Good" <good@[127.0.0.1]>; mailto:bad@[127.0.0.1]?subject=hi,there\n' >"$work/list"
run_probe --json --timeout 3 --port "$FAKE_PORT" --input "$work/list"
fake_finish
expect_eq "list: the server saw both addresses, in order" "$FAKE_RC" 0
expect_eq "list: two results" "$(printf '%s\n' "$PROBE_OUT" | grep -c .)" 2
line() { printf '%s\n' "$PROBE_OUT" | sed -n "${1}p"; }
expect_jq "name-addr reported as given (no BOM)" "$(line 1)" .address '"Person, Good" <good@[127.0.0.1]>'
expect_jq "name-addr probed as the address" "$(line 1)" '.verdict + " " + .domain' 'accepted [127.0.0.1]'
expect_jq "mailto: reported as given" "$(line 2)" .address 'mailto:bad@[127.0.0.1]?subject=hi,there'
expect_jq "mailto: probed as the address" "$(line 2)" '.verdict + " " + .step' 'rejected rcpt'
expect_eq "list: exit 67" "$PROBE_RC" 67
expect_eq "RCPT TO got the addresses alone" "$(sed -n 's/^C: RCPT TO://p' "$FAKE_DIR/log" | grep -v nonexistent)" \
	"$(printf '%s\n' '<good@[127.0.0.1]>' '<bad@[127.0.0.1]>')"

# --- The same from the command line, in text: the report names the address as given.
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
run_probe --timeout 3 --port "$FAKE_PORT" 'Good <good@[127.0.0.1]>, <bad@[127.0.0.1]>'
fake_finish
expect_eq "argument list: the server saw both" "$FAKE_RC" 0
expect_match "argument: first as given" "$PROBE_OUT" '^ACCEPTED +Good <good@\[127\.0\.0\.1\]>'
expect_match "argument: second as given" "$PROBE_OUT" $'\nREJECTED +<bad@\\[127\\.0\\.0\\.1\\]> +at RCPT TO'

# --- A line over 4096 octets among good ones: one invalid result, the rest probed.
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
{
	echo 'good@[127.0.0.1]'
	printf 'x%.0s' {1..5000}
	echo
	echo 'bad@[127.0.0.1]'
} >"$work/long"
run_probe --format csv --timeout 3 --port "$FAKE_PORT" --input "$work/long"
fake_finish
expect_eq "overlong: three records and the header" "$(printf '%s\n' "$PROBE_OUT" | grep -c .)" 4
expect_match "overlong: in its place, shown by its beginning" "$(printf '%s\n' "$PROBE_OUT" | sed -n 3p)" \
	'^"error","x{64}\.\.\.","input","invalid_address",.*"invalid address: the line is longer than 4096 octets"'
expect_eq "overlong: named on stderr" "$PROBE_ERR" \
	"smtpprobe: invalid address \"$(printf 'x%.0s' {1..64})...\": the line is longer than 4096 octets"
expect_eq "overlong: exit 65" "$PROBE_RC" 65
expect_eq "overlong: the others probed" "$FAKE_RC" 0

# --- A list with no address in it: not an error, but said.
printf '# nothing yet\n\n' >"$work/empty"
run_probe --input "$work/empty"
expect_eq "empty list: exit 0" "$PROBE_RC" 0
expect_eq "empty list: said on stderr" "$PROBE_ERR" "smtpprobe: no address to probe in --input \"$work/empty\""
assert_done
