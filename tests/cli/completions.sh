#!/bin/bash
# The bash, zsh and fish completions: each parses (bash -n, zsh -n, fish
# --no-execute), and each shell, asked as a user would, offers every option
# of the built binary's --help, the values of --tls, --format, --color,
# --auth-mech and --tls-min-version, files after --input, directories after
# --ca-path, and no file names where an address goes.
# Usage: completions.sh DIR (the source tree's completions/).
# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
require_smtpprobe
require_tool zsh zsh
require_tool fish fish
dir=$(cd "${1:?usage: completions.sh DIR}" && pwd)
libdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)

# --- Syntax.
out=$(bash -n "$dir/smtpprobe" 2>&1)
expect_eq "bash -n smtpprobe" "$?:$out" "0:"
out=$(zsh -n "$dir/_smtpprobe" 2>&1)
expect_eq "zsh -n _smtpprobe" "$?:$out" "0:"
out=$(fish --no-execute "$dir/smtpprobe.fish" 2>&1)
expect_eq "fish --no-execute smtpprobe.fish" "$?:$out" "0:"

# --- What each shell offers for a command line (the word being completed
# last, possibly empty), one candidate per line, sorted, path names reduced
# to their last component (the shells differ in how much of the path they repeat).
offer_bash() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 20 bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMPREPLY=()
		_smtpprobe smtpprobe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$dir/smtpprobe" smtpprobe "$@"
}
# shellcheck disable=SC2317 # offer_fish and offer_zsh are called as offer_$sh
offer_fish() {
	local line="smtpprobe $*"
	timeout 20 fish --no-config -c "source '$dir/smtpprobe.fish'; complete -C'$line'" | cut -f1
}
# shellcheck disable=SC2317
offer_zsh() {
	timeout 30 zsh -f "$libdir/zsh_complete.zsh" "$dir" "smtpprobe $*"
}
offer() {   # SHELL WORDS...
	local sh=$1
	shift
	"offer_$sh" "$@" | sed -e 's|/$||' -e 's|.*/||' -e '/^$/d' | sort -u
}
# Only the names in the test directory: zsh also reports the path
# components it completed on the way ("tmp", the directory).
ours() {
	grep '^a-'
}
# The candidates as one space-separated line, for messages.
words() {
	tr '\n' ' ' | sed 's/ $//'
}

# --- Every option of --help.
help=$(LC_ALL=C LANGUAGE='' "$SMTPPROBE" --help)
mapfile -t options < <(grep -oE '^  (-[A-Za-z0-9], |    )--[a-z0-9-]+' <<<"$help" | grep -oE -- '-[A-Za-z0-9]\b|--[a-z0-9-]+' | sort -u)
if [ "${#options[@]}" -lt 30 ]; then
	expect_eq "options found in --help" "${#options[@]}" "at least 30"
	assert_done
fi

work=$(mktemp -d /tmp/smtpprobe-compl.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/a-dir"
: >"$work/a-file.pem"

for sh in bash zsh fish; do
	got=$(offer "$sh" -)
	missing=()
	for opt in "${options[@]}"; do
		grep -qxF -- "$opt" <<<"$got" || missing+=("$opt")
	done
	expect_eq "$sh: '-' offers every option of --help" "${missing[*]}" ""

	expect_eq "$sh: --tls values" "$(offer "$sh" --tls '' | words)" "auto implicit none required"
	expect_eq "$sh: --format values" "$(offer "$sh" --format '' | words)" "csv json line text"
	expect_eq "$sh: --color values" "$(offer "$sh" --color '' | words)" "always auto never"
	expect_eq "$sh: --auth-mech values" "$(offer "$sh" --auth-mech '' | words)" "CRAM-MD5 LOGIN PLAIN XOAUTH2"
	expect_eq "$sh: --tls-min-version values" "$(offer "$sh" --tls-min-version '' | words)" "1.0 1.1 1.2 1.3"
	expect_eq "$sh: --tls i" "$(offer "$sh" --tls i | words)" "implicit"
	expect_eq "$sh: --input: files and directories" "$(offer "$sh" --input "$work/a-" | ours | words)" "a-dir a-file.pem"
	expect_eq "$sh: --ca-file: files" "$(offer "$sh" --ca-file "$work/a-f" | ours | words)" "a-file.pem"
	expect_eq "$sh: --ca-path: directories only" "$(offer "$sh" --ca-path "$work/a-" | ours | words)" "a-dir"
	expect_eq "$sh: no file names for an address" "$(offer "$sh" "$work/a-" | ours | words)" ""
done

# bash: --opt=value as one word (when '=' is not in COMP_WORDBREAKS) and as three.
expect_eq "bash: --tls=i as one word" "$(offer_bash --tls=i | words)" "--tls=implicit"
expect_eq "bash: --color = a" "$(offer bash --color = a | words)" "always auto"
# shellcheck disable=SC2016
expect_eq "bash: sourcing defines the completion" \
	"$(bash --norc --noprofile -c '. "$1" && complete -p smtpprobe' bash "$dir/smtpprobe")" \
	"complete -F _smtpprobe smtpprobe"
assert_done
