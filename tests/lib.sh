# tests/lib.sh - TAP helpers for migrace's shell tests, and where the NUMA tests run.
n=0
failed=0

ok() {	# ok CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

# try CMD...: runs a check without ending a set -e script when it fails;
# its status is left in $st for ok.
try() {
	"$@" && st=0 || st=$?
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

done_testing() {
	echo "1..$n"
	exit 0
}

# Exit status of a command, its output kept in $out.
status_of() {
	out=$("$@" 2>&1) && return 0 || return $?
}

host_nodes() {
	ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l
}

# Runs tests/guest-suite where NUMA exists: the host when it has >= 2 nodes,
# else a QEMU machine with $1 emulated sockets; more runners/vm options after.
numa_tests() {
	sockets=$1
	shift
	nodes=$(host_nodes)
	if [ "$nodes" -ge 2 ]; then
		if [ "$sockets" -eq 2 ]; then
			exec "$top_srcdir/tests/guest-suite"
		fi
		echo "1..0 # SKIP host has $nodes NUMA nodes: the NUMA tests ran on it (numa-2s); emulation only for hosts with < 2"
		exit 0
	fi
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "1..0 # SKIP host has 1 NUMA node and no qemu-system-x86_64 to emulate more (runners/setup installs it)"
		exit 0
	fi
	exec "$top_srcdir/runners/vm" --sockets "$sockets" --timeout "${MIGRACE_VM_TIMEOUT:-900}" "$@" \
		-- "$top_srcdir/tests/guest-suite"
}

# repeat_run SET NUM MACHINE-EXIT EXIT VERDICT [VIOLATIONS [KERNEL-LOG-LINE [RACE_S [KNOWN [WINDOWS]]]]]:
# a synthetic run directory as runners/repeat leaves it; "-" leaves a file out.
repeat_run() {
	r=$(printf '%s/run-%03d' "$1" "$2")
	mkdir -p "$r"
	printf '%s\n' bench/migrace run gup-race --duration 60 >"$r/command"
	[ "$3" = - ] || echo "$3" >"$r/machine-exit"
	[ "$4" = - ] || echo "$4" >"$r/exit"
	[ "$5" = - ] || jq -n --arg v "$5" --argjson viol "${6:-0}" --arg k "${7:-}" \
		--arg race "${8:-}" --arg known "${9:-}" --argjson windows "${10:-0}" '{schema: "migrace-result/1", scenario: "gup-race",
		verdict: $v, reason: (if $v == "pass" then "" else "synthetic " + $v end),
		provenance: {emulated: true},
		metrics: ({violations: $viol, duration_s: 60, race_windows: $windows} +
			(if $race == "" then {} else {race_s: ($race | tonumber)} end)),
		kernel_log: (if $k == "" then [] else [$k, "second line"] end)} +
		(if $known == "" then {} else {known_issue: {name: $known,
			match: (if $known == "none" then "none" else "full" end)}} end)' >"$r/result.json"
}
