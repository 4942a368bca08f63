#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The trace (include/emu_trace.h, `stmm-emu up --trace`, `stmm-emu trace`):
#   - up --trace: stmmd and rpmbd record STATE/trace.bin; status says so
#   - a SetVariable of HelloWorld is one MM line followed by its RPC and RPMB lines, decoded
#     (RPMB MACs verified with the key in rpmb.db), then the MM answer EFI_SUCCESS
#   - --json parses (python3 json), --layer and --var filter
#   - the same actions on two fresh stacks give the same decoded trace per connection,
#     modulo times, pids and nonces
#   - replay onto a fresh stack matches; onto a stack where the answers differ it says so
#     and exits 1
#   - a truncated or foreign file gives a clear error and exit 2, never a crash
#   - a fired fault is a note; a scenario is traced; up --no-trace stops recording
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/trace.bash"
export STMM_EMU_TIMEOUT_MS=10000

new_state() { # name -> path (registered for cleanup)
	local s=$WORK/$1
	mkdir -p "$s"
	STATES+=("$s")
	echo "$s"
}

# The actions every traced stack runs.
actions() { # state
	local rc=0
	"$EMU" var get Foo --state "$1" >/dev/null 2>&1 || rc=$?
	[[ $rc == 1 ]] || fail "var get Foo on a fresh store: exit $rc, want 1 (EFI_NOT_FOUND)"
	"$EMU" var set HelloWorld --string hello --state "$1" || fail "var set HelloWorld"
}

# --- up --trace, status ----------------------------------------------------------------
"$EMU" up -q --trace --state "$STATE" || fail "up --trace"
grep -q '^trace=true' "$STATE/stmm-emu.conf" || fail "up --trace not recorded in stmm-emu.conf"
actions "$STATE"
"$EMU" status --state "$STATE" | grep -Eq "^trace: +on \($STATE/trace.bin, [0-9]+ bytes\)" ||
	fail "status does not show the trace"
ok "up --trace records STATE/trace.bin; status shows it"

# --- the SetVariable: MM line, then its RPC and RPMB lines -------------------------------
OUT=$WORK/trace.txt
"$EMU" trace --state "$STATE" >"$OUT" || fail "trace exited $?"
! grep -q undecodable "$OUT" || fail "undecodable records: $(grep undecodable "$OUT" | head -3)"
python3 - "$OUT" <<'EOF' || fail "the SetVariable is not an MM line followed by its RPC and RPMB lines"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
req = [i for i, l in enumerate(lines) if re.search(r'\bmm +MM_REQ SET_VARIABLE HelloWorld EFI_GLOBAL_VARIABLE attrs NV\|BS\|RT DataSize 5$', l)]
rsp = [i for i, l in enumerate(lines) if re.search(r'\bmm +MM_RSP SET_VARIABLE HelloWorld .* -> EFI_SUCCESS mm SUCCESS tee SUCCESS$', l)]
assert len(req) == 1 and len(rsp) == 1 and req[0] < rsp[0], (req, rsp)
inner = lines[req[0] + 1:rsp[0]]
# Every line between the call and its answer is RPC / RPMB / MMC traffic the call caused.
for l in inner:
    assert re.search(r' (rpc|rpmb|mmc) +', l), l
assert re.search(r' rpc +RPC RPMB in \d+ out \d+ rpmb_req DATA_REQ dev 0', inner[0]), inner[0]
assert any(re.search(r' rpmb +DATA_WRITE addr \d+ blocks 1 wc \d+ mac ok$', l) for l in inner)
assert any(re.search(r' rpmb +DATA_WRITE_RESP addr \d+ blocks \d+ wc \d+ result OK mac ok$', l) for l in inner)
assert any(re.search(r' mmc +SEQ 6 cmds: CMD23 count 1 reliable, CMD25 1 blocks, CMD23 count 1, CMD25 1 blocks, CMD23 count 1, CMD18 1 blocks$', l) for l in inner)
assert any(re.search(r' rpc +RPC_RSP RPMB TEEC_SUCCESS out 512$', l) for l in inner)
assert not any('mac BAD' in l for l in lines)
# the NOT_FOUND of the GetVariable before it
assert any(re.search(r'MM_RSP GET_VARIABLE Foo EFI_GLOBAL_VARIABLE .* -> EFI_NOT_FOUND', l) for l in lines)
# tee layer: the session to PTA_STMM and its invoke
assert any(re.search(r' tee +OPEN_SESSION ed32d533-99e6-4209-9cc0-2d72cdd998a7 \(PTA_STMM\)$', l) for l in lines)
assert any(re.search(r' tee +INVOKE session \d+ cmd COMMUNICATE params MEMREF_INOUT,VALUE_OUT,NONE,NONE', l) for l in lines)
assert any(re.search(r' rpc +RPC_RSP RPMB TEEC_SUCCESS out 19 dev_info cid [0-9a-f]{32} size_mult \d+ rel_wr_sec_c \d+ ret_code 0$', l) for l in lines)
EOF
ok "SetVariable HelloWorld: MM line, then its RPC, MMC and RPMB lines (mac ok), then EFI_SUCCESS"

# --- --json, --layer, --var ----------------------------------------------------------------
"$EMU" trace --state "$STATE" --json >"$WORK/trace.json" || fail "trace --json"
python3 - "$WORK/trace.json" <<'EOF' || fail "--json output"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
assert len(recs) > 10
for r in recs:
    assert {'index', 'time_ms', 'kind', 'recorder', 'peer', 'pid', 'items'} <= r.keys(), r
    for it in r['items']:
        assert it['layer'] in ('tee', 'mm', 'rpc', 'rpmb', 'mmc', 'note') and 'summary' in it
allmm = [it for r in recs for it in r['items'] if it['layer'] == 'mm' and it.get('name') == 'HelloWorld']
# Linux tee_set_variable: the variable's property first (NOT_FOUND: none), then the SET
assert [(it['function'], it['kind']) for it in allmm] == [
    ('VAR_CHECK_VARIABLE_PROPERTY_GET', 'MM_REQ'), ('VAR_CHECK_VARIABLE_PROPERTY_GET', 'MM_RSP'),
    ('SET_VARIABLE', 'MM_REQ'), ('SET_VARIABLE', 'MM_RSP')], allmm
assert allmm[1]['return_status'] == 'EFI_NOT_FOUND'
mm = allmm[2:]
assert mm[1]['return_status'] == 'EFI_SUCCESS' and mm[1]['mm_ret'] == 0
assert mm[0]['function'] == 'SET_VARIABLE' and mm[0]['guid_name'] == 'EFI_GLOBAL_VARIABLE'
assert mm[0]['attributes'] == 'NV|BS|RT' and mm[0]['data_size'] == 5 and mm[0]['data'] == b'hello'.hex()
assert mm[0]['header_guid_name'] == 'gEfiSmmVariableProtocolGuid'
EOF
"$EMU" trace --state "$STATE" --layer mm >"$WORK/mm.txt" || fail "trace --layer mm"
[[ -s $WORK/mm.txt ]] || fail "--layer mm shows nothing"
awk '$6 != "mm" { exit 1 }' "$WORK/mm.txt" || fail "--layer mm shows other layers"
"$EMU" trace --state "$STATE" --layer rpmb,mmc | awk '$6 != "rpmb" && $6 != "mmc" { exit 1 }' ||
	fail "--layer rpmb,mmc shows other layers"
[[ $("$EMU" trace --state "$STATE" --var HelloWorld | wc -l) == 4 ]] || fail "--var HelloWorld: not 4 lines (PROPERTY_GET and SET, each asked and answered)"
ok "--json parses with every decoded field; --layer and --var filter"

# --- two fresh stacks, same actions: same decoded trace --------------------------------
A=$(new_state a); STATES+=("$A") # (the subshell could not register it)
B=$(new_state b); STATES+=("$B") # (the subshell could not register it)
for s in "$A" "$B"; do
	"$EMU" up -q --trace --state "$s" || fail "up --trace $s"
	actions "$s"
	"$EMU" down -q --state "$s" || fail "down $s"
done
trace_normalized "$A" --keep-peer-names >"$WORK/a.norm"
trace_normalized "$B" --keep-peer-names >"$WORK/b.norm"
[[ $(grep -c SET_VARIABLE "$WORK/a.norm") -ge 2 ]] || fail "normalized trace lacks the SetVariable"
diff -u "$WORK/a.norm" "$WORK/b.norm" >"$WORK/ab.diff" || fail "two fresh stacks' traces differ: $(head -20 "$WORK/ab.diff")"
ok "the same actions on two fresh stacks give the same decoded trace ($(wc -l <"$WORK/a.norm") items)"

# --- replay ---------------------------------------------------------------------------------
R=$(new_state replay); STATES+=("$R") # (the subshell could not register it)
"$EMU" up -q --state "$R" || fail "up $R"
"$EMU" trace replay "$STATE/trace.bin" --state "$R" >"$WORK/replay.txt" || fail "replay onto a fresh stack: exit $? $(cat "$WORK/replay.txt")"
grep -q 'SET_VARIABLE HelloWorld .*: match' "$WORK/replay.txt" || fail "replay: no SetVariable match"
grep -Eq '^replay: [0-9]+ calls, [0-9]+ match, 0 differ$' "$WORK/replay.txt" || fail "replay: $(tail -1 "$WORK/replay.txt")"
# Foo exists now: the recorded EFI_NOT_FOUND of GetVariable(Foo) no longer holds.
"$EMU" var set Foo --string x --state "$R" || fail "var set Foo"
rc=0
"$EMU" trace replay "$STATE/trace.bin" --state "$R" >"$WORK/replay2.txt" || rc=$?
[[ $rc == 1 ]] || fail "replay with a differing answer: exit $rc, want 1"
grep -q 'GET_VARIABLE Foo .*: DIFFER (recorded mm SUCCESS EFI_NOT_FOUND' "$WORK/replay2.txt" ||
	fail "replay: the GetVariable(Foo) difference is not reported: $(cat "$WORK/replay2.txt")"
ok "replay onto a fresh stack matches; a differing answer is reported, exit 1"

# --- damaged files ----------------------------------------------------------------------
size=$(stat -c %s "$STATE/trace.bin")
head -c $((size - 7)) "$STATE/trace.bin" >"$WORK/cut.bin"
rc=0
"$EMU" trace "$WORK/cut.bin" >/dev/null 2>"$WORK/cut.err" || rc=$?
[[ $rc == 2 ]] || fail "truncated trace: exit $rc, want 2"
grep -Eq 'cut.bin: record [0-9]+ at offset [0-9]+ truncated' "$WORK/cut.err" || fail "truncated trace: $(cat "$WORK/cut.err")"
printf 'NOTATRACEFILE...........' >"$WORK/foreign.bin"
rc=0
"$EMU" trace "$WORK/foreign.bin" >/dev/null 2>"$WORK/foreign.err" || rc=$?
[[ $rc == 2 ]] && grep -q 'not a trace file: bad magic' "$WORK/foreign.err" || fail "foreign file: exit $rc, $(cat "$WORK/foreign.err")"
ok "a truncated trace and a foreign file give a clear error, exit 2"

# --- a fired fault is a note in the trace --------------------------------------------------
"$EMU" fault stmmd tee-error BUSY --state "$STATE" >/dev/null || fail "fault stmmd tee-error"
! "$EMU" var set Faulty --string x --state "$STATE" 2>/dev/null || fail "var set passed a tee-error fault"
"$EMU" trace --state "$STATE" --layer note,tee >"$WORK/note.txt" || fail "trace --layer note,tee"
grep -Eq ' note +fault #1 fired: tee-error at MM call 1 since armed' "$WORK/note.txt" ||
	fail "the fired fault is not a note: $(grep -i fault "$WORK/note.txt")"
grep -Eq 'control -> stmmd +tee +CTRL_FAULT trigger mm-call action stmm-tee-error count 1' "$WORK/note.txt" ||
	fail "CTRL_FAULT not decoded: $(grep CTRL_FAULT "$WORK/note.txt")"
grep -q 'INVOKE_RSP ERROR_BUSY origin TEE' "$WORK/note.txt" || fail "the faulted invoke's answer is not in the trace"
ok "an armed fault is decoded, its firing is a note, the invoke answers TEE_ERROR_BUSY"

# --- every scenario is traced: `trace ... expect contains` works ----------------------------
cat >"$WORK/t.scen" <<'SCEN'
name: the trace inside a scenario
client os linux
set os HelloWorld global nv,bs,rt "hi"    expect EFI_SUCCESS
trace                                     expect contains "MM_REQ SET_VARIABLE HelloWorld EFI_GLOBAL_VARIABLE attrs NV|BS|RT DataSize 2"
trace                                     expect contains "DATA_WRITE_RESP"
trace                                     expect lacks "undecodable"
SCEN
"$EMU" scenario "$WORK/t.scen" >"$WORK/scen.out" 2>&1 || fail "scenario with trace steps: $(cat "$WORK/scen.out")"
grep -q '^PASS .*(4 expectations' "$WORK/scen.out" || fail "scenario: $(cat "$WORK/scen.out")"
ok "a scenario is traced: its trace steps see the decoded SetVariable"

# --- up --no-trace: daemons started from then on record nothing ----------------------------
"$EMU" down -q --state "$STATE" || fail "down"
"$EMU" up -q --no-trace --state "$STATE" || fail "up --no-trace"
! grep -q '^trace=true' "$STATE/stmm-emu.conf" || fail "up --no-trace left trace=true"
before=$(stat -c %s "$STATE/trace.bin")
"$EMU" var set HelloWorld --string again --state "$STATE" || fail "var set after --no-trace"
[[ $(stat -c %s "$STATE/trace.bin") == "$before" ]] || fail "the trace grew after up --no-trace"
! "$EMU" status --state "$STATE" | grep -q '^trace:' || fail "status shows a trace after --no-trace"
ok "up --no-trace stops recording"

all_passed
