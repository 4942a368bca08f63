#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stmmd end to end with rpmbd and supplicantd: the tee core's errors (unknown UUID, wrong
# param types, oversized buffer), a GET_PAYLOAD_SIZE round trip (mmap'ed and plain memfd),
# status, OP-TEE's retries on an NV SetVariable (raw layout: the write is the first RPC) with a stalled supplicant (others served
# meanwhile; 10 sends, then dead: EFI_DEVICE_ERROR), dead until a reset even with a new
# supplicant, and supplicantd exiting 1 when stmmd goes.
#
# Binaries come from $BUILD (default build/); RPMBD, STMMD, SUPPLICANTD, TEE_PROBE
# override single ones.
set -euo pipefail

BUILD=${BUILD:-build}
RPMBD=${RPMBD:-$BUILD/rpmbd}
STMMD=${STMMD:-$BUILD/stmmd}
SUPPLICANTD=${SUPPLICANTD:-$BUILD/supplicantd}
PROBE=${TEE_PROBE:-$BUILD/tools/tee-probe}
RPC_TIMEOUT_MS=3000

dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/wait.bash"

fail() {
	echo "FAIL: $*"
	for log in "$dir"/*.log; do echo "--- $log"; tail -n 20 "$log"; done
	exit 1
}
expect() { # output pattern what
	grep -q -- "$2" <<<"$1" || fail "$3: want '$2', got: $1"
}
start_supplicant() {
	"$SUPPLICANTD" --tee-socket "$dir/tee.sock" --mmc-socket "$dir/mmc.sock" -v \
		>>"$dir/supplicantd.log" 2>&1 &
	supp_pid=$!
	pids+=("$supp_pid")
}
probe() { "$PROBE" --socket "$dir/tee.sock" --timeout 20000 "$@"; }

# MM buffers (EFI_MM_COMMUNICATE_HEADER with gEfiSmmVariableProtocolGuid, then the variable
# header and payload; little endian).
mm_guid=33d532ede69909429cc02d72cdd998a7
printf '%s' "$mm_guid" 1800000000000000 0b00000000000000 0000000000000000 \
	0000000000000000 >"$dir/payload_size.hex"
# SetVariable(L"Test", 01020304-..., NV|BS|RT, 4 bytes 01 02 03 04)
printf '%s' "$mm_guid" 4200000000000000 0300000000000000 0000000000000000 \
	0102030405060708090a0b0c0d0e0f10 0400000000000000 0a00000000000000 07000000 \
	54006500730074000000 01020304 >"$dir/set_nv.hex"

"$RPMBD" --db "$dir/rpmb.db" --socket "$dir/mmc.sock" >"$dir/rpmbd.log" 2>&1 &
rpmbd_pid=$!
pids+=("$rpmbd_pid")
wait_for_socket "$dir/mmc.sock" "$rpmbd_pid" rpmbd
"$STMMD" --state "$dir" --rpmb-layout raw --rpc-timeout "$RPC_TIMEOUT_MS" -v >"$dir/stmmd.log" 2>&1 &
stmmd_pid=$!
pids+=("$stmmd_pid")
wait_for_socket "$dir/tee.sock" "$stmmd_pid" stmmd
start_supplicant

# 1. Unknown UUID: TEE_ERROR_ITEM_NOT_FOUND from the TEE.
out=$(probe --uuid 00000000-0000-0000-0000-000000000001 --buf-hex "$dir/payload_size.hex")
expect "$out" "open_ret=0xffff0008 open_origin=3" "unknown UUID"

# 2. Param types other than (MEMREF_INOUT, VALUE_OUTPUT, NONE, NONE).
out=$(probe --param-types 0x17 --buf-hex "$dir/payload_size.hex")
expect "$out" "ret=0xffff0006" "param types"
out=$(probe --param-types 0x27 --cmd 1 --buf-hex "$dir/payload_size.hex")
expect "$out" "ret=0xffff0006" "unknown command"

# 3. A memref beyond the NS buffer: EXCESS_DATA and the size rewritten to the maximum.
out=$(probe --size 16385 --buf-hex "$dir/payload_size.hex")
expect "$out" "ret=0xffff0004" "oversized buffer"
expect "$out" "p0_size=16384" "oversized buffer size"
# A memref outside its shared memory.
out=$(probe --size 64 --shm-size 48 --buf-hex "$dir/payload_size.hex")
expect "$out" "ret=0xffff0006" "memref outside shm"

# 4. GET_PAYLOAD_SIZE round trip (boots StMM: RPMB key, counter, store load), both shm paths.
for seal in "" --seal; do
	out=$(probe $seal --dump --buf-hex "$dir/payload_size.hex")
	expect "$out" "ret=0x00000000" "GET_PAYLOAD_SIZE $seal"
	expect "$out" "mm_ret=0" "GET_PAYLOAD_SIZE mm_ret"
	expect "$out" "efi_status=0x0000000000000000" "GET_PAYLOAD_SIZE status"
	expect "$out" "buf=${mm_guid}1800000000000000" "GET_PAYLOAD_SIZE header"
	payload=$(sed -n 's/^buf=//p' <<<"$out" | cut -c81-96)
	[ "$payload" = f427000000000000 ] || fail "GET_PAYLOAD_SIZE payload $payload, want 10228"
done

out=$(probe --status)
expect "$out" "supplicant=1 key_programmed=1 counter_synced=1 store_open=1" "status"

# 5. NV SetVariable with the supplicant registered but not answering (SIGSTOP): StMM waits
# for it, everybody else is served at once; once the first send has timed out the
# supplicant goes on, commits that stale write late, every resend of the identical frame
# meets COUNTER_FAILURE, and after 10 sends the RPMB is dead: EFI_DEVICE_ERROR.
kill -STOP "$supp_pid"
# stmmd -v logs every message it dispatches ("connection N: message 0x0209 id ..." for
# EMU_MSG_TEE_INVOKE_REQ): the SetVariable has reached the tee core once one more appears.
invokes() { awk '/: message 0x0209 id /{n++} END{print n+0}' "$dir/stmmd.log"; }
invokes_before=$(invokes)
invoke_arrived() { (($(invokes) > invokes_before)); }
t0=$(date +%s%N)
probe --buf-hex "$dir/set_nv.hex" >"$dir/set_nv.out" &
set_pid=$!
wait_until 10 "stmmd to receive the SetVariable" invoke_arrived
# While StMM waits for the supplicant, everybody else is still served at once.
t1=$(date +%s%N)
out=$(probe --status)
expect "$out" "supplicant=1" "status with a stopped supplicant"
out=$(probe --uuid 00000000-0000-0000-0000-000000000001)
expect "$out" "open_ret=0xffff0008" "open while StMM waits"
busy_ms=$((($(date +%s%N) - t1) / 1000000))
[ "$busy_ms" -lt $((RPC_TIMEOUT_MS / 2)) ] || fail "other clients waited ${busy_ms} ms"
rpc_timed_out() { probe --status | grep -q "rpc_fail_errno=-$(errno_of ETIMEDOUT)"; }
errno_of() { python3 -c 'import errno, sys; print(getattr(errno, sys.argv[1]))' "$1"; }
wait_until 10 "the first send to time out" rpc_timed_out
kill -CONT "$supp_pid"
wait "$set_pid" || fail "tee-probe failed"
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
out=$(cat "$dir/set_nv.out")
expect "$out" "ret=0x00000000" "SetVariable with a stalled supplicant"
expect "$out" "efi_status=0x8000000000000007" "SetVariable with a stalled supplicant"
[ "$elapsed_ms" -ge "$RPC_TIMEOUT_MS" ] || fail "answered after ${elapsed_ms} ms: did it wait?"
[ "$elapsed_ms" -lt $((RPC_TIMEOUT_MS * 4)) ] || fail "took ${elapsed_ms} ms"
out=$(probe --status)
expect "$out" "rpmb_dead=1 fail_attempts=10" "status after 10 failed sends"

# 6. Dead until a reset: with the supplicant gone the next write fails at once (no RPC at
# all); a new supplicant does not help; a platform reset reads the store again (the late
# write is in it) and writes work.
kill -TERM "$supp_pid"
wait "$supp_pid" || fail "supplicantd exit status $? on SIGTERM"
t0=$(date +%s%N)
out=$(probe --buf-hex "$dir/set_nv.hex")
expect "$out" "efi_status=0x8000000000000007" "SetVariable on a dead RPMB"
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$elapsed_ms" -lt $((RPC_TIMEOUT_MS / 2)) ] || fail "a dead RPMB took ${elapsed_ms} ms to refuse"
start_supplicant
supplicant_registered() { probe --status | grep -q supplicant=1; }
wait_until 10 "the new supplicant to register" supplicant_registered
out=$(probe --buf-hex "$dir/set_nv.hex")
expect "$out" "efi_status=0x8000000000000007" "SetVariable with a new supplicant, before reset"
out=$(probe --reset)
expect "$out" "reset=ok" "reset"
out=$(probe --status)
expect "$out" "rpmb_dead=0" "status after reset"
out=$(probe --buf-hex "$dir/set_nv.hex")
expect "$out" "efi_status=0x0000000000000000" "SetVariable after reset"

# 7. stmmd goes away: supplicantd exits 1.
kill -TERM "$stmmd_pid"
wait "$stmmd_pid" || fail "stmmd exit status $? on SIGTERM"
rc=0
wait "$supp_pid" || rc=$?
[ "$rc" -eq 1 ] || fail "supplicantd exit status $rc after stmmd left, want 1"
echo "stmmd_tee_errors: OK"
