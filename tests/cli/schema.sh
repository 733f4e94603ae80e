#!/bin/bash
# The JSON schema is a contract: every key docs/output.md lists is in each
# result object, in the documented order, and nothing else; blame, mailbox
# and the other enumerations only take documented values.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

doc="$SRCDIR/docs/output.md"
# The "JSON object" table: | `key` | type | meaning |
want=$(sed -n '/^## JSON object/,/^## /p' "$doc" | sed -n 's/^| `\([a-z_0-9]*\)` |.*/\1/p' | tr '\n' ' ')
expect_match "docs list the keys" "$want" '^address .* blame mailbox .* transcript $'

check_keys() {
	local label=$1 j=$2 got
	got=$(jq -r 'keys_unsorted[]' <<<"$j" | tr '\n' ' ')
	expect_eq "$label: the documented keys in order" "$got" "$want"
}

# Accepted (with -v: the transcript key is there too).
fake_start 127.0.0.1 "$FIXTURES/smtp/accepted.dialog"
run_probe --json -v --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
check_keys "accepted" "$PROBE_OUT"
a=$PROBE_OUT
# Refused at RCPT, and an invalid address: the same keys (null where nothing is known).
fake_start 127.0.0.1 "$FIXTURES/smtp/rcpt-550-511.dialog"
run_probe --json -v --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
check_keys "rejected" "$PROBE_OUT"
r=$PROBE_OUT
run_probe --json -v 'not an address'
check_keys "invalid address" "$PROBE_OUT"
i=$PROBE_OUT

for j in "$a" "$r" "$i"; do
	expect_jq_true "blame is documented" "$j" '.blame | IN("recipient","sender","client","policy","server","network","dns","local","none","unknown")'
	expect_jq_true "mailbox is documented" "$j" '.mailbox | IN("exists","not_found","disabled","full","unverifiable","unknown")'
	expect_jq_true "verdict is documented" "$j" '.verdict | IN("accepted","rejected","tempfail","error")'
	expect_jq_true "exit_status is a number" "$j" '.exit_status | type == "number"'
	expect_jq_true "attempts carry detail and plain_retry" "$j" '[.attempts[] | has("detail") and has("plain_retry")] | all'
done
expect_jq "invalid address: blame" "$i" .blame local
expect_jq "invalid address: exit_status" "$i" .exit_status 65
assert_done
