#!/usr/bin/env bash
# Conformance with a real RPMB host: Debian's unmodified mmc-utils (`mmc rpmb ...`) drives
# rpmbd through build/librpmb-shim.so, which turns its MMC_IOC_MULTI_CMD ioctls on
# /dev/mmcblk0rpmb into EMU_MSG_MMC_SEQ_REQ messages.  The session:
#   write-key -> read-counter (0) -> write-block x2 -> read-counter (2) -> read-block with
#   and without the key (and with a wrong key: must fail) -> restart rpmbd -> read-counter
#   (2) -> write-key again (must fail: the key is one-time programmable).
set -euo pipefail

BUILD=${BUILD:-build}
DEV=/dev/mmcblk0rpmb

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
source "$(dirname "$0")/lib/wait.bash"

MMC=$(command -v mmc || true)
[[ -n "$MMC" ]] || skip_test "mmc (mmc-utils) is not installed; apt-get install mmc-utils to run this test"
[[ -x "$BUILD/rpmbd" ]] || fail "$BUILD/rpmbd not built (run make)"
[[ -f "$BUILD/librpmb-shim.so" ]] || fail "$BUILD/librpmb-shim.so not built (run make)"
BUILD=$(cd "$BUILD" && pwd)
SHIM=$BUILD/librpmb-shim.so

# An ASan-built shim (make SANITIZE=1) cannot be preloaded on its own into a program that
# is not built with ASan: the ASan runtime must be the first library loaded.  So we preload
# the very runtime the shim was linked against ahead of it, which keeps the sanitized shim
# under test instead of silently swapping in the plain build's.  Leak detection is off
# for mmc only (not for rpmbd): it would report mmc-utils' own allocations and turn an
# expected failure's exit code into LeakSanitizer's.
source "$(dirname "$0")/lib/shim.bash"
shim_preload "$SHIM"

dir=$(mktemp -d)
rpmbd_pid=
# SIGTERM; rpmbd documents exit 0 (under ASan this also catches its leak reports).
stop_rpmbd() {
	local rc=0
	if [[ -n "$rpmbd_pid" ]]; then
		kill "$rpmbd_pid" 2>/dev/null || true
		wait "$rpmbd_pid" 2>/dev/null || rc=$?
		rpmbd_pid=
	fi
	return $rc
}
cleanup() {
	local rc=$?
	stop_rpmbd || true
	if [[ $rc -ne 0 && -f "$dir/rpmbd.log" ]]; then
		echo "--- rpmbd log (last 40 lines)" >&2
		tail -n 40 "$dir/rpmbd.log" >&2 || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

start_rpmbd() {
	rm -f "$dir/rpmb.sock"
	"$BUILD/rpmbd" --db "$dir/rpmb.db" --socket "$dir/rpmb.sock" >>"$dir/rpmbd.log" 2>&1 &
	rpmbd_pid=$!
	wait_for_socket "$dir/rpmb.sock" "$rpmbd_pid" rpmbd
}

# mmc through the shim; stdout to "$dir/out", stderr to "$dir/err"; returns mmc's status.
mmc_shim() {
	LD_PRELOAD="$PRELOAD" ASAN_OPTIONS="$MMC_ASAN_OPTIONS" RPMB_SHIM_SOCKET="$dir/rpmb.sock" \
		RPMB_SHIM_DEBUG=1 "$MMC" "$@" >"$dir/out" 2>"$dir/err"
}
# ... and it must succeed.
mmc_ok() {
	local rc=0
	mmc_shim "$@" || rc=$?
	[[ $rc -eq 0 ]] || { cat "$dir/out" "$dir/err" >&2; fail "mmc $* exited with $rc"; }
}
# read-counter must print exactly this one line.
expect_counter() {
	local want
	want=$(printf 'Counter value: 0x%08x' "$1")
	mmc_ok rpmb read-counter "$DEV"
	[[ "$(cat "$dir/out")" == "$want" ]] ||
		{ cat "$dir/out" "$dir/err" >&2; fail "read-counter: want '$want'"; }
	ok "read-counter printed '$want'${2:+ $2}"
}

# Inputs: a 32-byte key, two different 256-byte blocks, a wrong key.
key=$dir/key
printf '%s' 'stmm-emu mmc-utils session key!!' >"$key"
[[ $(wc -c <"$key") -eq 32 ]] || fail "key file is not 32 bytes"
printf '%s' 'some other key, not the real one' >"$dir/wrong-key"
head -c 256 /dev/zero | tr '\0' 'A' >"$dir/block0"
# shellcheck disable=SC2059 # the format is the octal escape of byte i
for i in $(seq 0 255); do printf "\\$(printf '%03o' "$i")"; done >"$dir/block1"
[[ $(wc -c <"$dir/block1") -eq 256 ]] || fail "block1 is not 256 bytes"
cat "$dir/block0" "$dir/block1" >"$dir/want"

start_rpmbd
ok "rpmbd listening on $dir/rpmb.sock (mmc: $MMC, preload: $PRELOAD)"

mmc_ok rpmb write-key "$DEV" "$key"
ok "write-key programmed the key (exit 0)"

expect_counter 0

mmc_ok rpmb write-block "$DEV" 0 "$dir/block0" "$key"
ok "write-block address 0 (256 x 'A') exit 0"
mmc_ok rpmb write-block "$DEV" 1 "$dir/block1" "$key"
ok "write-block address 1 (bytes 0x00..0xff) exit 0"

expect_counter 2 "after two authenticated writes"

mmc_ok rpmb read-block "$DEV" 0 2 "$dir/read-mac" "$key"
cmp "$dir/read-mac" "$dir/want" || fail "read-block 0 2 with key: data differs"
ok "read-block 0 2 with the key: MAC verified, 512 bytes equal block0+block1"

mmc_ok rpmb read-block "$DEV" 0 2 "$dir/read-plain"
cmp "$dir/read-plain" "$dir/want" || fail "read-block 0 2 without key: data differs"
ok "read-block 0 2 without key: 512 bytes equal block0+block1"

mmc_ok rpmb read-block "$DEV" 1 1 "$dir/read-one" "$key"
cmp "$dir/read-one" "$dir/block1" || fail "read-block 1 1: data differs"
ok "read-block 1 1 with the key: equals block1"

if mmc_shim rpmb read-block "$DEV" 0 2 "$dir/read-wrong" "$dir/wrong-key"; then
	fail "read-block with a wrong key succeeded: the response MAC was not checked"
fi
grep -qx 'RPMB MAC mismatch' "$dir/out" "$dir/err" ||
	{ cat "$dir/out" "$dir/err" >&2; fail "read-block with a wrong key: want 'RPMB MAC mismatch'"; }
ok "read-block with a wrong key fails: 'RPMB MAC mismatch'"

stop_rpmbd || fail "rpmbd exited with $? on SIGTERM"
start_rpmbd
ok "rpmbd stopped with exit 0 and restarted on the same database"

expect_counter 2 "after restart"

if mmc_shim rpmb write-key "$DEV" "$key"; then
	fail "second write-key succeeded: the key must be one-time programmable"
fi
msg=$(cat "$dir/out" "$dir/err")
grep -q 'RPMB operation failed, retcode 0x0005' <<<"$msg" ||
	{ echo "$msg" >&2; fail "second write-key: want 'RPMB operation failed, retcode 0x0005' (WRITE_FAILURE)"; }
ok "second write-key fails: 'RPMB operation failed, retcode 0x0005'"

expect_counter 2 "after the refused write-key"
mmc_ok rpmb read-block "$DEV" 0 2 "$dir/read-again" "$key"
cmp "$dir/read-again" "$dir/want" || fail "read-block after refused write-key: data differs"
ok "the original key still verifies block0+block1"

stop_rpmbd || fail "rpmbd exited with $? on SIGTERM"
ok "rpmbd stopped with exit 0"

echo "PASS: mmc-utils session"
