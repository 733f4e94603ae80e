# shellcheck shell=bash
# Shared by bounce.sh (Postfix) and bounce_exim.sh (Exim): the refusal
# cases, the fake SMTP servers that play them, and the checks of
# `smtpprobe explain` on the notices the MTA writes. Sourced after lib.sh.
#
#   bounce_fakes_start       one fakesmtp per case, on 127.0.0.1:<any port>,
#                            with the dialogue DIALOG[case]; sets FAKE_PORT[case]
#   bounce_fakes_finish      waits (bounded) for each fakesmtp and checks it
#                            ran its whole dialogue (exit 0)
#   bounce_save MBOX CASE MTA   with BOUNCE_SAVE=DIR: DIR/real-MTA-CASE.eml
#   bounce_explain MBOX CASE REPORTING_MTA [STATUS]
#                            runs explain --json and the text report on MBOX
#                            and checks what it found; the JSON stays in
#                            BOUNCE_JSON. STATUS: the DSN Status the MTA
#                            writes (default: the reply's enhanced code)
#
# Every case relays user@<case>.example.test from <case>@bounce.test to
# 127.0.0.1 by address: no name lookup, so nothing depends on /etc/hosts
# (a chroot may have none, and a name with two addresses would make the
# MTA try the second after a 4xx). The notice names the address as the
# host: explain reports remote_ip, and no host name.

BOUNCE_WORK=$(mktemp -d /tmp/smtpprobe-bounce.XXXXXX)
# FAKE_PORT and BOUNCE_JSON are for the sourcing script.
# shellcheck disable=SC2034
declare -A FAKE_PID=() FAKE_PORT=()

# shellcheck disable=SC2317 # called by the EXIT trap of the test
bounce_cleanup() {
	local c
	for c in "${!FAKE_PID[@]}"; do
		kill -TERM "${FAKE_PID[$c]}" 2>/dev/null || true
		wait "${FAKE_PID[$c]}" 2>/dev/null || true
	done
	rm -rf "$BOUNCE_WORK"
}

CASES=(banner mail rcpt rcpt-multiline end-of-data delayed)
# What explain must find: step, reply code, enhanced code, reply text (the
# lines of a multi-line reply joined by a newline), action.
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
# How explain's text report names the step (English: the tests run in the C locale).
declare -A TEXT_STEP=([banner]='greeting|banner' [mail]='MAIL FROM' [rcpt]='RCPT TO'
	[rcpt-multiline]='RCPT TO' [end-of-data]='end of data' [delayed]='RCPT TO')

_bounce_fake_ready() { # CASE
	[ -s "$BOUNCE_WORK/$1.port" ] && return 0
	kill -0 "${FAKE_PID[$1]}" 2>/dev/null || return 2
	return 1
}

_bounce_fake_gone() { ! kill -0 "${FAKE_PID[$1]}" 2>/dev/null; }

bounce_fakes_start() {
	local c
	if [ -z "${FAKESMTP:-}" ] || [ ! -x "$FAKESMTP" ]; then
		echo "not ok - fakesmtp not given (first argument or FAKESMTP)"
		exit 1
	fi
	for c in "${CASES[@]}"; do
		"$FAKESMTP" --listen 127.0.0.1:0 --script "$FIXTURES/smtp/${DIALOG[$c]}.dialog" \
			--log "$BOUNCE_WORK/$c.fake.log" --timeout 30 \
			</dev/null >"$BOUNCE_WORK/$c.port" 2>"$BOUNCE_WORK/$c.fake.err" &
		FAKE_PID[$c]=$!
		if ! wait_until 100 _bounce_fake_ready "$c"; then
			echo "not ok - fakesmtp did not start for $c"
			sed 's/^/#   /' "$BOUNCE_WORK/$c.fake.err"
			exit 1
		fi
		# shellcheck disable=SC2034 # for the sourcing script
		FAKE_PORT[$c]=$(head -n 1 "$BOUNCE_WORK/$c.port")
	done
}

bounce_fakes_finish() {
	local c rc
	for c in "${CASES[@]}"; do
		[ -n "${FAKE_PID[$c]:-}" ] || continue
		wait_until 100 _bounce_fake_gone "$c" || kill -TERM "${FAKE_PID[$c]}" 2>/dev/null
		rc=0
		wait "${FAKE_PID[$c]}" 2>/dev/null || rc=$?
		unset "FAKE_PID[$c]"
		expect_eq "$c: fakesmtp saw the whole dialogue (${DIALOG[$c]})" "$rc" 0
		[ "$rc" -eq 0 ] || sed "s/^/# $c fakesmtp: /" "$BOUNCE_WORK/$c.fake.log"
	done
	expect_match "end-of-data: the MTA sent the message before the refusal" \
		"$(cat "$BOUNCE_WORK/end-of-data.fake.log")" $'\n# message received: [0-9]+ lines'
}

# The message each case sends.
bounce_message() { # CASE
	printf '%s\n' \
		"From: Bounce test <$1@bounce.test>" \
		"To: <user@$1.example.test>" \
		"Subject: bounce test: $1" \
		"Message-ID: <$1.original@bounce.test>" \
		"Date: Sun, 1 Nov 2026 12:00:00 +0000" \
		"" \
		"This message is refused by the fake server: case $1."
}

# An .eml: the mbox file without its From_ line and the blank line mbox
# delivery adds at the end (each mailbox holds one notice).
bounce_save() { # MBOX CASE MTA
	[ -n "${BOUNCE_SAVE:-}" ] || return 0
	tail -n +2 "$1" | sed -e '$ { /^$/d }' >"$BOUNCE_SAVE/real-$3-$2.eml"
	echo "# saved $BOUNCE_SAVE/real-$3-$2.eml"
}

# Each case's notice, as the MTA wrote it: waits (bounded) until the
# sourcing script's _delivered CASE says the MTA delivered it, then checks
# who wrote it, the MTA's words for the step (SAYS, an associative array
# by case), the DSN's Remote-MTA and Action, and saves it (BOUNCE_SAVE).
bounce_check_notices() { # MTA MAILDIR LOG FROM SAYS
	local mta=$1 dir=$2 log=$3 from=$4 c mbox raw
	local -n says=$5
	for c in "${CASES[@]}"; do
		mbox=$dir/$c
		if ! wait_until 300 _delivered "$c"; then
			_assert_fail "$c: $mta delivered a notice to $c@bounce.test within 30 s" \
				"$(grep -F "$c" "$log" 2>/dev/null | tail -5)"
			continue
		fi
		_assert_ok "$c: $mta delivered a notice to $c@bounce.test"
		raw=$(cat "$mbox")
		expect_match "$c: the notice is $mta's" "$raw" $'\nFrom: Mail Delivery System <'"${from//./\\.}"$'>\n'
		expect_match "$c: $mta names the step" "$raw" "${says[$c]// /[[:space:]]+}"
		expect_match "$c: the DSN names the remote MTA" "$raw" $'\nRemote-MTA: dns; 127.0.0.1\n'
		expect_match "$c: the DSN action" "$raw" $'\nAction: '"${ACTION[$c]}"$'\n'
		bounce_save "$mbox" "$c" "${mta,,}"
	done
}

# shellcheck disable=SC2034
BOUNCE_JSON=
bounce_explain() { # MBOX CASE REPORTING_MTA [STATUS]
	local mbox=$1 c=$2 reporting=$3 j
	local status=${4:-${ENHANCED[$2]}}
	run_probe explain --json "$mbox"
	expect_eq "$c: explain exits 0" "$PROBE_RC" 0
	[ -n "$PROBE_ERR" ] && printf '#   stderr: %s\n' "$PROBE_ERR"
	expect_eq "$c: one recipient object" "$(jq -c . <<<"$PROBE_OUT" 2>/dev/null | wc -l)" 1
	j=$PROBE_OUT
	# shellcheck disable=SC2034 # for the sourcing script
	BOUNCE_JSON=$j
	expect_jq "$c: recipient" "$j" .recipient "user@$c.example.test"
	expect_jq "$c: sender" "$j" .sender "$c@bounce.test"
	expect_jq "$c: step" "$j" .step "${STEP[$c]}"
	expect_jq "$c: remote_host: an address is no host name" "$j" .remote_host null
	expect_jq "$c: remote_ip" "$j" .remote_ip 127.0.0.1
	expect_jq "$c: reporting_mta" "$j" .reporting_mta "$reporting"
	expect_jq "$c: reply.code" "$j" .reply.code "${CODE[$c]}"
	expect_jq "$c: reply.enhanced" "$j" .reply.enhanced "${ENHANCED[$c]}"
	expect_jq "$c: reply.text" "$j" .reply.text "${TEXT[$c]}"
	expect_jq "$c: status" "$j" .status "$status"
	expect_jq "$c: action" "$j" .action "${ACTION[$c]}"
	expect_jq "$c: permanent" "$j" .permanent "$([ "${ACTION[$c]}" = failed ] && echo true || echo false)"
	# Both MTAs write a delivery-status part with the Diagnostic-Code.
	expect_jq "$c: source" "$j" .source dsn
	expect_jq "$c: probe_can_reproduce" "$j" .probe_can_reproduce \
		"$([ "${STEP[$c]}" = end_of_data ] && echo false || echo true)"

	run_probe explain "$mbox"
	expect_eq "$c: explain (text) exits 0" "$PROBE_RC" 0
	# The file name holds the case name: it must not be what matches.
	local text=${PROBE_OUT//"$mbox"/}
	expect_match "$c: the text names the recipient" "$text" "user@$c\\.example\\.test"
	expect_match "$c: the text names the step" "$text" "${TEXT_STEP[$c]}"
	expect_match "$c: the text names the server" "$text" " by 127\\.0\\.0\\.1 \\("
	expect_match "$c: the text quotes the reply" "$text" "${CODE[$c]} ${ENHANCED[$c]} "
}
