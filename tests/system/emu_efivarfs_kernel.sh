#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `stmm-emu mount` against the kernel's own efivarfs selftests and where kernels differ:
#   - tools/testing/selftests/efivarfs cases (create, create_empty, create_read, delete,
#     zero_size_delete, open_unlink, valid/invalid names, no_set_size, multiple_*), on
#     --kernel 6.14-rc1, the semantics those tests pin
#   - S10: --kernel 6.14+ (never-written files stay, deletes marked size 1) and 6.13
#   - S6: read-only while stmmd has no working store (no supplicant), writable after
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/efivarfs.bash"
export STMM_EMU_TIMEOUT_MS=10000
needs_fuse
for t in chattr python3; do
	command -v "$t" >/dev/null || fail "$t not installed (e2fsprogs, python3)"
done
[[ -x $EMU ]] || fail "$EMU not built"
M=$WORK/mnt
mkdir -p "$M"
varhex() { "$EMU" var get "$@" --json | json_get 'd["data"]'; }

# ---- the kernel's efivarfs selftests (semantics of 908af31f4896: --kernel 6.14-rc1) ----------
"$EMU" up -q
"$EMU" mount --kernel 6.14-rc1 "$M" || fail "mount --kernel 6.14-rc1"
f=$M/test_create-$T
printf '\x07\x00\x00\x00\x01' >"$f" || fail "test_create"
[[ -e $f && $(stat -c %s "$f") == 5 ]] || fail "test_create: size $(stat -c %s "$f")"
: >"$M/test_create_empty-$T"
[[ ! -e $M/test_create_empty-$T ]] || fail "test_create_empty: file remains"
r=$(py 'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644); print(len(os.read(fd, 4096))); os.close(fd)' "$M/test_create_read-$T")
[[ $r == 0 && ! -e $M/test_create_read-$T ]] || fail "test_create_read: read $r"
f=$M/test_delete-$T
printf '\x07\x00\x00\x00\x01' >"$f" && chattr -i "$f" && rm "$f" && [[ ! -e $f ]] || fail "test_delete"
f=$M/test_zero_size_delete-$T
printf '\x07\x00\x00\x00\x01' >"$f" && chattr -i "$f" && printf '\x07\x00\x00\x00' >"$f" && [[ ! -e $f ]] ||
	fail "test_zero_size_delete"
r=$(py 'p = sys.argv[1]
fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600); os.write(fd, b"\x07\0\0\0\x01"); os.close(fd)
fd = os.open(p, os.O_RDONLY); setflags(fd, getflags(fd) & ~IMM); os.close(fd)
fd = os.open(p, os.O_RDONLY); os.unlink(p); print(len(os.read(fd, 5)))' "$M/test_open_unlink-$T")
[[ $r == 0 ]] || fail "test_open_unlink: read $r bytes after unlink"
for n in abc dump-type0-11-1-1362436005 1234 -; do
	printf '\x07\x00\x00\x00\x01' >"$M/$n-$T" && [[ -e $M/$n-$T ]] || fail "test_valid_filenames: $n"
done
for n in "abc-$T"x "abc-${T:0:35}" "${T}" foo "-${T}" "a=${T:1}" "abc${T:0:8}=${T:9}" "abc-${T:0:8}-${T:9:4}=${T:14}"; do
	{ printf '\x07\x00\x00\x00\x01' >"$M/$n"; } 2>/dev/null || true
	[[ ! -e $M/$n ]] || fail "test_invalid_filenames: $n exists"
done
f=$M/test_create-$T
chattr -i "$f" && : >"$f" || fail "test_no_set_size: truncate"
[[ $(stat -c %s "$f") == 5 ]] || fail "test_no_set_size: size $(stat -c %s "$f")"
r=$(py 'p = sys.argv[1]
w = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644); r1 = os.open(p, os.O_RDONLY); r2 = os.open(p, os.O_RDONLY)
e = err(lambda: os.write(w, b"1\n")); os.close(w)
a = os.path.exists(p); os.close(r1); b = os.path.exists(p); os.close(r2)
print(e, a, b, os.path.exists(p))' "$M/test_multiple_zero_size-$T")
[[ $r == "22 True True False" ]] || fail "test_multiple_zero_size: $r"
r=$(py 'p = sys.argv[1]
w = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644); r1 = os.open(p, os.O_RDONLY); r2 = os.open(p, os.O_RDONLY)
os.write(w, b"\x07\0\0\0\x01"); s1 = os.stat(p).st_size; os.close(w); os.close(r1); os.close(r2)
print(s1, os.stat(p).st_size)' "$M/test_multiple_create-$T")
[[ $r == "5 5" ]] || fail "test_multiple_create: $r"
f=$M/test_multiple_delete_on_write-$T
printf '\x07\x00\x00\x00\x01' >"$f" && chattr -i "$f" || fail "test_multiple_delete_on_write: setup"
r=$(py 'p = sys.argv[1]
w = os.open(p, os.O_WRONLY); r1 = os.open(p, os.O_RDONLY); r2 = os.open(p, os.O_RDONLY)
os.write(w, b"\x07\0\0\0"); os.close(w)
s = os.stat(p).st_size; os.close(r1); a = os.path.exists(p); os.close(r2)
print(s, a, os.path.exists(p))' "$f")
[[ $r == "0 True False" ]] || fail "test_multiple_delete_on_write: $r"
ok "the kernel selftests' cases: create, create_empty, create_read, delete, zero_size_delete, open_unlink, valid/invalid names, no_set_size, multiple_zero_size/create/delete_on_write"

# ---- S10: where kernel versions differ ------------------------------------------------------
"$EMU" down -q
"$EMU" up -q
"$EMU" mount --kernel 6.14+ "$M" || fail "mount --kernel 6.14+"
: >"$M/K1-$T"
[[ -e $M/K1-$T && $(stat -c %s "$M/K1-$T") == 0 ]] || fail "6.14+: a never-written file stays (0 bytes)"
f=$M/K2-$T
printf '\x07\x00\x00\x00\x01' >"$f" && chattr -i "$f" || fail "K2"
r=$(py 'p = sys.argv[1]; w = os.open(p, os.O_WRONLY); r1 = os.open(p, os.O_RDONLY)
os.write(w, b"\x07\0\0\0"); os.close(w); s = os.stat(p).st_size; os.close(r1); print(s, os.path.exists(p))' "$f")
[[ $r == "1 False" ]] || fail "6.14+: a deleting write leaves size 1 until the last close: $r"
"$EMU" down -q
"$EMU" up -q
"$EMU" mount --kernel 6.13 "$M" || fail "mount --kernel 6.13"
: >"$M/K3-$T"
[[ -e $M/K3-$T ]] || fail "6.13: a never-written file stays"
f=$M/K4-$T
printf '\x07\x00\x00\x00\x01' >"$f" && chattr -i "$f" || fail "K4"
r=$(py 'p = sys.argv[1]; w = os.open(p, os.O_WRONLY); r1 = os.open(p, os.O_RDONLY)
os.write(w, b"\x07\0\0\0"); e = os.path.exists(p); os.close(w); os.close(r1); print(e)' "$f")
[[ $r == False ]] || fail "6.13: a deleting write drops the file at once: $r"
ok "S10: --kernel 6.14+ keeps never-written files and marks deletes with size 1; 6.13 drops at once"

# ---- S6: read-only while StMM has no working store ------------------------------------------
"$EMU" down -q
"$EMU" up -q --without supplicantd --no-round-trip --rpc-timeout 300
"$EMU" mount "$M" || fail "mount without a supplicant"
e=$(py 'print(err(lambda: os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)))' "$M/S6-$T")
[[ $e == 30 ]] || fail "S6: no supplicant: errno $e, want EROFS"
"$EMU" up -q || fail "up (supplicantd)"
printf '\x07\x00\x00\x00\x01' >"$M/S6-$T" || fail "S6: not writable once the supplicant is there"
[[ $(varhex -g "$T" S6) == 01 ]] || fail "S6 bytes"
ok "S6: EROFS while stmmd has no supplicant, writable once it has"

all_passed
