#!/usr/bin/env zsh
# Usage: zsh -f zsh-complete.zsh <dir holding _emodistill> <command line>
# (compinit keeps its dump in that dir: run once alone before running several at once)
# Prints, one per line, the matches zsh's completion system offers when Tab is pressed at the end of the
# command line, in a real interactive zsh (driven through zpty) with compinit and the completion file
# autoloaded from $fpath. After zsh-capture-completion (github.com/Valodim/zsh-capture-completion, MIT).
zmodload zsh/zpty || exit 2
local completions=$1 line=$2
zpty shell zsh -f -i
setopt rcquotes
local setup=$(mktemp)
trap 'rm -f $setup' EXIT
print -r -- '
PROMPT=
fpath=('$completions' $fpath)
autoload -U compinit && compinit -u -d '$completions'/.zcompdump
bindkey ''^I'' complete-word
marker () { print -rn -- $''\0\n'' }
compprefuncs=( marker )
comppostfuncs=( marker exit )
zstyle '':completion:*'' list-grouped false
zstyle '':completion:*'' insert-tab false
compadd () {
  # Calls that only query or describe (-O, -A, -D) pass through; the others print what they would add.
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return $?
  fi
  local -a hits
  builtin compadd -A hits "$@"
  (( $#hits )) && print -rl -- $hits
}
print ready' > $setup
zpty -w shell "source $setup"
local out
repeat 20; do
  zpty -r shell out || break
  [[ $out == ready* ]] && break
done
zpty -w -n shell "$line"$'\t'
integer markers=0
while zpty -r shell; do :; done | while IFS= read -r out; do
  if [[ $out == *$'\0'* ]]; then
    (( markers++ )) && exit 0 || continue
  fi
  (( markers )) && print -r -- ${out%$'\r'}
done
