#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `stmm-emu conform` on a fresh stack: every case of `--list` appears in the JUnit file,
# none fails, the TAP plan matches, and the exit status is 0.  The destructive groups run
# on conform's own scratch stack (started and removed by it).  The auth and secure-boot
# groups sign with fixtures/keys and must run here (--require-auth), never be skipped.
# system-check: long
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=20000
export STMM_EMU_KEYS
STMM_EMU_KEYS=$(cd "$(dirname "$0")/../../fixtures/keys" && pwd)

"$EMU" up --quiet || fail "stmm-emu up"

listed=$("$EMU" conform --list | wc -l)
[[ $listed -gt 100 ]] || fail "only $listed cases listed"
"$EMU" conform --list | awk '{print $1}' | sort >"$STATE/listed"
[[ $(uniq -d "$STATE/listed" | wc -l) -eq 0 ]] || fail "duplicate case ids: $(uniq -d "$STATE/listed")"

rc=0
"$EMU" conform --require-auth --junit "$STATE/conform.xml" --tap >"$STATE/conform.tap" \
	2>"$STATE/conform.out" || rc=$?
cat "$STATE/conform.out"

# Every listed case is in the JUnit file, exactly once.
grep -o '<testcase classname="[^"]*" name="[^"]*"' "$STATE/conform.xml" |
	sed 's/.*name="\([^"]*\)"/\1/' | sort >"$STATE/junit"
diff -u "$STATE/listed" "$STATE/junit" >&2 || fail "JUnit cases differ from --list"
# ... and it is well-formed XML whose parsed case names (escaping undone) are the same.
python3 -c 'import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
assert t.tag == "testsuites"
print("\n".join(sorted(c.get("name") for c in t.iter("testcase"))))' "$STATE/conform.xml" >"$STATE/junit-parsed" ||
	fail "the JUnit file is not well-formed XML"
diff -u <(LC_ALL=C sort "$STATE/listed") <(LC_ALL=C sort "$STATE/junit-parsed") >&2 || fail "parsed JUnit cases differ from --list"
tests=$(sed -n 's/.*<testsuites [^>]*tests="\([0-9]*\)".*/\1/p' "$STATE/conform.xml")
[[ $tests -eq $listed ]] || fail "JUnit tests=$tests, --list has $listed"
# TAP: plan and one line per case.
grep -qx "1\.\.$listed" "$STATE/conform.tap" || fail "TAP plan is not 1..$listed"
[[ $(grep -cE '^(not )?ok [0-9]+ - ' "$STATE/conform.tap") -eq $listed ]] || fail "TAP lines != $listed"
# The signed groups ran: nothing skipped.
! grep -q '# SKIP' "$STATE/conform.tap" || fail "cases skipped: $(grep -m1 '# SKIP' "$STATE/conform.tap")"
grep -q '^ok [0-9]* - secure-boot\.pk-delete ' "$STATE/conform.tap" || fail "secure-boot cases did not run"

failures=$(sed -n 's/.*<testsuites [^>]*failures="\([0-9]*\)".*/\1/p' "$STATE/conform.xml")
if [[ $failures -ne 0 || $rc -ne 0 ]]; then
	grep -E '^not ok' "$STATE/conform.tap" >&2 || true
	fail "$failures of $listed conformance cases failed (exit status $rc)"
fi
# The running stack was left as it was: nothing under the test GUIDs remains.
if "$EMU" var list | grep -qiE '^(f6fab04f|49b08eba|3d1e07c5|15edf297)'; then
	fail "test variables left behind on the running stack"
fi
# ... and certdb holds no signer binding of them (only its 4-byte size header).
certdb=$("$EMU" var get certdb --guid d9bee56e-75dc-49d9-b4d7-b534210f637a --raw | od -An -tx1 | tr -d ' \n')
[[ $certdb == 04000000 ]] || fail "certdb not empty after the auth group: $certdb"

# Without keys the signed groups are reported as skipped, with the reason; --require-auth fails.
out=$(STMM_EMU_KEYS="$STATE/none" "$EMU" conform --group auth --tap 2>/dev/null) ||
	fail "conform without keys failed (want skipped)"
auth_listed=$(awk '/^auth\./{n++} END{print n+0}' "$STATE/listed")
[[ $auth_listed -gt 10 ]] || fail "only $auth_listed auth cases listed"
skipped=$(awk '/^ok [0-9]+ - auth\..* # SKIP no signing keys/{n++} END{print n+0}' <<<"$out")
[[ $skipped -eq $auth_listed ]] ||
	fail "$skipped of $auth_listed auth cases skipped without keys: $(head -n3 <<<"$out")"
STMM_EMU_KEYS="$STATE/none" "$EMU" conform --group auth --require-auth >/dev/null 2>&1 &&
	fail "--require-auth without keys passed"
echo "emu_conform: $listed cases listed, in JUnit and TAP, all passed"
