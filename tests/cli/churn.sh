#!/bin/bash
# Churn: 2,000 sessions against a server that misbehaves at random
# (tests/fake/chaos.c: resets and closes at every step, stalls, replies
# ahead of commands, unasked replies, garbage, an endless line, codes that
# change mid-reply, STARTTLS into garbage, one-octet dribbles, 421s), one
# session per address (--rcpt-per-session 1) over 20 loopback "domains".
# Every address gets exactly one result, the exit status is a defined one,
# no descriptor is left open at the end (SMTPPROBE_FD_CHECK compares
# /proc/self/fd at start and end) and, in the sanitizer build, no report.
#
# usage: churn.sh CHAOS_EXE
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
require_smtpprobe
require_tool jq jq

chaos=${1:?usage: churn.sh CHAOS_EXE}
N=${CHURN_ADDRESSES:-2000}
DOMAINS=20

tmp=$(mktemp -d /tmp/smtpprobe-churn.XXXXXX)
chaos_pid=
cleanup() {
	if [ -n "$chaos_pid" ]; then
		kill "$chaos_pid" 2>/dev/null
		wait "$chaos_pid" 2>/dev/null
	fi
	[ -n "${CHURN_KEEP:-}" ] && cp -r "$tmp"/. "$CHURN_KEEP"/; rm -rf "$tmp"
}
trap cleanup EXIT

listen=()
for d in $(seq 1 $DOMAINS); do
	listen+=(--listen "127.0.3.$d")
done

# chaos prints its port once it listens on every address: the synchronisation point.
coproc CHAOS { exec "$chaos" "${listen[@]}" --seed "${CHURN_SEED:-1}" --stats "$tmp/stats" 2>"$tmp/chaos.err"; }
chaos_pid=$CHAOS_PID
exec {chaos_out}<&"${CHAOS[0]}"
if ! IFS= read -r -t 10 -u "$chaos_out" port || [[ ! $port =~ ^[0-9]+$ ]]; then
	echo "not ok - chaos did not start: $(cat "$tmp/chaos.err")"
	exit 1
fi

for i in $(seq 1 "$N"); do
	echo "u$i@[127.0.3.$((i % DOMAINS + 1))]"
done >"$tmp/in"

# Bounded: a hang is a failure, not a stuck suite. The timeouts are short so
# the stalls end quickly; --max-time bounds the 421 back-offs.
SMTPPROBE_FD_CHECK=1 timeout 300 "$SMTPPROBE" --json --input "$tmp/in" --port "$port" \
	--rcpt-per-session 1 --no-catch-all --tls auto --timeout 2 --max-time 15 \
	-j 200 --per-domain 10 >"$tmp/out" 2>"$tmp/err"
rc=$?
echo "# smtpprobe exit $rc; stderr (first lines):"
head -n 5 "$tmp/err" | sed 's/^/#   /'

# Stop chaos by PID; it writes its counts as it goes.
kill "$chaos_pid"
wait "$chaos_pid"
chaos_rc=$?
chaos_pid=
expect_eq "chaos ended cleanly on SIGTERM" "$chaos_rc" 0
sed 's/^/# chaos: /' "$tmp/stats"

expect_match "a defined exit status (not a crash, not 70, not a hang)" "$rc" '^(0|67|69|75|76|77)$'
expect_eq "exactly one line per address" "$(wc -l <"$tmp/out")" "$N"
expect_eq "every line is a JSON object" "$(jq -c 'select(type == "object") | 1' "$tmp/out" 2>/dev/null | wc -l)" "$N"
expect_eq "each address exactly once" \
	"$(jq -r .address "$tmp/out" | sort | md5sum)" "$(sort "$tmp/in" | md5sum)"
expect_eq "every result has a verdict" "$(jq -r 'select(.verdict == null or .verdict == "") | .address' "$tmp/out" | wc -l)" 0

# The server's chaos reached the client: every behaviour was drawn, and
# the results are as varied as the behaviours (so the test cannot pass
# with everything timing out, or with chaos answering everything).
accepted=$(sed -n 's/^accepted=//p' "$tmp/stats")
expect_match "chaos accepted at least $N sessions (got $accepted)" "$accepted" '^[0-9]+$'
[ "${accepted:-0}" -ge "$N" ] && expect_eq "one session per address at least" ok ok ||
	expect_eq "one session per address at least" "$accepted" ">= $N"
while IFS='=' read -r name count; do
	[ "$name" = accepted ] && continue
	[ "${count:-0}" -gt 0 ] && expect_eq "behaviour $name was drawn" yes yes ||
		expect_eq "behaviour $name was drawn" "$count" "> 0"
done <"$tmp/stats"
for v in accepted rejected tempfail error; do
	n=$(jq -r --arg v "$v" 'select(.verdict == $v) | 1' "$tmp/out" | wc -l)
	[ "$n" -gt 0 ] && expect_eq "some results are $v ($n)" yes yes || expect_eq "some results are $v" "$n" "> 0"
done
# chaos accepts every connection: a reset right after it is the server
# turning the client away at the greeting, not an unreachable host (which
# would also trip the breaker and leave addresses unprobed).
# (--max-time ending a 421 back-off is another matter, and allowed.)
expect_eq "no connect failure" \
	"$(jq -r 'select(.step == "connect" and (.message | test("max-time") | not)) | .message' "$tmp/out" | sort | uniq -c)" ""
expect_eq "no DATA or BDAT reached the server" "$(grep -c 'the client sent' "$tmp/chaos.err")" 0

# Descriptors: the same number open at the end as at the start.
fdline=$(grep 'open descriptors:' "$tmp/err")
expect_match "the descriptor check ran" "$fdline" 'open descriptors: [0-9]+ at the start, [0-9]+ at the end'
if [[ $fdline =~ ([0-9]+)\ at\ the\ start,\ ([0-9]+)\ at\ the\ end ]]; then
	expect_eq "no descriptor leaked" "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
fi
expect_eq "no sanitizer report" "$(grep -cE 'Sanitizer|runtime error:' "$tmp/err")" 0
expect_eq "stderr has no crash or abort" "$(grep -ciE 'abort|segmentation|assert' "$tmp/err")" 0

assert_done
