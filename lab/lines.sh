# lab/lines.sh - reads `migrace lines` output in the lab engines' scripts (sourced): one call per test case.

# each_case FILE FN: calls FN NAME RESULT MEASUREMENT UNITS COMMENT for each
# line of FILE that is not a comment; MEASUREMENT, UNITS and COMMENT may be
# empty. The comment (a failure's or a skip's reason) is what follows " # ".
each_case() {
	_file=$1 _fn=$2
	while IFS= read -r _line; do
		case $_line in '#'* | '') continue ;; esac
		_comment=
		case $_line in *' # '*) _comment=${_line#* # } _line=${_line%% # *} ;; esac
		set -f
		# shellcheck disable=SC2086 # split into its fields on purpose
		set -- $_line
		set +f
		"$_fn" "$1" "$2" "${3-}" "${4-}" "$_comment"
	done <"$_file"
}
