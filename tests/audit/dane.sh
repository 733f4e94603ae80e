#!/usr/bin/env bash
# DANE (dns.c's TLSA lookup with the AD bit, dane.c's check) and the TXT
# lookup, through tests/tools/danecheck, against real parts: a zone signed
# at test time (ldns-signzone) served by an authoritative unbound, behind a
# validating unbound that trusts only the test key (tests/lib/dnssec.sh);
# an unsigned zone beside it; fakesmtp doing real STARTTLS with a chain
# from the test CA.
#   mx       3 1 1 of the leaf, signed              -> matched, AD
#   ta       2 0 1 of the CA, name in the leaf      -> matched at depth 1
#   tawrong  2 0 1 of the CA, name not in the leaf  -> not matched
#   eename   3 1 1 of the leaf, name not in it      -> matched (DANE-EE ignores names)
#   wrong    3 1 1 of nothing                       -> not matched
#   pkix     1 1 1 of the leaf                      -> no usable records
#   two      a wrong and a right 3 1 1              -> matched
#   plain    3 1 1 of the leaf, unsigned zone       -> matched, no AD
#   notlsa   a name without TLSA, signed zone       -> nodata (AD: proven absent)
#   none     no such name, signed zone              -> nxdomain (AD)
# Usage: dane.sh DANECHECK FAKESMTP
set -u
here=$(dirname "$0")
. "$here/../lib/assert.sh"
. "$here/../lib/dnssec.sh"

danecheck=${1:?usage: dane.sh DANECHECK FAKESMTP}
fakesmtp=${2:?usage: dane.sh DANECHECK FAKESMTP}
require_tool jq jq
work=$(mktemp -d)
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	dnssec_stop
	rm -rf "$work"
}
trap cleanup EXIT

bash "$here/../tls/gen-certs.sh" "$work/certs" >/dev/null || { echo "not ok - certificates"; exit 1; }
certs=$work/certs
# The server sends its chain: leaf and CA (DANE-TA needs the CA in it).
cat "$certs/mxdane.pem" "$certs/ca.pem" >"$work/chain.pem"
ee=$(openssl x509 -in "$certs/mxdane.pem" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
ta=$(openssl x509 -in "$certs/ca.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)

dnssec_init || { echo "not ok - dnssec_init"; exit 1; }
sed -e "s/@EE@/$ee/g" -e "s/@TA@/$ta/g" "$FIXTURES/audit/dane.test.zone" >"$DNSSEC_DIR/dane.zone"
sed -e "s/@EE@/$ee/g" "$FIXTURES/audit/plain.test.zone" >"$DNSSEC_DIR/plain.zone"
dnssec_sign dane.test "$DNSSEC_DIR/dane.zone" || { echo "not ok - signing the zone"; exit 1; }
dnssec_start "dane.test=$DNSSEC_DIR/dane.test.signed" "plain.test=$DNSSEC_DIR/plain.zone" ||
	{ echo "not ok - the DNSSEC resolvers"; exit 1; }
echo "# validator on 127.0.0.1:$DNSSEC_PORT, authority on 127.0.0.1:$DNSSEC_AUTH_PORT"

# One STARTTLS session per connected case, in order.
cases=(mx ta tawrong eename wrong pkix two)
{
	echo "description: STARTTLS sessions for tests/audit/dane.sh, one per case"
	echo "---"
	for i in "${!cases[@]}"; do
		[ "$i" -gt 0 ] && echo "=== ${cases[$i]}"
		printf '%s\n' "S: 220 mx.dane.test ESMTP" "C: EHLO *" "S: 250-mx.dane.test" "S: 250 STARTTLS" \
			"C: STARTTLS" "S: 220 2.0.0 Ready to start TLS" "!starttls" "C: QUIT" "S: 221 2.0.0 Bye"
	done
	echo "=== plain"
	printf '%s\n' "S: 220 mx.plain.test ESMTP" "C: EHLO *" "S: 250-mx.plain.test" "S: 250 STARTTLS" \
		"C: STARTTLS" "S: 220 2.0.0 Ready to start TLS" "!starttls" "C: QUIT" "S: 221 2.0.0 Bye"
} >"$work/dane.dialog"
"$fakesmtp" --listen 127.0.0.1:0 --script "$work/dane.dialog" --log "$work/fake.log" --timeout 20 \
	--cert "$work/chain.pem" --key "$certs/mxdane.key" </dev/null >"$work/fake.port" 2>"$work/fake.err" &
fake_pid=$!
fake_ready() {
	[ -s "$work/fake.port" ] && return 0
	kill -0 "$fake_pid" 2>/dev/null || return 2
	return 1
}
wait_until 100 fake_ready || { echo "not ok - fakesmtp: $(cat "$work/fake.err")"; exit 1; }
smtp=127.0.0.1:$(head -n 1 "$work/fake.port")

check() { # HOST
	OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" --connect "$smtp" "$1" 2>&1)
	RC=$?
	printf '# %s: rc %s %s\n' "$1" "$RC" "$OUT"
}

check mx.dane.test
expect_eq "mx: ran" "$RC" 0
expect_jq "mx: TLSA found" "$OUT" .status ok
expect_jq "mx: the record read from the raw answer" "$OUT" '.tlsa[0]' "3 1 1 $ee"
expect_jq "mx: signed answer validated (AD)" "$OUT" .ad true
expect_jq "mx: matched" "$OUT" .dane.status matched
expect_jq "mx: which record" "$OUT" '"\(.dane.usage) \(.dane.selector) \(.dane.mtype) @\(.dane.depth)"' "3 1 1 @0"

check ta.dane.test
expect_jq "ta: AD" "$OUT" .ad true
expect_jq "ta: matched" "$OUT" .dane.status matched
expect_jq "ta: DANE-TA full certificate SHA-256 at the CA" "$OUT" '"\(.dane.usage) \(.dane.selector) \(.dane.mtype) @\(.dane.depth)"' "2 0 1 @1"

check tawrong.dane.test
expect_jq "tawrong: not matched (DANE-TA checks the name)" "$OUT" .dane.status not_matched
expect_match "tawrong: says why" "$(jq -r .dane.detail <<<"$OUT")" "[Hh]ostname mismatch"

check eename.dane.test
expect_jq "eename: matched (DANE-EE ignores the name)" "$OUT" .dane.status matched

check wrong.dane.test
expect_jq "wrong: AD" "$OUT" .ad true
expect_jq "wrong: not matched" "$OUT" .dane.status not_matched
expect_jq "wrong: the record was usable" "$OUT" .dane.usable 1

check pkix.dane.test
expect_jq "pkix: no usable records" "$OUT" .dane.status no_usable_records
expect_jq "pkix: counted unusable" "$OUT" .dane.unusable 1

check two.dane.test
expect_jq "two: both records read" "$OUT" '.tlsa | length' 2
expect_jq "two: the right one matched" "$OUT" .dane.status matched

check mx.plain.test
expect_jq "plain: TLSA found" "$OUT" .status ok
expect_jq "plain: unsigned answer not validated (no AD)" "$OUT" .ad false
expect_jq "plain: the chain still matches" "$OUT" .dane.status matched

# No TLSA: NODATA (the name has a TXT) and NXDOMAIN (no such name); in
# the signed zone the absence is validated too (NSEC), in the other not.
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" notlsa.dane.test)
expect_jq "notlsa: nodata" "$OUT" .status nodata
expect_jq "notlsa: absence validated (AD)" "$OUT" .ad true
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" none.dane.test)
expect_jq "none: nxdomain" "$OUT" .status nxdomain
expect_jq "none: absence validated (AD)" "$OUT" .ad true
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" mx.nowhere.plain.test)
expect_jq "unsigned NXDOMAIN" "$OUT" .status nxdomain
expect_jq "unsigned NXDOMAIN: no AD" "$OUT" .ad false

# The validator is what sets AD: the authority itself never does.
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_AUTH_PORT" mx.dane.test)
expect_jq "straight from the authority: found" "$OUT" .status ok
expect_jq "straight from the authority: no AD" "$OUT" .ad false

# TXT: strings of one record joined, other records kept, the picking rules applied.
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" --txt _mta-sts.dane.test)
printf '# %s\n' "$OUT"
expect_jq "TXT: two records" "$OUT" '.txt | length' 2
expect_jq "TXT: two strings joined" "$OUT" '.txt | map(select(startswith("v=STSv1"))) | .[0]' "v=STSv1; id=20260101T000000"
expect_jq "TXT: AD" "$OUT" .ad true
expect_jq "TXT: one MTA-STS record picked" "$OUT" .mta_sts ok
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" --txt _smtp._tls.dane.test)
printf '# %s\n' "$OUT"
expect_jq "TXT: two TLS-RPT records are refused" "$OUT" .tlsrpt multiple
OUT=$(timeout 30 "$danecheck" --resolver "127.0.0.1:$DNSSEC_PORT" --txt _mta-sts.plain.test)
expect_jq "TXT unsigned: found" "$OUT" '.txt[0]' "v=STSv1; id=1"
expect_jq "TXT unsigned: no AD" "$OUT" .ad false

# fakesmtp ran every session to its end.
wait_until 100 bash -c "! kill -0 $fake_pid 2>/dev/null"
wait "$fake_pid"
expect_eq "fakesmtp: every session as scripted" "$?" 0
fake_pid=
sed 's/^/# fakesmtp: /' "$work/fake.log" | grep -i mismatch

assert_done
