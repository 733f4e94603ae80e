#!/bin/bash
# --input: comments, blank lines and CRLF endings are fine; an invalid line is
# reported and the others are still probed; the most severe status wins. The
# two addresses of one domain go through one session.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
input=$(mktemp)
trap 'rm -f "$input"; dns_cleanup' EXIT
printf '# helpdesk list\r\n\r\n  good@[127.0.0.1]  \r\nnot an address\r\nbad@[127.0.0.1]\r\n' >"$input"
run_probe --json --timeout 3 --port "$FAKE_PORT" --input "$input"
fake_finish

expect_eq "three results" "$(printf '%s\n' "$PROBE_OUT" | grep -c .)" 3
expect_jq_true "every line is JSON" "$(printf '%s\n' "$PROBE_OUT" | jq -s -c .)" 'length == 3'
line() { printf '%s\n' "$PROBE_OUT" | sed -n "${1}p"; }
expect_jq "first accepted" "$(line 1)" .verdict accepted
expect_jq "first address trimmed" "$(line 1)" .address 'good@[127.0.0.1]'
expect_jq "second invalid" "$(line 2)" .failure invalid_address
expect_jq "third rejected at rcpt" "$(line 3)" '.step + " " + (.reply.code|tostring)' 'rcpt 550'
expect_eq "invalid input outranks a rejection: exit 65" "$PROBE_RC" 65
expect_eq "fakesmtp saw one session with both recipients" "$FAKE_RC" 0

# Without the invalid line the rejection decides: exit 67.
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
printf 'good@[127.0.0.1]\nbad@[127.0.0.1]\n' | { run_probe --json --timeout 3 --port "$FAKE_PORT" --input -; echo "$PROBE_RC" >"$input"; }
fake_finish
expect_eq "stdin input: exit 67" "$(cat "$input")" 67

run_probe --input /nonexistent/list
expect_eq "missing input file: exit 74 (EX_IOERR)" "$PROBE_RC" 74
expect_match "missing input file: says so" "$PROBE_ERR" 'cannot open --input'
assert_done
