#!/usr/bin/env bash
# Run each libFuzzer harness (build-fuzz/fuzz/fuzz_<h>) for FUZZ_SECONDS from a scratch
# copy of tests/fuzz/corpus/<h> with tests/fuzz/dict/<h>.dict, then print one summary
# table: executions, exec/s, cov: and ft: from libFuzzer's final status line, new inputs.
# A crash, leak, timeout or UB report fails the run and leaves the reproducer in
# tests/fuzz/regressions/<h>/ (which `make unit-check` replays).
#   run.sh [--merge] HARNESS...   (--merge: afterwards add what the run found to the
#                                  committed corpus, libFuzzer -merge=1: only inputs with
#                                  new coverage, named by their SHA-1)
# FUZZ_OUT=DIR keeps the grown corpora in DIR/<h> (for `make fuzz-coverage`) instead of a
# temporary directory.
# Called by `make fuzz`, `make fuzz-ci` and `make fuzz-merge`; see README "Fuzzing".
# ASan keeps no allocation/free stacks while fuzzing (malloc_context_size=0, as AFL++ runs
# its targets: detection is unchanged, unwinding every malloc is ~15% of fuzz_mm's time);
# a failing run replays its reproducer once with full stacks into the log.  A harness
# below its speed goal (issue 12) is marked in the status column.
set -uo pipefail
cd "$(dirname "$0")/../.."

FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
merge=0
if [ "${1:-}" = --merge ]; then
	merge=1
	shift
fi
[ $# -gt 0 ] || { echo "usage: $0 [--merge] HARNESS..." >&2; exit 2; }

if [ -n "${FUZZ_OUT:-}" ]; then
	scratch=$FUZZ_OUT
	mkdir -p "$scratch"
else
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT
fi
# exec/s each harness should reach on the 2-core CI machine (none = no goal).
goal_for() {
	case $1 in
	mm) echo 20000 ;;
	rpmb_seq) echo 50000 ;;
	esac
}
fuzz_asan="malloc_context_size=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

failed=0
rows=()
for h in "$@"; do
	bin=$FUZZ_BUILD/fuzz/fuzz_$h
	corpus=tests/fuzz/corpus/$h
	regress=tests/fuzz/regressions/$h
	dict=tests/fuzz/dict/$h.dict
	[ -x "$bin" ] || { echo "run.sh: $bin not built (make fuzz)" >&2; exit 2; }
	mkdir -p "$scratch/$h" "$regress"
	[ -d "$corpus" ] && cp -r "$corpus/." "$scratch/$h/"
	args=(-max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10
	      -artifact_prefix="$regress/" -close_fd_mask=1)
	[ -f "$dict" ] && args+=(-dict="$dict")
	log=$scratch/$h.log
	echo "== fuzz_$h: ${FUZZ_SECONDS}s from $corpus ($(ls "$scratch/$h" | wc -l) inputs)"
	ASAN_OPTIONS=$fuzz_asan nice -n 10 "$bin" "${args[@]}" "$scratch/$h" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	status=ok
	if [ $rc -ne 0 ]; then
		status="FAILED (rc $rc)"
		failed=$((failed + 1))
		grep -E 'ERROR: |SUMMARY: |runtime error|Test unit written' "$log" | head -8 >&2
		repro=$(ls -t "$regress" | head -1)
		echo "   reproducer: $repro in $regress; full log below" >&2
		if [ -n "$repro" ] && [ -f "$regress/$repro" ]; then
			echo "== replay of $repro with allocation stacks" >>"$log"
			"$bin" "$regress/$repro" >>"$log" 2>&1
		fi
		tail -60 "$log" >&2
	elif [ -n "$(goal_for "$h")" ] && [ "${eps:-0}" -lt "$(goal_for "$h")" ]; then
		status="ok, below goal $(goal_for "$h") exec/s"
	fi
	if [ $rc -eq 0 ] && [ $merge = 1 ]; then
		mkdir -p "$corpus"
		nice -n 10 "$bin" -merge=1 "$corpus" "$scratch/$h" >>"$log" 2>&1 ||
			{ status="merge failed"; failed=$((failed + 1)); }
	fi
	rows+=("$(printf '%-12s %10s %9s %7s %7s %6s  %s' "$h" "${execs:--}" "${eps:--}" \
		"${cov:--}" "${ft:--}" "${added:--}" "$status")")
done

echo
printf '%-12s %10s %9s %7s %7s %6s  %s\n' harness execs exec/s cov ft new status
for r in "${rows[@]}"; do echo "$r"; done
echo "fuzz: $(( $# - failed )) passed, $failed failed"
[ $failed -eq 0 ]
