#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs the system tests for `make system-check`: up to JOBS at once (the tests mostly wait
# on IPC, fsync and timeouts, so two CPUs carry three or four), each in its own state
# directory as every test makes with mktemp. A test whose file has the line
#     # system-check: alone
# runs afterwards, by itself (it looks at every stack on the machine, e.g. `down --all`).
# Tests with the line `# system-check: long` start first, so that the longest do not end
# the run alone.
#
# Each test's output goes to $BUILD/system-logs/<name>.log and is printed in one piece when
# the test ends, with its wall time; a failing test's log is printed whole and the run goes
# on, so one red test does not hide the others. Exit status: 0 when all passed.
#
# usage: runner.bash [-j JOBS] TEST.sh…
set -uo pipefail

jobs=3
if [[ ${1:-} == -j ]]; then
	jobs=$2
	shift 2
fi
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "runner: -j wants a positive number, not '$jobs'" >&2; exit 2; }

# A test that hangs is stopped (exit 124) after SYSTEM_TEST_TIMEOUT seconds.
limit=${SYSTEM_TEST_TIMEOUT:-900}
logdir=${BUILD:-build}/system-logs
mkdir -p "$logdir"
parallel=() alone=() rest=()
for t in "$@"; do
	if grep -q '^# system-check: alone' "$t"; then
		alone+=("$t")
	elif grep -q '^# system-check: long' "$t"; then
		parallel+=("$t")
	else
		rest+=("$t")
	fi
done
parallel+=("${rest[@]}")

declare -A pid_test=() start=()
failed=()
t0=$SECONDS

finish() { # pid status
	local t=${pid_test[$1]} name
	name=$(basename "$t" .sh)
	local secs=$((SECONDS - ${start[$1]}))
	if [[ $2 == 0 ]]; then
		echo "== $t: ok (${secs} s)"
	else
		local why="exit $2"
		[[ $2 == 124 || $2 == 137 ]] && why="timed out after $limit s (SYSTEM_TEST_TIMEOUT)"
		echo "== $t: FAILED ($why, ${secs} s); its output:"
		sed 's/^/    /' "$logdir/$name.log"
		failed+=("$t")
	fi
	unset "pid_test[$1]" "start[$1]"
}

launch() { # test
	local name
	name=$(basename "$1" .sh)
	timeout --kill-after=10 "$limit" bash "$1" >"$logdir/$name.log" 2>&1 &
	pid_test[$!]=$1
	start[$!]=$SECONDS
}

reap_one() {
	local pid st
	wait -n -p pid "${!pid_test[@]}"
	st=$?
	finish "$pid" "$st"
}

for t in "${parallel[@]}"; do
	while ((${#pid_test[@]} >= jobs)); do reap_one; done
	launch "$t"
done
while ((${#pid_test[@]} > 0)); do reap_one; done

for t in "${alone[@]}"; do
	launch "$t"
	reap_one
done

total=$(($# ))
echo "== system tests: $((total - ${#failed[@]}))/$total passed in $((SECONDS - t0)) s (up to $jobs at once; logs in $logdir/)"
if ((${#failed[@]})); then
	printf '== failed: %s\n' "${failed[@]}"
	exit 1
fi
