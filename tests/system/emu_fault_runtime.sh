#!/usr/bin/env bash
# Run-time faults (`stmm-emu fault`, issue 11 §1) on a private stack, scenarios S2, S3, S1/S9
# of research/next-wave-anchors.md §3.  The faults are keyed on protocol events, so every
# run of the same plan on a fresh stack has the same outcome (checked for S2).
set -euo pipefail
source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"

RPC_TIMEOUT=1000
up() { "$EMU" up --rpmb-layout raw --rpc-timeout "$RPC_TIMEOUT" "$@" >/dev/null 2>&1; }
fresh() { "$EMU" down --quiet >/dev/null 2>&1 || true; rm -rf "$STATE"; mkdir -p "$STATE"; up || fail "up"; }
st() { "$EMU" status --json 2>/dev/null || true; }
counter() { st | json_get 'd["ctrl"]["rpmb_write_counter"]'; }
dead() { st | json_ok 'd["ctrl"]["rpmb"]["dead"]'; }
arm() { "$EMU" fault "$@" || fail "fault $*"; }
value_of() { "$EMU" var get "$1" 2>/dev/null | sed -n 's/^00000000  .*|\(.*\)|$/\1/p'; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# ---- the CLI -------------------------------------------------------------------------
fresh
rc=0; "$EMU" fault rpmbd bogus >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "fault rpmbd bogus: exit $rc, want 2"
rc=0; "$EMU" fault rpmbd corrupt 600 >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "fault rpmbd corrupt 600: exit $rc, want 2"
out=$(arm rpmbd drop-response --at write)
[[ $out == "armed fault #1 on rpmbd: drop-response at the 1st RPMB write from now" ]] ||
	fail "armed text: $out"
"$EMU" fault clear rpmbd >/dev/null || fail "fault clear rpmbd"
"$EMU" var set Cleared --string x >/dev/null || fail "var set after clear"
ok "CLI: usage errors exit 2, arm prints the plan, clear disarms"

# ---- S2: a committed write whose response is lost ------------------------------------
# Fault-free: how many RPMB writes `var set Lost` makes on a fresh stack.
fresh
c1=$(counter)
"$EMU" var set Lost --string committed >/dev/null || fail "fault-free var set"
writes=$(($(counter) - c1))
[[ $writes -ge 1 ]] || fail "var set made no RPMB write"

s2_run() { # prints the outcome
	fresh
	arm rpmbd drop-response --at write --nth "$writes" >/dev/null
	rc=0; "$EMU" var set Lost --string committed >/dev/null 2>&1 || rc=$?
	[[ $rc == 1 ]] || fail "S2: var set with its last write's response lost: exit $rc, want 1"
	dead || fail "S2: RPMB not dead after COUNTER_FAILURE on every resend"
	st | json_ok 'd["ctrl"]["rpmb"]["last_failure"] is not None' || fail "S2: no failure recorded"
	"$EMU" reset >/dev/null || fail "S2: reset"
	dead && fail "S2: still dead after reset"
	v=$(value_of Lost)
	[[ $v == committed ]] || fail "S2: after reset the variable is '$v', want 'committed'"
	echo "dead-then-present counter=$(counter)"
}
first=$(s2_run)
ok "S2: drop-response at write $writes: EFI_DEVICE_ERROR, RPMB dead, the variable is there after reset"
second=$(s2_run)
[[ $first == "$second" ]] || fail "S2 twice: '$first' then '$second'"
ok "S2: the same plan twice gives the same outcome ($first)"

# ---- before commit: RESULT once, then power cut ----------------------------------------
fresh
c1=$(counter)
arm rpmbd result GENERAL_FAILURE >/dev/null
"$EMU" var set Lost --string committed >/dev/null || fail "var set after one GENERAL_FAILURE"
[[ $(($(counter) - c1)) == "$writes" ]] || fail "RESULT once: counter +$(($(counter) - c1)), want +$writes"
st | json_ok 'd["ctrl"]["rpmb"]["retries"] >= 1' || fail "RESULT once: no resend recorded"
[[ $(value_of Lost) == committed ]] || fail "RESULT once: variable missing"
ok "S2 before commit: GENERAL_FAILURE once, the resend succeeds, counter +$writes as without fault"

fresh
rpid=$(pid_of rpmbd)
arm rpmbd power-cut >/dev/null
rc=0; "$EMU" var set Cut --string never >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "power-cut: var set exit $rc, want 1"
wait_until 10 "rpmbd to exit after the power cut" gone "$rpid"
grep -q "power cut before the sequence commits" "$STATE/rpmbd.log" || fail "power-cut: no log line"
up || fail "up after the power cut"
"$EMU" reset >/dev/null || fail "reset after the power cut"
rc=0; "$EMU" var get Cut >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "power-cut: the cut variable exists after the restart"
"$EMU" var set Cut --string now >/dev/null || fail "var set after restart + reset"
ok "power-cut: rpmbd exits before committing, nothing of the write is on the device"

# ---- S3: 9 failed tries are transient, 10 make the RPMB dead --------------------------
# optee_os core/tee/tee_rpmb_fs.c: RPMB_MAX_RETRIES 10 tries of one write, then rpmb_dead.
fresh
arm rpmbd result WRITE_FAILURE --repeat 9 >/dev/null
"$EMU" var set S3 --string nine >/dev/null || fail "S3: 9 failures did not recover"
dead && fail "S3: dead after 9 failures"
arm rpmbd result WRITE_FAILURE --repeat 10 >/dev/null
rc=0; "$EMU" var set S3b --string ten >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "S3: 10 failures: exit $rc, want 1"
dead || fail "S3: not dead after 10 failures"
"$EMU" status 2>/dev/null | grep -q "rpmb state:   DEAD" || fail "S3: status text does not say DEAD"
ok "S3: result WRITE_FAILURE x9 recovers, x10 makes the RPMB dead"

# ---- supplicant ----------------------------------------------------------------------
fresh
arm supplicant drop --rpc rpmb >/dev/null
"$EMU" var set Dropped --string x >/dev/null || fail "one dropped RPC: var set failed"
st | json_ok '"ETIMEDOUT" in str(d["ctrl"]["supplicant"]["last_rpc_error"])' ||
	fail "supplicant drop: stmmd did not time out ($(st | json_get 'd["ctrl"]["supplicant"]'))"
ok "supplicant drop: stmmd's RPC times out, the resend succeeds"

arm supplicant error TEEC_ERROR_COMMUNICATION >/dev/null
"$EMU" var set Comm --string x >/dev/null || fail "one TEEC_ERROR_COMMUNICATION: var set failed"
st | json_ok '"ECOMM" in str(d["ctrl"]["supplicant"]["last_rpc_error"])' ||
	fail "supplicant error: not recorded as ECOMM"
ok "supplicant error TEEC_ERROR_COMMUNICATION once: recorded, retried"

spid=$(pid_of supplicantd)
arm supplicant exit >/dev/null
rc=0; "$EMU" var set Exit --string x >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "supplicant exit: var set exit $rc, want 1"
wait_until 10 "supplicantd to exit" gone "$spid"
st | json_ok 'not d["daemons"]["supplicantd"]["alive"]' || fail "status: supplicantd still alive"
ok "supplicant exit: stmmd loses the supplicant mid-RPC, the write fails"

RPC_TIMEOUT=300 fresh
arm supplicant stall >/dev/null
rc=0; "$EMU" var set Stalled --string x >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "supplicant stall: var set exit $rc, want 1"
st | json_ok 'd["ctrl"]["supplicant"]["registered"] and not d["ctrl"]["supplicant"]["answering"]' ||
	fail "supplicant stall: status does not show a registered, silent supplicant"
dead || fail "supplicant stall: every RPC timed out but the RPMB is not dead"
kill -0 "$(pid_of supplicantd)" || fail "supplicant stall: supplicantd exited"
ok "supplicant stall: stays connected, answers nothing, stmmd's RPCs time out until dead"

# ---- stmmd ----------------------------------------------------------------------------
fresh
arm stmmd tee-error TEE_ERROR_TARGET_DEAD >/dev/null
err=$("$EMU" var get Cleared 2>&1 >/dev/null) && fail "tee-error: var get succeeded"
[[ $err == *TEE_ERROR_TARGET_DEAD* ]] || fail "tee-error: client saw '$err'"
"$EMU" var set Next --string x >/dev/null || fail "tee-error: the next MM call failed"
ok "stmmd tee-error: the client gets TEE_ERROR_TARGET_DEAD, the next call runs"

tpid=$(pid_of stmmd)
arm stmmd crash >/dev/null
rc=0; "$EMU" var get Next >/dev/null 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "crash: var get exit $rc, want 1"
wait_until 10 "stmmd to exit" gone "$tpid"
rc=0; "$EMU" status >/dev/null 2>&1 || rc=$?
[[ $rc == 3 ]] || fail "status after the crash: exit $rc, want 3"
st | json_ok 'not d["daemons"]["stmmd"]["alive"]' || fail "status: stmmd still alive"
ok "stmmd crash at the next MM call: status reports stmmd gone"

all_passed
