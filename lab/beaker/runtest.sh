#!/bin/sh
# lab/beaker/runtest.sh: the restraint task: run migrace, report each line of `migrace lines` with rstrnt-report-result, upload its logs.
# Parameters (job.xml <params>, empty for the default): PROFILE, SCENARIOS,
# SOCKETS, DURATION, MODE, SETUP as lab/run-migrace takes them; MIGRACE_TREE:
# a migrace tree already on the machine; MIGRACE_GIT: where to clone one
# from when the task was fetched without the rest of its repository.
# Each line NAME RESULT [MEASUREMENT [UNITS]] becomes
#   rstrnt-report-result NAME PASS|FAIL|SKIP|WARN [MEASUREMENT]
# (a failure's or a skip's reason and the units go to the task's output).
# The lines, the packed run directory and the kernel log are uploaded
# with rstrnt-report-log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tree=${MIGRACE_TREE:-}
if [ -z "$tree" ] && [ -f "$here/../run-migrace" ]; then
	tree=$(cd "$here/../.." && pwd)
fi
if [ -z "$tree" ]; then
	if [ -z "${MIGRACE_GIT:-}" ]; then
		echo "runtest.sh: no migrace tree beside the task: set MIGRACE_TREE or MIGRACE_GIT"
		rstrnt-report-result migrace.setup FAIL
		exit 0
	fi
	tree=$(mktemp -d /var/tmp/migrace.XXXXXX)
	git clone -q "$MIGRACE_GIT" "$tree"
fi
. "$tree/lab/lines.sh"

result_of() {	# NAME RESULT MEASUREMENT UNITS REASON
	# restraint keeps a score, not its unit nor a reason: they go to the output.
	[ -z "$5$4" ] || echo "$1: ${4:+$3 $4}${5:+${4:+; }$5}"
	case $2 in
	pass) r=PASS ;;
	fail) r=FAIL ;;
	skip) r=SKIP ;;
	*) r=WARN ;;
	esac
	rstrnt-report-result "$1" "$r" ${3:+"$3"}
}

lines=$("$tree/lab/run-migrace" --mode "${MODE:-}" --profile "${PROFILE:-}" \
	--scenarios "${SCENARIOS:-}" --sockets "${SOCKETS:-}" --duration "${DURATION:-}" \
	--setup "${SETUP:-}" --tree "$tree" --out "${OUT:-/var/tmp/migrace-beaker}" | tail -n 1) || lines=
if [ -z "$lines" ] || [ ! -s "$lines" ]; then
	echo "runtest.sh: lab/run-migrace wrote no lines"
	rstrnt-report-result migrace.run FAIL
	exit 0
fi
each_case "$lines" result_of
rstrnt-report-log -l "$lines"
[ ! -f "${lines%/*}/migrace-results.tar.gz" ] || rstrnt-report-log -l "${lines%/*}/migrace-results.tar.gz"
dmesg >"${lines%/*}/dmesg.log" 2>/dev/null && rstrnt-report-log -l "${lines%/*}/dmesg.log" || :
[ ! -f "$tree/test-suite.log" ] || rstrnt-report-log -l "$tree/test-suite.log"
