#!/bin/bash
# The DNS checks of smtpprobe audit, pass and fail, against unbound serving
# fixtures/dns/audit.conf (no SMTP server runs: the connections are refused,
# which only the SMTP checks see); the text report and its exit status.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

audit_dns audit.conf
audit_port
audit --json good.test cname.test ip.test nullmx.test mixednull.test implicit.test noaddr.test v6.test v6half.test \
	nx.test
expect_eq "checks fail: exit status 1" "$PROBE_RC" 1

expect_status "MX present: pass" good.test dns.mx good.test pass
expect_evidence "MX present: the list" good.test dns.mx good.test '^10 mx.good.test$'
expect_status "no MX, implicit MX: warn" implicit.test dns.mx implicit.test warn
expect_status "implicit MX: the domain's own address is checked" implicit.test dns.mx-resolves implicit.test pass
expect_status "NXDOMAIN: fail" nx.test dns.mx nx.test fail
expect_status "null MX alone: pass" nullmx.test dns.null-mx nullmx.test pass
expect_status "null MX alone: nothing more to check" nullmx.test dns.mx nullmx.test skip
expect_eq "null MX alone: two checks only" "$(jq -r 'select(.domain == "nullmx.test") | .check' <<<"$AUDIT_JSON" | wc -l)" 2
expect_status "null MX with another MX: fail" mixednull.test dns.null-mx mixednull.test fail
expect_status "no null MX: pass" good.test dns.null-mx good.test pass
expect_status "MX resolves: pass" good.test dns.mx-resolves mx.good.test pass
expect_status "MX without an address: fail" noaddr.test dns.mx-resolves mx.noaddr.test fail
expect_status "MX not a CNAME: pass" good.test dns.mx-not-cname mx.good.test pass
expect_status "MX is a CNAME: fail" cname.test dns.mx-not-cname mx.cname.test fail
expect_evidence "MX is a CNAME: its target" cname.test dns.mx-not-cname mx.cname.test 'alias \(CNAME\) for host.cname.test'
expect_status "MX a host name: pass" good.test dns.mx-not-ip mx.good.test pass
expect_status "MX an IP address: fail" ip.test dns.mx-not-ip 127.0.0.10 fail
expect_status "FCrDNS: PTR back to the address passes" good.test dns.fcrdns "mx.good.test [127.0.0.2]" pass
expect_status "FCrDNS: no PTR warns" implicit.test dns.fcrdns "implicit.test [127.0.0.11]" warn
expect_status "IPv6 on every MX: pass" v6.test dns.ipv6 v6.test pass
expect_status "IPv6 on one MX of two: warn" v6half.test dns.ipv6 v6half.test warn
expect_evidence "IPv6 on one MX of two: names the other" v6half.test dns.ipv6 v6half.test 'not: mx2.v6half.test'
expect_status "no IPv6 at all: warn" good.test dns.ipv6 good.test warn
expect_status "both addresses of an MX are probed" v6.test smtp.connect "mx.v6.test [::1]" fail
expect_status "refused connection: fail" good.test smtp.connect "mx.good.test [127.0.0.2]" fail
expect_jq "rfc given" "$(head -n 1 <<<"$AUDIT_JSON")" .rfc "RFC 5321 5.1"

# -4: no IPv6 address probed, the parity check skipped.
audit --json -4 v6.test
expect_status "-4: IPv6 parity not checked" v6.test dns.ipv6 v6.test skip
expect_eq "-4: no IPv6 target" "$(jq -r 'select(.target == "mx.v6.test [::1]")' <<<"$AUDIT_JSON" | wc -l)" 0

# Nothing fails: exit 0 (warnings only), and 1 with --strict.
audit nullmx.test
expect_eq "null MX only: exit 0" "$PROBE_RC" 0
expect_match "text: the domain's heading" "$PROBE_OUT" $'^nullmx.test\n  STATUS +CHECK +TARGET +EVIDENCE'
expect_match "text: one line per check" "$PROBE_OUT" $'\n  PASS   dns.null-mx +nullmx.test +"MX 0 ." alone'
expect_match "text: the summary" "$PROBE_OUT" '2 checks: 1 passed, 0 warnings, 0 failed, 1 skipped - exit status 0'
audit --color never implicit.test --cert-min-days 3
expect_eq "warnings and a failure: exit 1" "$PROBE_RC" 1
audit --json --strict nullmx.test
expect_eq "--strict, nothing warns: exit 0" "$PROBE_RC" 0
expect_jq "--strict in the summary" "$(tail -n 1 <<<"$AUDIT_JSON")" .summary.strict true
assert_done
