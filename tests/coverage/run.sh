#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Line and branch coverage of stmm-emu by its tests (make coverage, make fuzz-coverage).
# $BUILD holds a gcc --coverage build (the Makefile makes it); this script zeroes the
# counters, runs the steps below, and prints tests/coverage/summary.py's tables.
#   run.sh             unit tests, fuzz corpus replays, the conformance suite on a scratch
#                      stack, the shipped scenarios, the system tests in $COVERAGE_SYSTEM_TESTS
#   run.sh --fuzz-only the fuzz corpus replays only (make fuzz-coverage; with FUZZ_OUT=DIR
#                      also the corpora a `make fuzz FUZZ_OUT=DIR` grew there)
# The daemons write their counts when they exit: `stmm-emu down` sends SIGTERM and each
# daemon returns from main(), so exit() runs gcov's dump.  A daemon killed with SIGKILL (as
# the scenarios' `kill` steps and the kill -9 system tests do on purpose) loses the counts
# of that one process, so those runs count only through the processes that exit cleanly.
# A failing step is reported and the others still run; the exit status is then 1.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:?BUILD= the --coverage build directory}
EMU=$BUILD/stmm-emu
# System tests to run too (the Makefile chooses them; see README "Coverage").
COVERAGE_SYSTEM_TESTS=${COVERAGE_SYSTEM_TESTS-}
fuzz_only=0
[[ ${1:-} == --fuzz-only ]] && fuzz_only=1

failed=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coverage.XXXXXX")
STATE=$WORK/state
cleanup() {
	[[ -f $STATE/stmm-emu.conf ]] && "$EMU" down --quiet --state "$STATE" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# step NAME CMD...: runs CMD with its output in WORK/NAME.log, prints the time taken and,
# on failure, the log's tail.
step() {
	local name=$1 t0=$EPOCHREALTIME rc=0
	shift
	local log=$WORK/${name//\//_}.log
	"$@" >"$log" 2>&1 || rc=$?
	local ms=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
	if ((rc == 0)); then
		printf 'coverage: %-28s ok    %6d.%01d s\n' "$name" $((ms / 1000)) $((ms % 1000 / 100))
	else
		printf 'coverage: %-28s FAILED (exit %d), log tail:\n' "$name" "$rc"
		tail -n 15 "$log" | sed 's/^/    /'
		failed+=("$name")
	fi
}

unit_tests() {
	local t rc=0
	for t in "$BUILD"/tests/test_*; do
		[[ -x $t && $t != *.gc* ]] || continue
		echo "== $t"
		"$t" || { echo "FAILED: $t"; rc=1; }
	done
	return $rc
}

fuzz_replays() {
	local r h rc=0
	for r in "$BUILD"/fuzz/replay_*; do
		[[ -x $r && $r != *.gc* ]] || continue
		h=${r##*/replay_}
		"$r" tests/fuzz/corpus/"$h" tests/fuzz/regressions/"$h" ${FUZZ_OUT:+"$FUZZ_OUT/$h"} || rc=1
	done
	return $rc
}

# The suite on a stack of its own (its destructive groups start and stop scratch stacks of
# their own too), then `down`; each daemon's main.gcda must have been rewritten by then,
# or a daemon did not exit cleanly and its counts are lost.
conformance() {
	local d rc=0
	touch "$WORK/before-up"
	STMM_EMU_TIMEOUT_MS=20000 "$EMU" up --quiet --state "$STATE" || return 1
	"$EMU" conform --state "$STATE" --require-auth --keys fixtures/keys || rc=1
	"$EMU" down --state "$STATE" || rc=1
	for d in rpmb stmm supplicant; do
		if [[ ! $BUILD/$d/main.gcda -nt $WORK/before-up ]]; then
			echo "no coverage data from the $d daemon: it did not exit cleanly"
			rc=1
		fi
	done
	return $rc
}

scenarios() {
	# Each scenario starts its private stack in a temporary directory.
	"$EMU" scenario fixtures/scenarios/*.scen
}

find "$BUILD" -name '*.gcda' -delete
T0=$EPOCHREALTIME
step fuzz-replays fuzz_replays
if ((!fuzz_only)); then
	step unit-tests unit_tests
	step conformance conformance
	step scenarios scenarios
	for t in $COVERAGE_SYSTEM_TESTS; do
		step "system/$(basename "$t" .sh)" env BUILD="$BUILD" bash "$t"
	done
fi
ms=$(((${EPOCHREALTIME/./} - ${T0/./}) / 1000))
printf 'coverage: %-28s       %6d.%01d s\n\n' "all steps" $((ms / 1000)) $((ms % 1000 / 100))

if ((fuzz_only)); then
	python3 tests/coverage/summary.py --build "$BUILD" --dirs stmm,rpmb,supplicant,lib \
		--files stmm,rpmb || exit 1
else
	python3 tests/coverage/summary.py --build "$BUILD" --target 85 || exit 1
fi
if ((${#failed[@]})); then
	echo "coverage: ${#failed[@]} step(s) failed: ${failed[*]} (figures above include what ran)"
	exit 1
fi
