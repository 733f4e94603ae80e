#!/bin/bash
# Input hygiene: addresses holding invisible characters (zero-width space,
# byte order mark, soft hyphen, bidi controls) and paths over RFC 5321's 256
# octets are refused as input, exit 65 (bad data), with a message that says why - and
# before any connection: a fake server is listening, and nobody comes.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fake_start 127.0.0.1 "$FIXTURES/smtp/accepted.dialog"
server=(--server "127.0.0.1:$FAKE_PORT" --timeout 3)

# local part 64 + "@" + domain 190 = 255 octets, 257 with < >.
long_domain="$(printf 'b%.0s' {1..63}).$(printf 'b%.0s' {1..63}).$(printf 'b%.0s' {1..57}).test"
long_address="$(printf 'a%.0s' {1..64})@$long_domain"
expect_eq "the long address is 255 octets" "${#long_address}" 255

check_refused() { # LABEL ADDRESS WORDS
	local label=$1 address=$2 words=$3
	run_probe --json "${server[@]}" "$address"
	expect_eq "$label: exit 65" "$PROBE_RC" 65
	expect_one_json "$label: one JSON object"
	expect_jq "$label: step" "$PROBE_OUT" .step input
	expect_jq "$label: failure" "$PROBE_OUT" .failure invalid_address
	expect_jq_true "$label: message says why" "$PROBE_OUT" ".message | contains(\"$words\")"
	expect_jq "$label: no attempt" "$PROBE_OUT" '.attempts | length' 0
}

check_refused "path over 256 octets" "$long_address" "256 octets"
check_refused "zero-width space" $'us\xe2\x80\x8ber@example.test' "invisible character"
check_refused "byte order mark in front" $'\xef\xbb\xbfuser@example.test' "invisible character"
check_refused "soft hyphen in the domain" $'user@exam\xc2\xadple.test' "invisible character"
check_refused "right-to-left override" $'\xe2\x80\xaetset.elpmaxe@resu' "invisible character"
check_refused "first strong isolate" $'user\xe2\x81\xa8@example.test' "invisible character"

# Text mode: one line on stderr naming the problem.
run_probe "${server[@]}" $'us\xe2\x80\x8ber@example.test'
expect_eq "text: exit 65" "$PROBE_RC" 65
expect_match "text: says invisible" "$PROBE_ERR" 'invisible character'

# The sender gets the same checks, as a usage error.
run_probe "${server[@]}" --from $'postmaster\xe2\x80\x8b@example.test' user@example.test
expect_eq "--from with a zero-width space: exit 64" "$PROBE_RC" 64
expect_match "--from with a zero-width space: says so" "$PROBE_ERR" 'invalid --from address: .*invisible character'
run_probe "${server[@]}" --from "$long_address" user@example.test
expect_eq "--from over 256 octets: exit 64" "$PROBE_RC" 64
expect_match "--from over 256 octets: says so" "$PROBE_ERR" '256 octets'

# Nothing of the above reached the server.
log=$(cat "$FAKE_DIR/log" 2>/dev/null)
expect_eq "no connection was made" "$(grep -c 'connection from' <<<"$log")" 0
fake_stop
assert_done
