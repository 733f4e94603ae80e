#!/bin/bash
# Every option of the built binary's --help is documented in the man page
# (an entry under OPTIONS, with an argument exactly when --help shows one),
# and the man page documents no option the binary lacks; every option is in
# the bash, zsh and fish completions. The option list comes from --help, so
# that a new option cannot be forgotten here either. (completions.sh checks
# what the shells actually offer.)
# shellcheck source=../lib/assert.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/assert.sh"
require_smtpprobe
: "${SRCDIR:?SRCDIR is not set (meson test sets it)}"
man=$SRCDIR/docs/smtpprobe.1

# --- The options, from --help in English: "  -4, --ipv4    ..." or
# "      --from ADDR    ...": the option column is 30 wide after two blanks.
help=$(LC_ALL=C LANGUAGE='' "$SMTPPROBE" --help)
declare -A help_arg=()   # option (-4, --ipv4) -> its argument ("" for none)
option_line='^  (-([A-Za-z0-9]), |    )--([a-z0-9][a-z0-9-]*)(\[=[^ ]+\]| [^ ]+)? +[^ ]'
while IFS= read -r line; do
	[[ $line =~ $option_line ]] || continue
	long=--${BASH_REMATCH[3]}
	arg=${BASH_REMATCH[4]# }
	help_arg[$long]=$arg
	[ -n "${BASH_REMATCH[2]}" ] && help_arg[-${BASH_REMATCH[2]}]=$arg
done <<<"$help"
n=${#help_arg[@]}
# A broken parse must not pass for want of options to check.
if [ "$n" -lt 30 ]; then
	expect_eq "options found in --help" "$n" "at least 30"
	assert_done
fi
echo "# $n option spellings in --help"

# --- The man page: each ".It Fl ..." line under OPTIONS documents the
# options named after Fl; "Ar" on that line means they take an argument.
declare -A man_arg=()    # option -> "yes" or "no"
in_options=0
while IFS= read -r line; do
	case $line in
	'.Sh OPTIONS'*) in_options=1 ;;
	'.Sh '*) in_options=0 ;;
	'.It Fl '*)
		[ "$in_options" = 1 ] || continue
		takes=no
		[[ " $line " == *' Ar '* ]] && takes=yes
		read -ra words <<<"$line"
		for ((i = 0; i < ${#words[@]} - 1; i++)); do
			[ "${words[i]}" = Fl ] && man_arg[-${words[i + 1]}]=$takes
		done
		;;
	esac
done <"$man"

for opt in $(printf '%s\n' "${!help_arg[@]}" | sort); do
	if [ -z "${man_arg[$opt]:-}" ]; then
		expect_eq "man page documents $opt" "missing" "an .It Fl entry under OPTIONS"
		continue
	fi
	want=no
	[ -n "${help_arg[$opt]}" ] && want=yes
	expect_eq "man page documents $opt (argument: ${help_arg[$opt]:-none})" "${man_arg[$opt]}" "$want"
done
for opt in $(printf '%s\n' "${!man_arg[@]}" | sort); do
	[ -n "${help_arg[$opt]+set}" ] ||
		expect_eq "man page option $opt exists in --help" "missing from --help" "listed by --help"
done

# --- The completions: bash and zsh spell options as on the command line
# (zsh: '--from=[...]', {-4,--ipv4}, -j+); fish as "-l from" and "-s 4".
in_file() {   # LABEL FILE ERE
	if grep -qE -- "$3" "$2"; then
		expect_eq "$1" yes yes
	else
		expect_eq "$1" "not in $(basename "$2")" "/$3/"
	fi
}
for f in completions/smtpprobe completions/_smtpprobe completions/smtpprobe.fish; do
	file=$SRCDIR/$f
	if [ ! -r "$file" ]; then
		expect_eq "$f exists" missing "a readable file"
		continue
	fi
	for opt in $(printf '%s\n' "${!help_arg[@]}" | sort); do
		case $f:$opt in
		*.fish:--*) ere="(^|[[:space:]])-l ${opt#--}([[:space:]]|$)" ;;
		*.fish:-*) ere="(^|[[:space:]])-s ${opt#-}([[:space:]]|$)" ;;
		*) ere="(^|[^[:alnum:]-])$opt([^[:alnum:]-]|$)" ;;
		esac
		in_file "$f completes $opt" "$file" "$ere"
	done
done
# --- po/POTFILES names every source with strings for translation, and no
# other: a file missing there leaves its messages English in every language.
marked=$(cd "$SRCDIR" && grep -lE '(^|[^A-Za-z0-9_])N?_\("' src/*.c | sort)
listed=$(grep -v '^#' "$SRCDIR/po/POTFILES" | sort)
expect_eq "po/POTFILES lists the sources with _() or N_()" "$listed" "$marked"
assert_done
