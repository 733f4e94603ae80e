#!/bin/bash
# The text report: no colour unless asked or on a TTY without NO_COLOR; -v
# puts the transcript on stderr; a hostile reply cannot reach the terminal raw.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

esc=$'\033'
fake_start 127.0.0.1 "$CLI_TEST_DIR/hostile.dialog"
run_probe -v --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_eq "rejected without a reason: exit 69 (blame unknown, not the mailbox)" "$PROBE_RC" 69
expect_match "verdict line" "$PROBE_OUT" '^REJECTED +user@\[127\.0\.0\.1\] +at RCPT TO'
expect_match "reply shown" "$PROBE_OUT" 'reply +550 '
expect_match "escape shown as text" "$PROBE_OUT" '\\x1b\[2J'
expect_eq "no raw escape on stdout (not a TTY)" "$(grep -c "$esc" <<<"$PROBE_OUT")" 0
expect_eq "no raw escape on stderr" "$(grep -c "$esc" <<<"$PROBE_ERR")" 0
expect_eq "no BEL anywhere" "$(printf '%s%s' "$PROBE_OUT" "$PROBE_ERR" | grep -c $'\a')" 0
expect_match "transcript on stderr" "$PROBE_ERR" 'C: RCPT TO:<user@\[127\.0\.0\.1\]>'
expect_match "server lines on stderr" "$PROBE_ERR" 'S: 220 mx\.cli\.test'
expect_eq "no transcript on stdout" "$(grep -c '^C: ' <<<"$PROBE_OUT")" 0

# --color always colours even into a pipe; the reply's own escapes stay escaped.
fake_start 127.0.0.1 "$CLI_TEST_DIR/hostile.dialog"
run_probe --color always --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_match "colour codes with --color always" "$PROBE_OUT" "${esc}\\[1;31mREJECTED"
expect_eq "only our own escapes" "$(grep -o "${esc}\\[2J" <<<"$PROBE_OUT" | wc -l)" 0

# On a TTY: colour by default, none with NO_COLOR (script(1) gives a pty).
require_tool script bsdutils
for nc in "" 1; do
	fake_start 127.0.0.1 "$CLI_TEST_DIR/hostile.dialog"
	out=$(NO_COLOR=$nc timeout 30 script -qec "$SMTPPROBE --timeout 3 --port $FAKE_PORT 'user@[127.0.0.1]'" /dev/null)
	fake_finish
	if [ -z "$nc" ]; then
		expect_match "TTY: coloured" "$out" "${esc}\\[1;31mREJECTED"
	else
		expect_eq "TTY with NO_COLOR: no colour" "$(grep -c "${esc}\\[1;31m" <<<"$out")" 0
	fi
done

# --json -v carries the transcript inside the object, stderr stays quiet.
fake_start 127.0.0.1 "$CLI_TEST_DIR/hostile.dialog"
run_probe --json -v --timeout 3 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_finish
expect_one_json "json -v: one line"
expect_jq_true "json -v: transcript has RCPT" "$PROBE_OUT" '.transcript | any(startswith("C: RCPT TO:"))'
expect_jq_true "json -v: escapes kept as data" "$PROBE_OUT" '.reply.text | contains("\u001b[2J")'
expect_eq "json -v: stderr empty" "$PROBE_ERR" ""
# The text report escapes what a terminal would act on or hide: a bidi
# override (U+202E) and C1 controls come out as \xNN, never raw.
fake_start 127.0.0.1 "$FIXTURES/smtp/json-bidi-c1.dialog"
run_probe --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
expect_match "text: U+202E escaped" "$PROBE_OUT" 'no such user \\xe2\\x80\\xaegpj\.exe\\xc2\\x85\\xc2\\x9b31m'
expect_eq "text: no raw U+202E" "$(grep -c $'\xe2\x80\xae' <<<"$PROBE_OUT")" 0

# A protocol error is said once: the detail line, not again as a note.
fake_start 127.0.0.1 "$FIXTURES/smtp/garbage.dialog"
run_probe --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
expect_eq "text: the protocol error once" "$(grep -c 'not an SMTP reply' <<<"$PROBE_OUT")" 1
expect_match "text: on the detail line" "$PROBE_OUT" $'\n  detail +not an SMTP reply'

# Silence before the greeting is not "mid-dialogue": nothing was said yet.
fake_start 127.0.0.1 "$CLI_TEST_DIR/silent.dialog"
run_probe --timeout 1 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_stop
expect_match "text: no greeting" "$PROBE_OUT" 'why +the server took the connection but sent no greeting'
assert_done
