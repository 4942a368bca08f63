#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The store where OP-TEE keeps it: a fresh state's RPMB holds OP-TEE's RPMB file system with
# StMM's EFI_VARS file, which decrypts (test HUK) to the very FV `stmm-emu export` writes.
#   - status: layout optee-fs; `rpmb image` + `rpmb inspect` list the FAT, extract EFI_VARS
#   - the extracted file equals `stmm-emu export`'s byte for byte, and `stmm-emu import` of it
#     brings the variables into another state
#   - Debian's unmodified `mmc rpmb read-block` through the shim dumps the partition, with
#     the MAC checked under the key OP-TEE derived; the dump equals `rpmb image` and
#     `rpmb inspect` reads it the same
#   - a raw-layout state is refused by `rpmb inspect` (no RPMB FS) with the reason
#   - bad images get errors naming the block
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
export STMM_EMU_TIMEOUT_MS=10000
source "$(dirname "$0")/lib/shim.bash"
shim_preload "$PWD/$BUILD/librpmb-shim.so" || fail "shim"

status_of() { local rc=0; "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?; echo "$rc"; }

"$EMU" up --quiet || fail "up"
"$EMU" status --json | json_ok 'd["ctrl"]["rpmb"]["layout"] == "optee-fs"' || fail "a new state is not optee-fs"
"$EMU" var set Alpha --string "first" || fail "var set Alpha"
"$EMU" var set Bravo --data "00 01 02 03" --attrs nv,bs || fail "var set Bravo"
"$EMU" export "$WORK/export.fd" >/dev/null || fail "export"
"$EMU" rpmb image "$WORK/part.img" >/dev/null || fail "rpmb image"
rc=$(status_of "$EMU" rpmb inspect "$WORK/part.img" --extract EFI_VARS -o "$WORK/efi_vars.fd")
[[ $rc == 0 ]] || fail "rpmb inspect --extract: exit $rc: $(cat "$WORK/err")"
grep -q "^partition:  262144 bytes (1024 blocks), OP-TEE RPMB FS version 2, FAT at byte 512" "$WORK/out" ||
	fail "inspect header: $(cat "$WORK/out")"
grep -q "^FAT block 2 .*/33D532EDE69909429CC02D72CDD998A7/4546495F56415253: 49152 bytes .* = StMM's EFI_VARS" "$WORK/out" ||
	fail "inspect FAT: $(cat "$WORK/out")"
cmp "$WORK/efi_vars.fd" "$WORK/export.fd" || fail "EFI_VARS decrypted differs from stmm-emu export"
ok "EFI_VARS in OP-TEE's RPMB FS (FAT block 2, 48 KiB) decrypts to exactly the FV export writes"

S2=$WORK/imported
STATES+=("$S2")
"$EMU" import --state "$S2" "$WORK/efi_vars.fd" >/dev/null || fail "import of the extracted EFI_VARS"
"$EMU" up --quiet --state "$S2" || fail "up $S2"
[[ $("$EMU" var get --state "$S2" Alpha --raw) == first ]] || fail "Alpha after import"
"$EMU" down --quiet --state "$S2" || fail "down $S2"
ok "the extracted EFI_VARS imports into another state"

# Debian's mmc-utils, unmodified, through the shim: the key is OP-TEE's, derived from the
# test HUK (16 zero bytes) and the device's CID with PRV and CRC zeroed (rpmb_client.h).
cid=$(sqlite3 "$STATE/rpmb.db" "SELECT hex(cid) FROM device WHERE id = 1;")
python3 -c 'import hashlib, hmac, sys
c = bytearray.fromhex(sys.argv[1]); c[9] = 0; c[15] = 0
sys.stdout.buffer.write(hmac.new(bytes(16), bytes(4) + bytes(c), hashlib.sha256).digest())' "$cid" >"$WORK/key"
rc=$(status_of "$EMU" rpmb inspect "$WORK/part.img" --cid "$cid")
[[ $rc == 0 ]] && grep -q "^rpmb key:   $(xxd -p -c 32 "$WORK/key") " "$WORK/out" ||
	fail "inspect --cid does not print OP-TEE's RPMB key: $(cat "$WORK/out" "$WORK/err")"
rm -f "$WORK/dump.img"
for ((b = 0; b < 1024; b += 64)); do # 64 blocks per MMC_IOC_MULTI_CMD; mmc appends to OUTPUT
	rc=0
	LD_PRELOAD=$PRELOAD ASAN_OPTIONS=$MMC_ASAN_OPTIONS RPMB_SHIM_SOCKET=$STATE/mmc.sock \
		mmc rpmb read-block /dev/mmcblk0rpmb "$b" 64 "$WORK/dump.img" "$WORK/key" >"$WORK/out" 2>&1 || rc=$?
	[[ $rc == 0 ]] || fail "mmc rpmb read-block $b 64 through the shim: exit $rc: $(cat "$WORK/out")"
done
cmp "$WORK/dump.img" "$WORK/part.img" >"$WORK/cmp" || fail "mmc's dump differs from rpmb image: $(cat "$WORK/cmp"; ls -l "$WORK/dump.img" "$WORK/part.img")"
rc=$(status_of "$EMU" rpmb inspect "$WORK/dump.img" --extract EFI_VARS -o "$WORK/dump.fd")
[[ $rc == 0 ]] && cmp -s "$WORK/dump.fd" "$WORK/export.fd" || fail "inspect of mmc's dump: exit $rc"
ok "mmc rpmb read-block (MACs verified with OP-TEE's key, which inspect --cid prints) dumps the same 1024 blocks; inspect reads them"

# Errors: a truncated image, a damaged FAT entry, the raw layout, the wrong HUK.
head -c 1000 "$WORK/part.img" >"$WORK/short.img"
rc=$(status_of "$EMU" rpmb inspect "$WORK/short.img")
[[ $rc == 4 ]] && grep -q "not a partition image" "$WORK/err" || fail "short image: exit $rc: $(cat "$WORK/err")"
cp "$WORK/part.img" "$WORK/badfat.img"
printf '\xff\xff\xff\x7f' | dd of="$WORK/badfat.img" bs=1 seek=512 conv=notrunc status=none
rc=$(status_of "$EMU" rpmb inspect "$WORK/badfat.img")
[[ $rc == 4 ]] && grep -q "block 2: FAT entry" "$WORK/err" || fail "damaged FAT: exit $rc: $(cat "$WORK/err")"
printf '0123456789abcdef' >"$WORK/other.huk"
"$EMU" rpmb inspect "$WORK/part.img" --huk "$WORK/other.huk" --extract EFI_VARS -o "$WORK/other.fd" >/dev/null ||
	fail "extract with another HUK"
cmp -s "$WORK/other.fd" "$WORK/export.fd" && fail "another HUK decrypted EFI_VARS"
S3=$WORK/raw
STATES+=("$S3")
"$EMU" up --quiet --state "$S3" --rpmb-layout raw || fail "up raw"
rc=$(status_of "$EMU" rpmb inspect "$S3/rpmb.db")
[[ $rc == 1 ]] && grep -q "a store in the raw layout" "$WORK/err" || fail "raw layout: exit $rc: $(cat "$WORK/err")"
ok "errors: short image, damaged FAT entry (block named), raw layout; another HUK decrypts to noise"
# ---- golden RPMB write sequences of SetVariable on the optee-fs layout ---------------------
# rpmbd -v logs every authenticated write ("DATA_WRITE 1 block(s) at N"); the block numbers a
# SetVariable makes, runs of consecutive blocks folded, against OP-TEE's rules on a fresh
# 1024-block partition: EFI_VARS (48 KiB = 192 blocks) sits at 831..1022 (allocated from the
# top; block 1023 is never used); a write inside one block of the file is in place; any other
# write copies the whole file to the highest free range (639..830, then back to 831..1022),
# the FAT entry (block 2) last, and what follows lands in the new place.
S4=$WORK/golden
mkdir -p "$S4"
STATES+=("$S4")
"$EMU" up --quiet --state "$S4" --rpmbd-arg=-v || fail "up $S4"
writes_of() { # command...: the folded block list of the RPMB writes it made
	local n0
	n0=$(wc -l <"$S4/rpmbd.log")
	"$@" >/dev/null || fail "$*"
	tail -n +$((n0 + 1)) "$S4/rpmbd.log" | sed -n 's/.*DATA_WRITE 1 block(s) at \([0-9]*\) .*/\1/p' |
		python3 -c 'import sys
a = [int(x) for x in sys.stdin.read().split()]
out, i = [], 0
while i < len(a):
    j = i
    while j + 1 < len(a) and a[j + 1] == a[j] + 1:
        j += 1
    out.append(str(a[i]) if i == j else "%d-%d" % (a[i], a[j]))
    i = j + 1
print(len(a), " ".join(out))'
}
expect_writes() { # want command...
	local want=$1 got
	shift
	got=$(writes_of "$@")
	[[ $got == "$want" ]] || fail "RPMB writes of '$*': got '$got', want '$want'"
}
expect_writes "2 832 832" "$EMU" var set --state "$S4" Small --data 0102
expect_writes "194 639-830 2 640" "$EMU" var set --state "$S4" Big --data "$(printf '%0600d' 0)"
expect_writes "194 831-1022 2 834" "$EMU" var set --state "$S4" Big2 --data "$(printf '%0600d' 0)"
expect_writes "1 832" "$EMU" var delete --state "$S4" Small
ok "golden RPMB writes: in place (2: 832 832), copy to 639-830 + FAT block 2 last (194), copy back to 831-1022 (194), delete in place (1)"
all_passed
