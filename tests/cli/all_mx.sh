#!/bin/bash
# --all-mx: every MX host gets probed and reported, the worst result decides.
# mx1 (127.0.0.31, fakesmtp) accepts; mx2 (127.0.0.32) refuses the connection.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup allmx.conf
fake_start 127.0.0.31 "$DNS_TEST_DIR/accepted.dialog"
probe --port "$FAKE_PORT" user@allmx.test
fake_finish
expect_eq "without --all-mx: accepted, exit 0" "$PROBE_RC" 0
expect_jq "without --all-mx: one attempt" "$PROBE_OUT" '.attempts | length' 1

fake_start 127.0.0.31 "$DNS_TEST_DIR/accepted.dialog"
probe --all-mx --port "$FAKE_PORT" user@allmx.test
fake_finish
expect_eq "with --all-mx: exit 75 (mx2 unreachable)" "$PROBE_RC" 75
expect_jq "two attempts" "$PROBE_OUT" '.attempts | length' 2
expect_jq "mx1 accepted" "$PROBE_OUT" '.attempts[0].host + " " + .attempts[0].failure' 'mx1.allmx.test none'
expect_jq "mx2 refused" "$PROBE_OUT" '.attempts[1].host + " " + .attempts[1].failure' 'mx2.allmx.test refused'
expect_jq "verdict is the worst" "$PROBE_OUT" .verdict tempfail
expect_eq "fakesmtp saw the dialogue" "$FAKE_RC" 0

# The text report: the host that accepted is a "tried" line in words.
fake_start 127.0.0.31 "$DNS_TEST_DIR/accepted.dialog"
run_probe --all-mx --timeout 3 --resolver "127.0.0.1:$UNBOUND_PORT" --port "$FAKE_PORT" user@allmx.test
fake_finish
expect_match "text: the accepting host, in words" "$PROBE_OUT" \
	"tried +mx1\\.allmx\\.test \\[127\\.0\\.0\\.31\\]:$FAKE_PORT: accepted at RCPT TO \\(250\\)"
expect_eq "text: no failure class names" "$(grep -c 'none at' <<<"$PROBE_OUT")" 0
assert_done
