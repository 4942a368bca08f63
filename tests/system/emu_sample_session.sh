#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make run` (emu/sample-session.sh) on a fresh state: it succeeds, records a trace, and
# `stmm-emu trace` on that trace shows the SetVariable of HelloWorld as one MM line followed
# by its RPC, MMC and RPMB lines, each decoded, and then the MM answer EFI_SUCCESS.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=10000

STMM_EMU_STATE="$STATE" BUILD="$BUILD" bash "$(dirname "$0")/../../emu/sample-session.sh" \
	>"$WORK/session.out" 2>&1 || fail "sample session: $(tail -20 "$WORK/session.out")"
[[ -s $STATE/trace.bin ]] || fail "make run recorded no trace"
grep -q 'MM_REQ SET_VARIABLE HelloWorld' "$WORK/session.out" || fail "the session does not show the trace"
ok "make run succeeds and records a trace"

"$EMU" trace --state "$STATE" >"$WORK/trace.txt"
python3 - "$WORK/trace.txt" <<'PY' || fail "trace of make run: $(grep -m1 -A12 'MM_REQ SET_VARIABLE HelloWorld' "$WORK/trace.txt")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
start = [i for i, l in enumerate(lines) if re.search(r" mm +MM_REQ SET_VARIABLE HelloWorld ", l)]
assert len(start) == 1, "one MM request line for the SetVariable of HelloWorld"
layers = []
for l in lines[start[0] + 1:]:
    m = re.match(r"\s*\d+\s+[\d.]+\s+(\S+) -> (\S+)\s+(\w+)\s+(.*)", l)
    assert m, "undecoded line: " + l
    if m.group(3) == "mm":
        assert "MM_RSP SET_VARIABLE HelloWorld" in m.group(4) and "-> EFI_SUCCESS" in m.group(4), l
        break
    layers.append(m.group(3))
    assert "undecodable" not in l, l
else:
    raise AssertionError("no MM answer after the request")
assert "rpc" in layers and "rpmb" in layers and "mmc" in layers, set(layers)
assert set(layers) <= {"rpc", "rpmb", "mmc", "tee"}, set(layers)
writes = [l for l in lines[start[0]:] if "DATA_WRITE_RESP" in l and "mac ok" in l]
assert writes, "a DATA_WRITE response with a verified MAC"
print(len(layers), "lines between the MM request and its answer")
PY
ok "trace: SetVariable HelloWorld = one MM line, then its RPC/MMC/RPMB lines, then EFI_SUCCESS"
all_passed
