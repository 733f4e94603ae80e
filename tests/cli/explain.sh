#!/bin/bash
# smtpprobe explain: exit statuses (0, 65 not a bounce, 66 unreadable),
# standard input, several files, an mbox, text and JSON, and --reprobe
# against fakesmtp on loopback: then versus now (gone, same, changed,
# not_probed), with --reprobe-as-sender the bounce's sender as MAIL FROM.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tool jq jq

B=$FIXTURES/explain

run_probe explain --json "$B/rcpt-unknown.eml"
expect_eq "a bounce: exit 0" "$PROBE_RC" 0
expect_one_json "a bounce: one object"
expect_jq "recipient" "$PROBE_OUT" '.recipient' 'user@example.test'
expect_jq "step, host, IP" "$PROBE_OUT" '[.step, .remote_host, .remote_ip] | join(" ")' 'rcpt mx.example.test 192.0.2.10'
expect_jq "reply" "$PROBE_OUT" '[.reply.code, .reply.enhanced, .reply.text] | join("|")' \
	'550|5.1.1|<user@example.test>: Recipient address rejected: User unknown'
expect_jq "sender, reporting MTA, source" "$PROBE_OUT" '[.sender, .reporting_mta, .source] | join(" ")' \
	'alice@example.net mail.example.net dsn'
expect_jq "diagnosis" "$PROBE_OUT" '[.diagnosis.category, .diagnosis.blame] | join(" ")' 'recipient_unknown recipient'
expect_jq "no reprobe members without --reprobe" "$PROBE_OUT" 'has("reprobe") or has("reprobe_outcome")' 'false'
expect_jq "file as given" "$PROBE_OUT" '.file' "$B/rcpt-unknown.eml"

# standard input, "-" or no FILE
run_probe explain --json - <"$B/mail-refused.eml"
expect_jq "stdin: file is -" "$PROBE_OUT" '[.file, .step, .reply.code] | join(" ")' '- mail 550'
PROBE_OUT=$(timeout 60 "$SMTPPROBE" explain --json <"$B/end-of-data.eml")
expect_jq "no FILE: stdin; end of data" "$PROBE_OUT" '[.step, .probe_can_reproduce] | join(" ")' 'end_of_data false'

# not a bounce: 65, nothing on stdout, one line on stderr
run_probe explain "$B/vacation.eml"
expect_eq "auto-reply: exit 65" "$PROBE_RC" 65
expect_eq "auto-reply: nothing on stdout" "$PROBE_OUT" ''
expect_eq "auto-reply: one line" "$PROBE_ERR" "smtpprobe: $B/vacation.eml: not a bounce: an automatic reply (out of office)"
run_probe explain /nonexistent/bounce.eml
expect_eq "missing file: exit 66" "$PROBE_RC" 66
expect_eq "missing file: one line" "$PROBE_ERR" 'smtpprobe: /nonexistent/bounce.eml: cannot read: No such file or directory'

# several files: each in turn, the worst status wins
run_probe explain --json "$B/rcpt-unknown.eml" "$B/vacation.eml" "$B/mail-refused.eml"
expect_eq "several files, one not a bounce: exit 65" "$PROBE_RC" 65
expect_eq "several files: two objects" "$(jq -r .recipient <<<"$PROBE_OUT" | wc -l)" 2
expect_eq "several files: in order" "$(jq -r .step <<<"$PROBE_OUT" | tr '\n' ' ')" 'rcpt mail '
run_probe explain --json "$B/vacation.eml" /nonexistent/x.eml
expect_eq "unreadable beats not a bounce: exit 66" "$PROBE_RC" 66

# an mbox: the last message
run_probe explain --json "$B/two.mbox"
expect_jq "mbox: the last message" "$PROBE_OUT" '[.reply.code, .diagnosis.category] | join(" ")' '552 mailbox_full'

# the text report
LC_ALL=C LANGUAGE= run_probe explain "$B/end-of-data.eml"
expect_match "text: the refusal line" "$PROBE_OUT" '^user@example.test: refused at end of data by mx.example.test \[192.0.2.12\] \(permanent\)'
expect_match "text: the reply" "$PROBE_OUT" $'\n    reply:     554 5.7.1 Message rejected: spam score too high\n'
expect_match "text: the note for data steps" "$PROBE_OUT" 'note: +refused after the message was sent \(end of data\): a probe cannot reproduce this'
expect_match "text: the diagnosis" "$PROBE_OUT" $'\n    diagnosis: [^\n]+\(blame: '

# a delay notice is not a refusal: "delayed at", "held up", and no "gave up"
LC_ALL=C LANGUAGE= run_probe explain "$FIXTURES/bounce/postfix-delayed-eod-timeout.eml"
expect_match "delay: the line" "$PROBE_OUT" '^bob@example.com: delayed at end of data by mx.example.com \[192.0.2.1\] \(temporary\)'
expect_match "delay: the note" "$PROBE_OUT" 'note: +held up after the message was sent \(end of data\)'
expect_eq "delay: not 'gave up'" "$(grep -c 'gave up' <<<"$PROBE_OUT")" 0

# advice for the bounce's sender, not for smtpprobe's options
run_probe explain --json "$B/mail-refused.eml"
expect_jq "sender refused: the category" "$PROBE_OUT" '.diagnosis.category' 'sender_rejected'
expect_jq "sender refused: a remedy for the sender" "$PROBE_OUT" '.diagnosis.remedy | test("send from another address") and (test("--") | not)' 'true'
# a translated label as wide as the column keeps a space before its text
LC_ALL=C.UTF-8 LANGUAGE=ru run_probe explain "$B/mail-refused.eml"
expect_match "ru: every label followed by a space" "$PROBE_OUT" $'\n    что делать: '
expect_eq "ru: no label runs into its text" "$(grep -cE '^    [^ ]+( [^ ]+)?:[^ ]' <<<"$PROBE_OUT")" 0

# --reprobe against fakesmtp: gone, same, changed, not_probed
reprobe() {
	local dialog=$1
	shift
	fake_start 127.0.0.1 "$FIXTURES/smtp/$dialog"
	run_probe explain --json --timeout 3 --server "127.0.0.1:$FAKE_PORT" "$@"
	fake_finish
}
reprobe accepted.dialog --reprobe "$B/rcpt-unknown.eml"
expect_eq "reprobe accepted: exit 0" "$PROBE_RC" 0
expect_jq "then rcpt 550, now accepted: gone" "$PROBE_OUT" '.reprobe_outcome' 'gone'
expect_jq "reprobe: the probe's result object" "$PROBE_OUT" '[.reprobe.verdict, .reprobe.step, .reprobe.reply.code, .reprobe.server.ip] | join(" ")' \
	'accepted rcpt 250 127.0.0.1'
reprobe rcpt-550-511.dialog --reprobe "$B/rcpt-unknown.eml"
expect_jq "then rcpt 550, now rcpt 550: same" "$PROBE_OUT" '[.reprobe_outcome, .reprobe.verdict] | join(" ")' 'same rejected'
expect_eq "reprobe refused: still exit 0" "$PROBE_RC" 0
reprobe rcpt-550-511.dialog --reprobe "$B/mail-refused.eml"
expect_jq "then mail 550, now rcpt 550: changed" "$PROBE_OUT" '[.step, .reprobe.step, .reprobe_outcome] | join(" ")' 'mail rcpt changed'
reprobe accepted.dialog --reprobe "$B/end-of-data.eml"
expect_jq "then end of data, now accepted at RCPT: a probe cannot tell" "$PROBE_OUT" '.reprobe_outcome' 'not_probed'
expect_jq "... but it probed" "$PROBE_OUT" '.reprobe.verdict' 'accepted'
reprobe accepted.dialog --reprobe "$FIXTURES/bounce/opensmtpd-real-end-of-data.eml"
expect_jq "then spam (no step named), now accepted at RCPT: a probe cannot tell" "$PROBE_OUT" \
	'[.step, .diagnosis.category, .probe_can_reproduce, .reprobe_outcome] | map(tostring) | join(" ")' \
	'null message_spam false not_probed'
reprobe explain-as-sender.dialog --reprobe-as-sender "$B/rcpt-unknown.eml"
expect_jq "--reprobe-as-sender: MAIL FROM the bounce's sender (the dialog insists)" "$PROBE_OUT" \
	'[.reprobe.verdict, .reprobe.step, .reprobe_outcome] | join(" ")' 'rejected rcpt same'
reprobe accepted.dialog --reprobe "$B/rcpt-unknown.eml" "$B/end-of-data.eml"
expect_eq "one recipient in two bounces: both get the probe" "$(jq -r '.reprobe.verdict' <<<"$PROBE_OUT" | tr '\n' ' ')" 'accepted accepted '
LC_ALL=C LANGUAGE= reprobe accepted.dialog --reprobe "$B/rcpt-unknown.eml" --format text
expect_match "text: now" "$PROBE_OUT" $'\n    now: +accepted at RCPT TO [^\n]*-> the problem is gone'

run_probe explain --reprobe --input x "$B/rcpt-unknown.eml"
expect_eq "a probe-only option: usage" "$PROBE_RC" 64
run_probe explain --format csv "$B/rcpt-unknown.eml"
expect_eq "--format csv: explain writes text or JSON only" "$PROBE_RC:$PROBE_ERR" \
	'64:smtpprobe: smtpprobe explain writes text or json (--format text or --format json)'
run_probe --reprobe a@example.test
expect_eq "--reprobe is explain's: usage for the probe" "$PROBE_RC" 64
assert_done
