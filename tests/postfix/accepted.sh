#!/bin/bash
# A known local user: accepted at RCPT TO by a real Postfix; no DATA sent.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pf_setup
pf_probe alice@postfix.test

expect_eq "exit status 0" "$PROBE_RC" 0
expect_one_json "one JSON line"
j=$PROBE_OUT
expect_jq "verdict" "$j" .verdict accepted
expect_jq "step" "$j" .step rcpt
expect_jq "failure" "$j" .failure none
expect_jq "reply code" "$j" .reply.code 250
expect_jq "reply enhanced" "$j" .reply.enhanced 2.1.5
expect_jq "server.ip" "$j" .server.ip 127.0.0.1
expect_jq "server.port" "$j" .server.port "$POSTFIX_PORT"
expect_jq "no MX with --server" "$j" '.mx == []' true
expect_jq "EHLO domain" "$j" .ehlo.domain mx.postfix.test
expect_jq "EHLO SIZE" "$j" .ehlo.size 10240000
expect_jq "EHLO PIPELINING" "$j" .ehlo.pipelining true
expect_jq "EHLO SMTPUTF8" "$j" .ehlo.smtputf8 true
expect_jq "EHLO ENHANCEDSTATUSCODES" "$j" .ehlo.enhancedstatuscodes true
pf_expect_no_data
assert_done
