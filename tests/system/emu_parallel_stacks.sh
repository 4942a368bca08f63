#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Many stacks side by side (parallel CI): PARALLEL_STACKS (16; 8 sanitized) isolated stacks started at
# once, each in its own state directory; each gets a marker variable of its own; the
# non-destructive conformance groups (PARALLEL_GROUPS) then run on all of them
# concurrently and must all pass; afterwards every stack still holds exactly its own
# marker and none of another's (no cross-talk).  Reports the total start-up time and the
# memory (RSS) of all daemons.  State on tmpfs when there is one (/dev/shm), else $TMPDIR.
set -euo pipefail

BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"
case $BUILD in
*san*) def_n=8 ;; # ASan: ~175 MB and several times the CPU per stack
*) def_n=16 ;;
esac
N=${PARALLEL_STACKS:-$def_n}
GROUPS_=${PARALLEL_GROUPS:-get,getnext,query,payload}
export STMM_EMU_TIMEOUT_MS=60000
[[ -x $EMU ]] || { echo "FAIL: $EMU not built" >&2; exit 1; }
base=/dev/shm
[[ -d $base && -w $base ]] || base=${TMPDIR:-/tmp}
ROOT=$(mktemp -d "$base/emu-parallel.XXXXXX")
cleanup() {
	local i
	for ((i = 0; i < N; i++)); do
		[[ -d $ROOT/s$i ]] && "$EMU" down --state "$ROOT/s$i" --quiet >/dev/null 2>&1 &
	done
	wait
	rm -rf "$ROOT"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
marker() { printf '%02x' "$1"; } # the data of stack i's marker

# ---- start all at once ----
t0=$(now_ms)
pids=()
for ((i = 0; i < N; i++)); do
	mkdir "$ROOT/s$i"
	"$EMU" up --state "$ROOT/s$i" --quiet >"$ROOT/up$i.out" 2>&1 &
	pids+=($!)
done
for ((i = 0; i < N; i++)); do
	wait "${pids[$i]}" || { cat "$ROOT/up$i.out" >&2; fail "stack $i did not come up"; }
done
t1=$(now_ms)
rss=0 daemons=0
for ((i = 0; i < N; i++)); do
	for p in rpmbd supplicantd stmmd; do
		pid=$(cat "$ROOT/s$i/$p.pid")
		rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
		daemons=$((daemons + 1))
	done
done
[[ $daemons -eq $((3 * N)) ]] || fail "$daemons daemons for $N stacks"
# Every stack has its own daemons: 3N distinct pids.
[[ $(cat "$ROOT"/s*/*.pid | sort -u | wc -l) -eq $((3 * N)) ]] || fail "stacks share a daemon"
echo "parallel: $N stacks up in $((t1 - t0)) ms (all started at once), $((rss / 1024)) MB RSS in $daemons daemons ($((rss / N)) KB per stack)"

# ---- a marker each ----
for ((i = 0; i < N; i++)); do
	"$EMU" var set "Stack$i" --state "$ROOT/s$i" --data "$(marker "$i")" >/dev/null ||
		fail "stack $i: var set Stack$i"
done

# ---- conformance on all at once ----
t2=$(now_ms)
pids=()
for ((i = 0; i < N; i++)); do
	"$EMU" conform --state "$ROOT/s$i" --group "$GROUPS_" >"$ROOT/conform$i.out" 2>&1 &
	pids+=($!)
done
failed=0
for ((i = 0; i < N; i++)); do
	if ! wait "${pids[$i]}"; then
		echo "--- stack $i:" >&2
		cat "$ROOT/conform$i.out" >&2
		failed=$((failed + 1))
	fi
done
t3=$(now_ms)
[[ $failed -eq 0 ]] || fail "conform failed on $failed of $N stacks"
cases=$(sed -n 's/^conform: \([0-9]*\) cases, \([0-9]*\) passed.*/\2/p' "$ROOT/conform0.out")
[[ -n $cases && $cases -gt 0 ]] || fail "no conform summary: $(tail -n 3 "$ROOT/conform0.out")"
for ((i = 0; i < N; i++)); do
	grep -q "^conform: $cases cases, $cases passed, 0 failed" "$ROOT/conform$i.out" ||
		fail "stack $i: $(grep '^conform:' "$ROOT/conform$i.out")"
done
echo "parallel: groups $GROUPS_ passed on all $N stacks at once ($cases cases each) in $((t3 - t2)) ms"

# ---- no cross-talk ----
for ((i = 0; i < N; i++)); do
	s="$ROOT/s$i"
	got=$("$EMU" var get "Stack$i" --state "$s" --json) || fail "stack $i lost its marker"
	jq -e --arg d "$(marker "$i")" '.data == $d' <<<"$got" >/dev/null ||
		fail "stack $i: marker is $got"
	j=$(((i + 1) % N))
	if [[ $j -ne $i ]] && "$EMU" var get "Stack$j" --state "$s" --json >/dev/null 2>&1; then
		fail "stack $i sees stack $j's marker"
	fi
	n=$("$EMU" var list --state "$s" 2>/dev/null | grep -c '^.*Stack[0-9]' || true)
	[[ $n -eq 1 ]] || fail "stack $i lists $n Stack markers, want 1"
done
echo "parallel: every stack holds only its own marker"
echo "emu_parallel_stacks: ok"
