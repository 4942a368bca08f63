#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# stmm-emu scenario: the field-bug scenarios of fixtures/scenarios/ and the runner itself.
#   - every shipped scenario passes (exit 0), with a JUnit report that python3 parses and
#     that counts one case per expectation, no failure
#   - a scenario whose expectation is edited to be wrong fails (exit 1) naming the file,
#     the line and what was seen, and later expectations are reported as not reached
#   - a file that does not parse is refused before anything runs (exit 2, FILE:LINE)
#   - --keep keeps the state directory; --tap prints TAP 13
# system-check: long
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/trace.bash"
export STMM_EMU_TIMEOUT_MS=10000
status_of() { local rc=0; "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?; echo "$rc"; }

SCEN_DIR=$(cd "$(dirname "$0")/../../fixtures/scenarios" && pwd)
mapfile -t files < <(ls "$SCEN_DIR"/*.scen)
(( ${#files[@]} >= 3 )) || fail "expected the shipped scenarios in $SCEN_DIR"

kept_states() { sed -n 's/^stmm-emu: scenario: state kept in //p' "$1"; }

# ---- every shipped scenario passes, twice, with the same trace ----------------------------
rc=$(status_of "$EMU" scenario --keep --junit "$WORK/junit.xml" "${files[@]}")
cp "$WORK/err" "$WORK/run1.err"
[[ $rc == 0 ]] || fail "shipped scenarios: exit $rc: $(cat "$WORK/out" "$WORK/err")"
for f in "${files[@]}"; do
	grep -q "^PASS $f" "$WORK/out" || fail "no PASS line for $f: $(cat "$WORK/out")"
done
python3 - "$WORK/junit.xml" "${#files[@]}" <<'PY' || fail "JUnit report: $(cat "$WORK/junit.xml")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("failures") == "0", root.attrib
suites = root.findall("testsuite")
assert len(suites) == int(sys.argv[2]), len(suites)
assert all(int(s.get("tests")) >= 3 for s in suites)
assert not root.findall(".//failure")
PY
ok "${#files[@]} shipped scenarios pass; JUnit has one suite each, no failure"

# The second run and the comparison take the plain build (a sanitizer build runs every
# scenario once, above, for reports: the same code decides the traces).
if [[ $BUILD == build-san ]]; then
	for d in $(kept_states "$WORK/run1.err"); do rm -rf "$d"; done
else
rc=$(status_of "$EMU" scenario --keep "${files[@]}")
[[ $rc == 0 ]] || fail "shipped scenarios, second run: exit $rc: $(cat "$WORK/out" "$WORK/err")"
mapfile -t run1 < <(kept_states "$WORK/run1.err")
mapfile -t run2 < <(kept_states "$WORK/err")
(( ${#run1[@]} == ${#files[@]} && ${#run2[@]} == ${#files[@]} )) || fail "kept states: ${#run1[@]}, ${#run2[@]}"
items=0
for i in "${!files[@]}"; do
	[[ -s ${run1[$i]}/trace.bin ]] || fail "${files[$i]}: no trace recorded"
	trace_normalized "${run1[$i]}" >"$WORK/t1"
	trace_normalized "${run2[$i]}" >"$WORK/t2"
	diff -u "$WORK/t1" "$WORK/t2" >"$WORK/tdiff" ||
		fail "${files[$i]}: the two runs' traces differ: $(head -30 "$WORK/tdiff")"
	items=$((items + $(wc -l <"$WORK/t1")))
	rm -rf "${run1[$i]}" "${run2[$i]}"
done
ok "every shipped scenario passes twice in a row with the same decoded trace ($items items)"
fi

# ---- a wrong expectation fails, with where and what --------------------------------------
bad="$WORK/s1-wrong.scen"
sed 's/^\(set linux BootNext global nv,bs,rt hex:0100 *\)expect EFI_DEVICE_ERROR/\1expect EFI_SUCCESS/' \
	"$SCEN_DIR/s1-supplicant-stops-while-bound.scen" >"$bad"
cmp -s "$bad" "$SCEN_DIR/s1-supplicant-stops-while-bound.scen" && fail "the edit did not apply"
line=$(grep -n 'BootNext global nv,bs,rt hex:0100 *expect EFI_SUCCESS' "$bad" | head -1 | cut -d: -f1)
rc=$(status_of "$EMU" scenario --tap "$bad")
[[ $rc == 1 ]] || fail "wrong expectation: exit $rc, want 1"
grep -q "^FAIL $bad:$line: set linux BootNext" "$WORK/err" || fail "no FAIL line for line $line: $(cat "$WORK/err")"
grep -q "EFI_DEVICE_ERROR, expected EFI_SUCCESS" "$WORK/err" || fail "the failure does not say what was seen: $(cat "$WORK/err")"
grep -q "^    trace (last 30 of [0-9]* records" "$WORK/err" &&
	grep -q "^    | .*MM_RSP SET_VARIABLE BootNext .*-> EFI_DEVICE_ERROR" "$WORK/err" ||
	fail "no decoded trace excerpt around the failure: $(cat "$WORK/err")"
grep -q "^not ok .* - L$line: set linux BootNext" "$WORK/out" || fail "TAP lacks the failed case: $(cat "$WORK/out")"
grep -q "not reached: an earlier step failed" "$WORK/out" || fail "TAP lacks the unreached cases: $(cat "$WORK/out")"
ok "a wrong expectation fails at its line with what was seen and the trace around it (exit 1, TAP)"

# ---- files that do not parse --------------------------------------------------------------
printf 'client a linux\nset a Foo global nv,bs,rt x expect EFI_BOGUS\n' >"$WORK/p1.scen"
rc=$(status_of "$EMU" scenario "$WORK/p1.scen")
[[ $rc == 2 ]] || fail "bad status name: exit $rc, want 2"
grep -q "p1.scen:2: .*EFI_BOGUS" "$WORK/err" || fail "bad status name said: $(cat "$WORK/err")"
printf '# c\n\nfrobnicate a\n' >"$WORK/p2.scen"
rc=$(status_of "$EMU" scenario "$WORK/p2.scen")
[[ $rc == 2 ]] && grep -q "p2.scen:3: unknown step 'frobnicate'" "$WORK/err" ||
	fail "unknown step: exit $rc: $(cat "$WORK/err")"
printf 'get a Foo\n' >"$WORK/p3.scen"
rc=$(status_of "$EMU" scenario "$WORK/p3.scen")
[[ $rc == 2 ]] && grep -q "p3.scen:1: .get. takes 3 argument" "$WORK/err" ||
	fail "argument count: exit $rc: $(cat "$WORK/err")"
rc=$(status_of "$EMU" scenario "$WORK/missing.scen")
[[ $rc == 2 ]] || fail "missing file: exit $rc, want 2"
ok "unparsable files refused before running (exit 2, FILE:LINE)"

# ---- --keep --------------------------------------------------------------------------------
printf 'client a linux\nset a Foo global nv,bs,rt "kept" expect EFI_SUCCESS\n' >"$WORK/k.scen"
rc=$(status_of "$EMU" scenario --keep "$WORK/k.scen")
[[ $rc == 0 ]] || fail "--keep run: exit $rc: $(cat "$WORK/err")"
kept=$(sed -n 's/^stmm-emu: scenario: state kept in //p' "$WORK/err")
[[ -n $kept && -f $kept/rpmb.db ]] || fail "--keep: no state directory named: $(cat "$WORK/err")"
rm -rf "$kept"
ok "--keep keeps the state directory"

all_passed
