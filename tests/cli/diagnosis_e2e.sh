#!/bin/bash
# --retry-greylist and --catch-all end to end against the fake server.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Greylisted first, accepted after the wait: both attempts reported.
fake_start 127.0.0.1 "$CLI_TEST_DIR/greylist.dialog"
run_probe --json --timeout 3 --retry-greylist=1 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "retry: accepted, exit 0" "$PROBE_RC" 0
expect_jq "retry: two attempts" "$PROBE_OUT" '.attempts | length' 2
expect_jq "retry: first was greylisted" "$PROBE_OUT" '.attempts[0].reply.code' 450
expect_jq "retry: second accepted" "$PROBE_OUT" '.attempts[1].failure' none
expect_jq "retry: waited as asked" "$PROBE_OUT" .greylist_retry_after_s 1
expect_jq_true "retry: second attempt started after the wait" "$PROBE_OUT" '.attempts[1].at_ms - .attempts[0].at_ms >= 1000'
expect_eq "retry: fakesmtp saw both sessions" "$FAKE_RC" 0

# Without --retry-greylist the greylisting is the result.
fake_start 127.0.0.1 "$CLI_TEST_DIR/greylist.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_stop
expect_eq "no retry: exit 75" "$PROBE_RC" 75
expect_jq "no retry: greylisting diagnosed" "$PROBE_OUT" .diagnosis.category greylisting
expect_jq "no retry: one attempt" "$PROBE_OUT" '.attempts | length' 1

# An accept-all domain: the random address is accepted too.
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall.dialog"
run_probe --json --timeout 3 --catch-all --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "catch-all: exit 0" "$PROBE_RC" 0
expect_jq "catch-all: detected" "$PROBE_OUT" .catch_all true
expect_jq "catch-all: verdict still accepted" "$PROBE_OUT" .verdict accepted
expect_jq "catch-all: diagnosis says unverifiable" "$PROBE_OUT" .diagnosis.category accepted_catch_all
expect_match "catch-all: random address used" "$(jq -r .catch_all_probe.address <<<"$PROBE_OUT")" '^smtpprobe-nonexistent-[0-9a-f]{20}@\[127\.0\.0\.1\]$'
expect_eq "catch-all: fakesmtp saw the dialogue" "$FAKE_RC" 0

# A real check: the random address is refused.
fake_start 127.0.0.1 "$CLI_TEST_DIR/not-catchall.dialog"
run_probe --json --timeout 3 --catch-all --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "not catch-all: exit 0" "$PROBE_RC" 0
expect_jq "not catch-all: detected" "$PROBE_OUT" .catch_all false
expect_jq "not catch-all: diagnosis accepted" "$PROBE_OUT" .diagnosis.category accepted
expect_eq "not catch-all: fakesmtp saw the dialogue" "$FAKE_RC" 0

# Without --catch-all nothing is tried and nothing claimed.
fake_start 127.0.0.1 "$DNS_TEST_DIR/accepted.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_jq "default: catch_all unknown" "$PROBE_OUT" .catch_all null
assert_done
