#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kernel RPMB route beside the legacy supplicant route (issue 11 §2, scenario S4;
# README "The kernel RPMB route"), end to end with rpmbd, stmmd and supplicantd in its three roles:
#   a) supplicantd --route kernel alone (no supplicant): stmmd probes (PROBE_RESET,
#      PROBE_NEXT), then every request goes as FRAMES; no legacy RPC 1 is seen; variables
#      persist over a restart; status says route kernel.
#   b) a plain supplicantd answers PROBE_RESET NOT_SUPPORTED (as tee-supplicant) -> legacy;
#      stmmd with key writing (CFG_RPMB_WRITE_KEY) never probes at all.
#   c) supplicantd --route uboot-2025.01 answers NOT_IMPLEMENTED -> legacy (fixed OP-TEE);
#      with --quirk rpmb-probe-not-implemented-fatal (OP-TEE before 96e8f740b) RPMB init
#      fails: the store cannot be read, no legacy RPC is sent, the invoke answers
#      TEE_ERROR_TARGET_DEAD (what stmmd does whenever StMM cannot boot).
#   d) three devices behind the kernel relay -- keyless, a foreign key, the right key: the
#      right one is used, the other two are untouched (counter and key state).
#   e) stmm-emu up --normal-world kernel / supplicant: recorded in stmm-emu.conf, status
#      shows the route, the one store is read and written on both routes.
# Assertions use supplicantd's -v log ("RPC id: cmd N -> result") and stmmd's status flags.
#
# Binaries come from $BUILD (default build/); tools from $BUILD/tools (make them first).
set -euo pipefail

BUILD=${BUILD:-build}
RPMBD=$BUILD/rpmbd
STMMD=$BUILD/stmmd
SUPPLICANTD=$BUILD/supplicantd
PROBE=$BUILD/tools/tee-probe
RCLIENT=$BUILD/tools/rpmb-client
RPC_TIMEOUT_MS=1500
TEST_NAME=emu_rpmb_route
PASSED=0

[[ -x $PROBE && -x $RCLIENT ]] || {
	echo "FAIL: $PROBE / $RCLIENT not built (make BUILD=$BUILD $PROBE $RCLIENT)" >&2
	exit 1
}

dir=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ ${stack_up:-0} == 1 ]]; then "$BUILD/stmm-emu" down --state "$dir/state" -q >/dev/null 2>&1 || true; fi
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/wait.bash"

fail() {
	local log
	echo "FAIL: $*" >&2
	for log in "$dir"/*.log; do [[ -f $log ]] && { echo "--- $log (tail)"; tail -n 15 "$log"; } >&2; done
	echo "$TEST_NAME: $PASSED passed, 1 failed" >&2
	exit 1
}
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
expect() { grep -q -- "$2" <<<"$1" || fail "$3: want '$2', got: $1"; }

# ---- helpers ---------------------------------------------------------------------------

CID_DEFAULT=fe014e4d4d4330344742c8f6552a6115
cid_n() { echo "${CID_DEFAULT:0:20}a$1${CID_DEFAULT:22}"; } # byte 10 (serial) differs
# OP-TEE's key for a CID with the all-zero test HUK: HMAC-SHA256(HUK, LE32(0) || CID with
# PRV (byte 9) and CRC (byte 15) zeroed) -- optee_os tee_rpmb_key_gen / derive_rpmb_key.py.
key_for() {
	python3 -c 'import hmac,hashlib,sys
c=bytearray.fromhex(sys.argv[1]); c[9]=0; c[15]=0
print(hmac.new(bytes(16), bytes(4)+bytes(c), hashlib.sha256).hexdigest())' "$1"
}

start_rpmbd() { # name cid
	"$RPMBD" --db "$dir/$1.db" --socket "$dir/$1.sock" --cid "$2" >>"$dir/rpmbd-$1.log" 2>&1 &
	pids+=($!)
	wait_for_socket "$dir/$1.sock" $! "rpmbd $1"
}
start_stmmd() { # args...
	rm -f "$dir/tee.sock"
	"$STMMD" --socket "$dir/tee.sock" --rpc-timeout "$RPC_TIMEOUT_MS" -v "$@" >>"$dir/stmmd.log" 2>&1 &
	stmmd_pid=$!
	pids+=("$stmmd_pid")
	wait_for_socket "$dir/tee.sock" "$stmmd_pid" stmmd
}
start_supp() { # log args...
	local log=$1
	shift
	: >"$dir/$log.log"
	"$SUPPLICANTD" --tee-socket "$dir/tee.sock" -v "$@" >>"$dir/$log.log" 2>&1 &
	supp_pid=$!
	pids+=("$supp_pid")
	registered() { grep -q "registered with" "$dir/$log.log" || { kill -0 "$supp_pid" 2>/dev/null || fail "supplicantd $log exited"; return 1; }; }
	wait_until 10 "supplicantd $log to register" registered
}
stop() { # pid
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
stop_all_but_rpmbd() { stop "$supp_pid"; stop "$stmmd_pid"; }
probe() { "$PROBE" --socket "$dir/tee.sock" --timeout 20000 "$@"; }
flags() { probe --status | sed -n 's/^flags=\(0x[0-9a-f]*\).*/\1/p'; }
route_kernel() { (($(flags) & 0x800)); }
rpcs() { grep -c ": cmd $2 -> " "$dir/$1.log" || true; } # log cmd: how many
rpc_results() { grep -o ": cmd $2 -> 0x[0-9a-f]*" "$dir/$1.log" | sort -u | sed 's/.*-> //' | tr '\n' ' '; }

# MM buffers (see stmmd_tee_errors.sh): SetVariable(L"Test", NV|BS|RT, 01 02 03 04) and
# GetVariable(L"Test") with a 4-byte buffer.
mm_guid=33d532ede69909429cc02d72cdd998a7
var_guid=0102030405060708090a0b0c0d0e0f10
printf '%s' "$mm_guid" 4200000000000000 0300000000000000 0000000000000000 "$var_guid" \
	0400000000000000 0a00000000000000 07000000 54006500730074000000 01020304 >"$dir/set.hex"
printf '%s' "$mm_guid" 4200000000000000 0100000000000000 0000000000000000 "$var_guid" \
	0400000000000000 0a00000000000000 00000000 54006500730074000000 00000000 >"$dir/get.hex"
set_var() { probe --buf-hex "$dir/set.hex"; }
get_var() { probe --dump --buf-hex "$dir/get.hex"; }

# ---- a) the kernel route alone ----------------------------------------------------------
cid_a=$(cid_n 0)
start_rpmbd a "$cid_a"
"$RCLIENT" --socket "$dir/a.sock" --key "$(key_for "$cid_a")" write-key >/dev/null ||
	fail "programming the key of device a"
start_stmmd --no-write-key
start_supp krelay --route kernel --mmc-socket "$dir/a.sock"
out=$(set_var)
expect "$out" "efi_status=0x0000000000000000" "a) SetVariable on the kernel route"
route_kernel || fail "a) status flags $(flags): no ROUTE_KERNEL"
out=$(probe --status)
expect "$out" "supplicant=0" "a) no supplicant registered"
[[ $(rpcs krelay 22) -eq 1 && $(rpcs krelay 23) -eq 1 ]] ||
	fail "a) want one PROBE_RESET and one PROBE_NEXT, got $(rpcs krelay 22) / $(rpcs krelay 23)"
[[ $(rpcs krelay 24) -gt 3 ]] || fail "a) only $(rpcs krelay 24) FRAMES"
[[ $(rpcs krelay 1) -eq 0 ]] || fail "a) the relay saw legacy RPC 1"
grep -q "in-kernel RPMB handler registered" "$dir/stmmd.log" || fail "a) stmmd did not log the handler"
ok "a) kernel route: PROBE_RESET, PROBE_NEXT, $(rpcs krelay 24) FRAMES, no legacy RPC; status route kernel"
# Persistence: a new boot (stmmd and relay restarted) reads the variable back.
stop_all_but_rpmbd
start_stmmd --no-write-key
start_supp krelay --route kernel --mmc-socket "$dir/a.sock"
out=$(get_var)
expect "$out" "efi_status=0x0000000000000000" "a) GetVariable after restart"
[[ $(sed -n 's/^buf=//p' <<<"$out") == *01020304 ]] || fail "a) data after restart: $out"
[[ $(rpcs krelay 1) -eq 0 ]] || fail "a) legacy RPC after restart"
ok "a) the variable persists over a restart on the kernel route"
stop_all_but_rpmbd

# ---- b) a plain supplicantd: NOT_SUPPORTED -> legacy ----------------------------------
start_stmmd --no-write-key
start_supp supp --mmc-socket "$dir/a.sock"
out=$(get_var)
expect "$out" "efi_status=0x0000000000000000" "b) GetVariable over the legacy fallback"
[[ $(sed -n 's/^buf=//p' <<<"$out") == *01020304 ]] || fail "b) data: $out"
[[ $(rpc_results supp 22) == "0xffff000a " ]] || fail "b) PROBE_RESET answered $(rpc_results supp 22)"
[[ $(rpcs supp 23) -eq 0 && $(rpcs supp 24) -eq 0 ]] || fail "b) kernel RPCs after NOT_SUPPORTED"
[[ $(rpcs supp 1) -gt 2 ]] || fail "b) no legacy RPCs"
route_kernel && fail "b) status says route kernel"
ok "b) tee-supplicant answers PROBE_RESET NOT_SUPPORTED: legacy fallback, $(rpcs supp 1) RPC 1, same store"
stop_all_but_rpmbd
start_stmmd # key writing on: CFG_RPMB_WRITE_KEY forces legacy_rpmb_init
start_supp supp --mmc-socket "$dir/a.sock"
out=$(set_var)
expect "$out" "efi_status=0x0000000000000000" "b) SetVariable with key writing"
[[ $(rpcs supp 22) -eq 0 ]] || fail "b) stmmd with key writing probed"
ok "b) with key writing (CFG_RPMB_WRITE_KEY) stmmd never probes"
stop_all_but_rpmbd

# ---- c) U-Boot <= v2025.01: NOT_IMPLEMENTED ---------------------------------------------
start_stmmd --no-write-key
start_supp uboot --route uboot-2025.01 --mmc-socket "$dir/a.sock"
out=$(set_var)
expect "$out" "efi_status=0x0000000000000000" "c) SetVariable, fixed OP-TEE"
[[ $(rpc_results uboot 22) == "0xffff0009 " ]] || fail "c) PROBE_RESET answered $(rpc_results uboot 22)"
[[ $(rpcs uboot 1) -gt 2 ]] || fail "c) no legacy RPCs"
ok "c) U-Boot answers NOT_IMPLEMENTED: OP-TEE since 96e8f740b falls back to legacy"
stop_all_but_rpmbd
start_stmmd --no-write-key --quirk rpmb-probe-not-implemented-fatal
start_supp uboot --route uboot-2025.01 --mmc-socket "$dir/a.sock"
set_out=$(probe --buf-hex "$dir/set.hex" 2>&1 || true)
echo "$set_out" >"$dir/c_set.out"
# What stmmd answers when StMM cannot boot (tee.c): the invoke fails TEE_ERROR_TARGET_DEAD.
expect "$set_out" "ret=0xffff3024 origin=3" "c) SetVariable with the quirk"
[[ $(rpcs uboot 22) -ge 1 ]] || fail "c) no PROBE_RESET with the quirk"
[[ $(rpcs uboot 1) -eq 0 ]] || fail "c) legacy RPC sent although init is fatal"
out=$(probe --status)
expect "$out" "store_open=0" "c) store with the quirk"
grep -q "Function not implemented" "$dir/stmmd.log" || fail "c) stmmd does not say why the boot failed"
ok "c) with the quirk (OP-TEE before 96e8f740b) NOT_IMPLEMENTED is fatal: no store, no legacy RPC; the call fails ($(tail -n +2 <<<"$set_out" | tr "\n" " "))"
stop_all_but_rpmbd

# ---- d) three devices: keyless, foreign key, right key ----------------------------------
cid_k=$(cid_n 1) cid_f=$(cid_n 2) cid_r=$(cid_n 3)
start_rpmbd keyless "$cid_k"
start_rpmbd foreign "$cid_f"
start_rpmbd right "$cid_r"
"$RCLIENT" --socket "$dir/foreign.sock" --key "$(key_for "$cid_a")" write-key >/dev/null ||
	fail "d) programming the foreign key"
"$RCLIENT" --socket "$dir/right.sock" --key "$(key_for "$cid_r")" write-key >/dev/null ||
	fail "d) programming the right key"
start_stmmd --no-write-key
start_supp krelay3 --route kernel --mmc-socket "$dir/keyless.sock" \
	--mmc-socket "$dir/foreign.sock" --mmc-socket "$dir/right.sock"
out=$(set_var)
expect "$out" "efi_status=0x0000000000000000" "d) SetVariable with three devices"
route_kernel || fail "d) not on the kernel route"
[[ $(rpcs krelay3 23) -eq 3 ]] || fail "d) want 3 PROBE_NEXT, got $(rpcs krelay3 23)"
counter() { "$RCLIENT" --socket "$dir/$1.sock" ${2:+--key "$2"} read-counter 2>&1 || true; }
out=$(counter keyless)
expect "$out" "NO_AUTH_KEY" "d) keyless device still has no key"
out=$(counter foreign)
[[ $out == 0 ]] || fail "d) foreign-key device counter: $out, want 0"
out=$(counter right "$(key_for "$cid_r")")
[[ $out =~ ^[0-9]+$ ]] && ((out > 0)) || fail "d) right device counter: $out"
ok "d) keyless, foreign-key and right-key devices: the right one used (counter $out), the others untouched"

# ---- e) the stack: stmm-emu up --normal-world kernel ------------------------------------
# The first up (tee-supplicant, key writing) provisions the key; the kernel route then
# needs none written (stmmd starts without key writing, as such a board's OP-TEE).
EMU=$BUILD/stmm-emu
state=$dir/state
stack_up=1
"$EMU" up --state "$state" -q || fail "e) first up"
"$EMU" var set --state "$state" Route --string legacy-written >/dev/null || fail "e) var set (legacy)"
"$EMU" down --state "$state" -q
"$EMU" up --state "$state" --normal-world kernel -q || fail "e) up --normal-world kernel"
grep -q '^route=kernel' "$state/stmm-emu.conf" || fail "e) route not recorded: $(cat "$state/stmm-emu.conf")"
out=$("$EMU" status --state "$state")
expect "$out" "rpmb route:   kernel" "e) status route"
expect "$out" "in-kernel RPMB handler" "e) status supplicantd"
out=$("$EMU" var get --state "$state" Route) || fail "e) var get on the kernel route"
expect "$out" "legacy-written" "e) variable written on the legacy route"
"$EMU" var set --state "$state" Route --string kernel-written >/dev/null || fail "e) var set (kernel)"
"$EMU" down --state "$state" -q
"$EMU" up --state "$state" --normal-world supplicant -q || fail "e) up --normal-world supplicant"
out=$("$EMU" status --state "$state")
expect "$out" "rpmb route:   legacy" "e) status route after switching back"
out=$("$EMU" var get --state "$state" Route) || fail "e) var get back on the legacy route"
expect "$out" "kernel-written" "e) variable written on the kernel route"
"$EMU" down --state "$state" -q
stack_up=0
ok "e) stmm-emu up --normal-world kernel|supplicant: recorded, status shows the route, one store on both"

all=$PASSED
echo "$TEST_NAME: $all passed, 0 failed"
