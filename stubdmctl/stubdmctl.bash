# bash completion for stubdmctl(8).  The verbs come from "stubdmctl help"
# and the guests from "stubdmctl list", so both are always the daemon's.
_stubdmctl()
{
	local cur prev words cword i verb="" sock=()
	_init_completion || return

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-S|--socket) sock=(-S "${words[i + 1]}"); ((i++)) ;;
		--socket=*) sock=(-S "${words[i]#--socket=}") ;;
		-f|--policy) sock+=(-f "${words[i + 1]}"); ((i++)) ;;
		--policy=*) sock+=(-f "${words[i]#--policy=}") ;;
		-*) ;;
		*) verb=${words[i]}; break ;;
		esac
	done
	if [[ -z $verb ]]; then
		case $prev in
		-S|--socket|-f|--policy) _filedir; return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-S --socket -f --policy -j --json -h --help' \
			    -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(stubdmctl help 2>/dev/null |
			    awk '/^  [a-z]/ { print $1 }')" -- "$cur"))
		fi
		return
	fi
	[[ $((cword - i)) -eq 1 ]] || return
	case $verb in
	status|start|stop|restart)
		COMPREPLY=($(compgen -W "$(stubdmctl "${sock[@]}" list \
		    2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur")) ;;
	set-log-level)
		COMPREPLY=($(compgen -W 'error warning info debug' -- "$cur")) ;;
	events)
		COMPREPLY=($(compgen -W '--follow' -- "$cur")) ;;
	esac
} &&
complete -F _stubdmctl stubdmctl
