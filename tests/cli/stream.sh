#!/bin/bash
# The batch at the protocol minimum and its end: recipients of one domain
# share sessions (452 and 421 mid-session handled), input streams from a
# pipe, --order completion, a failed output stops the run (| head -1,
# > /dev/full), an unreadable --input, SIGINT, --max-time, --shard, --resume.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tmp=$(mktemp -d /tmp/smtpprobe-stream.XXXXXX)
trap 'rm -rf "$tmp"; fake_stop; dns_cleanup' EXIT

# 452 too many recipients: the third address goes to a new session, and gets its own answer.
fake_start 127.0.0.1 "$CLI_TEST_DIR/too-many-rcpts.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'a@[127.0.0.1]' 'b@[127.0.0.1]' 'c@[127.0.0.1]'
fake_finish
expect_eq "452: fakesmtp saw two sessions as scripted" "$FAKE_RC" 0
expect_eq "452: three results" "$(grep -c . <<<"$PROBE_OUT")" 3
expect_jq "452: b accepted in the second session" "$(sed -n 2p <<<"$PROBE_OUT")" .verdict accepted
expect_jq "452: b's decisive attempt is the second session" "$(sed -n 2p <<<"$PROBE_OUT")" '.attempts | length' 2
expect_jq "452: c refused as unknown" "$(sed -n 3p <<<"$PROBE_OUT")" .mailbox not_found

# 421 after the first answer: the unanswered are asked in a new session, after the back-off.
fake_start 127.0.0.1 "$CLI_TEST_DIR/closing-421.dialog"
run_probe --json --timeout 3 --port "$FAKE_PORT" 'a@[127.0.0.1]' 'b@[127.0.0.1]' 'c@[127.0.0.1]'
fake_finish
expect_eq "421: fakesmtp saw both sessions" "$FAKE_RC" 0
expect_jq "421: a keeps its answer" "$(sed -n 1p <<<"$PROBE_OUT")" .reply.code 250
expect_jq "421: b is not a 421 result" "$(sed -n 2p <<<"$PROBE_OUT")" .reply.code 250
expect_jq "421: c is not a 421 result" "$(sed -n 3p <<<"$PROBE_OUT")" .reply.code 550
expect_eq "421: exit 67 (c)" "$PROBE_RC" 67

# Streaming: a line written to a pipe is probed before the pipe ends.
fake_start 127.0.0.1 "$DNS_TEST_DIR/accepted.dialog"
mkfifo "$tmp/in"
timeout 20 "$SMTPPROBE" --json --timeout 3 --port "$FAKE_PORT" --input - <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
pid=$!
exec 7>"$tmp/in"
echo 'user@[127.0.0.1]' >&7
# bounded wait for the result while the pipe is still open
_has_result() { [ -s "$tmp/out" ]; }
if wait_until 100 _has_result; then
	_assert_ok "streaming: the result came while the input was still open"
else
	_assert_fail "streaming: the result came while the input was still open"
fi
exec 7>&-
wait "$pid"
expect_eq "streaming: exit 0 once the input ended" "$?" 0
fake_finish

# --order completion: an address at a silent server does not hold back the
# next one; in input order it does. The same port on two loopback
# addresses: a silent server on 127.0.0.1, an accepting one on 127.0.0.2.
fake_start 127.0.0.2 "$DNS_TEST_DIR/accepted.dialog"
"$FAKESMTP" --listen "127.0.0.1:$FAKE_PORT" --script "$CLI_TEST_DIR/silent.dialog" --log "$tmp/silent.log" \
	--timeout 20 </dev/null >/dev/null 2>&1 &
silent_pid=$!
_silent_up() { pid_listens "$silent_pid" "$FAKE_PORT" t; }
wait_until 100 _silent_up
run_probe --json --timeout 2 --order completion -j 2 --port "$FAKE_PORT" 'first@[127.0.0.1]' 'second@[127.0.0.2]'
fake_finish
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
expect_jq "completion: the quick one first" "$(sed -n 1p <<<"$PROBE_OUT")" .address 'second@[127.0.0.2]'
expect_jq "completion: the silent one after" "$(sed -n 2p <<<"$PROBE_OUT")" .failure timeout

# In input order, at most 8 MiB of results wait in memory behind a slow
# address (docs/batch.md); the rest wait in an unlinked temporary file.
# 14,000 invalid addresses (about 9.5 MB of JSON) behind a silent server
# go partly there, and come back intact and in order; the address after
# them is still probed.
fake_start 127.0.0.2 "$DNS_TEST_DIR/accepted.dialog"
"$FAKESMTP" --listen "127.0.0.1:$FAKE_PORT" --script "$CLI_TEST_DIR/silent.dialog" --log "$tmp/silent.log" \
	--timeout 20 </dev/null >/dev/null 2>&1 &
silent_pid=$!
wait_until 100 _silent_up
{
	echo 'first@[127.0.0.1]'
	seq -f 'not-an-address-%05g' 1 14000
	echo 'last@[127.0.0.2]'
} >"$tmp/held"
mkdir "$tmp/spill"
export TMPDIR="$tmp/spill"
run_probe --json --timeout 2 -j 256 --port "$FAKE_PORT" --input "$tmp/held"
unset TMPDIR
fake_finish
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
expect_eq "held window: 14,002 results" "$(grep -c . <<<"$PROBE_OUT")" 14002
expect_jq "held window: the silent one first" "$(sed -n 1p <<<"$PROBE_OUT")" .failure timeout
expect_eq "held window: every line whole JSON, in input order" \
	"$(jq -r .address <<<"$PROBE_OUT" | md5sum)" "$(md5sum <"$tmp/held")"
expect_jq "held window: the last one probed and accepted" "$(sed -n 14002p <<<"$PROBE_OUT")" .verdict accepted
expect_eq "held window: fakesmtp saw the last one's session" "$FAKE_RC" 0
expect_eq "held window: no file left in TMPDIR" "$(ls -A "$tmp/spill")" ""

# The same when no spill file can be made (TMPDIR does not exist): the
# results wait in memory instead, none is lost and the order holds.
fake_start 127.0.0.2 "$DNS_TEST_DIR/accepted.dialog"
"$FAKESMTP" --listen "127.0.0.1:$FAKE_PORT" --script "$CLI_TEST_DIR/silent.dialog" --log "$tmp/silent.log" \
	--timeout 20 </dev/null >/dev/null 2>&1 &
silent_pid=$!
wait_until 100 _silent_up
PROBE_OUT=$(TMPDIR="$tmp/no-such-dir" timeout 60 "$SMTPPROBE" --json --timeout 2 -j 256 --port "$FAKE_PORT" \
	--input "$tmp/held" 2>"$tmp/err")
expect_eq "no spill file: exit 65 (the invalid addresses)" "$?" 65
fake_finish
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
expect_eq "no spill file: 14,002 results" "$(grep -c . <<<"$PROBE_OUT")" 14002
expect_eq "no spill file: every line whole JSON, in input order" \
	"$(jq -r .address <<<"$PROBE_OUT" | md5sum)" "$(md5sum <"$tmp/held")"
expect_jq "no spill file: the last one probed and accepted" "$(sed -n 14002p <<<"$PROBE_OUT")" .verdict accepted

# | head -1: the run stops when nobody reads any more. 300 results of about
# 1 KiB overflow the pipe, so some write comes after head is gone.
for i in $(seq 1 300); do echo "user$i@[127.0.0.1]"; done >"$tmp/list"
port=$(dead_port)
set +o pipefail
timeout 20 "$SMTPPROBE" --json --timeout 3 --port "$port" --input "$tmp/list" 2>"$tmp/err" | head -n 1 >"$tmp/out"
rc=${PIPESTATUS[0]}
expect_eq "| head -1: one line read" "$(grep -c . "$tmp/out")" 1
expect_eq "| head -1: smtpprobe stops with 74 (EX_IOERR)" "$rc" 74
# > /dev/full: the write fails and the run says so.
timeout 20 "$SMTPPROBE" --json --timeout 3 --port "$port" 'a@[127.0.0.1]' >/dev/full 2>"$tmp/err"
expect_eq "/dev/full: exit 74" "$?" 74
expect_match "/dev/full: one line on stderr" "$(cat "$tmp/err")" 'cannot write the results'

# An --input that cannot be read (a directory): not taken for an empty list.
run_probe --input "$tmp"
expect_eq "unreadable --input: exit 74" "$PROBE_RC" 74
expect_match "unreadable --input: says so" "$PROBE_ERR" 'cannot read --input'

# SIGINT: what finished is written, the rest as not probed, exit 130.
fake_start 127.0.0.1 "$CLI_TEST_DIR/silent.dialog"
timeout 20 "$SMTPPROBE" --json --timeout 30 --port "$FAKE_PORT" 'user@[127.0.0.1]' 'bad address' >"$tmp/out" 2>"$tmp/err" &
pid=$!
# bounded wait until it is connected
wait_until 100 fake_connected
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT: exit 130" "$?" 130
expect_eq "SIGINT: both lines written" "$(grep -c . "$tmp/out")" 2
expect_jq "SIGINT: the running one is not probed" "$(sed -n 1p "$tmp/out")" .failure not_probed
expect_jq "SIGINT: the invalid one kept its result" "$(sed -n 2p "$tmp/out")" .failure invalid_address
fake_stop

# --max-time: an address at a silent server gives up after the bound, not the step timeouts.
fake_start 127.0.0.1 "$CLI_TEST_DIR/silent.dialog"
run_probe --json --timeout 30 --max-time 1 --port "$FAKE_PORT" 'user@[127.0.0.1]'
fake_stop
expect_eq "--max-time: exit 75" "$PROBE_RC" 75
expect_jq "--max-time: a timeout" "$PROBE_OUT" .failure timeout
expect_match "--max-time: says which bound" "$(jq -r .message <<<"$PROBE_OUT")" 'max-time 1 s'
expect_jq "--max-time: at the step it was in (the greeting), not connect" "$PROBE_OUT" .step banner

# --max-time during a 421 back-off: the waiting recipients keep the 421 as their evidence, not a made-up step.
fake_start 127.0.0.1 "$CLI_TEST_DIR/closing-421.dialog"
run_probe --json --timeout 3 --max-time 2 --port "$FAKE_PORT" 'a@[127.0.0.1]' 'b@[127.0.0.1]' 'c@[127.0.0.1]'
fake_stop
expect_jq "--max-time in a back-off: a keeps its answer" "$(sed -n 1p <<<"$PROBE_OUT")" .verdict accepted
expect_jq "--max-time in a back-off: b keeps the 421" "$(sed -n 2p <<<"$PROBE_OUT")" '[.step, .reply.code, .verdict] | join(" ")' "rcpt 421 tempfail"
expect_jq "--max-time in a back-off: c keeps the 421" "$(sed -n 3p <<<"$PROBE_OUT")" '.reply.code' 421
expect_eq "--max-time in a back-off: exit 75" "$PROBE_RC" 75

# The circuit breaker with a list longer than the window: the addresses it
# fails fast make room, and reading goes on (it hung after 1,074 of 2,000).
port=$(dead_port)
seq 1 2000 | sed 's/^/u/; s/$/@example.test/' >"$tmp/dead2000"
timeout 60 "$SMTPPROBE" --json --timeout 3 --server "127.0.0.1:$port" --input "$tmp/dead2000" >"$tmp/dead.out" 2>/dev/null
rc=$?
expect_eq "breaker over a long list: not a hang" "$([ "$rc" -eq 124 ] && echo hung || echo ended)" ended
expect_eq "breaker over a long list: every address has its result" "$(wc -l <"$tmp/dead.out")" 2000
expect_eq "breaker over a long list: exit 75" "$rc" 75

# --resume: addresses with a result in the file are skipped; a not_probed one is probed again.
printf '%s\n' '{"address":"done@[127.0.0.1]","verdict":"accepted","failure":"none"}' \
	'{"address":"again@[127.0.0.1]","verdict":"error","failure":"not_probed"}' >"$tmp/old.jsonl"
port=$(dead_port)
run_probe --json --timeout 3 --port "$port" --resume "$tmp/old.jsonl" 'done@[127.0.0.1]' 'again@[127.0.0.1]' 'new@[127.0.0.1]'
expect_eq "--resume: two probed" "$(grep -c . <<<"$PROBE_OUT")" 2
expect_eq "--resume: done skipped" "$(grep -c 'done@' <<<"$PROBE_OUT")" 0
run_probe --resume "$tmp/missing.jsonl" 'x@[127.0.0.1]'
expect_eq "--resume missing file: exit 74" "$PROBE_RC" 74
assert_done
