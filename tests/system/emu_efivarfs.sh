#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `stmm-emu mount`: the efivarfs-compatible FUSE mount (README "Using your own tools") with
# the real Debian programs (emu_efivarfs_kernel.sh: the kernel's selftest cases, S10, S6):
#   - efibootmgr 17 (-o, -t, -n, -a/-A, -b -B) on crafted Boot#### entries of a store
#     imported from OVMF_VARS_4M.fd, each result read back with `stmm-emu var get` byte for byte
#   - efivar 37 (-l, -p, -w, -A append)
#   - the immutable whitelist (FS_IOC_GETFLAGS/SETFLAGS, EPERM from the fs), errno mapping,
#     df from QueryVariableInfo, a writer through the mount and one through the CLI
#   - stmmd not answering: what was seen stays (no ENOENT), reads EIO
#   - `stmm-emu down` unmounts
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/efivarfs.bash"
export STMM_EMU_TIMEOUT_MS=10000
needs_fuse
for t in efibootmgr efivar python3; do
	command -v "$t" >/dev/null || fail "$t not installed (efibootmgr, efivar)"
done
[[ -x $EMU ]] || fail "$EMU not built"
VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[[ -f $VARS ]] || fail "$VARS missing (ovmf)"

M=$WORK/mnt
mkdir -p "$M"
"$EMU" up -q --import "$VARS" >/dev/null
"$EMU" mount "$M" || fail "mount"
grep -q "^efivarfs $M fuse.efivarfs " /proc/mounts || fail "not in /proc/mounts as fuse.efivarfs"
export EFIVARFS_PATH=$M/
ok "mounted (fuse.efivarfs), imported $VARS"

hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
varhex() { "$EMU" var get "$@" --json | json_get 'd["data"]'; }
attrhex() { "$EMU" var get "$@" --json | json_get '"%08x" % d["attributes"]'; }

# ---- names, listing, read ---------------------------------------------------------------
ls "$M" | grep -q "^SecureBoot-$G\$" || fail "SecureBoot not listed"
! ls "$M" | grep -v -- '-[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}$' ||
	fail "a listed name is not Name-<lowercase guid>"
UPPER=${G^^}
[[ -f $M/SetupMode-$UPPER ]] || fail "GUID lookup is not case-insensitive"
[[ ! -e $M/setupmode-$G ]] || fail "the name part must be case-sensitive"
[[ $(hex "$M/SetupMode-$G") == 0600000001 ]] || fail "SetupMode read: $(hex "$M/SetupMode-$G")"
[[ $(stat -c %s "$M/SetupMode-$G") == 5 ]] || fail "size is not 4 + DataSize"
ok "Name-guid listing, case-insensitive GUID lookup, attributes || data on read, size 4+n"

# ---- efibootmgr on crafted load options ---------------------------------------------------
# Boot0001: ACTIVE, path = end node only, description "A";  Boot0002: File(x) path, "B".
printf '\x07\x00\x00\x00\x01\x00\x00\x00\x04\x00A\x00\x00\x00\x7f\xff\x04\x00' >"$M/Boot0001-$G"
printf '\x07\x00\x00\x00\x01\x00\x00\x00\x0c\x00B\x00\x00\x00\x04\x04\x08\x00x\x00\x00\x00\x7f\xff\x04\x00' \
	>"$M/Boot0002-$G"
[[ $(varhex Boot0002) == 010000000c0042000000040408007800000007fff0400 ]] 2>/dev/null ||
	[[ $(varhex Boot0002) == 010000000c004200000004040800780000007fff0400 ]] || fail "Boot0002 bytes: $(varhex Boot0002)"
out=$(efibootmgr -v) || fail "efibootmgr -v"
grep -q '^Boot0001\* A' <<<"$out" && grep -q '^Boot0002\* B.*File(x)' <<<"$out" || fail "efibootmgr -v: $out"
ok "efibootmgr -v lists crafted Boot0001/Boot0002"
efibootmgr -o 0002,0001 >/dev/null || fail "efibootmgr -o"
[[ $(varhex BootOrder) == 02000100 && $(attrhex BootOrder) == 00000007 ]] || fail "BootOrder $(varhex BootOrder)"
efibootmgr -t 7 >/dev/null || fail "efibootmgr -t"
[[ $(varhex Timeout) == 0700 ]] || fail "Timeout $(varhex Timeout)"
efibootmgr -n 1 >/dev/null || fail "efibootmgr -n"
[[ $(varhex BootNext) == 0100 ]] || fail "BootNext $(varhex BootNext)"
efibootmgr -b 1 -A >/dev/null || fail "efibootmgr -A"
[[ $(varhex Boot0001) == 0000000004004100000007ff0400 || $(varhex Boot0001) == 00000000040041000000"7fff0400" ]] ||
	fail "Boot0001 after -A: $(varhex Boot0001)"
efibootmgr -b 1 -a >/dev/null || fail "efibootmgr -a"
[[ $(varhex Boot0001) == 01000000040041000000"7fff0400" ]] || fail "Boot0001 after -a: $(varhex Boot0001)"
efibootmgr -b 2 -B >/dev/null || fail "efibootmgr -b 2 -B"
"$EMU" var get Boot0002 >/dev/null 2>&1 && fail "Boot0002 still there"
[[ $(varhex BootOrder) == 0100 ]] || fail "BootOrder after -B: $(varhex BootOrder)"
efibootmgr -N >/dev/null || fail "efibootmgr -N"
"$EMU" var get BootNext >/dev/null 2>&1 && fail "BootNext still there"
ok "efibootmgr -o/-t/-n/-A/-a/-b -B/-N: the store holds the bytes the kernel would have written"

# ---- efivar ------------------------------------------------------------------------------
efivar -l | grep -qx "$G-Timeout" || fail "efivar -l"
efivar -p -n "$G-Timeout" | grep -q 'Attributes' || fail "efivar -p"
printf 'abc' >"$WORK/d1"
# A new variable: without -t the attributes are 0, i.e. a delete of nothing -> EIO, as on Linux.
efivar -w -n "$T-EfivarTest" -f "$WORK/d1" 2>/dev/null && fail "efivar -w with attributes 0 must fail"
efivar -w -t 7 -n "$T-EfivarTest" -f "$WORK/d1" || fail "efivar -w"
[[ $(varhex -g "$T" EfivarTest) == 616263 ]] || fail "efivar -w bytes"
printf 'de' >"$WORK/d2"
efivar -a -t 7 -n "$T-EfivarTest" -f "$WORK/d2" || fail "efivar -a (append)"
[[ $(varhex -g "$T" EfivarTest) == 6162636465 ]] || fail "append: $(varhex -g "$T" EfivarTest)"
ok "efivar -l, -p, -w (attributes 0: EIO), -w -t 7, -a (APPEND through 0x40)"

# ---- the immutable whitelist ---------------------------------------------------------------
imm() { py 'fd = os.open(sys.argv[1], os.O_RDONLY); print(getflags(fd) & IMM and 1 or 0)' "$1"; }
[[ $(imm "$M/Timeout-$G") == 0 && $(imm "$M/BootOrder-$G") == 0 && $(imm "$M/Boot0001-$G") == 0 ]] ||
	fail "whitelisted variables must be mutable"
[[ $(imm "$M/SecureBoot-$G") == 1 && $(imm "$M/EfivarTest-$T") == 1 ]] || fail "others must be immutable"
e=$(py 'print(err(lambda: os.open(sys.argv[1], os.O_WRONLY)))' "$M/EfivarTest-$T")
[[ $e == 1 ]] || fail "open O_WRONLY of an immutable file: errno $e, want EPERM"
rm "$M/EfivarTest-$T" 2>/dev/null && fail "unlink of an immutable file"
chattr -i "$M/EfivarTest-$T" || fail "chattr -i"
[[ $(imm "$M/EfivarTest-$T") == 0 ]] || fail "flag not cleared"
e=$(py 'fd = os.open(sys.argv[1], os.O_RDONLY); print(err(lambda: setflags(fd, 0x20)))' "$M/EfivarTest-$T")
[[ $e == 95 ]] || fail "SETFLAGS with another flag: errno $e, want EOPNOTSUPP"
rm "$M/EfivarTest-$T" || fail "rm after chattr -i"
"$EMU" var get -g "$T" EfivarTest >/dev/null 2>&1 && fail "still in the store after rm"
ok "immutable unless whitelisted; EPERM on write-open and unlink; chattr -i; EOPNOTSUPP"

# ---- errno mapping ---------------------------------------------------------------------------
# Each case on a new name: a failed first write leaves an immutable 0-byte file (6.14+).
wr() { py 'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
print(err(lambda: os.write(fd, bytes.fromhex(sys.argv[2]))))' "$@"; }
[[ $(wr "$M/E1-$T" 0700) == 22 ]] || fail "< 4 bytes: want EINVAL"
[[ $(wr "$M/E1b-$T" 8000000041) == 22 ]] || fail "attribute 0x80: want EINVAL"
[[ $(wr "$M/Timeout-$G" 07000000010203) == 22 ]] || fail "Timeout of 3 bytes: want EINVAL (validator)"
[[ $(wr "$M/BootOrder-$G" 07000000010203) == 22 ]] || fail "odd BootOrder: want EINVAL"
[[ $(wr "$M/E2-$T" 0400000041) == 22 ]] || fail "RT without BS (firmware INVALID_PARAMETER): want EINVAL"
[[ $(wr "$M/E3-$T" 2700000041) == 13 ]] || fail "AT without an authentication header: want EACCES (SECURITY_VIOLATION)"
[[ $(wr "$M/E4-$T" 07000000$(head -c 20000 /dev/zero | od -An -tx1 -v | tr -d ' \n')) == 22 ]] ||
	fail "over the payload budget (tee_stmm_efi INVALID_PARAMETER): want EINVAL"
big=07000000$(head -c 5000 /dev/zero | od -An -tx1 -v | tr -d ' \n')
e=0 n=0
while ((e == 0 && n < 12)); do n=$((n + 1)); e=$(wr "$M/Fill$n-$T" "$big"); done
[[ $e == 28 ]] || fail "store full: errno $e after $n writes, want ENOSPC (OUT_OF_RESOURCES)"
for ((k = 1; k < n; k++)); do chattr -i "$M/Fill$k-$T" && rm "$M/Fill$k-$T" || fail "rm Fill$k"; done
e=$(py 'print(err(lambda: os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)))' "$M/Seed-1ce1e5bc-7ceb-42f2-81e5-8aadf180f57b")
[[ $e == 1 ]] || fail "random-seed GUID create: errno $e, want EPERM"
e=$(py 'print(err(lambda: os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)))' "$M/foo")
[[ $e == 22 ]] || fail "invalid name: errno $e, want EINVAL"
ok "EINVAL (short, attrs, validators, firmware, budget), EACCES, ENOSPC, EPERM, invalid names"

# ---- df, concurrent writers -------------------------------------------------------------------
read -r total used avail < <(df -B1 --output=size,used,avail "$M" | tail -n 1)
q=$("$EMU" var info --json 2>/dev/null || true)
(( total > 0 && avail > 0 && avail <= total )) || fail "df: $total $used $avail"
ok "df: $total bytes, $avail free (QueryVariableInfo)"
printf '\x07\x00\x00\x00m0' >"$M/Conc-$T" && chattr -i "$M/Conc-$T" || fail "Conc"
for i in $(seq 1 5); do printf "\x07\x00\x00\x00m$i" >"$M/Conc-$T" || fail "mount write $i"; done &
wpid=$!
for i in $(seq 1 5); do "$EMU" var set -g "$T" Conc2 --string "c$i" >/dev/null || fail "cli write $i"; done
wait "$wpid" || fail "mount writer"
[[ $(varhex -g "$T" Conc) == 6d35 ]] || fail "Conc: $(varhex -g "$T" Conc)"
[[ $(hex "$M/Conc2-$T" | cut -c9-) == $(varhex -g "$T" Conc2) ]] || fail "the mount does not show the CLI's write"
"$EMU" var delete -g "$T" Conc2 >/dev/null
[[ ! -e $M/Conc2-$T ]] || fail "a delete by another client is not seen"
ok "5 writes through the mount and 5 through the CLI at once; each sees the other's"

# ---- firmware not answering (a stopped stmmd, a client timeout) ------------------------------
# efivarfs finds a file in its dcache, never in firmware: a variable seen before is still
# there (stat, with its size), one never seen is ENOENT, and a read, which asks firmware, is
# EIO.  A second mount with a short client timeout; the answers are gathered while stmmd is
# stopped and checked after SIGCONT, so a failure leaves no stopped daemon behind.
M3=$WORK/mnt3
mkdir -p "$M3"
STMM_EMU_TIMEOUT_MS=2000 "$EMU" mount "$M3" || fail "second mount"
[[ $(stat -c %s "$M3/SecureBoot-$G") == 5 ]] || fail "SecureBoot through the second mount"
spid=$(pid_of stmmd)
[[ -n $spid ]] || fail "no stmmd pid"
kill -STOP "$spid"
seen=$(stat -c %s "$M3/SecureBoot-$G" 2>&1) || seen="failed: $seen"
unseen=$(stat -c %s "$M3/Unseen-$T" 2>&1) && unseen="exists: $unseen"
rd=$(cat "$M3/SecureBoot-$G" 2>&1 >/dev/null) && rd="read worked"
kill -CONT "$spid"
[[ $seen == 5 ]] || fail "stopped stmmd: stat of a variable seen before: $seen (want its size, 5)"
[[ $unseen == *"No such file"* ]] || fail "stopped stmmd: stat of a name never seen: $unseen"
[[ $rd == *"Input/output error"* ]] || fail "stopped stmmd: read: $rd (want EIO)"
[[ $(od -An -tx1 "$M3/SecureBoot-$G" | tr -d ' \n') == 0600000000 ]] || fail "after SIGCONT: $(od -An -tx1 "$M3/SecureBoot-$G")"
ok "stmmd not answering: a variable seen before stats with its size (not ENOENT), an unseen one is ENOENT, a read EIO; all back after SIGCONT"

# ---- down ---------------------------------------------------------------------------------
"$EMU" down -q
[[ -z $(grep " $M " /proc/mounts) ]] && [[ -z $(grep " $M3 " /proc/mounts) ]] || fail "down left a mount"
ok "stmm-emu down unmounted it"

all_passed
