#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Real EDK2 variable stores in and out (issue 6), with Debian's ovmf and qemu-efi-aarch64
# files: `stmm-emu import` / `up --import` load exactly the live variables (the expected
# names and counts below were found once with stmm/mm/fvimage.c AND an independent python
# walk of the files, then hard-coded); export -> import -> export is byte-stable; OVMF's
# layout (--size) reproduces OVMF's own headers and FTW area; damaged files are refused
# naming the offset, with the state left as it was; SecureBoot/SetupMode follow the
# imported PK; with the snakeoil store a db append signed by the snakeoil key succeeds and
# one signed by another key fails with EFI_SECURITY_VIOLATION.
#
# Without the files: skipped with a message, but a failure under $CI.
# system-check: long
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
export STMM_EMU_TIMEOUT_MS=10000
KEYS=$(cd "$(dirname "$0")/../../fixtures/keys" && pwd)

OVMF=/usr/share/OVMF
AAVMF=/usr/share/AAVMF
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_PEM=/usr/share/ovmf/PkKek-1-snakeoil.pem
FILES=("$OVMF/OVMF_VARS_4M.fd" "$OVMF/OVMF_VARS_4M.ms.fd" "$OVMF/OVMF_VARS_4M.snakeoil.fd"
	"$OVMF/OVMF_VARS.fd" "$AAVMF/AAVMF_VARS.ms.fd" "$AAVMF/AAVMF_VARS.fd" "$SNAKEOIL_KEY"
	"$SNAKEOIL_PEM")

for f in "${FILES[@]}"; do
	[[ -e $f ]] || skip_test "$f not found; install Debian's ovmf and qemu-efi-aarch64 to run $0"
done
for t in cert-to-efi-sig-list sign-efi-sig-list openssl strings sha256sum; do
	command -v "$t" >/dev/null || fail "$t not installed (efitools, openssl, binutils)"
done

NEW=
new_state() { # NEW = the path of a fresh state directory (cleaned up at exit)
	NEW="$WORK/state$((${#STATES[@]} + 1))"
	STATES+=("$NEW")
}
emu() { "$EMU" "$@"; }

# ---- the expected live variables (GUID-Name as `var list` prints them) -------------------
G=8be4df61-93ca-11d2-aa0d-00e098032b8c      # EFI global variable
SEC=d719b2cb-3d3a-4596-a3bc-dad00e67656f    # image security database
ISCSI=59324945-ec44-4c0d-b1cd-9db139df070c   # iSCSI attempts (OVMF's network stack)
read -r -d '' OVMF_MS_LIVE <<EOF || true
d9bee56e-75dc-49d9-b4d7-b534210f637a-certdb
eb704011-1402-11d3-8e77-00a0c969723b-MTC
$ISCSI-Attempt 1
$ISCSI-Attempt 2
$ISCSI-Attempt 3
$ISCSI-Attempt 4
$ISCSI-Attempt 5
$ISCSI-Attempt 6
$ISCSI-Attempt 7
4b47d616-a8d6-4552-9d44-ccad2e0f4cf9-InitialAttemptOrder
$ISCSI-Attempt 8
$G-Boot0000
$G-Timeout
$G-PlatformLang
$G-Lang
04b37fe8-f6ae-480b-bdd5-37d98c5e89aa-VarErrorFlag
$G-Key0000
$G-Key0001
$G-ConOut
$G-ConIn
$G-ErrOut
$G-Boot0001
$G-Boot0002
4c19049f-4137-4dd3-9c10-8b97a83ffdfa-MemoryTypeInformation
$SEC-db
$SEC-dbx
$G-KEK
$G-PK
9073e4e0-60ec-4b6e-9903-4c223c260f3c-VendorKeysNv
f0a30bc7-af08-4556-99c4-001009c93a44-SecureBootEnable
c076ec0c-7028-4399-a072-71ee5c448b9f-CustomMode
EOF
read -r -d '' AAVMF_MS_LIVE <<EOF || true
d9bee56e-75dc-49d9-b4d7-b534210f637a-certdb
eb704011-1402-11d3-8e77-00a0c969723b-MTC
$G-Boot0000
$G-Timeout
$G-PlatformLang
$G-Lang
04b37fe8-f6ae-480b-bdd5-37d98c5e89aa-VarErrorFlag
$G-ConIn
$G-ConOut
$G-ErrOut
$G-Key0000
$G-Key0001
$G-Boot0001
$G-Boot0002
4c19049f-4137-4dd3-9c10-8b97a83ffdfa-MemoryTypeInformation
$SEC-db
$SEC-dbx
$G-KEK
$G-PK
9073e4e0-60ec-4b6e-9903-4c223c260f3c-VendorKeysNv
f0a30bc7-af08-4556-99c4-001009c93a44-SecureBootEnable
c076ec0c-7028-4399-a072-71ee5c448b9f-CustomMode
EOF
# What AuthVariableLibInitialize creates at boot on a store without them (NV), and the
# volatile mode variables it publishes: allowed beside a file's own variables.
read -r -d '' AUTH_BOOT_NV <<EOF || true
c076ec0c-7028-4399-a072-71ee5c448b9f-CustomMode
d9bee56e-75dc-49d9-b4d7-b534210f637a-certdb
9073e4e0-60ec-4b6e-9903-4c223c260f3c-VendorKeysNv
EOF
AUTH_VOLATILE="SetupMode|SignatureSupport|SecureBoot|certdbv|VendorKeys|AuditMode|DeployedMode"

declare -A LIVE=(
	[OVMF_VARS_4M.fd]=""
	[OVMF_VARS.fd]=""
	[OVMF_VARS_4M.ms.fd]="$OVMF_MS_LIVE"
	[OVMF_VARS_4M.snakeoil.fd]="$OVMF_MS_LIVE"
	[AAVMF_VARS.ms.fd]="$AAVMF_MS_LIVE"
)
declare -A COUNT=([OVMF_VARS_4M.fd]=0 [OVMF_VARS.fd]=0 [OVMF_VARS_4M.ms.fd]=31
	[OVMF_VARS_4M.snakeoil.fd]=31 [AAVMF_VARS.ms.fd]=22)
declare -A RECORDS=([OVMF_VARS_4M.fd]=0 [OVMF_VARS.fd]=0 [OVMF_VARS_4M.ms.fd]=57
	[OVMF_VARS_4M.snakeoil.fd]=57 [AAVMF_VARS.ms.fd]=29)
declare -A PATHS=([OVMF_VARS_4M.fd]=$OVMF/OVMF_VARS_4M.fd [OVMF_VARS.fd]=$OVMF/OVMF_VARS.fd
	[OVMF_VARS_4M.ms.fd]=$OVMF/OVMF_VARS_4M.ms.fd
	[OVMF_VARS_4M.snakeoil.fd]=$OVMF/OVMF_VARS_4M.snakeoil.fd
	[AAVMF_VARS.ms.fd]=$AAVMF/AAVMF_VARS.ms.fd)

# Cross-check the hard-coded names against the files themselves (UTF-16 strings).
for f in "${!LIVE[@]}"; do
	[[ $(grep -c . <<<"${LIVE[$f]}" || true) -eq ${COUNT[$f]} ]] || fail "$f: list/count mismatch"
	names=$(strings -el -n 2 "${PATHS[$f]}" | sort -u)
	while IFS= read -r line; do
		[[ -z $line ]] && continue
		grep -qxF "${line#*-*-*-*-*-}" <<<"$names" || fail "$f: ${line#*-*-*-*-*-} not in the file"
	done <<<"${LIVE[$f]}"
done
ok "expected names are UTF-16 strings of their files (independent check)"

auth_on() { # state -> 0 if stmmd reports authenticated variables
	emu status --state "$1" --json | json_ok '(d["ctrl"] or {}).get("secure_boot", 0) is not None'
}

# The state's variables vs. the file's: NV exactly the file's (plus what the auth init
# adds when missing), the rest only the volatile mode variables.
check_list() { # state file
	local s=$1 f=$2 list want extra
	list=$(emu var list --state "$s" | sort) || fail "$f: var list"
	want=$(printf '%s\n' "${LIVE[$f]}")
	if auth_on "$s"; then
		want=$(printf '%s\n%s\n' "$want" "$AUTH_BOOT_NV")
	fi
	want=$(grep . <<<"$want" | sort -u || true)
	missing=$(comm -13 <(echo "$list") <(echo "$want") | grep . || true)
	[[ -z $missing ]] || fail "$f: missing after import: $missing"
	extra=$(comm -23 <(echo "$list") <(echo "$want") | grep . || true)
	while IFS= read -r line; do
		[[ -z $line ]] && continue
		[[ ${line#*-*-*-*-*-} =~ ^($AUTH_VOLATILE)$ ]] || fail "$f: unexpected variable $line"
		attrs=$(emu var get --state "$s" "${line#*-*-*-*-*-}" --guid "${line:0:36}" --json)
		json_ok 'not d["attrs"].startswith("nv")' <<<"$attrs" || fail "$f: $line is non-volatile but not in the file"
	done <<<"$extra"
	nv=$(emu status --state "$s" --json | json_get 'd["ctrl"]["live_variables"]')
	[[ $nv -eq $(grep -c . <<<"$want" || true) ]] ||
		fail "$f: store holds $nv NV variables, expected $(grep -c . <<<"$want" || true)"
}

# ---- import each file, list, export -> import -> export ----------------------------------
for f in OVMF_VARS_4M.fd OVMF_VARS_4M.ms.fd OVMF_VARS_4M.snakeoil.fd OVMF_VARS.fd AAVMF_VARS.ms.fd; do
	new_state; s=$NEW
	out=$(emu up --state "$s" --import "${PATHS[$f]}") || fail "$f: up --import"
	grep -q "imported ${COUNT[$f]} live variables (${RECORDS[$f]} records)" <<<"$out" ||
		fail "$f: up --import said: $out"
	check_list "$s" "$f"
	ok "$f: up --import: exactly its ${COUNT[$f]} live variables (of ${RECORDS[$f]} records)"

	emu export --state "$s" -q "$WORK/$f.1" || fail "$f: export (running)"
	emu down --state "$s" -q
	emu export --state "$s" -q "$WORK/$f.1b" || fail "$f: export (stopped)"
	cmp -s "$WORK/$f.1" "$WORK/$f.1b" || fail "$f: export differs running vs stopped"
	[[ -z $(ls "$s"/*.pid 2>/dev/null) ]] || fail "$f: export left daemons running"
	new_state; s2=$NEW
	emu import --state "$s2" -q "$WORK/$f.1" || fail "$f: import of the export"
	emu export --state "$s2" -q "$WORK/$f.2" || fail "$f: export of the re-import"
	cmp -s "$WORK/$f.1" "$WORK/$f.2" || fail "$f: export -> import -> export is not stable"
	ok "$f: export (running = stopped) -> import -> export is byte-stable"
done

# OVMF's layout: the 4 MiB and 2 MiB builds' headers and FTW areas, byte for byte.
for pair in OVMF_VARS_4M.fd:540672:0x40000 OVMF_VARS.fd:131072:0xe000; do
	IFS=: read -r f size store <<<"$pair"
	new_state; s=$NEW
	emu import --state "$s" -q "${PATHS[$f]}" || fail "$f: import"
	emu export --state "$s" -q --size "$size" "$WORK/$f.ovmf" || fail "$f: export --size"
	[[ $(stat -c %s "$WORK/$f.ovmf") -eq $size ]] || fail "$f: export --size: wrong size"
	cmp -s -n 100 "$WORK/$f.ovmf" "${PATHS[$f]}" || fail "$f: FV/store headers differ from OVMF's"
	cmp -s -i "$((store))" "$WORK/$f.ovmf" "${PATHS[$f]}" || fail "$f: gap/FTW areas differ from OVMF's"
	ok "$f: export --size $size has OVMF's FV header, store header, gap and FTW areas"
done
new_state; s=$NEW
emu import --state "$s" -q "$AAVMF/AAVMF_VARS.ms.fd"
emu export --state "$s" -q --var-store-size 262144 --ftw-working-size 262144 \
	--ftw-spare-size 262144 --file-size 67108864 "$WORK/aavmf.fd" || fail "AAVMF layout export"
[[ $(stat -c %s "$WORK/aavmf.fd") -eq 67108864 ]] ||
	fail "AAVMF-sized export"
new_state; s2=$NEW
out=$(emu import --state "$s2" "$WORK/aavmf.fd") || fail "re-import of the AAVMF-sized export"
grep -q "imported 22 live variables" <<<"$out" || fail "AAVMF-sized export: $out"
ok "AAVMF layout (3 x 256 KiB, 64 MiB flash file) exports and imports"
if emu export --state "$s2" -q --size 32768 "$WORK/small.fd" 2>"$WORK/err"; then
	fail "export into a too small layout succeeded"
else
	rc=$?
	[[ $rc -eq 4 ]] && grep -q "do not fit" "$WORK/err" || fail "too small export: rc $rc, $(cat "$WORK/err")"
fi
ok "export into a layout that cannot hold the variables: exit 4, 'do not fit'"

# ---- damaged input: clear errors, nothing half-imported ----------------------------------
new_state; s=$NEW
emu import --state "$s" -q "$OVMF/OVMF_VARS_4M.ms.fd" || fail "import"
MS=$OVMF/OVMF_VARS_4M.ms.fd
head -c 300000 "$MS" >"$WORK/trunc.fd"
cp "$MS" "$WORK/cksum.fd"; printf '\x00' | dd of="$WORK/cksum.fd" bs=1 seek=50 conv=notrunc status=none
head -c 540672 /dev/urandom >"$WORK/garbage.fd"; printf 'XXXX' | dd of="$WORK/garbage.fd" bs=1 seek=40 conv=notrunc status=none
cp "$MS" "$WORK/guid.fd"; printf '\x00' | dd of="$WORK/guid.fd" bs=1 seek=$((0x48)) conv=notrunc status=none
cp "$MS" "$WORK/past.fd"; printf '\xff\xff\xff\x0f' | dd of="$WORK/past.fd" bs=1 seek=$((0x64 + 40)) conv=notrunc status=none
declare -A DAMAGE=(
	[trunc]="offset 0x20: FvLength 0x84000 runs past the end of the file"
	[cksum]="offset 0x32: bad FV header checksum"
	[garbage]="offset 0x28: not an EDK2 firmware volume"
	[guid]="offset 0x48: bad variable store signature"
	[past]="offset 0x64: variable record (NameSize 22, DataSize 268435455) runs past the end"
)
cp "$AAVMF/AAVMF_VARS.fd" "$WORK/zero.fd"
DAMAGE[zero]="offset 0x28: not an EDK2 firmware volume: signature is 0x00000000"
before=$(cd "$s" && sha256sum rpmb.db stmm-emu.conf)
for d in "${!DAMAGE[@]}"; do
	rc=0
	emu import --state "$s" "$WORK/$d.fd" 2>"$WORK/err" || rc=$?
	[[ $rc -eq 4 ]] || fail "$d: exit $rc, expected 4: $(cat "$WORK/err")"
	grep -qF "${DAMAGE[$d]}" "$WORK/err" || fail "$d: error '$(cat "$WORK/err")' lacks '${DAMAGE[$d]}'"
	[[ $(cd "$s" && sha256sum rpmb.db stmm-emu.conf) == "$before" ]] || fail "$d: state changed"
	[[ -z $(ls -d "$s"/import.* 2>/dev/null) ]] || fail "$d: staging left behind"
	ok "damaged ($d): exit 4, \"$(head -n1 "$WORK/err" | cut -c1-110)\", state untouched"
done
emu up --state "$s" -q
rc=0
emu import --state "$s" "$MS" 2>"$WORK/err" || rc=$?
[[ $rc -eq 3 ]] && grep -q "is running; stop it first" "$WORK/err" || fail "import on a running stack: $rc"
rc=0
emu up --state "$s" --import "$MS" 2>"$WORK/err" || rc=$?
[[ $rc -eq 3 ]] && grep -q "not a fresh state" "$WORK/err" || fail "up --import on a used state: $rc"
check_list "$s" OVMF_VARS_4M.ms.fd
ok "import refused on a running stack, up --import on a used state; the store unchanged"
emu down --state "$s" -q

# ---- Secure Boot from the imported PK ----------------------------------------------------
mode() { # state -> "SetupMode SecureBoot" from the variables
	printf '%s %s' "$(emu var get --state "$1" SetupMode --raw | xxd -p)" \
		"$(emu var get --state "$1" SecureBoot --raw | xxd -p)"
}
new_state; s_empty=$NEW
emu up --state "$s_empty" -q --import "$OVMF/OVMF_VARS_4M.fd"
new_state; s_snake=$NEW
emu up --state "$s_snake" -q --import "$OVMF/OVMF_VARS_4M.snakeoil.fd"
if ! auth_on "$s_snake"; then
	echo "NOT RUN: stmmd has no authenticated variables (status: secure_boot null); the" \
		"SecureBoot/SetupMode and snakeoil db-append checks need stmm/mm/varsvc_auth.c" >&2
	fail "authenticated-variable checks could not run"
fi
[[ $(mode "$s_empty") == "01 00" ]] || fail "empty store: SetupMode/SecureBoot $(mode "$s_empty")"
[[ $(mode "$s_snake") == "00 01" ]] || fail "snakeoil store: SetupMode/SecureBoot $(mode "$s_snake")"
emu status --state "$s_snake" --json | json_ok 'd["ctrl"]["secure_boot"]["setup_mode"] == 0 and d["ctrl"]["secure_boot"]["secure_boot"] == 1' ||
	fail "status does not show user mode"
ok "SecureBoot/SetupMode follow the imported PK: empty store 1/0 (setup), snakeoil 0/1 (user)"

openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out "$WORK/snakeoil.key" 2>/dev/null ||
	fail "decrypting the snakeoil key"
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=stmm-emu import test db/" -days 30 \
	-keyout "$WORK/new.key" -out "$WORK/new.crt" 2>/dev/null || fail "openssl req"
cert-to-efi-sig-list -g 11111111-2222-3333-4444-555555555555 "$WORK/new.crt" "$WORK/new.esl" >/dev/null
TS="2030-01-01 00:00:00"
sign-efi-sig-list -a -t "$TS" -k "$WORK/snakeoil.key" -c "$SNAKEOIL_PEM" db "$WORK/new.esl" \
	"$WORK/good.auth" >/dev/null || fail "sign-efi-sig-list (snakeoil)"
sign-efi-sig-list -a -t "$TS" -k "$KEYS/other.key" -c "$KEYS/other.crt" db "$WORK/new.esl" \
	"$WORK/bad.auth" >/dev/null || fail "sign-efi-sig-list (other key)"
db_before=$(emu var get --state "$s_snake" db --raw | sha256sum)
if emu var set --state "$s_snake" db --attrs nv,bs,rt,at,append --data-file "$WORK/bad.auth" \
	2>"$WORK/err"; then
	fail "db append signed by another key succeeded"
fi
grep -q EFI_SECURITY_VIOLATION "$WORK/err" || fail "db append by another key: $(cat "$WORK/err")"
[[ $(emu var get --state "$s_snake" db --raw | sha256sum) == "$db_before" ]] || fail "db changed"
ok "db append signed by another key: EFI_SECURITY_VIOLATION, db unchanged"
emu var set --state "$s_snake" db --attrs nv,bs,rt,at,append --data-file "$WORK/good.auth" \
	2>"$WORK/err" || fail "db append signed by the snakeoil key: $(cat "$WORK/err")"
size_before=935
size_after=$(emu var get --state "$s_snake" db --raw | wc -c)
[[ $size_after -eq $((size_before + $(stat -c %s "$WORK/new.esl"))) ]] ||
	fail "db after append is $size_after bytes"
ok "db append signed by the snakeoil key (efitools) succeeds: db $size_before -> $size_after bytes"

# The append survives export -> import.
emu export --state "$s_snake" -q "$WORK/snake2.fd"
new_state; s3=$NEW
emu up --state "$s3" -q --import "$WORK/snake2.fd"
[[ $(emu var get --state "$s3" db --raw | wc -c) -eq $size_after ]] || fail "appended db lost in export"
[[ $(mode "$s3") == "00 01" ]] || fail "re-imported snakeoil store: $(mode "$s3")"
ok "the appended db and user mode survive export -> import"

echo "emu_import_export: $PASSED passed"
