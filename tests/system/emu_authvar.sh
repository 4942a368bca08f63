#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Authenticated variables through the real processes (stmm-emu -> stmmd -> supplicantd ->
# rpmbd), with payloads efitools makes here, at test time, from the keys in fixtures/keys:
#   - Secure Boot enrolment as U-Boot's test_authvar does it: PK in setup mode (SetupMode 0,
#     SecureBoot 1 in the variables and in `stmm-emu status`), KEK signed by PK, db/dbx
#     signed by KEK, db APPEND (with duplicate removal), wrong signers and missing AT
#     refused, keys and mode kept across down + up, signed PK delete -> setup mode
#   - UEFI SCT AuthVar function/conformance flows on a private variable: create, replay,
#     tampered, newer/older timestamp, other key, append, signed delete, re-create
#   - Trusted Services' one-byte flips of the signature, the certificate, the timestamp
#   - the optee-stmm quirk (the default profile): an unsigned empty-payload delete refused
#     with --profile strict, accepted with `stmm-emu up --quirk optee-stmm` (and the quirk
#     kept by a later `up`)
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/efitools.bash"
export STMM_EMU_TIMEOUT_MS=10000

[[ -x $EMU ]] || fail "$EMU not built"

PRIV_GUID=15edf297-e832-4d30-8200-a525a931e33e
AT=nv,bs,rt,at

# ---- payloads (esl, sign: lib/efitools.bash) ------------------------------------------------
# flip FILE OFFSET OUT: OUT = FILE with the byte at OFFSET xor 0x01
flip() {
	cp "$1" "$3"
	local b
	b=$(xxd -p -s "$2" -l 1 "$1")
	printf '%02x' $((0x$b ^ 1)) | xxd -r -p | dd of="$3" bs=1 seek="$2" conv=notrunc status=none
}
# The offset of the first occurrence of FILE2's first 32 bytes in FILE1.
offset_of() {
	local needle hay
	needle=$(xxd -p -l 32 "$2" | tr -d '\n')
	hay=$(xxd -p "$1" | tr -d '\n')
	local pre=${hay%%"$needle"*}
	[[ $pre != "$hay" ]] || fail "offset_of: not found"
	echo $((${#pre} / 2))
}
# A well-formed EFI_VARIABLE_AUTHENTICATION_2 with no signature and no payload (year 2030).
unsigned_delete() {
	printf '\xee\x07\x01\x01\x00\x00\x00\x00''\x00\x00\x00\x00\x00\x00\x00\x00' >"$1"
	printf '\x18\x00\x00\x00''\x00\x02''\xf1\x0e' >>"$1"
	printf '\x9d\xd2\xaf\x4a\xdf\x68\xee\x49\x8a\xa9\x34\x7d\x37\x56\x65\xa7' >>"$1"
}

# ---- the service ---------------------------------------------------------------------------
# expect STATUS what... -- stmm-emu var set args: STATUS is OK or an EFI_* name.
expect() {
	local want=$1 what=$2
	shift 2
	local err rc=0
	err=$("$EMU" var set "$@" 2>&1 >/dev/null) || rc=$?
	if [[ $want == OK ]]; then
		[[ $rc == 0 ]] || fail "$what: expected success, got: $err"
	else
		[[ $rc == 1 && $err == *"$want"* ]] || fail "$what: expected $want, got rc $rc: $err"
	fi
	ok "$what -> $want"
}
hex_of() { "$EMU" var get "$@" --raw | xxd -p | tr -d '\n'; }
u8_of() { hex_of "$@"; }
get_status() { # NAME [get options] -> OK or the EFI error name
	local err
	if err=$("$EMU" var get "$@" --raw 2>&1 >/dev/null); then echo OK; else
		sed -n 's/.*\(EFI_[A-Z_]*\).*/\1/p' <<<"$err" | head -n1
	fi
}
check_mode() { # setup_mode secure_boot what
	[[ $(u8_of SetupMode) == "0$1" ]] || fail "$3: SetupMode is $(u8_of SetupMode), expected $1"
	[[ $(u8_of SecureBoot) == "0$2" ]] || fail "$3: SecureBoot is $(u8_of SecureBoot), expected $2"
	local text json mode
	text=$("$EMU" status) || fail "status"
	json=$("$EMU" status --json) || fail "status --json"
	mode=$([[ $1 == 1 ]] && echo setup || echo user)
	[[ $text == *"secure boot:  $mode mode, SetupMode $1, SecureBoot $2"* ]] ||
		fail "$3: status says: $(grep 'secure boot' <<<"$text")"
	json_ok "d['ctrl']['secure_boot']['mode'] == '$mode' and d['ctrl']['secure_boot']['setup_mode'] == $1 and
		d['ctrl']['secure_boot']['secure_boot'] == $2" <<<"$json" ||
		fail "$3: status --json: $json"
	ok "$3: SetupMode $1, SecureBoot $2 (variables, status, status --json)"
}

"$EMU" up --quiet || fail "stmm-emu up"

# ==== Secure Boot enrolment (U-Boot test_authvar) ===========================================
esl PK PK
esl KEK KEK
esl db db
esl db2 KEK2
esl dbx other
esl PK2 KEK2
: >"$WORK/empty.esl"
sign PK.auth PK PK "$WORK/PK.esl" "2025-01-01 00:00:00"
sign KEK.auth PK KEK "$WORK/KEK.esl" "2025-01-01 00:00:00"
sign KEK_by_KEK.auth KEK KEK "$WORK/KEK.esl" "2025-01-01 00:00:00"
sign db.auth KEK db "$WORK/db.esl" "2025-01-01 00:00:00"
sign db_by_other.auth other db "$WORK/db.esl" "2025-01-01 00:00:00"
sign dbx.auth KEK dbx "$WORK/dbx.esl" "2025-01-01 00:00:00"
sign db_append.auth KEK db "$WORK/db2.esl" "2025-01-02 00:00:00" -a
sign PK2_by_other.auth other PK "$WORK/PK2.esl" "2025-02-01 00:00:00"
sign PK_delete.auth PK PK "$WORK/empty.esl" "2025-03-01 00:00:00"

check_mode 1 0 "fresh store: setup mode"
[[ $(get_status PK) == EFI_NOT_FOUND ]] || fail "PK exists on a fresh store"
ok "no PK on a fresh store"
[[ $(hex_of SignatureSupport | wc -c) == $((6 * 32)) ]] || fail "SignatureSupport: 6 GUIDs"
ok "SignatureSupport lists 6 signature types"
"$EMU" var info --attrs "$AT" >/dev/null || fail "QueryVariableInfo(nv,bs,rt,at)"
ok "QueryVariableInfo with AT answered"

expect EFI_INVALID_PARAMETER "PK without AT" PK --attrs nv,bs,rt --data-file "$WORK/PK.auth"
expect EFI_SECURITY_VIOLATION "PK with a 39-byte descriptor" PK --attrs "$AT" \
	--data-file <(head -c 39 "$WORK/PK.auth")
expect OK "PK enrolled in setup mode" PK --attrs "$AT" --data-file "$WORK/PK.auth"
check_mode 0 1 "PK enrolled: user mode"
[[ $(hex_of PK) == $(xxd -p "$WORK/PK.esl" | tr -d '\n') ]] || fail "PK reads back the ESL"
ok "GetVariable(PK) returns the signature list, not the descriptor"
[[ $(u8_of SecureBootEnable --guid f0a30bc7-af08-4556-99c4-001009c93a44) == 01 ]] ||
	fail "SecureBootEnable"
ok "SecureBootEnable created = 1"

expect EFI_INVALID_PARAMETER "KEK without AT" KEK --attrs nv,bs,rt --data-file "$WORK/KEK.auth"
expect EFI_SECURITY_VIOLATION "KEK signed by KEK (not PK)" KEK --attrs "$AT" \
	--data-file "$WORK/KEK_by_KEK.auth"
expect OK "KEK signed by PK" KEK --attrs "$AT" --data-file "$WORK/KEK.auth"
expect EFI_SECURITY_VIOLATION "KEK replayed" KEK --attrs "$AT" --data-file "$WORK/KEK.auth"
expect EFI_INVALID_PARAMETER "db without AT" db --attrs nv,bs,rt --data-file "$WORK/db.auth"
expect EFI_SECURITY_VIOLATION "db signed by an untrusted key" db --attrs "$AT" \
	--data-file "$WORK/db_by_other.auth"
expect OK "db signed by KEK (GUID defaults to image security)" db --attrs "$AT" \
	--data-file "$WORK/db.auth"
expect OK "dbx signed by KEK" dbx --attrs "$AT" --data-file "$WORK/dbx.auth"
expect OK "db APPEND signed by KEK" db --attrs "$AT,append" --data-file "$WORK/db_append.auth"
want=$(cat "$WORK/db.esl" "$WORK/db2.esl" | xxd -p | tr -d '\n')
[[ $(hex_of db --guid security) == "$want" ]] || fail "db after append"
ok "db = db.esl || db2.esl after the append"
expect OK "db APPEND of a certificate already there" db --attrs "$AT,append" \
	--data-file "$WORK/db_append.auth"
[[ $(hex_of db) == "$want" ]] || fail "duplicate append changed db"
ok "duplicate signature not appended again"
expect EFI_SECURITY_VIOLATION "PK replaced, signed by another key" PK --attrs "$AT" \
	--data-file "$WORK/PK2_by_other.auth"
err=$("$EMU" var delete PK 2>&1) && fail "unsigned PK delete succeeded"
[[ $err == *EFI_INVALID_PARAMETER* ]] || fail "unsigned PK delete: $err"
ok "PK delete with attributes 0 -> EFI_INVALID_PARAMETER"

# ---- persistence: keys and the mode recomputed at boot --------------------------------------
db_before=$(hex_of db)
"$EMU" down --quiet
"$EMU" up --quiet || fail "up again"
[[ $(hex_of db) == "$db_before" ]] || fail "db after down + up"
[[ $(hex_of PK) == $(xxd -p "$WORK/PK.esl" | tr -d '\n') ]] || fail "PK after down + up"
ok "PK, db survive down + up"
check_mode 0 1 "after down + up: still user mode"
expect EFI_SECURITY_VIOLATION "KEK replayed after restart" KEK --attrs "$AT" \
	--data-file "$WORK/KEK.auth"

expect OK "PK deleted with a signed empty payload" PK --attrs "$AT" \
	--data-file "$WORK/PK_delete.auth"
check_mode 1 0 "PK deleted: setup mode again"
[[ $(get_status SecureBootEnable --guid f0a30bc7-af08-4556-99c4-001009c93a44) == EFI_NOT_FOUND ]] ||
	fail "SecureBootEnable after PK delete"
ok "SecureBootEnable deleted with PK"
"$EMU" down --quiet
"$EMU" up --quiet || fail "up again"
check_mode 1 0 "after down + up without PK: setup mode"

# ==== SCT AuthVar flows on a private variable ===============================================
V=AuthVarTest
P=(--guid "$PRIV_GUID" --attrs "$AT")
printf 'first value' >"$WORK/v1.bin"
printf 'second value!' >"$WORK/v2.bin"
printf 'appended' >"$WORK/v3.bin"
G=(-g "$PRIV_GUID")
sign c1.auth priv1 "$V" "$WORK/v1.bin" "2025-05-01 10:00:00" "${G[@]}"
sign c2.auth priv1 "$V" "$WORK/v2.bin" "2025-05-02 10:00:00" "${G[@]}"
sign old.auth priv1 "$V" "$WORK/v2.bin" "2025-04-01 10:00:00" "${G[@]}"
sign k2.auth priv2 "$V" "$WORK/v2.bin" "2025-05-03 10:00:00" "${G[@]}"
sign ap.auth priv1 "$V" "$WORK/v3.bin" "2025-05-01 00:00:00" "${G[@]}" -a
sign del.auth priv1 "$V" "$WORK/empty.esl" "2025-05-04 10:00:00" "${G[@]}"
sign r2.auth priv2 "$V" "$WORK/v1.bin" "2025-05-05 10:00:00" "${G[@]}"
sign r3.auth priv2 "$V" "$WORK/v2.bin" "2025-05-06 10:00:00" "${G[@]}"

expect OK "private: create (priv1)" "$V" "${P[@]}" --data-file "$WORK/c1.auth"
[[ $("$EMU" var get "$V" --guid "$PRIV_GUID" --raw) == "first value" ]] || fail "read back"
ok "private: reads back the payload"
"$EMU" var get "$V" --guid "$PRIV_GUID" --json | json_ok 'd["attrs"] == "nv,bs,rt,at"' ||
	fail "private: attributes"
ok "private: attributes nv,bs,rt,at"
expect EFI_SECURITY_VIOLATION "private: replay" "$V" "${P[@]}" --data-file "$WORK/c1.auth"
size=$(stat -c %s "$WORK/c2.auth")
flip "$WORK/c2.auth" $((size - 1)) "$WORK/tampered.auth"
expect EFI_SECURITY_VIOLATION "private: tampered payload" "$V" "${P[@]}" \
	--data-file "$WORK/tampered.auth"
expect OK "private: newer by the same key" "$V" "${P[@]}" --data-file "$WORK/c2.auth"
[[ $("$EMU" var get "$V" --guid "$PRIV_GUID" --raw) == "second value!" ]] || fail "update"
ok "private: updated value reads back"
expect EFI_SECURITY_VIOLATION "private: older timestamp" "$V" "${P[@]}" --data-file "$WORK/old.auth"
expect EFI_SECURITY_VIOLATION "private: another key" "$V" "${P[@]}" --data-file "$WORK/k2.auth"

# ---- Trusted Services: one byte flipped in the signature, the certificate, the timestamp --
sign flipme.auth priv1 "$V" "$WORK/v1.bin" "2025-05-03 12:00:00" "${G[@]}"
dwlen=$((0x$(xxd -p -s 16 -l 4 "$WORK/flipme.auth" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')))
flip "$WORK/flipme.auth" $((16 + dwlen - 1)) "$WORK/flip-sig.auth"
cert_off=$(offset_of "$WORK/flipme.auth" "$KEYS/priv1.der")
flip "$WORK/flipme.auth" $((cert_off + 200)) "$WORK/flip-cert.auth"
flip "$WORK/flipme.auth" 5 "$WORK/flip-time.auth"
expect EFI_SECURITY_VIOLATION "TS: signature byte flipped" "$V" "${P[@]}" \
	--data-file "$WORK/flip-sig.auth"
expect EFI_SECURITY_VIOLATION "TS: certificate byte flipped" "$V" "${P[@]}" \
	--data-file "$WORK/flip-cert.auth"
expect EFI_SECURITY_VIOLATION "TS: timestamp byte flipped" "$V" "${P[@]}" \
	--data-file "$WORK/flip-time.auth"
expect OK "TS: the same payload unflipped" "$V" "${P[@]}" --data-file "$WORK/flipme.auth"

expect OK "private: APPEND (older timestamp allowed)" "$V" --guid "$PRIV_GUID" \
	--attrs "$AT,append" --data-file "$WORK/ap.auth"
[[ $("$EMU" var get "$V" --guid "$PRIV_GUID" --raw) == "first valueappended" ]] ||
	fail "append: $("$EMU" var get "$V" --guid "$PRIV_GUID" --raw)"
ok "private: value || appended data"
err=$("$EMU" var delete "$V" --guid "$PRIV_GUID" 2>&1) && fail "unsigned delete succeeded"
[[ $err == *EFI_WRITE_PROTECTED* ]] || fail "attributes-0 delete: $err"
ok "private: delete with attributes 0 -> EFI_WRITE_PROTECTED"
expect OK "private: signed delete" "$V" "${P[@]}" --data-file "$WORK/del.auth"
[[ $(get_status "$V" --guid "$PRIV_GUID") == EFI_NOT_FOUND ]] || fail "deleted variable still there"
ok "private: EFI_NOT_FOUND after the signed delete"
expect OK "private: re-created by another key (priv2)" "$V" "${P[@]}" --data-file "$WORK/r2.auth"
expect OK "private: priv2 now owns it" "$V" "${P[@]}" --data-file "$WORK/r3.auth"

# ==== the optee-stmm quirk (now the default profile) =========================================
# Physical presence is on in the default profile (PlatformStandaloneMmRpmb.dsc sets
# PcdUserPhysicalPresence TRUE), so the refusal needs --profile strict.
"$EMU" down --quiet
"$EMU" up --quiet --profile strict || fail "up --profile strict"
unsigned_delete "$WORK/unsigned-del.auth"
expect EFI_SECURITY_VIOLATION "strict: unsigned empty-payload delete" "$V" "${P[@]}" \
	--data-file "$WORK/unsigned-del.auth"
[[ $(get_status "$V" --guid "$PRIV_GUID") == OK ]] || fail "variable gone after refused delete"
"$EMU" down --quiet
out=$("$EMU" up --quirk bogus 2>&1) && fail "up --quirk bogus succeeded"
[[ $out == *"unknown quirk 'bogus'"* ]] || fail "up --quirk bogus: $out"
ok "unknown quirk name -> clear error from stmmd"
"$EMU" down --quiet
"$EMU" up --quiet --profile optee-stmm --quirk optee-stmm || fail "up --quirk optee-stmm"
[[ $("$EMU" status) == *"quirk optee-stmm"* ]] || fail "status does not show the quirk"
ok "status shows quirk optee-stmm"
expect OK "quirk optee-stmm: unsigned empty-payload delete" "$V" "${P[@]}" \
	--data-file "$WORK/unsigned-del.auth"
[[ $(get_status "$V" --guid "$PRIV_GUID") == EFI_NOT_FOUND ]] || fail "quirk delete left it"
ok "quirk optee-stmm: variable gone"
"$EMU" down --quiet
"$EMU" up --quiet || fail "up (quirk kept)"
"$EMU" status --json | json_ok 'd["ctrl"]["secure_boot"]["quirks"] == ["optee-stmm"]' || fail "quirk not kept by up"
ok "a later up keeps the quirk"
"$EMU" down --quiet
"$EMU" up --quiet --quirk none --profile strict || fail "up --quirk none"
"$EMU" status --json | json_ok 'd["ctrl"]["secure_boot"]["quirks"] == []' || fail "quirk not cleared"
ok "up --quirk none clears it"

all_passed
