#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# "A daemon never dies from what a peer sends it", for every daemon socket:
#   - a stack (stmm-emu up) holding one variable; ipc-fuzz (tests/tools/ipc-fuzz.c) throws
#     framing garbage, hostile tee and mmc requests at tee.sock and mmc.sock with a few
#     fixed seeds, checking after every burst that the daemon still answers;
#   - a second stmmd without supplicant, whose supplicant ipc-fuzz plays badly;
#   - a second supplicantd whose "stmmd" is ipc-fuzz sending it hostile RPCs;
# then: the three stack daemons are the very processes started at the beginning, the
# variable reads back, a new one can be set, and (build-san) no sanitizer report in any log.
# Bounded to ~20 s (fewer cases under the sanitizer build).
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
FUZZ="$BUILD/tools/ipc-fuzz"
export STMM_EMU_TIMEOUT_MS=10000
SEEDS="1 2 3"
if [[ $BUILD == build-san ]]; then COUNT=80; else COUNT=300; fi
alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1") != Z* ]]; }

start=$(date +%s)
"$EMU" up --quiet || fail "stmm-emu up"
declare -A pids
for p in rpmbd stmmd supplicantd; do
	pids[$p]=$(pid_of $p)
	alive "${pids[$p]}" || fail "$p not running after up"
done
"$EMU" var set FuzzCanary --string "before the storm" || fail "set FuzzCanary"
ok "stack up (rpmbd ${pids[rpmbd]}, stmmd ${pids[stmmd]}, supplicantd ${pids[supplicantd]}), FuzzCanary set"
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
declare -A fds
for p in rpmbd stmmd supplicantd; do fds[$p]=$(nfds "${pids[$p]}"); done

[[ -S $STATE/mmc.sock && -S $STATE/tee.sock ]] || fail "sockets missing in $STATE"
for seed in $SEEDS; do
	"$FUZZ" --socket "$STATE/mmc.sock" --mode mmc --seed "$seed" --count "$COUNT" \
		>"$STATE/fuzz-mmc-$seed.out" 2>&1 || fail "mmc seed $seed: $(grep -m5 FAIL "$STATE/fuzz-mmc-$seed.out")"
	ok "rpmbd: $(tail -n1 "$STATE/fuzz-mmc-$seed.out")"
	"$FUZZ" --socket "$STATE/tee.sock" --mode tee --seed "$seed" --count "$COUNT" \
		>"$STATE/fuzz-tee-$seed.out" 2>&1 || fail "tee seed $seed: $(grep -m5 FAIL "$STATE/fuzz-tee-$seed.out")"
	ok "stmmd: $(tail -n1 "$STATE/fuzz-tee-$seed.out")"
done

# A second stmmd, no supplicant: ipc-fuzz registers as one and answers its RPCs badly.
mkdir -p "$STATE/lone"
"$BUILD/stmmd" --state "$STATE/lone" --rpc-timeout 300 2>"$STATE/lone-stmmd.log" &
lone=$!
extra_pids+=("$lone")
wait_for_socket "$STATE/lone/tee.sock" "$lone" "the lone stmmd"
"$FUZZ" --socket "$STATE/lone/tee.sock" --mode tee-supp --seed 1 --count $((COUNT / 10)) \
	>"$STATE/fuzz-tee-supp.out" 2>&1 || fail "tee-supp: $(grep -m5 FAIL "$STATE/fuzz-tee-supp.out")"
alive "$lone" || fail "the lone stmmd died"
ok "stmmd (supplicant side): $(tail -n1 "$STATE/fuzz-tee-supp.out")"

# A second supplicantd, whose stmmd is ipc-fuzz; its RPMB is the stack's rpmbd.
"$FUZZ" --socket "$STATE/fake-tee.sock" --mode supp-peer --seed 1 --count "$COUNT" \
	>"$STATE/fuzz-supp-peer.out" 2>&1 &
fuzz_pid=$!
wait_for_socket "$STATE/fake-tee.sock" "$fuzz_pid" "ipc-fuzz (supp-peer)"
"$BUILD/supplicantd" --tee-socket "$STATE/fake-tee.sock" --mmc-socket "$STATE/mmc.sock" \
	2>"$STATE/peer-supplicantd.log" &
peer=$!
extra_pids+=("$peer")
wait "$fuzz_pid" || fail "supp-peer: $(grep -m5 FAIL "$STATE/fuzz-supp-peer.out")"
ok "supplicantd: $(tail -n1 "$STATE/fuzz-supp-peer.out")"
# The fake stmmd hung up: the supplicant exits 1 (lost stmmd), it did not crash.
set +e
wait "$peer"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "the fuzzed supplicantd exited $rc, not 1 (lost stmmd)"
ok "fuzzed supplicantd exited 1 when its stmmd hung up"
kill "$lone" || fail "the lone stmmd is gone before SIGTERM"
set +e
wait "$lone"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "the lone stmmd exited $rc on SIGTERM"
ok "lone stmmd stopped cleanly"

for p in rpmbd stmmd supplicantd; do
	[[ $(pid_of $p) == "${pids[$p]}" ]] || fail "$p restarted (pid $(pid_of $p), was ${pids[$p]})"
	alive "${pids[$p]}" || fail "$p (pid ${pids[$p]}) died"
done
ok "rpmbd, stmmd, supplicantd: same pids as before the fuzzing"

# Every passed descriptor and every connection was let go (hang-ups are seen at once).
fds_back() { [[ $(nfds "${pids[$1]}") -le ${fds[$1]} ]]; }
for p in rpmbd stmmd supplicantd; do
	wait_until 5 "$p to hold at most ${fds[$p]} descriptors again" fds_back "$p"
done
ok "no descriptor leaked: rpmbd ${fds[rpmbd]}, stmmd ${fds[stmmd]}, supplicantd ${fds[supplicantd]} open"

[[ $("$EMU" var get FuzzCanary --raw) == "before the storm" ]] || fail "FuzzCanary lost"
"$EMU" var set AfterStorm --string "still writable" || fail "set after fuzzing"
[[ $("$EMU" var get AfterStorm --raw) == "still writable" ]] || fail "AfterStorm"
ok "FuzzCanary reads back; a new variable can be set and read"

"$EMU" down --quiet || fail "down"
ok "down after $(($(date +%s) - start)) s"
# After down: a leak is reported when a daemon exits.
if [[ $BUILD == build-san ]]; then
	if grep -l -E "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$STATE"/*.log; then
		fail "sanitizer report in a daemon log"
	fi
	ok "no sanitizer report in any daemon log (incl. at exit)"
fi
all_passed
