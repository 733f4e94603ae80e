#!/usr/bin/env bash
# The JUnit writer against the schema CI systems read (fixtures/junit/junit.xsd)
# and through a real XML parser: a report full of hostile strings validates,
# and what the parser reads back is what was meant. The schema itself is
# checked to refuse what it must (a missing hostname, a zone in the
# timestamp, two outcomes in one case), so a schema that accepts anything
# cannot pass this test.
set -u
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/assert.sh"
require_tool xmllint libxml2-utils

SAMPLE=$1
XSD=$FIXTURES/junit/junit.xsd
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$SAMPLE" >"$dir/report.xml"
expect_eq "the sample is written" "$?" 0
out=$(xmllint --noout --schema "$XSD" "$dir/report.xml" 2>&1)
expect_eq "the hostile report validates against junit.xsd ($out)" "$?" 0

xp() { xmllint --xpath "$1" "$dir/report.xml" 2>&1; }
expect_eq "counts of the first suite" \
	"$(xp 'concat(//testsuite[1]/@tests, " ", //testsuite[1]/@failures, " ", //testsuite[1]/@errors, " ", //testsuite[1]/@skipped)')" "4 1 1 1"
expect_eq "counts over the report" "$(xp 'concat(/testsuites/@tests, " ", /testsuites/@failures)')" "5 1"
expect_eq "a name with quotes, markup and ]]> reads back" "$(xp 'string(//testcase[2]/@name)')" "a\"b'<c>&d]]>e"
expect_eq "TAB, CR and LF in an attribute survive attribute normalisation" \
	"$(xp 'string(//failure/@message)')" $'verdict: expected rejected, got accepted\tTAB\r\nCRLF'
details=$(xp 'string(//failure)')
expect_match "the failure text keeps ]]> and the CDATA attempt as text" "$details" '^250 2\.1\.5 <ok> & "fine" \]\]> \]\]\]\]><!\[CDATA\[x'
expect_eq "control bytes, C1, RLO and invalid UTF-8 become U+FFFD, valid UTF-8 stays" \
	"$(printf '%s' "$details" | tail -n 1)" \
	"$(printf '\xef\xbf\xbd%.0s' 1 2 3)[31m$(printf '\xef\xbf\xbd%.0s' 1 2 3 4 5 6 7 8 9 10) h$(printf '\xc3\xa9') $(printf '\xe7\x94\xa8')"
expect_eq "the error's type attribute" "$(xp 'string(//error/@type)')" 'dns"'
expect_eq "an empty host name is written as localhost" "$(xp 'string(//testsuite[2]/@hostname)')" localhost
expect_eq "the local host name is the suite's" "$(xp 'string(//testsuite[1]/@hostname)')" "$(hostname)"
expect_eq "the timestamp is UTC without a zone" "$(xp 'string(//testsuite[1]/@timestamp)')" "2026-07-31T12:00:00"

# The schema refuses what it must.
refuses() {
	local label=$1 sed_expr=$2
	sed -e "$sed_expr" "$dir/report.xml" >"$dir/bad.xml"
	if cmp -s "$dir/report.xml" "$dir/bad.xml"; then
		_assert_fail "$label" "the edit '$sed_expr' changed nothing"
		return
	fi
	if xmllint --noout --schema "$XSD" "$dir/bad.xml" >/dev/null 2>&1; then
		_assert_fail "$label" "junit.xsd accepted it"
	else
		_assert_ok "$label"
	fi
}
refuses "the schema refuses a suite without hostname" '0,/ hostname="[^"]*"/s/ hostname="[^"]*"//'
refuses "the schema refuses a timestamp with a zone" 's/timestamp="2026-07-31T12:00:00"/timestamp="2026-07-31T12:00:00Z"/'
refuses "the schema refuses two outcomes in one case" 's|<skipped message="not probed"/>|<skipped/><failure type="x"/>|'
refuses "the schema refuses a failure without type" 's/ type="failure"//'
refuses "the schema refuses a case without classname" '0,/<testcase classname="[^"]*"/s/<testcase classname="[^"]*"/<testcase/'
refuses "the schema refuses a negative count" 's/tests="4"/tests="-4"/'
assert_done
