# runners/lib.sh: helpers shared by migrace's shell runners (sourced, not run).

# Where the suite lies, found from where its files are rather than from a
# path fixed at build time, so that a tree staged under DESTDIR or moved
# works too. In the source tree: this file in runners/, beside bench/,
# plots/ and kernels/. Installed (make install): the runners are
# migrace-NAME in bindir beside migrace, and this file lies in
# $(pkgdatadir)/runners/ with plots/, kernels/ and results/ beside it.
runners_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
data_dir=${runners_dir%/*}
bin_dir=$(cd "$(dirname "$0")" && pwd -P)
case ${0##*/} in
migrace-*) installed=yes prog=${0##*/} ;;
*) installed= prog="runners/${0##*/}" ;;
esac

# Messages go to stderr so that a runner's stdout carries only its result.
say() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

# Bad input or a missing prerequisite: one line, exit 2, nothing changed.
die() {
	say "$*"
	exit 2
}

# Print the usage text (the block of comment lines starting with "#:").
usage() {
	sed -n 's/^#: \{0,1\}//p' "$0"
}

# This host's NUMA nodes: two or more and the runners race here, not in the emulated machine.
host_nodes() {
	ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l
}

# Where downloaded kernels, initramfs images and probe verdicts are kept.
cache_dir() {
	printf '%s\n' "${MIGRACE_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/migrace}"
}

# SIZE as QEMU's -m takes it (a number of MiB, or with a K, M, G or T
# suffix) converted to MiB; fails on anything else or on less than 1 MiB.
size_mib() {
	local n unit
	case $1 in
	'' | *[!0-9KkMmGgTt]* | [!0-9]* | *[KkMmGgTt]?* | ?????????????*) return 1 ;;
	*[KkMmGgTt]) n=${1%?} unit=${1#"$n"} ;;
	*) n=$1 unit=M ;;
	esac
	case $unit in
	[Kk]) n=$((10#$n / 1024)) ;;
	[Gg]) n=$((10#$n * 1024)) ;;
	[Tt]) n=$((10#$n * 1024 * 1024)) ;;
	*) n=$((10#$n)) ;;
	esac
	[ "$n" -ge 1 ] || return 1
	printf '%s\n' "$n"
}

# For "$1 VALUE" in the arguments "$@": a value is there, and is not the
# "--" before a COMMAND (which would leave the COMMAND an unknown option).
has_value() {
	[ $# -ge 2 ] && [ "$2" != -- ]
}

# The --out DIR $2 given as option $1: a directory, or nothing yet.
check_out() {
	[ -z "$2" ] || [ -d "$2" ] || [ ! -e "$2" ] || die "$1 $2: not a directory"
}

# Whether $1 is a decimal number within [$2, $3].
in_range() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	[ "${#1}" -le 9 ] && [ "$((10#$1))" -ge "$2" ] && [ "$((10#$1))" -le "$3" ]
}

# Another runner: migrace-NAME beside this one when installed, else runners/NAME.
runner() {
	if [ -n "$installed" ]; then
		printf '%s\n' "$bin_dir/migrace-$1"
	else
		printf '%s\n' "$runners_dir/$1"
	fi
}

# Where runs go unless --out says: results/ of the source tree, or of the
# current directory when installed (the installed data is read-only).
results_dir() {
	if [ -n "$installed" ]; then
		printf '%s\n' "$PWD/results"
	else
		printf '%s\n' "$data_dir/results"
	fi
}

# The emulated machine's kernel arguments for gup-race --profile hunt.
# Debian's kernels zero every page they allocate (init_on_alloc), and each
# THP migration attempt allocates a THP: under TCG that 2 MiB memset costs
# what the copy does, and held THPs (--hold) do it ten times a call.
# Without it the same machine makes three times as many migration entries
# a second (docs/findings/6.1-change-pmd-range.md, "Hunting").
hunt_append=init_on_alloc=0

# The migrace program: installed, the one beside the runners; in the built
# tree the current directory's (so VPATH builds work, as make check runs
# them), else the one beside runners/.
migrace_bin() {
	if [ -n "$installed" ]; then
		printf '%s\n' "$bin_dir/migrace"
	elif [ -x bench/migrace ]; then
		printf '%s\n' "$PWD/bench/migrace"
	else
		printf '%s\n' "$(cd "$(dirname "$0")/.." && pwd -P)/bench/migrace"
	fi
}

# Stdin into the file $1, whole or not at all even if the machine dies:
# written aside, synced, renamed over, and the rename synced with its directory.
write_atomic() {
	local dir tmp
	dir=$(dirname "$1")
	tmp=$(mktemp "$dir/.${1##*/}.XXXXXX") || return 1
	if cat >"$tmp" && chmod 644 "$tmp" && sync "$tmp" && mv -f "$tmp" "$1" && sync "$dir"; then
		return 0
	fi
	rm -f "$tmp"
	return 1
}

# The kernel log after migrace has exited: some kernel bugs only show when
# its mm is torn down ("BUG: Bad rss-counter state"), after its own check.
klog_mark() {
	dmesg 2>/dev/null | wc -l
}

# Bad lines (by migrace's own patterns) logged after klog_mark printed $1,
# in the kernel log here or in the file $2 (a machine's log saved before it ended).
klog_bad_since() {
	if [ -n "${2-}" ]; then cat "$2"; else dmesg 2>/dev/null; fi |
		tail -n "+$(($1 + 1))" | "$(migrace_bin)" klog-filter
}

# Bad kernel log lines $3 that turned up after migrace exited fail its
# result $1 (they join its kernel_log as "after exit:" lines, the reason
# names the first) and are noted in its output $2; 1 if there were any.
klog_fail_result() {
	[ -n "$3" ] || return 0
	printf '%s: the kernel log after migrace exited:\n%s\n' "$prog" "$3" >>"$2"
	[ -f "$1" ] && jq --arg b "$3" '($b | split("\n")) as $l |
		.kernel_log += [$l[] | "after exit: " + .] | .verdict = "fail" |
		.reason = "kernel log after migrace exited: " + $l[0]' "$1" >"$1.new" &&
		write_atomic "$1" <"$1.new"
	rm -f "$1.new"
	return 1
}
