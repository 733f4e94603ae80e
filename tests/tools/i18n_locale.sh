#!/bin/bash
# Where the catalogues come from, and -v saying so when a language asked for
# has none: the binary run from its build tree finds the Russian catalogue
# with no SMTPPROBE_LOCALEDIR; a copy outside a build tree does not look
# next to itself; -v prints one English line when messages stay English
# although the environment asked for another language. No network: the
# invalid address ends every run before DNS.
# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_smtpprobe
require_tool msgfmt gettext

# meson's test environment points SMTPPROBE_LOCALEDIR at the build tree;
# this test is about doing without it.
build_po=$(realpath "${SMTPPROBE_LOCALEDIR:-$(dirname "$SMTPPROBE")/../po}")
unset SMTPPROBE_LOCALEDIR LC_MESSAGES LANG
export LC_ALL=C.UTF-8
mo=$build_po/ru/LC_MESSAGES/smtpprobe.mo
if [ ! -r "$mo" ]; then
	echo "not ok - no Russian catalogue at $mo (meson builds it when gettext is installed at setup time)"
	exit 1
fi
work=$(mktemp -d /tmp/smtpprobe-i18n.XXXXXX)
trap 'rm -rf "$work"' EXIT
build_smtpprobe=$SMTPPROBE

# Lines of $PROBE_ERR that are the fallback note.
notes() {
	grep -c 'messages stay in English' <<<"$PROBE_ERR"
}

# --- From the build tree, no variable: Russian.
export LANGUAGE=ru
run_probe --help
expect_eq "build tree: exit 0" "$PROBE_RC" 0
expect_match "build tree: --help in Russian" "$PROBE_OUT" '^использование: smtpprobe '
run_probe -v no-at-sign
expect_match "build tree: usage line in Russian" "$PROBE_ERR" '^smtpprobe: неверный адрес "no-at-sign"'
expect_eq "build tree, ru: no note" "$(notes)" 0

# --- A language without a catalogue: one English line with -v, none without.
export LANGUAGE=de
run_probe no-at-sign
expect_eq "de without -v: exit 65" "$PROBE_RC" 65
expect_eq "de without -v: no note" "$(notes)" 0
run_probe -v no-at-sign
expect_eq "de -v: exit 65" "$PROBE_RC" 65
expect_eq "de -v: one note" "$(notes)" 1
expect_match "de -v: the note" "$PROBE_ERR" "^smtpprobe: no message catalogue for \"de\" in $build_po: messages stay in English"$'\n'
expect_match "de -v: then the usage line, in English" "$PROBE_ERR" $'\nsmtpprobe: invalid address "no-at-sign": '
run_probe -vv no-at-sign
expect_eq "de -vv: still one note" "$(notes)" 1
run_probe -v --json no-at-sign
expect_eq "de -v --json: one note on stderr" "$(notes)" 1
expect_jq "de -v --json: stdout is the result" "$PROBE_OUT" .failure invalid_address
export LANGUAGE=de:ru
run_probe -v no-at-sign
expect_eq "de:ru -v: Russian, no note" "$(notes)" 0
expect_match "de:ru -v: Russian" "$PROBE_ERR" '^smtpprobe: неверный адрес'
for lang in en en_GB:en; do
	export LANGUAGE=$lang
	run_probe -v no-at-sign
	expect_eq "$lang -v: English asked for, no note" "$(notes)" 0
done
unset LANGUAGE
run_probe -v no-at-sign
expect_eq "C.UTF-8, no LANGUAGE: no note" "$(notes)" 0

# --- Why LANGUAGE did nothing: the C locale, or a locale not installed.
export LC_ALL=C LANGUAGE=ru
run_probe -v no-at-sign
expect_eq "C + LANGUAGE=ru -v: one note" "$(notes)" 1
expect_match "C + LANGUAGE=ru -v: says why" "$PROBE_ERR" '^smtpprobe: LANGUAGE=ru is ignored in the C locale'
unset LC_ALL LANGUAGE
export LANG=xx_XX.UTF-8
run_probe -v no-at-sign
expect_eq "LANG not installed -v: one note" "$(notes)" 1
expect_match "LANG not installed -v: says so" "$PROBE_ERR" '^smtpprobe: the locale "xx_XX\.UTF-8" is not installed here'
unset LANG
export LC_ALL=C.UTF-8

# --- SMTPPROBE_LOCALEDIR still wins, even where it has nothing.
mkdir "$work/empty"
export LANGUAGE=ru
SMTPPROBE_LOCALEDIR=$work/empty run_probe -v no-at-sign
expect_match "SMTPPROBE_LOCALEDIR empty: English" "$PROBE_ERR" 'smtpprobe: invalid address "no-at-sign"'
expect_match "SMTPPROBE_LOCALEDIR empty: the note names it" "$PROBE_ERR" "^smtpprobe: no message catalogue for \"ru\" in $work/empty: "

# --- A copy in a tree that looks like a build tree but for the marker
# (meson-private): the catalogue beside it is not read. With the marker it is.
mkdir -p "$work/tree/src" "$work/tree/po/ru/LC_MESSAGES"
cp "$build_smtpprobe" "$work/tree/src/smtpprobe"
cp "$mo" "$work/tree/po/ru/LC_MESSAGES/"
SMTPPROBE=$work/tree/src/smtpprobe
export LANGUAGE=de
run_probe -v no-at-sign
expect_eq "copy without marker: exit 65" "$PROBE_RC" 65
expect_eq "copy without marker: does not look beside itself" "$(grep -c "$work/tree/po" <<<"$PROBE_ERR")" 0
mkdir "$work/tree/meson-private"
run_probe -v no-at-sign
expect_match "copy with marker: looks in its tree" "$PROBE_ERR" "^smtpprobe: no message catalogue for \"de\" in $work/tree/po: "
export LANGUAGE=ru
run_probe --help
expect_match "copy with marker: --help in Russian" "$PROBE_OUT" '^использование: smtpprobe '
SMTPPROBE=$build_smtpprobe
assert_done
