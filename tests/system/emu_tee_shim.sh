#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Linux TEE device ABI through libtee-shim.so (issue 14 part 3; README "Transports"):
# a stack started without supplicantd, whose supplicant is tools/tee-supp -- written against
# <linux/tee.h> only, RPMB through /dev/mmcblk0rpmb and librpmb-shim.so -- and a client,
# tools/tee-client, that opens /dev/tee0, allocates shared memory, opens a session to
# PTA_STMM and invokes GetVariable / SetVariable.
#   a) the supplicant is served: its first RPC is SHM_ALLOC (the shim playing OP-TEE for
#      the payload buffer), then RPMB RPCs (cmd 1); StMM boots from the RPMB through it;
#   b) a second /dev/teepriv0 open gets EBUSY, as optee_open() answers;
#   c) the round trip: stmm-emu var set -> tee-client get, tee-client set -> stmm-emu var get;
#   d) tee-client checks: the driver's return codes and origins (EINVAL, EPERM, ret/origin);
#   e) the get and set conformance groups pass with tee-supp as the only supplicant;
#   f) closing the supplicant's device frees the slot: the next open succeeds;
#   g) optee_client's tee-supplicant in tee-supp's place, when one is on PATH (Debian ships
#      none: skipped with the reason otherwise, also under CI -- nothing can install it).
set -euo pipefail

BUILD=${BUILD:-build}
EMU=$BUILD/stmm-emu
TEESHIM=$(realpath "$BUILD/libtee-shim.so" 2>/dev/null || true)
RPMBSHIM=$(realpath "$BUILD/librpmb-shim.so" 2>/dev/null || true)
SUPP=$BUILD/tools/tee-supp
CLIENT=$BUILD/tools/tee-client
TEST_NAME=emu_tee_shim
PASSED=0
GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c

[[ -x $SUPP && -x $CLIENT && -n $TEESHIM && -n $RPMBSHIM ]] || {
	echo "FAIL: $SUPP / $CLIENT / libtee-shim.so / librpmb-shim.so not built" \
		"(make BUILD=$BUILD all $SUPP $CLIENT)" >&2
	exit 1
}

dir=$(mktemp -d)
st=$dir/state
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	"$EMU" down --state "$st" -q >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/wait.bash"
source "$(dirname "$0")/lib/shim.bash"
# With sanitized shims the ASan runtime must come first in LD_PRELOAD.
shim_preload "$TEESHIM" || exit 1
BOTH_PRELOAD="$PRELOAD $RPMBSHIM"

fail() {
	local log
	echo "FAIL: $*" >&2
	for log in "$dir"/*.log "$st"/*.log; do [[ -f $log ]] && { echo "--- $log (tail)"; tail -n 15 "$log"; } >&2; done
	echo "$TEST_NAME: $PASSED passed, 1 failed" >&2
	exit 1
}
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
expect() { grep -q -- "$2" <<<"$1" || fail "$3: want '$2', got: $1"; }

export STMM_EMU_STATE=$st TEE_SHIM_SOCKET=$st/tee.sock RPMB_SHIM_SOCKET=$st/mmc.sock
shimmed() { LD_PRELOAD="$BOTH_PRELOAD" "$@"; }

"$EMU" up --state "$st" --without supplicantd -q >"$dir/up.log" 2>&1 || fail "stmm-emu up --without supplicantd"
LD_PRELOAD="$BOTH_PRELOAD" "$SUPP" -v >"$dir/tee-supp.log" 2>&1 &
supp_pid=$!
pids+=("$supp_pid")
supp_serving() {
	kill -0 "$supp_pid" 2>/dev/null || fail "tee-supp exited"
	grep -q '^tee-supp: serving /dev/teepriv0' "$dir/tee-supp.log"
}
wait_until 10 "tee-supp to open /dev/teepriv0" supp_serving

# ---- b) a second supplicant --------------------------------------------------------------
out=$(shimmed "$SUPP" --open-only 2>&1) && fail "a second supplicant opened /dev/teepriv0: $out"
expect "$out" "open: EBUSY" "second /dev/teepriv0"
ok "a second /dev/teepriv0 open: EBUSY"

# ---- c) round trip, both directions -----------------------------------------------------
"$EMU" var set ShimRoundTrip --data "de ad be ef" >"$dir/set.log" 2>&1 || fail "var set through tee-supp"
out=$(shimmed "$CLIENT" get $GLOBAL ShimRoundTrip 2>&1) || fail "tee-client get: $out"
[[ $out == "status 0x0 mm 0x0 size 4 data deadbeef" ]] || fail "tee-client get: $out"
ok "stmm-emu var set, tee-client get over /dev/tee0: $out"
out=$(shimmed "$CLIENT" set $GLOBAL ShimFromClient 0a0b0c 2>&1) || fail "tee-client set: $out"
[[ $out == "status 0x0 mm 0x0" ]] || fail "tee-client set: $out"
out=$("$EMU" var get ShimFromClient 2>&1) || fail "var get ShimFromClient: $out"
expect "$out" "0a 0b 0c" "stmm-emu var get of tee-client's variable"
out=$(shimmed "$CLIENT" get $GLOBAL NoSuchShimVar 2>&1) || fail "tee-client get absent: $out"
[[ $out == "status 0x800000000000000e mm 0x0" ]] || fail "tee-client get absent: $out"
ok "tee-client set, stmm-emu var get; an absent variable: EFI_NOT_FOUND"

# ---- a) what the supplicant saw ---------------------------------------------------------
first=$(grep -m1 '^RPC cmd' "$dir/tee-supp.log")
[[ $first == "RPC cmd 6 params 1 -> 0x00000000" ]] || fail "first RPC: $first"
grep -q '^RPC cmd 1 params 2 -> 0x00000000' "$dir/tee-supp.log" || fail "no RPMB RPC served"
! grep -q '^RPC cmd 6' <(grep '^RPC cmd' "$dir/tee-supp.log" | tail -n +2) || fail "SHM_ALLOC asked twice"
ok "tee-supp: SHM_ALLOC once, then RPMB RPCs ($(grep -c '^RPC cmd 1 ' "$dir/tee-supp.log"))"

# ---- d) the driver's checks -------------------------------------------------------------
shimmed "$CLIENT" checks >"$dir/checks.log" 2>&1 || fail "tee-client checks: $(grep FAIL "$dir/checks.log")"
ok "tee-client checks: $(grep -c '^ok' "$dir/checks.log") driver behaviours"

# ---- e) conformance through tee-supp ----------------------------------------------------
"$EMU" conform -g get,set-attributes,set-size >"$dir/conform.log" 2>&1 || fail "conform get/set"
expect "$(tail -n 1 "$dir/conform.log")" " 0 failed" "conform summary"
ok "conform get, set-attributes, set-size: $(tail -n 1 "$dir/conform.log")"

# ---- f) closing the supplicant's device frees the slot ----------------------------------
kill "$supp_pid"
wait "$supp_pid" 2>/dev/null || true
pids=()
supp_free() { [[ $(shimmed "$SUPP" --open-only 2>/dev/null) == "open: ok" ]]; }
wait_until 5 "/dev/teepriv0 to be free after the supplicant closed it" supp_free
ok "after the supplicant's close, /dev/teepriv0 opens again"

# ---- g) optee_client's tee-supplicant ---------------------------------------------------
if ! command -v tee-supplicant >/dev/null; then
	echo "SKIP: g) no tee-supplicant on PATH (build optee_client: README \"Transports\")"
	echo "$TEST_NAME: $PASSED passed"
	exit 0
fi
LD_PRELOAD="$BOTH_PRELOAD" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" tee-supplicant -d /dev/teepriv0 >"$dir/tee-supplicant.log" 2>&1 &
pids+=($!)
"$EMU" var set ShimRealSupp --data 42 >"$dir/real.log" 2>&1 || fail "var set through tee-supplicant"
out=$("$EMU" var get ShimRealSupp 2>&1) || fail "var get through tee-supplicant: $out"
expect "$out" "42" "var get through tee-supplicant"
ok "optee_client's tee-supplicant in supplicantd's place: set and get"
echo "$TEST_NAME: $PASSED passed"
