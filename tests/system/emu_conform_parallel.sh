#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `stmm-emu conform --parallel N` (issue 16 #4): the destructive groups' cases on N scratch
# stacks at once, the other groups on the stack under test meanwhile.  On a stack started with a
# non-default option (--durability process), a selection of groups (destructive and not,
# signed and not; the long store-full and stress groups are left out to keep it fast) runs
# with --parallel 1 and --parallel 4:
#   - the TAP reports are identical (every case, in order, with its verdict) and so are
#     the exit status and the order of the progress lines;
#   - --json gives the same summary;
#   - no scratch state directory and no scratch daemon is left behind;
#   - the stack under test keeps its variables (a marker and the whole listing);
#   - a kept scratch stack was started as the stack's stmm-emu.conf says;
#   - bad uses are usage errors; bash completion offers --parallel.
# Prints the wall time of both runs.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=20000
export STMM_EMU_KEYS
STMM_EMU_KEYS=$(cd "$(dirname "$0")/../../fixtures/keys" && pwd)
GROUPS_=get,query,payload,properties,phases,reset,varcheck-uefi,secure-boot
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Scratch states go under a directory of this test's own, to be checked empty afterwards.
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
scratch_left() {
	local n
	n=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'stmm-emu-conform.*' | wc -l)
	n=$((n + $(pgrep -f -- "$TMPDIR/stmm-emu-conform" | wc -l)))
	echo "$n"
}

"$EMU" up --quiet --durability process || fail "stmm-emu up"
grep -q '^durability=process' "$STATE/stmm-emu.conf" || fail "up --durability process not recorded"
"$EMU" var set ParMarker --data 5a17 >/dev/null || fail "var set ParMarker"
"$EMU" var list >"$WORK/vars.before" || fail "var list"

run() { # N OUT: conform --parallel N on GROUPS_, TAP in OUT.tap, progress in OUT.err, exit status in OUT.rc
	local rc=0 t0 t1
	t0=$(now_ms)
	"$EMU" conform --require-auth --group "$GROUPS_" --parallel "$1" --tap >"$2.tap" 2>"$2.err" || rc=$?
	t1=$(now_ms)
	echo "$rc" >"$2.rc"
	echo $((t1 - t0)) >"$2.ms"
}
run 1 "$WORK/p1"
[[ $(scratch_left) -eq 0 ]] || fail "--parallel 1 left a scratch state or daemon"
run 4 "$WORK/p4"
[[ $(scratch_left) -eq 0 ]] || fail "--parallel 4 left $(scratch_left) scratch states or daemons"
ok "no scratch state directory or daemon left after either run"

cases=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$WORK/p1.tap")
[[ -n $cases && $cases -gt 50 ]] || fail "--parallel 1: no TAP plan: $(head -n3 "$WORK/p1.tap")"
[[ $(cat "$WORK/p1.rc") -eq 0 ]] || { cat "$WORK/p1.err" >&2; fail "--parallel 1 exited $(cat "$WORK/p1.rc")"; }
grep -q 'destructive groups on 4 scratch stacks at once' "$WORK/p4.err" ||
	fail "--parallel 4 did not say it ran 4 stacks: $(head -n3 "$WORK/p4.err")"
# Every destructive group of the selection ran (not skipped): they pass, case by case.
for g in properties phases reset varcheck-uefi secure-boot; do
	grep -qE "^ok [0-9]+ - $g\.[^#]* # [^S]" "$WORK/p4.tap" || fail "--parallel 4: no $g case ran"
done
if ! diff -u "$WORK/p1.tap" "$WORK/p4.tap" >&2; then
	fail "the TAP reports of --parallel 1 and --parallel 4 differ"
fi
[[ $(cat "$WORK/p4.rc") -eq $(cat "$WORK/p1.rc") ]] || fail "exit status $(cat "$WORK/p4.rc") vs $(cat "$WORK/p1.rc")"
ok "--parallel 4 == --parallel 1 case by case ($cases cases, names and verdicts), same exit status"
# The progress lines: one per group, in the suite's order, either way.
glines() { awk '/ passed, .* failed/ && $1 != "conform:" { print $1 }' "$1"; }
diff -u <(glines "$WORK/p1.err") <(glines "$WORK/p4.err") >&2 || fail "progress lines in another order"
[[ $(glines "$WORK/p4.err" | wc -l) -eq 8 ]] || fail "progress: $(glines "$WORK/p4.err" | wc -l) group lines, want 8"
ok "progress: a line per group in the suite's order"

# The stack under test kept its variables.
got=$("$EMU" var get ParMarker --json) || fail "ParMarker lost"
json_ok 'd["data"] == "5a17"' <<<"$got" || fail "ParMarker is $got"
"$EMU" var list >"$WORK/vars.after" || fail "var list"
diff -u "$WORK/vars.before" "$WORK/vars.after" >&2 || fail "the stack's variables changed"
ok "the stack under test keeps its variables"

# --json: the same summary (but the seconds); a kept scratch stack has the stack's conf.
"$EMU" conform --group payload,reset --json >"$WORK/j1.json" 2>/dev/null || fail "--json --parallel 1"
"$EMU" conform --group payload,reset --json --parallel 2 --keep-scratch >"$WORK/j2.json" 2>"$WORK/j2.err" ||
	fail "--json --parallel 2: $(cat "$WORK/j2.err")"
strip() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("seconds"); print(json.dumps(d, sort_keys=True))' "$1"; }
[[ $(strip "$WORK/j1.json") == "$(strip "$WORK/j2.json")" ]] ||
	fail "--json differs: $(strip "$WORK/j1.json") vs $(strip "$WORK/j2.json")"
mapfile -t kept < <(sed -n 's/.*state kept in \(.*\)$/\1/p' "$WORK/j2.err")
# reset's 4 cases on 2 stacks: both kept.
[[ ${#kept[@]} -eq 2 ]] || fail "--keep-scratch --parallel 2: ${#kept[@]} kept states: $(cat "$WORK/j2.err")"
for k in "${kept[@]}"; do
	[[ -f $k/stmm-emu.conf ]] || fail "--keep-scratch: no conf in $k"
	grep -q '^durability=process' "$k/stmm-emu.conf" || fail "scratch conf: $(cat "$k/stmm-emu.conf")"
	grep -q 'durability process' "$k/rpmbd.log" || fail "the scratch rpmbd was not started with --durability process"
	[[ -z $(pgrep -f -- "$k") ]] || fail "the kept scratch stack $k still runs"
	rm -rf "$k"
done
ok "--json summary equal; the scratch stack started as the stack's stmm-emu.conf says"

# Bad uses; completion.
rc=0; "$EMU" conform --parallel 0 >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "--parallel 0: exit $rc, want 2"
rc=0; "$EMU" conform --parallel 2 --in-place >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "--parallel 2 --in-place: exit $rc, want 2"
COMPREPLY=()
# shellcheck disable=SC1091
source "$(dirname "$0")/../../emu/stmm-emu.bash-completion"
COMP_WORDS=("$EMU" conform --par)
COMP_CWORD=2
_stmm_emu
[[ " ${COMPREPLY[*]} " == *" --parallel "* ]] || fail "completion of 'conform --par': ${COMPREPLY[*]}"
ok "usage errors (exit 2); completion offers --parallel"

echo "emu_conform_parallel: $cases cases, --parallel 1 $(cat "$WORK/p1.ms") ms, --parallel 4 $(cat "$WORK/p4.ms") ms (load $(cut -d' ' -f1-3 /proc/loadavg))"
all_passed
