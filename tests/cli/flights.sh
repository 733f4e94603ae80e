#!/bin/bash
# The RCPT groups of a shared session, end to end against fakesmtp (the
# policy is in docs/batch.md, "Shared sessions"). Each script expects the
# client's commands before it answers them, so a client that waits for
# replies where it should not, or sends where it should wait, fails the run.
#
# 1. 50 good recipients, PIPELINING: two envelope flights. The first holds
#    MAIL, an evenly spread sample of the session (the 1st, 8th, 15th ...
#    43rd) and the made-up address; once it came back clean, the other 43
#    and QUIT go in one flight.
# 2. 20 recipients, the 7 good ones first: the spread sample catches the
#    bad ones, so every later group stays within the error budget (8
#    refusals a session) and no session comes near Postfix's limits
#    (a delay after 10, a disconnect after 20).
# 3. A tarpit that delays each RCPT reply by 1.2 s, under --timeout 3:
#    each reply of a pipelined group gets its own timeout, so the five
#    replies (6 s in all) are results, not timeouts.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dns_cleanup' EXIT
addr() { printf 'u%02d@[127.0.0.1]' "$1"; }
rcpt() { printf 'C: RCPT TO:<%s>\n' "$(addr "$1")"; }
ok() { echo 'S: 250 2.1.5 Ok'; }
unknown() { printf 'S: 550 5.1.1 <%s>: Recipient address rejected: User unknown\n' "$(addr "$1")"; }
greet() {
	printf 'S: 220 mx.cli.test ESMTP\nC: EHLO *\nS: 250-mx.cli.test\nS: 250 PIPELINING\nC: MAIL FROM:<>\n'
}

# --- 1. 50 good recipients: 2 envelope flights --------------------------
sample=(1 8 15 22 29 36 43)
{
	echo 'description: 50 good recipients in one session: a spread first group, then the other 43 in one flight'
	echo '---'
	greet
	rcpt 1
	echo 'C: RCPT TO:<smtpprobe-nonexistent-*>'
	for i in "${sample[@]:1}"; do rcpt "$i"; done
	echo 'S: 250 2.1.0 Ok'
	ok
	echo 'S: 550 5.1.1 <smtpprobe-nonexistent>: Recipient address rejected: User unknown'
	for i in "${sample[@]:1}"; do ok; done
	rest=()
	for i in $(seq 1 50); do
		[[ " ${sample[*]} " == *" $i "* ]] || rest+=("$i")
	done
	for i in "${rest[@]}"; do rcpt "$i"; done
	echo 'C: QUIT'
	for i in "${rest[@]}"; do ok; done
	echo 'S: 221 2.0.0 Bye'
} >"$tmp/fifty.dialog"
expect_eq "the script has the other 43 in its second flight" "$(grep -c '^C: RCPT' "$tmp/fifty.dialog")" 51

for i in $(seq 1 50); do addr "$i"; echo; done >"$tmp/fifty.txt"
fake_start 127.0.0.1 "$tmp/fifty.dialog"
run_probe --json --timeout 5 --port "$FAKE_PORT" --input "$tmp/fifty.txt"
fake_finish
expect_eq "50 good: fakesmtp saw one session in two envelope flights, as scripted" "$FAKE_RC" 0
expect_eq "50 good: exit 0" "$PROBE_RC" 0
expect_eq "50 good: 50 accepted" "$(jq -s 'map(select(.verdict == "accepted")) | length' <<<"$PROBE_OUT")" 50
expect_eq "50 good: in input order" "$(jq -r .address <<<"$PROBE_OUT" | head -3 | tr '\n' ' ')" \
	"$(addr 1) $(addr 2) $(addr 3) "

# --- 2. good ones first, then bad: the budget holds ---------------------
# Known: u01..u07. The spread sample of 20 is the 1st, 3rd, 6th, 9th, 12th,
# 15th and 18th: 4 unknown, so the rest goes in groups the budget allows.
known() { [ "$1" -le 7 ]; }
answer() { if known "$1"; then ok; else unknown "$1"; fi; }
{
	echo 'description: 20 recipients, the 7 good ones first: the sample sees refusals, the groups keep to the budget, and a second session takes the rest'
	echo '---'
	greet
	rcpt 1
	echo 'C: RCPT TO:<smtpprobe-nonexistent-*>'
	for i in 3 6 9 12 15 18; do rcpt "$i"; done
	echo 'S: 250 2.1.0 Ok'
	answer 1
	echo 'S: 550 5.1.1 <smtpprobe-nonexistent>: Recipient address rejected: User unknown'
	for i in 3 6 9 12 15 18; do answer "$i"; done
	# 5 refused (the made-up one and 4 surprises): groups of 3 at most, then 1
	for g in "2 4 5" "7 8 10" "11"; do
		for i in $g; do rcpt "$i"; done
		for i in $g; do answer "$i"; done
	done
	echo 'C: QUIT'
	echo 'S: 221 2.0.0 Bye'
	echo '=== the budget was spent (8 refused): a new session for the other 6, the catch-all answer known'
	greet
	for i in 13 14 16 17 19 20; do rcpt "$i"; done
	echo 'C: QUIT'
	echo 'S: 250 2.1.0 Ok'
	for i in 13 14 16 17 19 20; do answer "$i"; done
	echo 'S: 221 2.0.0 Bye'
} >"$tmp/mostly-bad.dialog"

for i in $(seq 1 20); do addr "$i"; echo; done >"$tmp/twenty.txt"
fake_start 127.0.0.1 "$tmp/mostly-bad.dialog"
run_probe --json --timeout 5 --port "$FAKE_PORT" --input "$tmp/twenty.txt"
fake_finish
expect_eq "good first: fakesmtp saw the budgeted groups and two sessions, as scripted" "$FAKE_RC" 0
expect_eq "good first: 20 results" "$(grep -c . <<<"$PROBE_OUT")" 20
expect_eq "good first: 7 accepted" "$(jq -s 'map(select(.verdict == "accepted")) | length' <<<"$PROBE_OUT")" 7
expect_eq "good first: 13 not found" "$(jq -s 'map(select(.mailbox == "not_found")) | length' <<<"$PROBE_OUT")" 13
expect_eq "good first: exit 67" "$PROBE_RC" 67
# what fakesmtp logged: refusals per session, never 10 or more
refused=$(awk '/^S: 550/ { n++ } /^# .*(accepted|connection from)/ { if (n) print n; n = 0 } END { if (n) print n }' "$FAKE_DIR/log" | sort -n | tail -1)
expect_match "good first: at most 8 refusals in a session (most: $refused)" "$refused" '^[1-8]$'

# --- 3. a tarpit: each pipelined reply has its own timeout -------------
{
	echo 'description: 4 recipients in one flight, each RCPT reply 1.2 s after the one before'
	echo '---'
	greet
	rcpt 1
	echo 'C: RCPT TO:<smtpprobe-nonexistent-*>'
	for i in 2 3 4; do rcpt "$i"; done
	echo 'S: 250 2.1.0 Ok'
	echo '!pause 1200'
	ok
	echo '!pause 1200'
	echo 'S: 550 5.1.1 <smtpprobe-nonexistent>: Recipient address rejected: User unknown'
	for i in 2 3 4; do echo '!pause 1200'; ok; done
	echo 'C: QUIT'
	echo 'S: 221 2.0.0 Bye'
} >"$tmp/tarpit.dialog"
for i in 1 2 3 4; do addr "$i"; echo; done >"$tmp/four.txt"
fake_start 127.0.0.1 "$tmp/tarpit.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" --input "$tmp/four.txt"
fake_finish
expect_eq "tarpit: fakesmtp saw the one session, as scripted" "$FAKE_RC" 0
expect_eq "tarpit: 4 accepted, none timed out" "$(jq -s 'map(select(.verdict == "accepted")) | length' <<<"$PROBE_OUT")" 4
expect_eq "tarpit: exit 0" "$PROBE_RC" 0
expect_eq "tarpit: the pauses happened (fakesmtp's log)" "$(grep -c '^# pausing 1200 ms' "$FAKE_DIR/log")" 5
assert_done
