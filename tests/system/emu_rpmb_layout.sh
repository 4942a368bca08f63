#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# After `stmm-emu var set`, the RPMB blocks of the device hold an EDK2 variable firmware
# volume whose record parses as EDK2's: read the raw blocks back from rpmbd (authenticated
# read, no key needed to fetch) and check them with an independent parser
# (tests/tools/edk2_fv_check.py), not with our own stmm/mm/fv.c.  Both layouts: raw (the FV
# from block 0) and optee-fs (the FV is EFI_VARS in OP-TEE's RPMB FS, decrypted by the
# independent tests/tools/optee_rpmb_fs_read.py, not by our lib/optee_rpmb_image.c).
set -euo pipefail
source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"

check_layout() { # layout state blocks-to-read
	local layout=$1 st=$2 n=$3
	"$EMU" up --quiet --state "$st" --rpmb-layout "$layout" || fail "up ($layout)"
	"$EMU" var set --state "$st" LayoutProbe --attrs nv,bs,rt --data 00112233445566778899aabbccddeeff >/dev/null
	"$EMU" var set --state "$st" Volatile --attrs bs,rt --data 01 >/dev/null
	"$EMU" down --quiet --state "$st" || fail "down"

	"$BUILD/rpmbd" --db "$st/rpmb.db" --socket "$st/probe.sock" 2>"$st/probe.log" &
	pid=$!
	extra_pids=("$pid")
	wait_for_socket "$st/probe.sock" "$pid" rpmbd
: >"$st/blocks.bin"
	for ((b = 0; b < n; b += 64)); do # 64 blocks per authenticated read
		"$BUILD/tools/rpmb-client" --socket "$st/probe.sock" --out "$st/chunk.bin" \
			read-block "$b" $((n - b < 64 ? n - b : 64)) >/dev/null || fail "read-block $b ($layout)"
		cat "$st/chunk.bin" >>"$st/blocks.bin"
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	extra_pids=()
	[ "$rc" = 0 ] || fail "rpmbd exit status $rc after SIGTERM, want 0: $(cat "$st/probe.log")"
	if [[ $layout == raw ]]; then
		cp "$st/blocks.bin" "$st/fv.bin"
	else
		python3 tests/tools/optee_rpmb_fs_read.py "$st/blocks.bin" \
			/33D532EDE69909429CC02D72CDD998A7/4546495F56415253 "$st/fv.bin" >/dev/null ||
			fail "EFI_VARS not found or not decrypted by the independent reader"
	fi
	out=$(python3 tests/tools/edk2_fv_check.py "$st/fv.bin") || fail "not a valid EDK2 FV ($layout)"
	want="8be4df61-93ca-11d2-aa0d-00e098032b8c LayoutProbe 0x7 00112233445566778899aabbccddeeff"
	grep -qxF "$want" <<<"$out" || fail "record not found as EDK2 reads it ($layout); got: $out"
	! grep -q " Volatile " <<<"$out" || fail "a volatile variable reached RPMB ($layout)"
}

# The default store: 48 KiB at RPMB offset 0 = 192 blocks.
check_layout raw "$STATE" 192
ok "raw layout: RPMB blocks 0..191 hold an EDK2 FV (checksum, block map, auth store header) with the record"
# The whole partition (1024 blocks): OP-TEE's RPMB FS.
S2=$WORK/optee-fs
mkdir -p "$S2"
STATES+=("$S2")
check_layout optee-fs "$S2" 1024
ok "optee-fs layout: EFI_VARS, decrypted independently, holds an EDK2 FV with the record"
all_passed
