#!/usr/bin/env bash
# gen-certs.sh DIR - make the test PKI for the TLS tests with the openssl CLI.
#
# Writes into DIR (created if missing), all keys EC P-256 (fast):
#
#   ca.pem                 the test CA ("smtpprobe test CA"); --ca-file trusts it
#   valid.pem, valid.key   mx.tls.test (SAN DNS:mx.tls.test, IP:127.0.0.1), by
#                          the CA, valid from yesterday for 10 years
#   expired.pem, .key      mx.tls.test by the CA, valid 2020-01-01 .. 2021-01-01
#   wrongname.pem, .key    wrong.example.test only (SAN DNS:wrong.example.test),
#                          by the CA, valid
#   selfsigned.pem, .key   mx.tls.test, self-signed (no CA), valid
#   partialwild.pem, .key  by the CA, valid, SAN DNS:m*.tls.test only: a partial
#                          wildcard, which RFC 9525 does not let match
#                          mx.tls.test (OpenSSL's default flags would)
#   cnonly.pem, .key       by the CA, valid, CN=mx.tls.test and no SAN at all:
#                          the CN is no host name (RFC 9525 has no CN-ID), no match
#   wildcard.pem, .key     by the CA, valid, SAN DNS:*.tls.test: a wildcard as
#                          the whole left-most label, which does match
#   soon.pem, .key         mx.tls.test by the CA, valid from yesterday for 6
#                          days: expires within audit's --cert-min-days 14
#   mtasts.pem, .key       by the CA, valid, the MTA-STS policy hosts of the
#                          audit tests: DNS:mta-sts.example.test and
#                          DNS:mta-sts.*.test's cases (good, redirect, ctype,
#                          big, missing, badpolicy, v6 .sts.test), IP:127.0.0.1
#   mxdane.pem, .key       by the CA, valid, DNS:mx.example.test,
#                          DNS:mx.dane.test, DNS:ta.dane.test and
#                          DNS:mx.plain.test: the MX of the DANE tests
#
# Each server .pem holds the leaf only. Idempotent: once DIR/.complete
# exists and every file above is there, nothing is redone (a directory made
# by an older version of this script is completed); concurrent runs (meson
# runs tests in parallel) serialise on DIR/.lock. Dates in the past are set with
# `openssl ca -startdate/-enddate` (the x509 command of OpenSSL 3.0 cannot).
#
# Exit status: 0 the files are there; 1 openssl failed (its messages on stderr).
set -euo pipefail

dir=${1:?usage: gen-certs.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

exec {lock}>"$dir/.lock"
flock -w 60 "$lock"

files=(ca.pem valid.pem valid.key expired.pem expired.key wrongname.pem wrongname.key
	selfsigned.pem selfsigned.key partialwild.pem partialwild.key cnonly.pem cnonly.key
	wildcard.pem wildcard.key soon.pem soon.key mtasts.pem mtasts.key mxdane.pem mxdane.key)
complete() {
	[[ -e $dir/.complete ]] || return 1
	local f
	for f in "${files[@]}"; do
		[[ -e $dir/$f ]] || return 1
	done
}
complete && exit 0

work=$(mktemp -d "$dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

newkey() { # FILE
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null
}

# A minimal `openssl ca` set-up: its database, serials and policy live in
# the work directory and are thrown away; only the PEM files are kept.
mkdir newcerts
: >index.txt
echo 1000 >serial
cat >ca.cnf <<'EOF'
[ ca ]
default_ca = test_ca

[ test_ca ]
dir = .
database = ./index.txt
serial = ./serial
new_certs_dir = ./newcerts
certificate = ./ca.pem
private_key = ./ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_any ]
commonName = supplied
organizationName = optional

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_mx ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mx.tls.test, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_partialwild ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:m*.tls.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_cnonly ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_wildcard ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:*.tls.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_mtasts ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mta-sts.example.test, DNS:mta-sts.good.sts.test, DNS:mta-sts.redirect.sts.test, DNS:mta-sts.ctype.sts.test, DNS:mta-sts.big.sts.test, DNS:mta-sts.missing.sts.test, DNS:mta-sts.badpolicy.sts.test, DNS:mta-sts.v6.sts.test, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ server_mxdane ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mx.example.test, DNS:mx.dane.test, DNS:ta.dane.test, DNS:mx.plain.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ self_mx ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mx.tls.test
subjectKeyIdentifier = hash
EOF

# Start yesterday, so a clock a little behind does not make "valid" invalid.
yesterday=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
in10y=$(date -u -d '10 years' +%Y%m%d%H%M%SZ)
in6d=$(date -u -d '6 days' +%Y%m%d%H%M%SZ)

# The CA: self-signed with `openssl ca -selfsign` so its dates are set too.
newkey ca.key
openssl req -new -config ca.cnf -key ca.key -subj "/O=smtpprobe tests/CN=smtpprobe test CA" -out ca.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile ca.key -extensions v3_ca -notext \
	-startdate "$yesterday" -enddate "$in10y" -in ca.csr -out ca.pem 2>/dev/null

sign() { # NAME CN EXTENSIONS START END
	newkey "$1.key"
	openssl req -new -config ca.cnf -key "$1.key" -subj "/O=smtpprobe tests/CN=$2" -out "$1.csr"
	openssl ca -batch -config ca.cnf -extensions "$3" -notext \
		-startdate "$4" -enddate "$5" -in "$1.csr" -out "$1.pem" 2>/dev/null
}

sign valid mx.tls.test server_mx "$yesterday" "$in10y"
sign expired mx.tls.test server_mx 20200101000000Z 20210101000000Z
sign wrongname wrong.example.test server_wrong "$yesterday" "$in10y"
sign partialwild partial-wildcard.tls.test server_partialwild "$yesterday" "$in10y"
sign cnonly mx.tls.test server_cnonly "$yesterday" "$in10y"
sign wildcard wildcard.tls.test server_wildcard "$yesterday" "$in10y"
sign soon mx.tls.test server_mx "$yesterday" "$in6d"
sign mtasts mta-sts.example.test server_mtasts "$yesterday" "$in10y"
sign mxdane mx.example.test server_mxdane "$yesterday" "$in10y"

newkey selfsigned.key
openssl req -new -config ca.cnf -key selfsigned.key -subj "/O=smtpprobe tests/CN=mx.tls.test" -out selfsigned.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile selfsigned.key -extensions self_mx -notext \
	-startdate "$yesterday" -enddate "$in10y" -in selfsigned.csr -out selfsigned.pem 2>/dev/null

# Sanity: the CA-signed ones chain (expiry aside), the self-signed one does not.
openssl verify -CAfile ca.pem -verify_hostname mx.tls.test valid.pem >/dev/null
openssl verify -CAfile ca.pem -verify_hostname mx.tls.test soon.pem >/dev/null
openssl verify -CAfile ca.pem -no_check_time wrongname.pem >/dev/null
openssl verify -CAfile ca.pem -verify_hostname mx.tls.test wildcard.pem >/dev/null
openssl verify -CAfile ca.pem -verify_hostname mta-sts.example.test mtasts.pem >/dev/null
openssl verify -CAfile ca.pem -verify_hostname mx.dane.test mxdane.pem >/dev/null
# OpenSSL's default name check accepts both of these: the fixtures that use
# them test smtpprobe's flags, not OpenSSL's defaults.
for f in partialwild cnonly; do
	openssl verify -CAfile ca.pem -verify_hostname mx.tls.test "$f.pem" >/dev/null
done
for bad in expired selfsigned; do
	if openssl verify -CAfile ca.pem "$bad.pem" >/dev/null 2>&1; then
		echo "gen-certs.sh: $bad.pem verifies, but must not" >&2
		exit 1
	fi
done

for f in "${files[@]}"; do
	chmod 0644 "$f"
	mv -f "$f" "$dir/$f"
done
: >"$dir/.complete"
