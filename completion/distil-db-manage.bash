# bash completion for distil-db-manage: commands, options, and revision ids/targets.
# Revision words come from the tool itself (`distil-db-manage __complete targets`, which reads
# the versions folder only, never the database), honouring --config-file on the line.
# Installed to share/bash-completion/completions/distil-db-manage; or `source` this file.

_distil_db_manage_commands="upgrade downgrade current history heads branches show revision merge stamp check_migration check inspect graph"
_distil_db_manage_global="--config-file --database-url --color --colour --help -h"

# Options of each command (the ones taking a value are listed in _distil_db_manage_takes_value).
_distil_db_manage_options() {
  case "$1" in
    upgrade) echo "--delta --sql --plan --format --from --rehearse --verbose -v --lock-timeout --help" ;;
    downgrade) echo "--delta --sql --plan --format --from --verbose -v --lock-timeout --help" ;;
    current|heads|branches) echo "--verbose -v --help" ;;
    history) echo "--rev-range -r --indicate-current -i --verbose -v --help" ;;
    show|check|check_migration) echo "--help" ;;
    revision) echo "--message -m --autogenerate --allow-empty --rev-id --head --branch-label --depends-on --help" ;;
    merge) echo "--message -m --rev-id --branch-label --help" ;;
    stamp) echo "--purge --sql --lock-timeout --help" ;;
    inspect) echo "--output -o --force --help" ;;
    graph) echo "--format --help" ;;
  esac
}

# The revision words (ids, head, heads, base, LABEL, LABEL@head, LABEL@base) of the project
# the command line points at.
_distil_db_manage_targets() {
  local tool="$1"; shift
  command "$tool" "$@" __complete targets 2>/dev/null
}

_distil_db_manage() {
  local cur prev tool cmd i word
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"
  tool="${COMP_WORDS[0]}"
  # Global options before the command are passed on to the tool when it lists revisions.
  local -a global=()
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    case "$word" in
      --config-file|--database-url)
        if [ -z "$cmd" ] && [ $((i + 1)) -lt "$COMP_CWORD" ]; then
          global+=("$word" "${COMP_WORDS[i+1]}")
        fi
        ((i++))
        ;;
      --config-file=*|--database-url=*) [ -z "$cmd" ] && global+=("$word") ;;
      --color|--colour) ((i++)) ;;
      -*) ;;
      *) [ -z "$cmd" ] && cmd="$word" ;;
    esac
  done

  # The value of an option.
  case "$prev" in
    --config-file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0 ;;
    -o|--output)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return 0 ;;
    --color|--colour)
      mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
      return 0 ;;
    --format)
      if [ "$cmd" = graph ]; then
        mapfile -t COMPREPLY < <(compgen -W "dot mermaid" -- "$cur")
      else
        mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
      fi
      return 0 ;;
    --head|--depends-on|--from)
      mapfile -t COMPREPLY < <(compgen -W "$(_distil_db_manage_targets "$tool" "${global[@]}")" -- "$cur")
      return 0 ;;
    --database-url|--delta|--lock-timeout|--rev-id|--branch-label|-m|--message|-r|--rev-range)
      return 0 ;;
  esac

  if [ -z "$cmd" ]; then
    if [[ "$cur" == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$_distil_db_manage_global" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$_distil_db_manage_commands" -- "$cur")
    fi
    return 0
  fi

  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_distil_db_manage_options "$cmd")" -- "$cur")
    return 0
  fi

  case "$cmd" in
    upgrade|downgrade|show|stamp|merge)
      mapfile -t COMPREPLY < <(compgen -W "$(_distil_db_manage_targets "$tool" "${global[@]}")" -- "$cur")
      ;;
  esac
  return 0
}

complete -F _distil_db_manage distil-db-manage
