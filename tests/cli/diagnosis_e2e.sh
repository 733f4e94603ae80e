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

# An accept-all domain: the made-up address is accepted too (checked by default).
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "catch-all: exit 0 (mail to it is accepted)" "$PROBE_RC" 0
expect_jq "catch-all: detected" "$PROBE_OUT" .catch_all true
expect_jq "catch-all: verdict still accepted" "$PROBE_OUT" .verdict accepted
expect_jq "catch-all: mailbox unverifiable" "$PROBE_OUT" .mailbox unverifiable
expect_jq "catch-all: blame none" "$PROBE_OUT" .blame none
expect_jq "catch-all: diagnosis says unverifiable" "$PROBE_OUT" .diagnosis.category accepted_catch_all
expect_match "catch-all: random address used" "$(jq -r .catch_all_probe.address <<<"$PROBE_OUT")" '^smtpprobe-nonexistent-[0-9a-f]{20}@\[127\.0\.0\.1\]$'
expect_eq "catch-all: fakesmtp saw the dialogue" "$FAKE_RC" 0

# --require-mailbox: the same acceptance proves no mailbox, exit 79.
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall.dialog"
run_probe --json --timeout 3 --require-mailbox --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "catch-all, --require-mailbox: exit 79" "$PROBE_RC" 79
expect_jq "catch-all, --require-mailbox: exit_status in JSON" "$PROBE_OUT" .exit_status 79
expect_jq "catch-all, --require-mailbox: still accepted" "$PROBE_OUT" .verdict accepted
# The text report says it too.
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall.dialog"
run_probe --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_match "catch-all, text: mailbox line" "$PROBE_OUT" 'mailbox +unverifiable'

# A real check: the made-up address is refused, so the acceptance means the mailbox exists.
fake_start 127.0.0.1 "$CLI_TEST_DIR/not-catchall.dialog"
run_probe --json --timeout 3 --require-mailbox --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "not catch-all: exit 0 even with --require-mailbox" "$PROBE_RC" 0
expect_jq "not catch-all: detected" "$PROBE_OUT" .catch_all false
expect_jq "not catch-all: mailbox exists" "$PROBE_OUT" .mailbox exists
expect_jq "not catch-all: diagnosis accepted" "$PROBE_OUT" .diagnosis.category accepted
expect_eq "not catch-all: fakesmtp saw the dialogue" "$FAKE_RC" 0

# A temporary refusal of the made-up address: kept, and it cannot tell.
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall-4xx.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "catch-all 4xx: exit 0" "$PROBE_RC" 0
expect_jq "catch-all 4xx: catch_all null" "$PROBE_OUT" .catch_all null
expect_jq "catch-all 4xx: its reply kept" "$PROBE_OUT" .catch_all_probe.reply.code 450
expect_jq "catch-all 4xx: mailbox unverifiable" "$PROBE_OUT" .mailbox unverifiable
expect_jq "catch-all 4xx: category" "$PROBE_OUT" .diagnosis.category accepted_catch_all_unknown
expect_eq "catch-all 4xx: fakesmtp saw the dialogue" "$FAKE_RC" 0

# A made-up address refused for another reason (here a rate limit on this client) proves nothing.
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall-refused-policy.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_jq "made-up refused by policy: catch_all unknown" "$PROBE_OUT" .catch_all null
expect_jq "made-up refused by policy: its reply kept" "$PROBE_OUT" .catch_all_probe.reply.code 550
expect_jq "made-up refused by policy: mailbox unverifiable" "$PROBE_OUT" .mailbox unverifiable

# --no-catch-all: nothing is tried (fakesmtp fails on any extra RCPT) and nothing claimed.
fake_start 127.0.0.1 "$CLI_TEST_DIR/no-catchall.dialog"
run_probe --json --timeout 3 --no-catch-all --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "--no-catch-all: exit 0" "$PROBE_RC" 0
expect_jq "--no-catch-all: catch_all null" "$PROBE_OUT" .catch_all null
expect_jq "--no-catch-all: no catch-all probe" "$PROBE_OUT" .catch_all_probe null
expect_eq "--no-catch-all: fakesmtp saw no extra RCPT" "$FAKE_RC" 0
run_probe --no-catch-all --require-mailbox 'user@[127.0.0.1]'
expect_eq "--require-mailbox with --no-catch-all: usage error" "$PROBE_RC" 64

# Once per domain: with one recipient per session (--rcpt-per-session 1), the
# second session of the domain reuses the first one's answer.
fake_start 127.0.0.1 "$CLI_TEST_DIR/catchall-shared.dialog"
run_probe --json --timeout 3 --rcpt-per-session 1 --port "$FAKE_PORT" 'first@[127.0.0.1]' 'second@[127.0.0.1]'
fake_finish
expect_eq "shared: exit 0" "$PROBE_RC" 0
expect_eq "shared: fakesmtp saw one catch-all RCPT in two sessions" "$FAKE_RC" 0
second=$(sed -n 2p <<<"$PROBE_OUT")
expect_jq "shared: the first asked" "$(head -n 1 <<<"$PROBE_OUT")" .catch_all_probe.shared false
expect_jq "shared: the second reused it" "$second" .catch_all_probe.shared true
expect_jq "shared: the second knows the domain is not catch-all" "$second" .catch_all false
expect_jq "shared: the second's mailbox exists" "$second" .mailbox exists
assert_done
