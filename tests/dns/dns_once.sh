#!/bin/bash
# DNS once per run: the MX answer of a domain and the addresses of its
# hosts are asked once, however many probes of the domain follow (here one
# session per address, so three probes), and a domain that does not exist
# is asked once too. unbound logs every query it receives.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dns_setup order.conf nxdomain.conf
fake_start 127.0.0.11 "$DNS_TEST_DIR/accepted3.dialog"
probe --rcpt-per-session 1 --port "$FAKE_PORT" a@order.test b@order.test c@order.test
fake_finish
expect_eq "three accepted" "$(jq -s 'map(select(.verdict == "accepted")) | length' <<<"$PROBE_OUT")" 3
expect_eq "fakesmtp saw three sessions" "$FAKE_RC" 0
queries() { grep -c "info: 127\.0\.0\.1 $1 IN" "$UNBOUND_DIR/unbound.log"; }
expect_eq "one MX query for order.test" "$(queries 'order\.test\. MX')" 1
expect_eq "one A query for its first MX host" "$(queries 'mx1\.order\.test\. A')" 1

# -v in a batch: every transcript line says whose it is, and the DNS step shows.
fake_start 127.0.0.11 "$DNS_TEST_DIR/accepted.dialog"
run_probe -v --timeout 3 --resolver "127.0.0.1:$UNBOUND_PORT" --port "$FAKE_PORT" a@order.test 'not an address'
fake_finish
expect_match "-v batch: lines name their probe" "$PROBE_ERR" '\[order\.test#[0-9]+\] C: RCPT TO:<a@order\.test>'
expect_match "-v batch: the DNS step shows" "$PROBE_ERR" '\[order\.test#[0-9]+\] \*\*\* MX of order\.test: 10 mx1\.order\.test, 20 mx2\.order\.test'
expect_match "-v batch: the hosts' addresses show" "$PROBE_ERR" '\*\*\* mx1\.order\.test has 127\.0\.0\.11'

probe --rcpt-per-session 1 a@no-such-domain.test b@no-such-domain.test
expect_eq "NXDOMAIN twice" "$(jq -s 'map(select(.failure == "nxdomain")) | length' <<<"$PROBE_OUT")" 2
expect_eq "one MX query for the missing domain" "$(queries 'no-such-domain\.test\. MX')" 1

# More lookups at once (-j 256) than are sent at once (DNS_INFLIGHT_MAX, 64): the
# rest wait their turn and none is lost or left to time out.
seq 1 300 | sed 's/^/u@n/; s/$/.no-such-domain.test/' >"$UNBOUND_DIR/many.txt"
probe -j 256 --input "$UNBOUND_DIR/many.txt"
expect_eq "300 lookups at once: 300 results" "$(grep -c . <<<"$PROBE_OUT")" 300
expect_eq "300 lookups at once: every one answered NXDOMAIN" \
	"$(jq -s 'map(select(.failure == "nxdomain")) | length' <<<"$PROBE_OUT")" 300
expect_eq "300 lookups at once: each asked once" "$(grep -c 'info: 127\.0\.0\.1 n[0-9]*\.no-such-domain\.test\. MX IN' "$UNBOUND_DIR/unbound.log")" 300

# A domain comes back after more than a window (1,024 addresses) of others:
# the run forgot its entry in between (memory stays flat with the number of
# domains) but kept what it learnt: its DNS answers, packed, and its
# catch-all answer. Three sessions, one MX query, one A query.
{
	echo a@order.test
	seq 1 1100 | sed 's/^/u@m/; s/$/.no-such-domain.test/'
	echo b@order.test
	seq 1101 2200 | sed 's/^/u@m/; s/$/.no-such-domain.test/'
	echo c@order.test
} >"$UNBOUND_DIR/spread.txt"
q0=$(queries 'order\.test\. MX')
a0=$(queries 'mx1\.order\.test\. A')
fake_start 127.0.0.11 "$DNS_TEST_DIR/accepted3.dialog"
probe --port "$FAKE_PORT" --input "$UNBOUND_DIR/spread.txt"
fake_finish
expect_eq "far apart: 2,203 results" "$(grep -c . <<<"$PROBE_OUT")" 2203
expect_eq "far apart: the three of order.test accepted" \
	"$(jq -r 'select(.domain == "order.test") | .verdict' <<<"$PROBE_OUT" | tr '\n' ' ')" "accepted accepted accepted "
expect_eq "far apart: fakesmtp saw three sessions, the catch-all question in the first only" "$FAKE_RC" 0
expect_eq "far apart: one MX query for order.test in this run" "$(queries 'order\.test\. MX')" "$((q0 + 1))"
expect_eq "far apart: one A query for its host in this run" "$(queries 'mx1\.order\.test\. A')" "$((a0 + 1))"
assert_done
