# SPDX-License-Identifier: MIT
# Shared by the system tests that run the stack through stmm-emu (sourced, not run): a
# temporary directory WORK with the stack's state directory STATE in it (exported as
# STMM_EMU_STATE), cleaned up on exit: every state directory in STATES taken down, the
# pids in extra_pids killed, WORK removed.  Sets BUILD, EMU, TEST_NAME (the script's name),
# WORK, STATE, STATES, PASSED, extra_pids; defines fail MESSAGE (with the tails of the
# daemons' logs and "TEST_NAME: N passed, 1 failed"), ok MESSAGE (counted), all_passed
# ("TEST_NAME: N passed, 0 failed") and pid_of DAEMON; json_ok EXPR and json_get EXPR
# parse stdin as one strict UTF-8 JSON document d (python3's json) and test EXPR / print it.
BUILD=${BUILD:-build}
EMU=$BUILD/stmm-emu
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/$TEST_NAME.XXXXXX")
STATE=$WORK/state
mkdir -p "$STATE"
export STMM_EMU_STATE=$STATE
STATES=("$STATE")
PASSED=0
extra_pids=()

stack_cleanup() {
	local p s
	for p in "${extra_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for s in "${STATES[@]}"; do "$EMU" down --quiet --state "$s" >/dev/null 2>&1 || true; done
	rm -rf "$WORK"
}
trap stack_cleanup EXIT

fail() {
	local s l
	echo "FAIL: $*" >&2
	for s in "${STATES[@]}"; do
		for l in "$s"/*.log; do
			[[ -f $l ]] || continue
			echo "--- $l (tail)" >&2
			tail -n 20 "$l" >&2
		done
	done
	echo "$TEST_NAME: $PASSED passed, 1 failed" >&2
	exit 1
}
ok() {
	PASSED=$((PASSED + 1))
	echo "ok - $*"
}
all_passed() { echo "$TEST_NAME: $PASSED passed, 0 failed"; }
pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }

# stdin: one JSON document, strict UTF-8 (python3 json).  EXPR is Python over d (further arguments: sys.argv[3:]).
_json_py='import json,sys
d=json.loads(sys.stdin.buffer.read().decode("utf-8"))
v=eval("(" + sys.argv[2] + "\n)")'
json_ok() { python3 -c "$_json_py"'
sys.exit(0 if v else 1)' - "$@"; }
json_get() { python3 -c "$_json_py"'
print(v if isinstance(v, str) else json.dumps(v))' - "$@"; }
