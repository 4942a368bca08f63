#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What a newcomer trips over (issue 15, defects 6 and 11-19): each check is the command as a
# new user typed it, with the answer it must give.  One stack for the checks that need one.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=10000
# run CMD...: exit status in $rc, stdout in $WORK/out, stderr in $WORK/err.
run() { rc=0; "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?; }

"$EMU" up -q || fail "stmm-emu up"

# 6: an explicit --keys that does not exist is an error, not "every auth case skipped".
run "$EMU" conform --group auth --keys "$WORK/nonexistent"
[[ $rc == 2 ]] || fail "6: conform --keys nonexistent: exit $rc, want 2: $(cat "$WORK/err")"
grep -q -- "--keys $WORK/nonexistent: not a directory" "$WORK/err" || fail "6: message: $(cat "$WORK/err")"
mkdir "$WORK/emptykeys"
run "$EMU" conform --group auth --keys "$WORK/emptykeys"
[[ $rc == 2 ]] && grep -q "PK.key: missing" "$WORK/err" || fail "6: conform --keys empty dir: exit $rc: $(cat "$WORK/err")"
ok "6: conform --keys with a bad directory: exit 2 naming it"

all_passed
