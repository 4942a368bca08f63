#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# After `stmm-emu var set`, the RPMB blocks of the device hold an EDK2 variable firmware
# volume whose record parses as EDK2's: read the raw blocks back from rpmbd's database
# (authenticated read, no key needed to fetch) and check them with an independent parser
# (tests/tools/edk2_fv_check.py), not with our own stmm/mm/fv.c.
set -euo pipefail
source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"

"$EMU" up --quiet --rpmb-layout raw || fail "up" # this test reads the raw layout's blocks
"$EMU" var set LayoutProbe --attrs nv,bs,rt --data 00112233445566778899aabbccddeeff >/dev/null
"$EMU" var set Volatile --attrs bs,rt --data 01 >/dev/null
"$EMU" down --quiet || fail "down"

"$BUILD/rpmbd" --db "$STATE/rpmb.db" --socket "$STATE/probe.sock" 2>"$STATE/probe.log" &
pid=$!
extra_pids=("$pid")
wait_for_socket "$STATE/probe.sock" "$pid" rpmbd
# The default store: 48 KiB at RPMB offset 0 = 192 blocks.
"$BUILD/tools/rpmb-client" --socket "$STATE/probe.sock" --out "$STATE/fv.bin" \
	read-block 0 192 >/dev/null || fail "read-block"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
extra_pids=()
[ "$rc" = 0 ] || fail "rpmbd exit status $rc after SIGTERM, want 0: $(cat "$STATE/probe.log")"

out=$(python3 tests/tools/edk2_fv_check.py "$STATE/fv.bin") || fail "not a valid EDK2 FV"
want="8be4df61-93ca-11d2-aa0d-00e098032b8c LayoutProbe 0x7 00112233445566778899aabbccddeeff"
grep -qxF "$want" <<<"$out" || fail "record not found as EDK2 reads it; got: $out"
! grep -q " Volatile " <<<"$out" || fail "a volatile variable reached RPMB"
ok "RPMB blocks hold an EDK2 FV (checksum, block map, auth store header) with the record"
all_passed
