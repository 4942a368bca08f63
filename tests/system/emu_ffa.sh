#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The FF-A MM transport end to end (README "Transports"): the client does U-Boot's FF-A
# sequence against stmmd's SPMC on the tee socket.  A variable written over FF-A reads back
# over the PTA and the other way round; `conform --transport ffa` passes its fast groups
# with the raw-mode cases skipped as PTA-specific; a shared buffer too small for the
# message is EFI_INVALID_PARAMETER before any door bell; against an edk2 StMM SP
# (stmmd --ffa-sp edk2) U-Boot's offset-0 door bell is refused (x3 is not an address in the
# buffer) and the address deviation (STMM_EMU_FFA_X3=address) works.  The whole suite over
# FF-A is `stmm-emu conform --transport ffa` (about 5 minutes; not run here).
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=20000

"$EMU" up --quiet --trace || fail "stmm-emu up"

# Round trip across transports: the same store behind both.
"$EMU" --transport ffa var set FfaVar --string "over ffa" || fail "set over FF-A"
[[ $("$EMU" var get FfaVar --raw) == "over ffa" ]] || fail "PTA does not read what FF-A wrote"
"$EMU" var set PtaVar --string "over pta" || fail "set over the PTA"
[[ $(STMM_EMU_TRANSPORT=ffa "$EMU" var get PtaVar --raw) == "over pta" ]] ||
	fail "FF-A does not read what the PTA wrote"
STMM_EMU_TRANSPORT=ffa "$EMU" var list | grep -q -- '-FfaVar$' || fail "FfaVar not listed over FF-A"
ok "variables cross between the FF-A and PTA transports"

# The trace decodes U-Boot's FF-A sequence and the MM call behind each door bell.
"$EMU" trace >"$WORK/trace.txt" 2>&1 || fail "stmm-emu trace"
for want in 'FFA FFA_VERSION w1 0x00010000' 'FFA_RSP version 1.0' 'FFA FFA_ID_GET' \
	'FFA FFA_FEATURES w1 0xc4000066' 'FFA FFA_RXTX_MAP_64 .* pages 1' \
	'FFA FFA_PARTITION_INFO_GET uuid 00000000 00000000 00000000 00000000 (nil: all)' \
	'FFA_RSP FFA_SUCCESS_32 w2 0x00000002' 'FFA FFA_RX_RELEASE' \
	'FFA FFA_PARTITION_INFO_GET uuid 33d532ed 0942e699 722dc09c a798d9cd (MM SP)' \
	'FFA FFA_MSG_SEND_DIRECT_REQ_64 0x0000 -> 0x8002 x3 0x0 (MM buffer)' \
	'MM_REQ SET_VARIABLE FfaVar' \
	'FFA_RSP FFA_MSG_SEND_DIRECT_RESP_64 0x8002 -> 0x0000 mm SUCCESS'; do
	grep -q -- "$want" "$WORK/trace.txt" || fail "trace lacks: $want"
done
ok "the trace decodes the FF-A calls and the MM calls behind the door bell"

rc=0
"$EMU" --transport bogus var list >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "--transport bogus: exit $rc, want 2"
rc=0
STMM_EMU_TRANSPORT=bogus "$EMU" var list >"$WORK/bogus.out" 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q 'STMM_EMU_TRANSPORT=bogus: not optee or ffa' "$WORK/bogus.out" ||
	fail "STMM_EMU_TRANSPORT=bogus: exit $rc: $(cat "$WORK/bogus.out")"
ok "an unknown transport is a usage error"

# The fast conform groups over FF-A; raw-mode cases are skipped with the reason.
rc=0
"$EMU" conform --transport ffa -g get,getnext,query,payload,set-size --tap \
	>"$WORK/conform.tap" 2>"$WORK/conform.out" || rc=$?
cat "$WORK/conform.out"
[[ $rc -eq 0 ]] || { grep '^not ok' "$WORK/conform.tap" >&2 || true; fail "conform --transport ffa: exit $rc"; }
passed=$(grep '^ok ' "$WORK/conform.tap" | grep -vc '# SKIP' || true)
skipped=$(grep -c '# SKIP PTA-specific' "$WORK/conform.tap" || true)
[[ $passed -ge 40 && $skipped -ge 5 ]] || fail "conform over FF-A: $passed passed, $skipped skipped"
! grep -q '^not ok' "$WORK/conform.tap" || fail "a case failed over FF-A"
ok "conform --transport ffa: $passed passed, $skipped raw cases skipped as PTA-specific"

# U-Boot's size rule: MessageLength + 24 above CONFIG_FFA_SHARED_MM_BUF_SIZE.
head -c 2000 /dev/zero >"$WORK/big"
rc=0
STMM_EMU_FFA_BUF_SIZE=1024 "$EMU" --transport ffa var set BigVar --data-file "$WORK/big" \
	>"$WORK/big.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "oversized message: exit $rc, want 1: $(cat "$WORK/big.out")"
grep -q 'EFI_INVALID_PARAMETER' "$WORK/big.out" || fail "oversized message: $(cat "$WORK/big.out")"
grep -q 'CONFIG_FFA_SHARED_MM_BUF_SIZE' "$WORK/big.out" || fail "no reason: $(cat "$WORK/big.out")"
rc=0
"$EMU" var get BigVar >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] || fail "BigVar exists after a refused set"
ok "a message larger than the shared buffer is refused before the door bell"

# edk2 StMM as the MM SP: x3 must be an address inside the buffer.
"$EMU" down --quiet
"$EMU" up --quiet --stmmd-arg=--ffa-sp=edk2 || fail "up with an edk2 SP"
rc=0
"$EMU" --transport ffa var get FfaVar >"$WORK/edk2.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] && grep -q 'EFI_INVALID_PARAMETER' "$WORK/edk2.out" ||
	fail "offset door bell to an edk2 SP: exit $rc: $(cat "$WORK/edk2.out")"
[[ $(STMM_EMU_FFA_X3=address "$EMU" --transport ffa var get FfaVar --raw) == "over ffa" ]] ||
	fail "address door bell to an edk2 SP"
ok "edk2 SP: U-Boot's offset 0 refused (INVALID_PARAMETER), an address in the buffer served"

all_passed
