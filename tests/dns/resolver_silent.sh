#!/bin/bash
# A resolver that never answers: step dns, failure dns_timeout, within the
# --timeout (run_probe's hard limit catches a hang), exit 75.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_smtpprobe
blackhole=${2:?usage: resolver_silent.sh FAKESMTP UDP_BLACKHOLE}

dir=$(mktemp -d)
"$blackhole" --timeout 20 >"$dir/port" 2>"$dir/err" &
bh_pid=$!
trap 'kill "$bh_pid" 2>/dev/null; wait "$bh_pid" 2>/dev/null; rm -rf "$dir"' EXIT
wait_until 50 test -s "$dir/port" || { echo "not ok - blackhole did not start"; exit 1; }
port=$(head -n 1 "$dir/port")

run_probe --json --timeout 2 --resolver "127.0.0.1:$port" user@order.test
expect_eq "exit status 75" "$PROBE_RC" 75
expect_jq "step dns" "$PROBE_OUT" .step dns
expect_jq "failure dns_timeout" "$PROBE_OUT" .failure dns_timeout
expect_jq "verdict tempfail" "$PROBE_OUT" .verdict tempfail
expect_jq "no connection attempted" "$PROBE_OUT" '.attempts == []' true
expect_match "the message says so" "$(jq -r .message <<<"$PROBE_OUT")" '(Timeout while contacting|no answer from the resolver)'
expect_jq "the given resolver is blamed, not the domain" "$PROBE_OUT" .blame local
expect_match "the advice is about --resolver, not to use it" "$(jq -r .diagnosis.remedy <<<"$PROBE_OUT")" '^check the addresses given with --resolver'
assert_done
