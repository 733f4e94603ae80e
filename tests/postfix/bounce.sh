#!/bin/bash
# bounce.sh FAKESMTP - real bounces written by a real Postfix, read by
# `smtpprobe explain`.
#
# A test Postfix (fixtures/postfix-bounce) takes one message per case with
# `sendmail -C` and relays it, by transport_maps, to a fake SMTP server on
# loopback (fixtures/smtp/bounce-*.dialog) that refuses it at one SMTP step:
# the greeting, MAIL FROM, RCPT TO (one-line and multi-line replies), end of
# data (after the message: fakesmtp's !data), and once temporarily at RCPT
# TO, which with delay_warning_time = 1s gives a "delayed mail" notice on the
# first attempt. Postfix's bounce service sends the notice back to the
# sender, <case>@bounce.test, and the virtual delivery agent appends it to
# the mbox file <case> in the test's state directory. explain must then name
# the step, the host and IP, the reply and the DSN status of each.
#
# BOUNCE_SAVE=DIR keeps each bounce as DIR/real-postfix-<case>.eml (the mbox
# From_ line dropped): that is how fixtures/bounce/real-postfix-*.eml were
# made, so that the parser has them offline too (their .expect files are
# written by hand from the assertions below).
#
# Needs root (Postfix), like the other tests in this directory.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=bounce_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bounce_lib.sh"

FAKESMTP=${1:-${FAKESMTP:-}}
require_smtpprobe
require_tool jq jq
require_tool sendmail postfix
trap 'postfix_stop; bounce_cleanup' EXIT

# Each case's fake server (fixtures/smtp); Postfix sends RSET before QUIT
# after a refusal, which the dialogues script.
declare -A DIALOG=(
	[banner]=bounce-banner-554
	[mail]=bounce-mail-550
	[rcpt]=bounce-rcpt-550
	[rcpt-multiline]=bounce-rcpt-550-multiline
	[end-of-data]=bounce-data-554
	[delayed]=bounce-rcpt-451
)
# How Postfix's own text names the step (a blank: any run of white space,
# as Postfix folds its lines): checked in the raw notice, so a
# wrong set-up fails here whatever explain does.
# shellcheck disable=SC2034 # read by bounce_check_notices (a name reference)
declare -A POSTFIX_SAYS=(
	[banner]='refused to talk to me:[[:space:]]+554 5\.7\.1 '
	[mail]='\(in reply to MAIL FROM command\)'
	[rcpt]='\(in reply to RCPT TO command\)'
	[rcpt-multiline]='550-5\.1\.1 The email account'
	[end-of-data]='\(in reply to end of DATA command\)'
	[delayed]='\(in reply to RCPT TO command\)'
)

bounce_fakes_start

# ---- Postfix ---------------------------------------------------------------

# <case>.example.test -> smtp:[127.0.0.1]:<its fake server> (bounce_lib.sh
# says why an address, not a name).
map=
for c in "${CASES[@]}"; do
	map="$map {$c.example.test=smtp:[127.0.0.1]:${FAKE_PORT[$c]}},"
done
if ! postfix_start "$FIXTURES/postfix-bounce" "transport_maps = inline:{${map%,} }"; then
	echo "not ok - Postfix did not start"
	exit 1
fi
echo "# postfix master pid $POSTFIX_PID, state in $POSTFIX_DIR"
# The virtual delivery agent writes the mailboxes as nobody (virtual_uid_maps).
install -d -o 65534 -g 65534 "$POSTFIX_DIR/mail"

for c in "${CASES[@]}"; do
	bounce_message "$c" |
		sendmail -C "$POSTFIX_CONFIG" -f "$c@bounce.test" "user@$c.example.test" ||
		_assert_fail "$c: sendmail queued the message" "sendmail failed"
done

# The notice is in the mailbox once the virtual agent logged its delivery
# (the file is complete then, not merely growing).
# shellcheck disable=SC2317 # called by wait_until
_delivered() { # CASE
	[ "$(postfix_log_count "postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<$1@bounce\.test>,.* status=sent")" -ge 1 ]
}

bounce_check_notices Postfix "$POSTFIX_DIR/mail" "$POSTFIX_LOG" MAILER-DAEMON@postfix.test POSTFIX_SAYS

# ---- the fake servers ran their dialogue to the end -------------------------

bounce_fakes_finish

# ---- explain ----------------------------------------------------------------

for c in "${CASES[@]}"; do
	mbox=$POSTFIX_DIR/mail/$c
	[ -s "$mbox" ] || continue
	bounce_explain "$mbox" "$c" mx.postfix.test
	# Postfix writes Original-Recipient even without a DSN ORCPT.
	expect_jq "$c: original_recipient" "$BOUNCE_JSON" .original_recipient "user@$c.example.test"
done

assert_done
