#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Client personas (README "Client personas") on a real stack:
#   - `var set/get/list --persona uboot` work; U-Boot opens a TEE session per call, so
#     `status` counts no open session afterwards; a bad persona name is a usage error
#   - `event ready-to-boot --persona uboot` is refused (U-Boot never sends it);
#     `event exit-boot-services --persona uboot` sends EXIT_BOOT_SERVICE and snapshots the
#     runtime variables (count printed); a BS-only variable cannot be set afterwards
#   - scenario S8 (next-wave-anchors.md §3): tests/unit/test_emu_persona.c run with
#     STMM_EMU_PERSONA_STATE on a fresh stack: U-Boot client A's snapshot stays stale after
#     Linux client B's SetVariable, A's SetVariable/QueryVariableInfo are EFI_UNSUPPORTED,
#     a fresh U-Boot client after `reset` reads the new value, no U-Boot session left open.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=10000
DRIVER=$BUILD/tests/test_emu_persona

# The S8 driver is the unit test binary (it links emu/client); build it when missing.
if [[ ! -x $DRIVER ]]; then
	make --no-print-directory -s BUILD="$BUILD" "$DRIVER" >/dev/null || fail "building $DRIVER"
fi

"$EMU" up --quiet || fail "stmm-emu up"

# ---- the CLI with --persona uboot ---------------------------------------------------------
"$EMU" var set PersonaFoo --string hello --persona uboot || fail "var set --persona uboot"
[[ $("$EMU" var get PersonaFoo --raw --persona uboot) == hello ]] || fail "var get --persona uboot"
"$EMU" var list --persona uboot | grep -q -- '-PersonaFoo$' || fail "var list --persona uboot"
ok "var set/get/list --persona uboot"

sessions=$("$EMU" status --json | json_get 'd["ctrl"]["sessions"]')
[[ $sessions == 0 ]] || fail "sessions after U-Boot calls: $sessions"
ok "status: no TEE session open after the U-Boot CLI calls (in-process check: S8 driver)"

set +e
"$EMU" var get PersonaFoo --persona edk2 2>"$WORK/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q 'not linux or uboot' "$WORK/err" || fail "--persona edk2: rc $rc, $(cat "$WORK/err")"
ok "unknown persona is a usage error"

set +e
"$EMU" event ready-to-boot --persona uboot 2>"$WORK/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q 'never sends READY_TO_BOOT' "$WORK/err" || fail "ready-to-boot --persona uboot: rc $rc"
ok "U-Boot persona refuses READY_TO_BOOT"

out=$("$EMU" event exit-boot-services --persona uboot) || fail "event exit-boot-services --persona uboot"
n=$(sed -n 's/.*U-Boot runtime snapshot: \([0-9]*\) variables.*/\1/p' <<<"$out")
[[ -n $n && $n -ge 1 ]] || fail "snapshot count: $out"
ok "exit-boot-services --persona uboot: snapshot of $n runtime variables"

# StMM is at runtime now: a BS-only variable cannot be created (the MM answers).
set +e
"$EMU" var set PersonaBs --string x --attrs nv,bs 2>"$WORK/err"; rc=$?
set -e
[[ $rc == 1 ]] || fail "BS-only set after EXIT_BOOT_SERVICE: rc $rc $(cat "$WORK/err")"
ok "StMM at runtime after the U-Boot EXIT_BOOT_SERVICE"

# ---- S8 on a fresh boot ----------------------------------------------------------------------
"$EMU" reset --quiet || fail "reset"
STMM_EMU_PERSONA_STATE=$STATE "$DRIVER" >"$WORK/s8.log" 2>&1 || { cat "$WORK/s8.log" >&2; fail "S8 driver"; }
grep -q 'PASSED.*1 test' "$WORK/s8.log" || { cat "$WORK/s8.log" >&2; fail "S8 driver output"; }
ok "S8: stale U-Boot snapshot, runtime Set/Query EFI_UNSUPPORTED, fresh boot sees the write"

all_passed
