#!/bin/bash
# --expect FILE and --junit FILE against fakesmtp and unbound: every line's
# address is probed (a duplicated address once), each result is compared
# with its line, the output reads like a test runner (ok / FAIL with the
# differences and the reply that decided, "N passed, M failed"), --json adds
# an "expect" member, and the JUnit report validates against
# fixtures/junit/junit.xsd. Exit 0 when every expectation holds, 1 when one
# does not, 64 for a wrong file, 74 for a missing one.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tool xmllint libxml2-utils

XSD=$FIXTURES/junit/junit.xsd
work=$(mktemp -d)
trap 'rm -rf "$work"; dns_cleanup' EXIT
dns_setup expect.conf

# run_expect FILE [ARGS...]: a fresh fakesmtp session for expect.test, then smtpprobe --expect FILE.
run_expect() {
	local file=$1
	shift
	fake_start 127.0.0.1 "$CLI_TEST_DIR/expect.dialog"
	run_probe --expect "$file" --resolver "127.0.0.1:$UNBOUND_PORT" --port "$FAKE_PORT" \
		--timeout 3 --no-catch-all "$@"
	fake_finish
}
xp() { xmllint --xpath "$2" "$1" 2>&1; }

# ---- every expectation holds ----------------------------------------------
cat >"$work/pass.txt" <<'X'
# deploy check for expect.test
sales@expect.test     accepted
noreply@expect.test   rejected rcpt recipient_unknown recipient   # refused, blamed on the mailbox
noreply@expect.test   rejected step=rcpt code=5xx enhanced=5.1.1 mailbox=not_found

someone@gone.test     rejected dns dns_nxdomain
X
run_expect "$work/pass.txt" --junit "$work/pass.xml"
expect_eq "all hold: exit 0" "$PROBE_RC" 0
expect_eq "fakesmtp: one session, sales then noreply, no DATA" "$FAKE_RC" 0
expect_eq "one ok line per expectation, in file order" "$(printf '%s\n' "$PROBE_OUT" | grep -E '^ok ' | sed 's/  */ /g')" \
"ok sales@expect.test accepted
ok noreply@expect.test rejected step=rcpt category=recipient_unknown blame=recipient
ok noreply@expect.test rejected step=rcpt mailbox=not_found code=5xx enhanced=5.1.1
ok someone@gone.test rejected step=dns category=dns_nxdomain"
expect_eq "summary" "$(printf '%s\n' "$PROBE_OUT" | tail -n 1)" "4 passed, 0 failed"
out=$(xmllint --noout --schema "$XSD" "$work/pass.xml" 2>&1)
expect_eq "JUnit validates against junit.xsd ($out)" "$?" 0
expect_eq "JUnit: 4 tests, no failure" "$(xp "$work/pass.xml" 'concat(//testsuite/@tests, " ", //testsuite/@failures, " ", //testsuite/@errors)')" "4 0 0"
expect_eq "JUnit: classname is the domain, name the expectation" \
	"$(xp "$work/pass.xml" 'concat(//testcase[1]/@classname, "|", //testcase[1]/@name, "|", //testcase[4]/@classname)')" \
	"expect.test|sales@expect.test accepted|gone.test"
expect_eq "JUnit: the suite is the file" "$(xp "$work/pass.xml" 'string(//testsuite/@name)')" "$work/pass.txt"

# ---- some differ ------------------------------------------------------------
cat >"$work/fail.txt" <<'X'
sales@expect.test     rejected
noreply@expect.test   accepted
noreply@expect.test   rejected rcpt - recipient
someone@gone.test     accepted
X
run_expect "$work/fail.txt" --junit "$work/fail.xml"
expect_eq "one differs: exit 1" "$PROBE_RC" 1
expect_eq "fakesmtp: the same session" "$FAKE_RC" 0
expect_eq "ok and FAIL lines in file order" "$(printf '%s\n' "$PROBE_OUT" | grep -E '^(ok|FAIL) ' | awk '{print $1, $2}')" \
"FAIL sales@expect.test
FAIL noreply@expect.test
ok noreply@expect.test
FAIL someone@gone.test"
expect_match "FAIL names its line" "$PROBE_OUT" "FAIL sales@expect.test rejected  \($work/fail.txt:1\)"
expect_match "the difference, expected vs got" "$PROBE_OUT" $'\n     verdict +expected rejected, got accepted\n     reply +250 2\\.1\\.5 Ok\n     result +accepted at RCPT TO by mx\\.expect\\.test \\[127\\.0\\.0\\.1\\]:'
expect_match "the refusal that decided, with code, enhanced code, text and server" "$PROBE_OUT" \
	$'verdict +expected accepted, got rejected\n     reply +550 5\\.1\\.1 <noreply@expect\\.test>: Recipient address rejected: User unknown in local recipient table\n     result +RCPT TO rejected by mx\\.expect\\.test \\[127\\.0\\.0\\.1\\]:'
expect_eq "no reply line without a reply (DNS), what happened instead" \
	"$(printf '%s\n' "$PROBE_OUT" | grep -A 2 '^FAIL someone@gone.test')" \
	"FAIL someone@gone.test accepted  ($work/fail.txt:4)
     verdict   expected accepted, got rejected
     result    gone.test does not exist (NXDOMAIN)"
expect_eq "summary" "$(printf '%s\n' "$PROBE_OUT" | tail -n 1)" "1 passed, 3 failed"
out=$(xmllint --noout --schema "$XSD" "$work/fail.xml" 2>&1)
expect_eq "JUnit with failures validates ($out)" "$?" 0
expect_eq "JUnit: 4 tests, 3 failures" "$(xp "$work/fail.xml" 'concat(//testsuite/@tests, " ", //testsuite/@failures, " ", /testsuites/@failures)')" "4 3 3"
expect_eq "JUnit: the failure message holds the difference" \
	"$(xp "$work/fail.xml" 'string(//testcase[@name="noreply@expect.test accepted"]/failure/@message)')" \
	"verdict: expected accepted, got rejected"
expect_match "JUnit: the failure text holds the reply and the line" \
	"$(xp "$work/fail.xml" 'string(//testcase[@name="noreply@expect.test accepted"]/failure)')" \
	'reply +550 5\.1\.1 <noreply@expect\.test>: Recipient address rejected.*result +RCPT TO rejected by mx\.expect\.test \[127\.0\.0\.1\]:[0-9]+.*expectation .*fail\.txt:2'
expect_eq "JUnit: the passing case has no failure" \
	"$(xp "$work/fail.xml" 'count(//testcase[@name="noreply@expect.test rejected step=rcpt blame=recipient"]/*)')" 0

# ---- JSON -----------------------------------------------------------------
run_expect "$work/fail.txt" --json
expect_eq "JSON: exit 1" "$PROBE_RC" 1
all=$(printf '%s\n' "$PROBE_OUT" | jq -s -c . 2>&1)
expect_jq "JSON: stdout is the four results" "$all" 'length' 4
expect_jq "JSON: the normal result is there" "$all" '.[1] | .verdict + " " + .step + " " + (.reply.code|tostring)' "rejected rcpt 550"
expect_jq "JSON: expect.ok per result" "$all" '[.[].expect.ok] | map(tostring) | join(",")' "false,false,true,false"
expect_jq "JSON: expect.line" "$all" '[.[].expect.line] | map(tostring) | join(",")' "1,2,3,4"
expect_jq "JSON: expect.expected holds what the line asked" "$all" '.[2].expect.expected | to_entries | map(.key + "=" + .value) | join(" ")' "verdict=rejected step=rcpt blame=recipient"
expect_jq "JSON: a difference" "$all" '.[1].expect.differences | map(.field + ":" + .expected + ":" + .got) | join(",")' "verdict:accepted:rejected"
expect_jq "JSON: the summary is not on stdout" "$all" 'map(has("expect")) | all' true
expect_match "JSON: the summary on stderr" "$PROBE_ERR" "1 passed, 3 failed"

# ---- a hostile reply in the JUnit report ---------------------------------------
printf 'x@expect.test accepted\n' >"$work/hostile.txt"
fake_start 127.0.0.1 "$CLI_TEST_DIR/expect-hostile.dialog"
run_probe --expect "$work/hostile.txt" --junit "$work/hostile.xml" --resolver "127.0.0.1:$UNBOUND_PORT" \
	--port "$FAKE_PORT" --timeout 3
fake_finish
expect_eq "hostile: exit 1" "$PROBE_RC" 1
expect_eq "hostile: no escape byte reaches the terminal" "$(printf '%s' "$PROBE_OUT" | tr -d -c '\033' | wc -c)" 0
out=$(xmllint --noout --schema "$XSD" "$work/hostile.xml" 2>&1)
expect_eq "hostile: the JUnit report validates ($out)" "$?" 0
expect_match "hostile: markup and ]]> read back as text" "$(xp "$work/hostile.xml" 'string(//failure)')" 'reply +550 5\.1\.1 <a&b>"\]\]>'

# ---- interrupted: exit 130, the unprobed expectation is an error in the JUnit report ----
printf 'user@[127.0.0.1] accepted\n' >"$work/int.txt"
fake_start 127.0.0.1 "$CLI_TEST_DIR/silent.dialog"
timeout 20 "$SMTPPROBE" --expect "$work/int.txt" --junit "$work/int.xml" --timeout 30 --port "$FAKE_PORT" \
	>"$work/int.out" 2>"$work/int.err" &
pid=$!
wait_until 100 fake_connected
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT: exit 130" "$?" 130
fake_stop
expect_match "SIGINT: the expectation failed, not probed" "$(cat "$work/int.out")" $'^FAIL user@\\[127\\.0\\.0\\.1\\] accepted[^\n]*\n     verdict +expected accepted, got error\n'
expect_eq "SIGINT: summary" "$(tail -n 1 "$work/int.out")" "0 passed, 1 failed"
out=$(xmllint --noout --schema "$XSD" "$work/int.xml" 2>&1)
expect_eq "SIGINT: the JUnit report is written and validates ($out)" "$?" 0
expect_eq "SIGINT: an error of type not_probed" "$(xp "$work/int.xml" 'concat(//testsuite/@errors, " ", //testsuite/@failures, " ", //error/@type)')" "1 0 not_probed"

# ---- usage and file errors ---------------------------------------------------
printf 'ok@expect.test accepted\nbad@expect.test acepted\n' >"$work/typo.txt"
run_probe --expect "$work/typo.txt"
expect_eq "a wrong line: exit 64" "$PROBE_RC" 64
expect_eq "a wrong line: FILE:LINE: what" "$PROBE_ERR" "smtpprobe: $work/typo.txt:2: unknown verdict \"acepted\": use accepted, rejected, tempfail or error"
expect_eq "a wrong line: nothing probed, nothing on stdout" "$PROBE_OUT" ""
printf '# nothing\n' >"$work/empty.txt"
run_probe --expect "$work/empty.txt"
expect_eq "no expectation: exit 64" "$PROBE_RC" 64
run_probe --expect "$work/missing.txt"
expect_eq "a missing file: exit 74" "$PROBE_RC" 74
expect_match "a missing file: says so" "$PROBE_ERR" "missing.txt: No such file"
run_probe --junit "$work/j.xml" a@expect.test
expect_eq "--junit without --expect: exit 64" "$PROBE_RC" 64
run_probe --expect "$work/pass.txt" a@expect.test
expect_eq "--expect with an address: exit 64" "$PROBE_RC" 64
run_probe --expect "$work/pass.txt" --format csv
expect_eq "--expect with --format csv: exit 64" "$PROBE_RC" 64
run_probe --expect "$work/pass.txt" --order completion
expect_eq "--expect with --order completion: exit 64" "$PROBE_RC" 64
fake_start 127.0.0.1 "$CLI_TEST_DIR/expect.dialog"
run_probe --expect "$work/pass.txt" --junit "$work/no/such/dir/r.xml" --resolver "127.0.0.1:$UNBOUND_PORT" \
	--port "$FAKE_PORT" --timeout 3 --no-catch-all
fake_finish
expect_eq "an unwritable JUnit file: exit 74" "$PROBE_RC" 74
expect_match "an unwritable JUnit file: says so" "$PROBE_ERR" "cannot write the JUnit report"
assert_done
