# zsh_complete.zsh DIR LINE: print, one per line and sorted, the matches
# zsh's completion system offers when TAB is pressed after LINE, with the
# completion functions of DIR first in $fpath.
#
# zsh completes only inside its line editor, so this runs an interactive
# `zsh -f` in a pseudo-terminal (zsh/zpty), wraps compadd to print each
# match it is given between << >>, types LINE and a TAB, and reads until
# the completion is over (comppostfuncs prints <<END>>). Callers bound it
# with timeout(1).
zmodload zsh/zpty || exit 2
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z "PS1= ; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
# The markers are split in what is typed so that the echo of the typing
# never looks like output.
zpty -w z 'compadd () { builtin compadd -O __hits "$@"; print -rl -- "<""<"${^__hits[@]}">"">"; builtin compadd "$@"; }'
zpty -w z 'zstyle ":completion:*" list-grouped false; zstyle ":completion:*" insert-tab false'
zpty -w z "comppostfuncs=(__done); __done() { print -r -- '<''<END>''>'; exit }"
zpty -w z "print READY''NOW"
while zpty -r z out; do
	[[ $out == *READYNOW* ]] && break
done
zpty -w -n z "$line"$'\t'
got=()
while zpty -r z out; do
	[[ $out == *'<<END>>'* ]] && break
	got+=$out
done
zpty -d z
print -rl -- $got | grep -oE '<<[^>]*>>' | sed -e 's/^<<//' -e 's/>>$//' | sort -u
