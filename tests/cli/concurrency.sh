#!/bin/bash
# -j: results come out in input order even when later probes finish first.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fake_start 127.0.0.51 "$CLI_TEST_DIR/silent.dialog"
dead=$(dead_port)
# The first probe waits for a greeting until its timeout; the second is
# refused at once, the third is invalid: both finish long before the first.
run_probe --json --timeout 2 -j 4 --port "$FAKE_PORT" 'slow@[127.0.0.51]' 'fast@[127.0.0.52]' 'not valid'
fake_stop
expect_eq "three lines" "$(printf '%s\n' "$PROBE_OUT" | grep -c .)" 3
line() { printf '%s\n' "$PROBE_OUT" | sed -n "${1}p"; }
expect_jq "first line is the slow probe" "$(line 1)" '.address + " " + .failure' 'slow@[127.0.0.51] timeout'
expect_jq "second line is the refused one" "$(line 2)" '.address + " " + .failure' 'fast@[127.0.0.52] refused'
expect_jq "third line is the invalid one" "$(line 3)" .failure invalid_address
expect_eq "exit: invalid input outranks the rest" "$PROBE_RC" 65

run_probe -j 0 a@b.test
expect_eq "-j 0 is a usage error" "$PROBE_RC" 64
run_probe --per-domain 0 a@b.test
expect_eq "--per-domain 0 is a usage error" "$PROBE_RC" 64
assert_done
