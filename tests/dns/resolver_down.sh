#!/bin/bash
# Nobody listens where --resolver points: step dns, temporary failure, fast,
# and in text mode no more than one clean line on stderr.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_smtpprobe
port=$(dead_port)

start=$SECONDS
run_probe --json --timeout 3 --resolver "127.0.0.1:$port" user@order.test
elapsed=$((SECONDS - start))
expect_eq "exit status 75" "$PROBE_RC" 75
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict tempfail
expect_jq "step" "$j" .step dns
expect_match "failure is a resolver failure" "$(jq -r .failure <<<"$j")" '^(dns_timeout|dns_error)$'
expect_jq "no connection attempted" "$j" '.attempts == []' true
expect_match "gave up within the timeout (${elapsed}s)" "$elapsed" '^[0-9]$'

run_probe --timeout 3 --resolver "127.0.0.1:$port" user@order.test
expect_eq "text mode: exit status 75" "$PROBE_RC" 75
expect_match "text mode: says something" "$PROBE_OUT$PROBE_ERR" '.'
expect_match "text mode: at most one line on stderr" "$(printf '%s' "$PROBE_ERR" | grep -c .)" '^[01]$'
expect_eq "text mode: no library noise on stderr" \
	"$(grep -ciE 'ares_|sanitizer|assert|segmentation|abort' <<<"$PROBE_ERR")" 0
assert_done
