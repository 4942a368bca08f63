#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `stmm-emu run --efivarfs -- CMD` with unmodified efitools, efibootmgr and efivar at the
# path they hard-code (/sys/firmware/efi/efivars, private mount namespace): Secure Boot
# enrolment with efi-updatevar as on a board -- db and KEK as ESLs in setup mode, then PK
# signed by itself; EPERM until `chattr -i` (efitools never clear the immutable flag), then
# `stmm-emu status` in user mode with SecureBoot 1; efi-readvar shows the keys; CMD's exit
# status is run's; another stack's `stmm-emu mount` is not seen in CMD's namespace (efitools
# would take it); a clear error without root.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/efivarfs.bash"
export STMM_EMU_TIMEOUT_MS=10000
needs_fuse
for t in mokutil efi-updatevar efi-readvar cert-to-efi-sig-list sign-efi-sig-list efibootmgr chattr; do
	command -v "$t" >/dev/null || fail "$t not installed (efitools, efibootmgr, e2fsprogs)"
done
[[ -x $EMU ]] || fail "$EMU not built"
KEYS=$(cd "$(dirname "$0")/../../fixtures/keys" && pwd)
OWNER=11111111-2222-3333-4444-555555555555
V=/sys/firmware/efi/efivars
S=d719b2cb-3d3a-4596-a3bc-dad00e67656f

"$EMU" up -q
cert-to-efi-sig-list -g "$OWNER" "$KEYS/PK.crt" "$WORK/PK.esl" >/dev/null
cert-to-efi-sig-list -g "$OWNER" "$KEYS/KEK.crt" "$WORK/KEK.esl" >/dev/null
cert-to-efi-sig-list -g "$OWNER" "$KEYS/db.crt" "$WORK/db.esl" >/dev/null
sign-efi-sig-list -k "$KEYS/PK.key" -c "$KEYS/PK.crt" PK "$WORK/PK.esl" "$WORK/PK.auth" >/dev/null

rc=0
"$EMU" run --efivarfs -- sh -c '[ "$EFIVARFS_PATH" = /sys/firmware/efi/efivars/ ] && efibootmgr >/dev/null && exit 7' || rc=$?
[[ $rc == 7 ]] || fail "run --efivarfs: exit status $rc, want CMD's 7"
grep -q " $V " /proc/mounts && fail "the mount leaked out of the namespace"
ok "run --efivarfs: efibootmgr at the hard-coded path, EFIVARFS_PATH set, CMD's exit status, nothing leaks"

# Boot entries made through the mount, exported as an OVMF_VARS_4M.fd-sized file, imported
# into a fresh stack: efibootmgr -v there lists them (the OVMF_VARS_4M.fd Debian ships has none).
"$EMU" run --efivarfs -- sh -c "
	printf '\007\000\000\000\001\000\000\000\004\000A\000\000\000\177\377\004\000' >$V/Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c
	efibootmgr -o 0001 >/dev/null" || fail "crafting Boot0001"
"$EMU" export --size 540672 "$WORK/vars.fd" >/dev/null || fail "export"
STATE2=$WORK/state2
STATES+=("$STATE2")
"$EMU" up -q --state "$STATE2" --import "$WORK/vars.fd" >/dev/null || fail "up --import"
out=$("$EMU" run --state "$STATE2" --efivarfs -- efibootmgr -v) || fail "efibootmgr -v on the imported store"
grep -q '^BootOrder: 0001' <<<"$out" && grep -q '^Boot0001\* A' <<<"$out" || fail "imported: $out"
ok "efibootmgr -v lists the entries of an imported OVMF_VARS_4M.fd-sized variable file"

# Another stack's `stmm-emu mount` (as emu_efivarfs.sh makes while tests run in parallel)
# is older than ours, so it came first in `mount -l`, and efitools take the first efivarfs
# there: they enrolled into that store, or read its SetupMode ("Can't update variable in
# User Mode without a key").  CMD's namespace holds our mount only.
M2=$WORK/m2
mkdir -p "$M2"
"$EMU" mount --state "$STATE2" "$M2" || fail "mount of the second stack"
grep -q " $M2 fuse.efivarfs " /proc/mounts || fail "second stack not mounted"
out=$("$EMU" run --efivarfs -- mount -l) || fail "mount -l in run --efivarfs"
[[ $(grep -c 'type efivarfs\|type fuse\.efivarfs' <<<"$out") == 1 ]] && grep -q " on $V type efivarfs " <<<"$out" ||
	fail "run --efivarfs: want our mount alone in mount -l, got: $(grep efivarfs <<<"$out")"
grep -q " $M2 fuse.efivarfs " /proc/mounts || fail "run --efivarfs unmounted the second stack's mount outside its namespace"
ok "run --efivarfs with another stack mounted: mount -l lists only ours (type efivarfs at $V); theirs stays outside"

# On a board the new files are created mutable-less: KEK and db do not exist yet (create
# works), PK last.  Then a second db update hits EPERM until chattr -i.
out=$("$EMU" run --efivarfs -- sh -c "
	set -e
	efi-updatevar -e -f '$WORK/db.esl' db
	efi-updatevar -e -f '$WORK/KEK.esl' KEK
	efi-updatevar -f '$WORK/PK.auth' PK
	if efi-updatevar -a -c '$KEYS/db.crt' -k '$KEYS/KEK.key' db 2>&1; then echo APPEND-OK; else echo APPEND-REFUSED; fi
	chattr -i $V/db-$S
	efi-updatevar -a -c '$KEYS/db.crt' -k '$KEYS/KEK.key' db && echo APPEND2-OK
	efi-readvar
	mokutil --sb-state || true
" 2>&1) || fail "efitools enrolment: $out"
grep -q 'APPEND-REFUSED' <<<"$out" && grep -qi 'not permitted' <<<"$out" || fail "db update before chattr -i must fail with EPERM: $out"
grep -q 'APPEND2-OK' <<<"$out" || fail "db update after chattr -i: $out"
grep -q 'Variable PK, length' <<<"$out" && grep -q 'Variable KEK, length' <<<"$out" || fail "efi-readvar: $out"
grep -q 'SecureBoot enabled' <<<"$out" || fail "mokutil --sb-state: $out"
st=$("$EMU" status) || fail "status"
[[ $st == *"user mode, SetupMode 0, SecureBoot 1"* ]] || fail "status: $(grep 'secure boot' <<<"$st")"
st=$("$EMU" status --state "$STATE2") || fail "status of the second stack"
[[ $st == *"setup mode, SetupMode 1, SecureBoot 0"* ]] || fail "the enrolment reached the other stack's mount: $(grep 'secure boot' <<<"$st")"
"$EMU" down -q --state "$STATE2"
grep -q " $M2 " /proc/mounts && fail "down left the second stack's mount"
ok "efi-updatevar enrols db, KEK, PK; EPERM before chattr -i, success after; status: user mode, SecureBoot 1; mokutil --sb-state: enabled"

if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
	err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$EMU" run --efivarfs -- true 2>&1) && fail "run as nobody succeeded"
	grep -q "not root" <<<"$err" || fail "run as nobody: unclear error: $err"
	ok "not root: a clear error ($(head -n 1 <<<"$err" | cut -c1-80)...)"
fi

all_passed
