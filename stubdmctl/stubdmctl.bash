# SPDX-License-Identifier: GPL-2.0-only
# bash completion for stubdmctl(8).  The verbs come from "stubdmctl help"
# and the guests from "stubdmctl list", so both are always the daemon's.
# Options may come before or after the verb; "--" ends them.
_stubdmctl()
{
	local cur prev words cword i verb="" nargs=0 sock=() opts
	_init_completion || return

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--) ((i++)); break ;;
		-S|--socket) sock=(-S "${words[i + 1]}"); ((i++)) ;;
		--socket=*) sock=(-S "${words[i]#--socket=}") ;;
		-f|--policy) sock+=(-f "${words[i + 1]}"); ((i++)) ;;
		--policy=*) sock+=(-f "${words[i]#--policy=}") ;;
		-*) ;;
		*) if [[ -z $verb ]]; then verb=${words[i]}; else ((nargs++)); fi ;;
		esac
	done
	for ((; i < cword; i++)); do	# after --: all arguments
		if [[ -z $verb ]]; then verb=${words[i]}; else ((nargs++)); fi
	done
	case $prev in
	-S|--socket|-f|--policy) _filedir; return ;;
	esac
	if [[ $cur == -* ]]; then
		opts='-S --socket -f --policy -j --json -h --help'
		case $verb in
		events) opts+=' --follow' ;;
		stats) opts+=' --openmetrics' ;;
		console) opts+=' --vnc' ;;
		esac
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [[ -z $verb ]]; then
		COMPREPLY=($(compgen -W "$(stubdmctl help 2>/dev/null |
		    awk '/^  [a-z]/ { print $1 }')" -- "$cur"))
		return
	fi
	if [[ $verb == screenshot && $nargs -eq 1 ]]; then
		_filedir png
		return
	fi
	if [[ ($verb == save-state || $verb == restore-state) &&
	    $nargs -eq 1 ]]; then
		_filedir
		return
	fi
	if [[ $verb == cd-insert && $nargs -eq 2 ]]; then
		_filedir iso
		return
	fi
	[[ $nargs -eq 0 ]] || return
	case $verb in
	status|start|stop|restart|console|screenshot|cd-insert|cd-eject|\
	save-state|restore-state)
		COMPREPLY=($(compgen -W "$(stubdmctl "${sock[@]}" list \
		    2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur")) ;;
	set-log-level)
		COMPREPLY=($(compgen -W 'error warning info debug' -- "$cur")) ;;
	esac
} &&
complete -F _stubdmctl stubdmctl
