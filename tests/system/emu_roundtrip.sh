#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The whole chain through real processes: stmm-emu -> stmmd -> supplicantd -> rpmbd.
#   - four separate processes; set / get / list / delete; raw golden GET_PAYLOAD_SIZE
#   - a value survives `down` + `up`, and `kill -9` of all three daemons right after
#     `var set` returned
#   - without supplicantd a SetVariable(NV) fails with EFI_DEVICE_ERROR at once (the RPMB
#     FS's FAT read gets TEEC_ERROR_COMMUNICATION), and works again once `stmm-emu up` has
#     restarted the missing daemon (no write was sent, so the RPMB is not dead)
# The exact bytes of every request the client builds are checked by
# tests/unit/test_emu_mmvar.c (golden tests); here the raw mode sends the same
# GET_PAYLOAD_SIZE bytes end to end.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
export STMM_EMU_TIMEOUT_MS=10000
RPC_TIMEOUT_MS=2000

alive() { # pid name
	[[ -n $1 ]] && [[ $(ps -o comm= -p "$1" 2>/dev/null || true) == "$2" ]] &&
		[[ $(ps -o stat= -p "$1" 2>/dev/null || true) != Z* ]]
}

dead() { # pid: gone, or a zombie (the daemons are not this shell's children)
	! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1" 2>/dev/null || true) == Z* ]]
}
wait_dead() { wait_until 4 "pid $1 to die" dead "$1"; }

up() { "$EMU" up --rpc-timeout "$RPC_TIMEOUT_MS" --quiet || fail "stmm-emu up"; }

get_raw() { "$EMU" var get "$@" --raw; }

# ---- up: four processes --------------------------------------------------------------
out=$("$EMU" up --rpc-timeout "$RPC_TIMEOUT_MS") || fail "up"
grep -q "stmmd" <<<"$out" || fail "up printed: $out"
declare -A pids
for p in rpmbd stmmd supplicantd; do
	pids[$p]=$(pid_of $p)
	alive "${pids[$p]}" "$p" || fail "$p is not running after up (pid '${pids[$p]}')"
done
[[ $(printf '%s\n' "${pids[@]}" $$ | sort -u | wc -l) -eq 4 ]] || fail "processes are not distinct"
ok "up: rpmbd ${pids[rpmbd]}, stmmd ${pids[stmmd]}, supplicantd ${pids[supplicantd]} + this client"

out=$("$EMU" up) || fail "second up"
grep -q "already up" <<<"$out" || fail "second up did not say already up: $out"
ok "up again: already up"

"$EMU" status >/dev/null || fail "status exit code"
"$EMU" status --json | json_ok 'd["running"] is True and d["state"] == sys.argv[3] and
	all(d["daemons"][p]["alive"] and d["daemons"][p]["pid"] > 0 for p in ("rpmbd", "stmmd", "supplicantd")) and
	d["sockets"]["tee"]["listening"] and d["ctrl"]["store_open"] is True' "$STATE" || fail "status --json"
ok "status"

# ---- raw: the golden GET_PAYLOAD_SIZE request end to end -----------------------------
GOLDEN_GPS="33d532ede6990942 9cc02d72cdd998a7 1800000000000000 0b00000000000000 0000000000000000 0000000000000000"
out=$("$EMU" raw --hex "$GOLDEN_GPS" --json) || fail "raw"
json_ok 'd["tee_ret"] == 0' <<<"$out" || fail "raw tee_ret: $out"
json_ok 'd["mm_code"] == 0' <<<"$out" || fail "raw mm_code: $out"
answer=$(json_get 'd["answer"]' <<<"$out")
# Headers unchanged, ReturnStatus EFI_SUCCESS, a payload size in bytes 40..47.
[[ ${answer:0:80} == "33d532ede69909429cc02d72cdd998a718000000000000000b000000000000000000000000000000" ]] ||
	fail "raw answer headers: $answer"
[[ ${answer:80:16} != "0000000000000000" ]] || fail "raw answer: no payload size"
ok "raw GET_PAYLOAD_SIZE golden bytes answered (payload field ${answer:80:16})"
out=$("$EMU" raw --hex "$GOLDEN_GPS" --memref-size 20000 --json) || fail "raw big memref"
json_ok "d['tee_ret'] == $((0xffff0004))" <<<"$out" || fail "memref > 16 KiB not EXCESS_DATA: ${out:0:120}"
json_ok 'd["memref_size"] == 16384' <<<"$out" || fail "EXCESS_DATA memref size: ${out:0:120}"
ok "raw: memref of 20000 bytes -> TEE_ERROR_EXCESS_DATA, max 16384"

# ---- set / get / list / delete -------------------------------------------------------
"$EMU" var set Foo --string hello || fail "set Foo"
[[ $(get_raw Foo) == hello ]] || fail "get Foo"
"$EMU" var get Foo --json | json_ok 'd == {"name": "Foo", "guid": "8be4df61-93ca-11d2-aa0d-00e098032b8c",
	"attributes": 7, "attrs": "nv,bs,rt", "size": 5, "data": "68656c6c6f"}' || fail "Foo attributes"
"$EMU" var get Foo | grep -q '^attributes: 0x00000007 (nv,bs,rt)' || fail "Foo text output"
"$EMU" var set Bar --guid security --attrs bs,rt --data "de ad be ef" || fail "set Bar"
[[ $(get_raw Bar --guid d719b2cb-3d3a-4596-a3bc-dad00e67656f | od -An -tx1 | tr -d ' \n') == deadbeef ]] ||
	fail "get Bar"
list=$("$EMU" var list) || fail "list"
grep -qx "8be4df61-93ca-11d2-aa0d-00e098032b8c-Foo" <<<"$list" || fail "list lacks Foo: $list"
grep -qx "d719b2cb-3d3a-4596-a3bc-dad00e67656f-Bar" <<<"$list" || fail "list lacks Bar: $list"
"$EMU" var list --json | json_ok '{"name": "Foo", "guid": "8be4df61-93ca-11d2-aa0d-00e098032b8c"} in d and
	{"name": "Bar", "guid": "d719b2cb-3d3a-4596-a3bc-dad00e67656f"} in d' || fail "list --json"
"$EMU" var info >/dev/null || fail "info"
"$EMU" var info --json | json_ok 'd["attributes"] == 7 and d["attrs"] == "nv,bs,rt" and
	0 < d["remaining_storage"] <= d["max_storage"] and d["max_variable_size"] > 0 and d["max_payload"] > 0' ||
	fail "info --json"
"$EMU" var delete Foo || fail "delete Foo"
set +e
err=$("$EMU" var get Foo 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "get of a deleted variable: exit $rc"
grep -q "stmm-emu: var get Foo: EFI_NOT_FOUND" <<<"$err" || fail "not-found message: $err"
"$EMU" var list | grep -q -- "-Foo$" && fail "Foo still listed"
ok "set / get / list / delete (EFI_NOT_FOUND after delete, exit 1)"

# ---- survives down + up --------------------------------------------------------------
"$EMU" var set Persist --string "kept across down/up" || fail "set Persist"
"$EMU" down --quiet || fail "down"
for p in rpmbd stmmd supplicantd; do
	alive "${pids[$p]}" "$p" && fail "$p still running after down"
	[[ -e $STATE/$p.pid ]] && fail "$p.pid left behind"
done
up
[[ $(get_raw Persist) == "kept across down/up" ]] || fail "Persist lost across down/up"
"$EMU" var get Bar --guid security >/dev/null 2>&1 && fail "volatile Bar survived a restart"
ok "NV value survives down + up (volatile one does not)"

# ---- non-ASCII text is taken as given, whatever the locale -----------------------------
for loc in C C.UTF-8; do
	LC_ALL=$loc "$EMU" var set Utf8 --string "héllo €" || fail "--string with non-ASCII text under LC_ALL=$loc"
	[[ $(get_raw Utf8 | od -An -tx1 | tr -d ' \n') == 68c3a96c6c6f20e282ac ]] || fail "--string bytes under LC_ALL=$loc"
	LC_ALL=$loc "$EMU" var set Ucs2 --ucs2 "héllo" || fail "--ucs2 with non-ASCII text under LC_ALL=$loc"
	[[ $(get_raw Ucs2 | od -An -tx1 | tr -d ' \n') == 6800e9006c006c006f000000 ]] || fail "--ucs2 bytes under LC_ALL=$loc"
done
err=$("$EMU" var set Bad --string $'\xff' 2>&1) && fail "--string accepted bytes that are not UTF-8"
grep -q "not valid UTF-8" <<<"$err" || fail "--string with bad UTF-8 said: $err"
ok "--string and --ucs2 take non-ASCII text as given under LC_ALL=C and C.UTF-8; bad UTF-8 refused"

# ---- survives kill -9 of all three right after set returned --------------------------
"$EMU" var set Crash --string "written before the crash" || fail "set Crash"
victims=()
for p in rpmbd stmmd supplicantd; do victims+=("$(pid_of $p)"); done
kill -9 "${victims[@]}"
for v in "${victims[@]}"; do wait_dead "$v"; done
"$EMU" status >/dev/null 2>&1 && fail "status says running after kill -9"
up
[[ $(get_raw Crash) == "written before the crash" ]] || fail "Crash lost after kill -9"
[[ $(get_raw Persist) == "kept across down/up" ]] || fail "Persist lost after kill -9"
ok "value survives kill -9 of rpmbd, stmmd, supplicantd"

# ---- no supplicant: EFI_DEVICE_ERROR at once, then works again (OP-TEE's RPMB FS) -------------
supp=$(pid_of supplicantd)
stmmd_pid=$(pid_of stmmd)
kill -9 "$supp"
wait_dead "$supp"
start=$(date +%s%N)
set +e
err=$("$EMU" var set NoSupp --string x --timeout 10000 2>&1)
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
[[ $rc -eq 1 ]] || fail "SetVariable(NV) without supplicant: exit $rc ($err)"
grep -q "EFI_DEVICE_ERROR" <<<"$err" || fail "SetVariable(NV) without supplicant: $err"
((ms < 10000)) || fail "SetVariable(NV) without supplicant took ${ms} ms"
ok "no supplicant: SetVariable(NV) -> EFI_DEVICE_ERROR after ${ms} ms"
out=$("$EMU" up --rpc-timeout "$RPC_TIMEOUT_MS") || fail "up to restart supplicantd"
grep -q "supplicantd [0-9]* (started)" <<<"$out" || fail "up did not restart supplicantd: $out"
[[ $(pid_of stmmd) == "$stmmd_pid" ]] || fail "up restarted stmmd needlessly"
# In OP-TEE's RPMB FS a write starts with reading the FAT: that read failed at once
# (TEEC_ERROR_COMMUNICATION for a kernel client), reads are not retried, so no write frame
# was ever sent and the RPMB is not dead (stmmd_tee_errors.sh covers the raw layout, where
# the write itself fails 10 times and the RPMB goes dead until a reset).
"$EMU" status --json | json_ok 'd["ctrl"]["rpmb"]["layout"] == "optee-fs" and
	d["ctrl"]["rpmb"]["dead"] is False and d["ctrl"]["supplicant"]["last_rpc_error"] == "ECOMM"' ||
	fail "status after the failed write: $("$EMU" status --json)"
"$EMU" var set NoSupp --string back || fail "SetVariable after supplicantd came back"
[[ $(get_raw NoSupp) == back ]] || fail "NoSupp value"
[[ $(get_raw Crash) == "written before the crash" ]] || fail "Crash lost"
ok "supplicantd restarted by up: SetVariable works again (the FAT read failed, no write was sent)"

"$EMU" down --quiet || fail "final down"
ok "down"

# ---- --json is valid UTF-8 JSON for names and paths that are not plain ASCII -----------
# A state directory whose name holds UTF-8 and a byte that is not UTF-8 (0xff): every
# --json output parses (strict UTF-8), the 0xff shows as U+FFFD, the rest unchanged.
ODD=$WORK/état-$'\xff'-ü
STATES+=("$ODD")
"$EMU" up --state "$ODD" --quiet --rpc-timeout "$RPC_TIMEOUT_MS" || fail "up in $ODD"
"$EMU" status --state "$ODD" --json | json_ok 'd["running"] is True and
	d["state"] == sys.argv[3].encode("utf-8", "surrogateescape").decode("utf-8", "replace") and
	"\ufffd" in d["state"] and "état-" in d["state"] and d["sockets"]["tee"]["path"].startswith(d["state"] + "/")' \
	"$ODD" || fail "status --json in a non-UTF-8 state path"
NAME='Grüße€Ωé'
"$EMU" var set --state "$ODD" "$NAME" --data "$(printf übung | od -An -tx1 | tr -d ' \n')" || fail "set $NAME"
"$EMU" var get --state "$ODD" "$NAME" --json | json_ok 'd["name"] == sys.argv[3] and
	d["data"] == sys.argv[4].encode().hex() and d["size"] == len(sys.argv[4].encode())' "$NAME" "übung" ||
	fail "var get --json of $NAME"
"$EMU" var list --state "$ODD" --json | json_ok '{"name": sys.argv[3], "guid": "8be4df61-93ca-11d2-aa0d-00e098032b8c"} in d' \
	"$NAME" || fail "var list --json lacks $NAME"
"$EMU" var info --state "$ODD" --json | json_ok 'd["max_storage"] > 0' || fail "var info --json in $ODD"
STMM_EMU_STATE=$ODD "$EMU" raw --hex "$GOLDEN_GPS" --json | json_ok 'd["tee_ret"] == 0 and len(d["answer"]) > 80' ||
	fail "raw --json in $ODD"
"$EMU" down --state "$ODD" --quiet || fail "down $ODD"
set +e
out=$("$EMU" status --state "$ODD" --json)
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "status of a stopped stack: exit $rc"
json_ok 'd["running"] is False and d["ctrl"] is None and
	all(not v["alive"] and v["pid"] == 0 for v in d["daemons"].values())' <<<"$out" ||
	fail "status --json of a stopped stack: $out"
ok "every --json output parses with a UTF-8 variable name and a non-UTF-8 state path"

# ---- up fails, and stops what it started, when it cannot record a pid -------------------
# STATE/stmmd.pid is a directory: rpmbd was started and recorded, stmmd started but its pid
# cannot be written.  `up` exits 3 naming the pid file, and no daemon of that state runs.
NOPID=$WORK/nopid
STATES+=("$NOPID")
mkdir -p "$NOPID/stmmd.pid"
set +e
err=$("$EMU" up --state "$NOPID" --rpc-timeout "$RPC_TIMEOUT_MS" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "up with an unwritable stmmd.pid: exit $rc ($err)"
grep -q "stmmd: cannot record its pid" <<<"$err" || fail "up with an unwritable stmmd.pid said: $err"
[[ -e $NOPID/rpmbd.pid ]] && fail "rpmbd.pid left after the failed up"
if pgrep -f -- "$NOPID/" >/dev/null; then
	fail "daemons left running after the failed up: $(pgrep -af -- "$NOPID/")"
fi
rmdir "$NOPID/stmmd.pid"
"$EMU" up --state "$NOPID" --quiet --rpc-timeout "$RPC_TIMEOUT_MS" || fail "up once the pid can be written"
"$EMU" down --state "$NOPID" --quiet || fail "down $NOPID"
if pgrep -f -- "$NOPID/" >/dev/null; then fail "down left daemons of $NOPID"; fi
ok "up that cannot record a pid exits 3 and stops what it started"

# ---- run: up, CMD with STMM_EMU_STATE, down (only what it started) -----------------------
RUNS=$WORK/run
STATES+=("$RUNS")
set +e
out=$(STMM_EMU_STATE= "$EMU" run --state "$RUNS" -- sh -c \
	'echo "state=$STMM_EMU_STATE"; "$0" var set RunVar --string ran && exit 7' "$EMU")
rc=$?
set -e
[[ $rc -eq 7 ]] || fail "run: exit $rc, want CMD's 7 ($out)"
[[ $out == "state=$RUNS" ]] || fail "run: CMD saw $out"
[[ -e $RUNS/stmmd.pid || -e $RUNS/rpmbd.pid ]] && fail "run left the stack it started up"
set +e
"$EMU" run --state "$RUNS" -- "$WORK/no-such-command" 2>/dev/null
rc=$?
set -e
[[ $rc -eq 127 ]] || fail "run of a missing command: exit $rc"
"$EMU" up --state "$RUNS" --quiet || fail "up $RUNS"
"$EMU" run --state "$RUNS" -- sh -c '[ "$("$0" var get RunVar --raw)" = ran ] && kill -TERM $$' "$EMU" && rc=0 || rc=$?
[[ $rc -eq $((128 + 15)) ]] || fail "run: CMD killed by SIGTERM: exit $rc"
"$EMU" status --state "$RUNS" >/dev/null || fail "run took down a stack it had not started"
"$EMU" down --state "$RUNS" --quiet
ok "run: CMD's exit status (127 missing, 128+N signal), STMM_EMU_STATE, down only if it started"

# ---- readiness: --ready-fd, and a daemon dying at start-up reported at once ---------------
# rpmbd by hand with --ready-fd: one line READY=1 on the pipe once its socket serves.
mkfifo "$WORK/ready.fifo"
"$BUILD/rpmbd" --db "$WORK/hand.db" --socket "$WORK/hand.sock" --ready-fd 3 3>"$WORK/ready.fifo" \
	2>"$WORK/hand.log" &
extra_pids+=($!)
hand=$!
IFS= read -r -t 20 line <"$WORK/ready.fifo" || fail "rpmbd --ready-fd wrote nothing: $(cat "$WORK/hand.log")"
[[ $line == READY=1 ]] || fail "rpmbd --ready-fd wrote '$line'"
[[ -S $WORK/hand.sock ]] || fail "rpmbd reported ready before its socket existed"
kill "$hand"
wait "$hand" && rc=0 || rc=$?
[[ $rc -eq 0 ]] || fail "rpmbd after SIGTERM: exit $rc"
set +e
err=$("$BUILD/rpmbd" --db "$WORK/hand.db" --socket "$WORK/hand.sock" --ready-fd 42 2>&1)
rc=$?
set -e
[[ $rc -eq 2 && $err == *"--ready-fd 42 is not an open descriptor"* ]] || fail "rpmbd --ready-fd 42: exit $rc: $err"
# stmmd refuses a store size that is not a multiple of 256 at start: `up` says so at once,
# well before --wait.  (An unknown --quirk is refused before anything starts:
# emu_newcomer_cli.sh.)
QS=$WORK/quirk
STATES+=("$QS")
mkdir -p "$QS"
printf '[stmmd]\nvar-store-size=1000\n' >"$QS/stmm-emu.conf"
start=$(date +%s%N)
set +e
err=$("$EMU" up --state "$QS" --wait 15000 2>&1)
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
[[ $rc -eq 3 ]] || fail "up with a bad var-store-size: exit $rc ($err)"
[[ $err == *"stmmd exited during start-up"*"multiples of 256"* ]] || fail "up with a bad var-store-size said: $err"
((ms < 15000)) || fail "up took ${ms} ms to see stmmd exit"
"$EMU" down --state "$QS" --quiet
ok "readiness: rpmbd --ready-fd writes READY=1 once serving; stmmd dying at start-up reported in ${ms} ms"
all_passed
