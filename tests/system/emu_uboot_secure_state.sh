#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# U-Boot's secure-boot state in StMM (README "Client personas"): at every U-Boot boot
# efi_init_variables() runs efi_init_secure_state(), which writes SecureBoot, SetupMode,
# AuditMode, DeployedMode and VendorKeys into StMM as read-only variables (clearing StMM's own
# read-only property for the write, setting it again after), and every successful write of
# PK through U-Boot runs it again; efi_init_obj_list goes on with PlatformLangCodes,
# PlatformLang (only when absent) and OsIndicationsSupported.  Checked through the real
# processes:
#   - the exact MM sequence of a U-Boot boot on a fresh store (trace), and what Linux then
#     reads and may not write;
#   - U-Boot without CONFIG_EFI_SECURE_BOOT (the default, as every U-Boot defconfig with
#     CONFIG_EFI_MM_COMM_TEE) enrolling PK: StMM is in user mode (status, a KEK signed by the
#     wrong key refused) while the variables say setup mode, as U-Boot wrote them, and
#     mokutil --sb-state through the efivarfs mount reports Secure Boot disabled;
#   - U-Boot with CONFIG_EFI_SECURE_BOOT ($STMM_EMU_UBOOT_SECURE_BOOT=y): PK read, user
#     mode written, AuditMode and DeployedMode left writable;
#   - audit mode without PK (CONFIG_EFI_SECURE_BOOT): the transition deletes PK unsigned,
#     StMM refuses, U-Boot's EFI init fails;
#   - StMM unable to boot: U-Boot's EFI init fails, and the error says where;
#   - a bad $STMM_EMU_UBOOT_SECURE_BOOT is a usage error naming it.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/efitools.bash"
source "$(dirname "$0")/lib/wait.bash"
export STMM_EMU_TIMEOUT_MS=10000
[[ -x $EMU ]] || fail "$EMU not built"

AT=nv,bs,rt,at
u8() { "$EMU" var get "$@" --raw | xxd -p; }
# The EFI status a command ends with: OK, or the EFI_* name it printed.
status_of() {
	local err
	if err=$("$@" 2>&1 >/dev/null); then echo OK; else
		grep -o 'EFI_[A-Z_]*' <<<"$err" | head -n1
	fi
}
# The MM requests of the last U-Boot client (the last connection with more than one TEE
# session: U-Boot opens one per call, Linux one for its life), as "FUNCTION NAME PROPERTY",
# one per line, in order.
uboot_requests() {
	"$EMU" trace --json --layer mm | python3 -c '
import json, sys, collections
conns = collections.defaultdict(list)
sessions = collections.defaultdict(set)
for l in sys.stdin:
    r = json.loads(l)
    for it in r["items"]:
        if it.get("kind") == "MM_REQ":
            f = it["function"]
            line = f + (" " + it["name"] if "name" in it else "")
            if f.startswith("VAR_CHECK"):
                line += " 0x%x" % it["property"]
            conns[r["conn"]].append(line)
            sessions[r["conn"]].add(it.get("session"))
ub = [v for k, v in conns.items() if len(sessions[k]) > 1]
print("\n".join(ub[-1] if ub else []))
'
}

"$EMU" up --trace --quiet || fail "stmm-emu up --trace"

# ---- a U-Boot boot on a fresh store ---------------------------------------------------------
[[ $(status_of "$EMU" var get AuditMode) == EFI_NOT_FOUND ]] || fail "AuditMode before U-Boot"
[[ $(status_of "$EMU" var get DeployedMode) == EFI_NOT_FOUND ]] || fail "DeployedMode before U-Boot"
ok "fresh store: StMM has no AuditMode, no DeployedMode"
! "$EMU" status | grep -q "SetupMode variable" ||
	fail "status reports a rewritten SetupMode on a fresh store: $("$EMU" status | grep -A1 'secure boot')"

[[ $(u8 SetupMode --persona uboot) == 01 ]] || fail "U-Boot's GetVariable(SetupMode)"
uboot_requests >"$WORK/got"
{
	echo GET_PAYLOAD_SIZE
	# StMM's AuthVariableLib registers SecureBoot, SetupMode, VendorKeys read-only: U-Boot
	# clears the property, writes, sets it again.  AuditMode, DeployedMode are new.
	for v in SecureBoot SetupMode; do
		printf '%s\n' "VAR_CHECK_VARIABLE_PROPERTY_GET $v 0x0" \
			"VAR_CHECK_VARIABLE_PROPERTY_SET $v 0x0" "SET_VARIABLE $v" \
			"VAR_CHECK_VARIABLE_PROPERTY_SET $v 0x1"
	done
	for v in AuditMode DeployedMode; do
		printf '%s\n' "VAR_CHECK_VARIABLE_PROPERTY_GET $v 0x0" "SET_VARIABLE $v" \
			"VAR_CHECK_VARIABLE_PROPERTY_SET $v 0x1"
	done
	printf '%s\n' "VAR_CHECK_VARIABLE_PROPERTY_GET VendorKeys 0x0" \
		"VAR_CHECK_VARIABLE_PROPERTY_SET VendorKeys 0x0" "SET_VARIABLE VendorKeys" \
		"VAR_CHECK_VARIABLE_PROPERTY_SET VendorKeys 0x1"
	# efi_init_platform_lang: PlatformLangCodes read-only (StMM's VarCheckUefiLib has no
	# property on it: edk2's BDS locks it, and there is no BDS here); PlatformLang is absent
	# on a fresh store, so it is written, non-volatile and writable
	printf '%s\n' "VAR_CHECK_VARIABLE_PROPERTY_GET PlatformLangCodes 0x0" \
		"SET_VARIABLE PlatformLangCodes" "VAR_CHECK_VARIABLE_PROPERTY_SET PlatformLangCodes 0x1" \
		"GET_VARIABLE PlatformLang" "VAR_CHECK_VARIABLE_PROPERTY_GET PlatformLang 0x0" \
		"SET_VARIABLE PlatformLang"
	# efi_init_os_indications
	printf '%s\n' "VAR_CHECK_VARIABLE_PROPERTY_GET OsIndicationsSupported 0x0" \
		"SET_VARIABLE OsIndicationsSupported" \
		"VAR_CHECK_VARIABLE_PROPERTY_SET OsIndicationsSupported 0x1"
	# then the call itself: GET, and PROPERTY_GET for its Attributes
	printf '%s\n' "GET_VARIABLE SetupMode" "VAR_CHECK_VARIABLE_PROPERTY_GET SetupMode 0x0"
} >"$WORK/want"
diff -u "$WORK/want" "$WORK/got" >"$WORK/diff" ||
	fail "U-Boot's MM sequence at boot: $(cat "$WORK/diff")"
ok "U-Boot's boot: GET_PAYLOAD_SIZE, efi_init_secure_state's 18 calls, platform language and OS indications' 9, then the GetVariable (trace)"

for v in SecureBoot:00 SetupMode:01 AuditMode:00 DeployedMode:00 VendorKeys:00; do
	[[ $(u8 "${v%%:*}") == "${v#*:}" ]] || fail "${v%%:*} after U-Boot: $(u8 "${v%%:*}")"
	"$EMU" var get "${v%%:*}" --json | json_ok "d['attributes'] == 6" || fail "${v%%:*} attributes"
done
ok "Linux reads SecureBoot 0, SetupMode 1, AuditMode 0, DeployedMode 0, VendorKeys 0 (bs,rt)"
"$EMU" var get PlatformLang --json | json_ok "d['attributes'] == 7 and d['data'] == '656e2d555300'" ||
	fail "PlatformLang: $("$EMU" var get PlatformLang --json)"
"$EMU" var get PlatformLangCodes --json | json_ok "d['attributes'] == 6 and d['data'] == '656e2d555300'" ||
	fail "PlatformLangCodes: $("$EMU" var get PlatformLangCodes --json)"
"$EMU" var get OsIndicationsSupported --json | json_ok "d['size'] == 8 and d['data'] == '00' * 8" ||
	fail "OsIndicationsSupported: $("$EMU" var get OsIndicationsSupported --json)"
ok "and PlatformLang \"en-US\" (nv,bs,rt), PlatformLangCodes \"en-US\", OsIndicationsSupported 0"
for v in AuditMode DeployedMode SetupMode; do
	[[ $(status_of "$EMU" var set "$v" --attrs bs,rt --data 01) == EFI_WRITE_PROTECTED ]] ||
		fail "Linux writing $v: $(status_of "$EMU" var set "$v" --attrs bs,rt --data 01)"
done
ok "Linux may not write AuditMode, DeployedMode, SetupMode: U-Boot left them read-only"

# ---- PK through a U-Boot without CONFIG_EFI_SECURE_BOOT --------------------------------------
esl PK PK
esl KEK KEK
sign PK.auth PK PK "$WORK/PK.esl" "2025-01-01 00:00:00"
sign KEK_by_KEK.auth KEK KEK "$WORK/KEK.esl" "2025-01-01 00:00:00"
"$EMU" var set PK --attrs "$AT" --data-file "$WORK/PK.auth" --persona uboot ||
	fail "PK enrolled through U-Boot"
[[ $(uboot_requests | grep -A1 '^SET_VARIABLE PK$' | tail -n1) == \
	"VAR_CHECK_VARIABLE_PROPERTY_GET SecureBoot 0x0" ]] ||
	fail "no efi_init_secure_state after the PK write: $(uboot_requests | tail -n 20)"
ok "a PK write through U-Boot re-runs efi_init_secure_state (trace)"
"$EMU" status --json | json_ok "d['ctrl']['secure_boot']['mode'] == 'user'" ||
	fail "StMM not in user mode after PK: $("$EMU" status | grep 'secure boot')"
[[ $(u8 SetupMode) == 01 && $(u8 SecureBoot) == 00 ]] ||
	fail "variables after U-Boot's PK write: SetupMode $(u8 SetupMode), SecureBoot $(u8 SecureBoot)"
ok "StMM in user mode (status) while SetupMode reads 1, SecureBoot 0: what U-Boot wrote"
"$EMU" status --json | json_ok "d['ctrl']['secure_boot']['setup_mode'] == 0 and
	d['ctrl']['secure_boot']['setup_mode_variable'] == 1" || fail "status --json: $("$EMU" status --json)"
"$EMU" status | grep -q "but the SetupMode variable reads 1: a client rewrote it" ||
	fail "status text: $("$EMU" status | grep -A1 'secure boot')"
ok "status shows the difference: mode user, the SetupMode variable 1 (text and JSON)"
[[ $(status_of "$EMU" var set KEK --attrs "$AT" --data-file "$WORK/KEK_by_KEK.auth") == \
	EFI_SECURITY_VIOLATION ]] || fail "KEK signed by KEK accepted"
ok "StMM still enforces user mode: a KEK not signed by PK is refused"
# What an OS tool concludes from the variables (mokutil through the efivarfs mount).
if [[ -c /dev/fuse && $(id -u) == 0 ]]; then
	command -v mokutil >/dev/null || fail "mokutil not installed"
	out=$("$EMU" run --efivarfs -- sh -c 'mokutil --sb-state || true' 2>&1) || fail "run --efivarfs: $out"
	grep -q 'SecureBoot disabled' <<<"$out" && grep -qi 'setup mode' <<<"$out" ||
		fail "mokutil --sb-state after U-Boot's boot: $out"
	ok "mokutil --sb-state (efivarfs): SecureBoot disabled, setup mode, while StMM enforces user mode"
else
	skip_part "mokutil check: needs /dev/fuse and root"
fi

# ---- a U-Boot with CONFIG_EFI_SECURE_BOOT ------------------------------------------------------
[[ $(STMM_EMU_UBOOT_SECURE_BOOT=y u8 SecureBoot --persona uboot) == 01 ]] ||
	fail "SecureBoot through a secure-boot U-Boot"
uboot_requests >"$WORK/all"
head -n 4 "$WORK/all" >"$WORK/got"
printf '%s\n' GET_PAYLOAD_SIZE "GET_VARIABLE DeployedMode" "GET_VARIABLE AuditMode" \
	"GET_VARIABLE PK" >"$WORK/want"
diff -u "$WORK/want" "$WORK/got" >"$WORK/diff" ||
	fail "CONFIG_EFI_SECURE_BOOT reads: $(cat "$WORK/diff")"
[[ $(u8 SetupMode) == 00 && $(u8 SecureBoot) == 01 ]] ||
	fail "after a secure-boot U-Boot: SetupMode $(u8 SetupMode), SecureBoot $(u8 SecureBoot)"
ok "CONFIG_EFI_SECURE_BOOT: DeployedMode, AuditMode, PK read; user mode written (SetupMode 0, SecureBoot 1)"
grep -qx 'GET_VARIABLE PlatformLang' "$WORK/all" && ! grep -q '^SET_VARIABLE PlatformLang$' "$WORK/all" ||
	fail "a later U-Boot boot rewrote PlatformLang: $(cat "$WORK/all")"
ok "a later U-Boot boot finds PlatformLang and does not write it again (no NV write)"
"$EMU" var set AuditMode --attrs bs,rt --data 00 || fail "AuditMode not writable in user mode"
ok "in user mode U-Boot leaves AuditMode writable (attributes_rw)"

# Audit mode: AuditMode 1 (writable, above) and no PK.  A secure-boot U-Boot then picks
# audit mode, whose transition first deletes PK without authentication: StMM refuses, the
# transition fails, and so does U-Boot's whole EFI init.
: >"$WORK/empty.esl"
sign PK_delete.auth PK PK "$WORK/empty.esl" "2025-03-01 00:00:00"
"$EMU" var set AuditMode --attrs bs,rt --data 01 || fail "AuditMode 1"
"$EMU" var set PK --attrs "$AT" --data-file "$WORK/PK_delete.auth" || fail "signed PK delete"
rc=0
STMM_EMU_UBOOT_SECURE_BOOT=y "$EMU" var get SetupMode --persona uboot 2>"$WORK/err" || rc=$?
[[ $rc == 1 ]] && grep -q "did not initialise (efi_init_variables: EFI_" "$WORK/err" ||
	fail "audit mode without PK: rc $rc, $(cat "$WORK/err")"
uboot_requests >"$WORK/all"
grep -A1 '^GET_VARIABLE PK$' "$WORK/all" | tail -n1 | grep -qx 'VAR_CHECK_VARIABLE_PROPERTY_GET PK 0x0' &&
	grep -qx 'SET_VARIABLE PK' "$WORK/all" || fail "no PK delete in the audit transition: $(cat "$WORK/all") / $(cat "$WORK/err")"
ok "secure-boot U-Boot in audit mode without PK: its PK delete is refused, its EFI init fails ($(grep -o 'EFI_[A-Z_]*' "$WORK/err" | head -n1))"

# ---- StMM that cannot boot: U-Boot's EFI init fails, and says so --------------------------------
DEAD=$WORK/dead
STATES+=("$DEAD")
"$EMU" up --state "$DEAD" --quiet --no-round-trip --normal-world uboot-2025.01 \
	--quirk rpmb-probe-not-implemented-fatal || fail "up with StMM unable to boot"
rc=0
"$EMU" var get SetupMode --persona uboot --state "$DEAD" 2>"$WORK/err" || rc=$?
[[ $rc == 1 ]] && grep -q "U-Boot's UEFI sub-system did not initialise (efi_init_variables: EFI_" "$WORK/err" ||
	fail "U-Boot on a dead StMM: rc $rc, $(cat "$WORK/err")"
ok "StMM unable to boot: U-Boot's efi_init_variables fails and the error names it ($(grep -o 'EFI_[A-Z_]*' "$WORK/err" | head -n1))"

rc=0
STMM_EMU_UBOOT_SECURE_BOOT=maybe "$EMU" var get SetupMode --persona uboot 2>"$WORK/err" || rc=$?
[[ $rc == 2 ]] && grep -q 'STMM_EMU_UBOOT_SECURE_BOOT=maybe' "$WORK/err" ||
	fail "bad \$STMM_EMU_UBOOT_SECURE_BOOT: rc $rc, $(cat "$WORK/err")"
ok "a bad \$STMM_EMU_UBOOT_SECURE_BOOT is a usage error naming it"

all_passed
