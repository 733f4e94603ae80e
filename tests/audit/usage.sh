#!/bin/bash
# smtpprobe audit's command line: usage errors exit 64 with one line, the
# help lists the audit's options, --junit to a path that cannot be written
# exits 74 (the report on stdout is written all the same).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
audit_dns audit.conf

usage_case() { # LABEL REGEX ARGS...
	local label=$1 re=$2
	shift 2
	run_probe audit "$@"
	expect_eq "$label: exit 64" "$PROBE_RC" 64
	expect_match "$label: says why" "$PROBE_ERR" "$re"
	expect_eq "$label: one line" "$(wc -l <<<"$PROBE_ERR")" 1
	expect_eq "$label: nothing on stdout" "$PROBE_OUT" ""
}
usage_case "no domain" 'no domain given'
usage_case "a space in the domain" 'invalid domain "exa mple.test"' "exa mple.test"
usage_case "CR LF in the domain" 'invalid domain "a.test\\x0d\\x0aRCPT' $'a.test\r\nRCPT'
usage_case "an address literal" 'invalid domain "\[127.0.0.1\]"' "[127.0.0.1]"
usage_case "--format csv" 'writes text or JSON' --format csv good.test
usage_case "--server is the probe's" '--server does not apply to smtpprobe audit' --server 127.0.0.1 good.test
usage_case "--tls-verify is the probe's" '--tls-verify does not apply to smtpprobe audit' --tls-verify good.test
usage_case "--cert-min-days not a number" 'invalid --cert-min-days "soon"' --cert-min-days soon good.test
usage_case "--cert-min-days negative" 'invalid --cert-min-days "-1"' --cert-min-days -1 good.test
run_probe --strict user@example.test
expect_eq "--strict is the audit's: exit 64 for a probe" "$PROBE_RC" 64

run_probe audit --help
expect_eq "help: exit 0" "$PROBE_RC" 0
for o in --cert-min-days --strict --junit --resolver --port --timeout --ca-file --from --helo; do
	expect_match "help lists $o" "$PROBE_OUT" "$o"
done
expect_match "help: the usage line" "$PROBE_OUT" '^usage: smtpprobe audit \[options\] DOMAIN'

audit --junit /nonexistent-dir/report.xml nullmx.test
expect_eq "--junit not writable: exit 74" "$PROBE_RC" 74
expect_match "--junit not writable: says so" "$PROBE_ERR" 'cannot write the JUnit report /nonexistent-dir/report.xml'
expect_match "--junit not writable: the report is on stdout all the same" "$PROBE_OUT" 'dns.null-mx'

audit --junit - --json nullmx.test
expect_eq "--junit -: exit 0" "$PROBE_RC" 0
expect_match "--junit -: the XML follows the JSON on stdout" "$PROBE_OUT" '"summary".*<\?xml'
# This side's resolver does not answer: the domain is not failed, the check
# could not run (status error, JUnit <error>), and the exit status is 75.
dead=$(free_port)
junit=$(mktemp)
run_probe audit --json --timeout 2 --resolver "127.0.0.1:$dead" --junit "$junit" example.test
expect_eq "resolver down: exit 75, not 1" "$PROBE_RC" 75
expect_eq "resolver down: dns.mx is an error" \
	"$(jq -r 'select(.check == "dns.mx") | .status' <<<"$PROBE_OUT")" error
expect_jq "resolver down: nothing failed" "$(tail -n 1 <<<"$PROBE_OUT")" .summary.fail 0
expect_jq "resolver down: one error counted" "$(tail -n 1 <<<"$PROBE_OUT")" .summary.error 1
expect_eq "resolver down: a JUnit <error>" "$(grep -c '<error ' "$junit")" 1
expect_eq "resolver down: the JUnit is valid" "$(xmllint --noout --schema "$FIXTURES/junit/junit.xsd" "$junit" 2>&1)" \
	"$junit validates"
rm -f "$junit"
run_probe audit --timeout 2 --resolver "127.0.0.1:$dead" example.test
expect_match "resolver down: the text says so" "$PROBE_OUT" 'ERROR +dns\.mx .*resolver did not answer'

# Every check of the table is documented in docs/ci.md (and the table has them all).
ids=$(grep -oE '\{ "[a-z0-9-]+\.[a-z0-9-]+", AUDIT_G_' "$SRCDIR/src/audit_checks.c" | cut -d'"' -f2)
expect_eq "the check table has 30 checks" "$(wc -l <<<"$ids")" 30
for id in $ids; do
	if grep -q "^| \`$id\` |" "$SRCDIR/docs/ci.md"; then
		_assert_ok "docs/ci.md documents $id"
	else
		_assert_fail "docs/ci.md documents $id" "no table row for $id"
	fi
done
assert_done
