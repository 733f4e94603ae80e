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

FAKESMTP=${1:-${FAKESMTP:-}}
require_smtpprobe
if [ -z "$FAKESMTP" ] || [ ! -x "$FAKESMTP" ]; then
	echo "not ok - fakesmtp not given (first argument or FAKESMTP)"
	exit 1
fi
require_tool jq jq
require_tool sendmail postfix

WORK=$(mktemp -d /tmp/smtpprobe-bounce.XXXXXX)
declare -A FAKE_PID=() FAKE_PORT=()

# shellcheck disable=SC2317 # called by the EXIT trap
bounce_cleanup() {
	local c
	postfix_stop
	for c in "${!FAKE_PID[@]}"; do
		kill -TERM "${FAKE_PID[$c]}" 2>/dev/null || true
		wait "${FAKE_PID[$c]}" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap bounce_cleanup EXIT

# The cases, in the order they are sent: case name -> the dialogue of its
# fake server. Each case's recipient is user@<case>.example.test and its
# sender <case>@bounce.test (fixtures/postfix-bounce/mailboxes lists them).
CASES=(banner mail rcpt rcpt-multiline end-of-data delayed)
declare -A DIALOG=(
	[banner]=bounce-banner-554
	[mail]=bounce-mail-550
	[rcpt]=bounce-rcpt-550
	[rcpt-multiline]=bounce-rcpt-550-multiline
	[end-of-data]=bounce-data-554
	[delayed]=bounce-rcpt-451
)
# What explain must find: step, reply code, enhanced code, reply text (the
# lines of a multi-line reply joined by a newline), action, permanent.
declare -A STEP=([banner]=banner [mail]=mail [rcpt]=rcpt [rcpt-multiline]=rcpt
	[end-of-data]=end_of_data [delayed]=rcpt)
declare -A CODE=([banner]=554 [mail]=550 [rcpt]=550 [rcpt-multiline]=550
	[end-of-data]=554 [delayed]=451)
declare -A ENHANCED=([banner]=5.7.1 [mail]=5.7.1 [rcpt]=5.1.1 [rcpt-multiline]=5.1.1
	[end-of-data]=5.7.1 [delayed]=4.7.1)
declare -A TEXT=(
	[banner]='mx.example.test ESMTP not accepting mail from your network'
	[mail]='Sender address rejected: access denied by policy'
	[rcpt]='<user@rcpt.example.test>: Recipient address rejected: User unknown in virtual mailbox table'
	[rcpt-multiline]=$'The email account that you tried to reach does not exist.\nPlease try double-checking the recipient\'s email address for\ntypos or unnecessary spaces.'
	[end-of-data]='message content rejected: spam score too high'
	[delayed]='<user@delayed.example.test>: Recipient address rejected: greylisted, try again later'
)
declare -A ACTION=([banner]=failed [mail]=failed [rcpt]=failed [rcpt-multiline]=failed
	[end-of-data]=failed [delayed]=delayed)
# How Postfix's own text names the step: checked in the raw bounce, so a
# wrong Postfix set-up fails here whatever explain does.
declare -A POSTFIX_SAYS=(
	[banner]='refused to talk to me:[[:space:]]+554 5\.7\.1 '
	[mail]='\(in reply to MAIL FROM command\)'
	[rcpt]='\(in reply to RCPT TO command\)'
	[rcpt-multiline]='550-5\.1\.1 The email account'
	[end-of-data]='\(in reply to end of DATA command\)'
	[delayed]='\(in reply to RCPT TO command\)'
)
# How explain's text report names the step (English: the tests run in the C locale).
declare -A TEXT_STEP=([banner]='greeting|banner' [mail]='MAIL FROM' [rcpt]='RCPT TO'
	[rcpt-multiline]='RCPT TO' [end-of-data]='end of data' [delayed]='RCPT TO')

# ---- the fake servers, one per case ----------------------------------------

_fake_ready() { # CASE
	[ -s "$WORK/$1.port" ] && return 0
	kill -0 "${FAKE_PID[$1]}" 2>/dev/null || return 2
	return 1
}

for c in "${CASES[@]}"; do
	"$FAKESMTP" --listen 127.0.0.1:0 --script "$FIXTURES/smtp/${DIALOG[$c]}.dialog" \
		--log "$WORK/$c.fake.log" --timeout 30 </dev/null >"$WORK/$c.port" 2>"$WORK/$c.fake.err" &
	FAKE_PID[$c]=$!
	if ! wait_until 100 _fake_ready "$c"; then
		echo "not ok - fakesmtp did not start for $c"
		sed 's/^/#   /' "$WORK/$c.fake.err"
		exit 1
	fi
	FAKE_PORT[$c]=$(head -n 1 "$WORK/$c.port")
done

# ---- Postfix ---------------------------------------------------------------

# <case>.example.test -> smtp:[localhost]:<its fake server>. localhost (from
# /etc/hosts: DNS is off) rather than 127.0.0.1, so the bounce names a host
# and an IP that differ.
map=
for c in "${CASES[@]}"; do
	map="$map {$c.example.test=smtp:[localhost]:${FAKE_PORT[$c]}},"
done
if ! postfix_start "$FIXTURES/postfix-bounce" "transport_maps = inline:{${map%,} }"; then
	echo "not ok - Postfix did not start"
	exit 1
fi
echo "# postfix master pid $POSTFIX_PID, state in $POSTFIX_DIR"
# The virtual delivery agent writes the mailboxes as nobody (virtual_uid_maps).
install -d -o 65534 -g 65534 "$POSTFIX_DIR/mail"

for c in "${CASES[@]}"; do
	printf '%s\n' \
		"From: Bounce test <$c@bounce.test>" \
		"To: <user@$c.example.test>" \
		"Subject: bounce test: $c" \
		"Message-ID: <$c.original@bounce.test>" \
		"Date: Sun, 1 Nov 2026 12:00:00 +0000" \
		"" \
		"This message is refused by the fake server: case $c." |
		sendmail -C "$POSTFIX_CONFIG" -f "$c@bounce.test" "user@$c.example.test" ||
		_assert_fail "$c: sendmail queued the message" "sendmail failed"
done

# The notice is in the mailbox once the virtual agent logged its delivery
# (the file is complete then, not merely growing).
_delivered() { # CASE
	[ "$(postfix_log_count "postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<$1@bounce\.test>,.* status=sent")" -ge 1 ]
}

for c in "${CASES[@]}"; do
	mbox=$POSTFIX_DIR/mail/$c
	if ! wait_until 300 _delivered "$c"; then
		_assert_fail "$c: Postfix delivered a notice to $c@bounce.test within 30 s" \
			"$(grep -E "$c" "$POSTFIX_LOG" | tail -5)"
		continue
	fi
	_assert_ok "$c: Postfix delivered a notice to $c@bounce.test"
	raw=$(cat "$mbox")
	expect_match "$c: the notice is Postfix's" "$raw" $'\nFrom: Mail Delivery System <MAILER-DAEMON@postfix\\.test>\n'
	expect_match "$c: Postfix names the step and the reply" "$raw" "${POSTFIX_SAYS[$c]}"
	expect_match "$c: the DSN names the remote MTA" "$raw" $'\nRemote-MTA: dns; localhost\n'
	if [ -n "${BOUNCE_SAVE:-}" ]; then
		# An .eml: without the mbox From_ line and the blank line mbox
		# delivery adds at the end.
		tail -n +2 "$mbox" | sed -e '$ { /^$/d }' >"$BOUNCE_SAVE/real-postfix-$c.eml"
		echo "# saved $BOUNCE_SAVE/real-postfix-$c.eml"
	fi
done

# ---- the fake servers ran their dialogue to the end -------------------------

_fake_gone() { ! kill -0 "${FAKE_PID[$1]}" 2>/dev/null; }
for c in "${CASES[@]}"; do
	wait_until 100 _fake_gone "$c" || kill -TERM "${FAKE_PID[$c]}" 2>/dev/null
	rc=0
	wait "${FAKE_PID[$c]}" 2>/dev/null || rc=$?
	unset "FAKE_PID[$c]"
	expect_eq "$c: fakesmtp saw the whole dialogue (${DIALOG[$c]})" "$rc" 0
	[ "$rc" -eq 0 ] || sed "s/^/# $c fakesmtp: /" "$WORK/$c.fake.log"
done
expect_match "end-of-data: Postfix sent the message before the refusal" \
	"$(cat "$WORK/end-of-data.fake.log")" $'\n# message received: [0-9]+ lines'

# ---- explain ----------------------------------------------------------------

for c in "${CASES[@]}"; do
	mbox=$POSTFIX_DIR/mail/$c
	[ -s "$mbox" ] || continue
	run_probe explain --json "$mbox"
	expect_eq "$c: explain exits 0" "$PROBE_RC" 0
	[ -n "$PROBE_ERR" ] && printf '#   stderr: %s\n' "$PROBE_ERR"
	expect_eq "$c: one recipient object" "$(jq -c . <<<"$PROBE_OUT" 2>/dev/null | wc -l)" 1
	j=$PROBE_OUT
	expect_jq "$c: recipient" "$j" .recipient "user@$c.example.test"
	expect_jq "$c: original_recipient" "$j" .original_recipient "user@$c.example.test"
	expect_jq "$c: sender" "$j" .sender "$c@bounce.test"
	expect_jq "$c: step" "$j" .step "${STEP[$c]}"
	expect_jq "$c: remote_host" "$j" .remote_host localhost
	expect_jq "$c: remote_ip" "$j" .remote_ip 127.0.0.1
	expect_jq "$c: reporting_mta" "$j" .reporting_mta mx.postfix.test
	expect_jq "$c: reply.code" "$j" .reply.code "${CODE[$c]}"
	expect_jq "$c: reply.enhanced" "$j" .reply.enhanced "${ENHANCED[$c]}"
	expect_jq "$c: reply.text" "$j" .reply.text "${TEXT[$c]}"
	expect_jq "$c: status" "$j" .status "${ENHANCED[$c]}"
	expect_jq "$c: action" "$j" .action "${ACTION[$c]}"
	expect_jq "$c: permanent" "$j" .permanent "$([ "${ACTION[$c]}" = failed ] && echo true || echo false)"
	# Postfix writes a delivery-status part with the Diagnostic-Code.
	expect_jq "$c: source" "$j" .source dsn
	expect_jq "$c: probe_can_reproduce" "$j" .probe_can_reproduce \
		"$([ "${STEP[$c]}" = end_of_data ] && echo false || echo true)"

	run_probe explain "$mbox"
	expect_eq "$c: explain (text) exits 0" "$PROBE_RC" 0
	expect_match "$c: the text names the recipient" "$PROBE_OUT" "user@$c\\.example\\.test"
	expect_match "$c: the text names the step" "$PROBE_OUT" "${TEXT_STEP[$c]}"
	expect_match "$c: the text names the host and IP" "$PROBE_OUT" 'localhost \[127\.0\.0\.1\]'
	expect_match "$c: the text quotes the reply" "$PROBE_OUT" "${CODE[$c]} ${ENHANCED[$c]} "
done

assert_done
