#!/bin/bash
# The man page renders without a warning in both renderers a reader may
# have: mandoc (mdoc's reference implementation, strict lint) and groff
# (what man-db on Debian runs). Usage: man_lint.sh PAGE
# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_tool mandoc mandoc
require_tool groff groff-base

page=${1:?usage: man_lint.sh PAGE}

# -W warning: warnings and errors (not the style hints, which include
# "outdated mandoc.db", a fact about the system, not the page).
out=$(mandoc -T lint -W warning "$page" 2>&1)
rc=$?
expect_eq "mandoc -T lint -W warning: exit 0" "$rc" 0
expect_eq "mandoc -T lint -W warning: nothing to say" "$out" ""

# groff exits 0 on warnings: its stderr is the verdict. -ww enables all of them.
out=$(groff -mandoc -ww -z -Tutf8 "$page" 2>&1)
rc=$?
expect_eq "groff -mandoc -ww: exit 0" "$rc" 0
expect_eq "groff -mandoc -ww: no warning" "$out" ""

# And it says what it is about where a reader looks first.
text=$(mandoc -T ascii "$page" | sed 's/.\x08//g')
expect_match "NAME" "$text" $'NAME\n +smtpprobe - check whether an address accepts mail'
for section in SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES 'EXIT STATUS' 'JSON OUTPUT' EXAMPLES 'SEE ALSO' STANDARDS; do
	expect_match "section $section" "$text" $'\n'"$section"$'\n'
done
expect_match "never DATA or BDAT" "$text" 'never sends DATA or BDAT'
expect_match "SEE ALSO swaks, posttls-finger" "$text" 'posttls-finger\(1\), swaks\(1\)'
assert_done
