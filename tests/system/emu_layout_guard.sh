#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `up` never lets StMM format over a store whose layout differs from stmm-emu.conf's
# (issue 15, defect 1: editing var-store-size used to lose every variable silently).
# For the optee-fs and the raw layout:
#   - a state with a variable; the sizes in stmm-emu.conf changed by hand -> `up` exits 3
#     naming both layouts and the way out, starts nothing, and the store is untouched
#   - the sizes put back -> `up` works and the variable is there
#   - `up --reformat-store` with the changed sizes: StMM formats (the variable is gone, the
#     status says the store was reformatted) -- only when asked
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=10000
status_of() { local rc=0; "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?; echo "$rc"; }

for layout in optee-fs raw; do
	S="$WORK/$layout"
	STATES+=("$S")
	"$EMU" up -q --state "$S" --rpmb-layout "$layout"
	"$EMU" var set --state "$S" Keep --string precious
	"$EMU" down --state "$S" >/dev/null
	before=$(sqlite3 "$S/rpmb.db" 'select hex(data) from blocks order by address' | sha256sum)
	printf '[stmmd]\nrpmb-layout=%s\nvar-store-size=8192\n' "$layout" >"$S/stmm-emu.conf"

	rc=$(status_of "$EMU" up --state "$S")
	[[ $rc == 3 ]] || fail "$layout: up with a changed var-store-size: exit $rc, want 3"
	grep -q "is 16384 bytes in an FV of 49152 bytes" "$WORK/err" &&
		grep -q "asks stmmd for 8192 in 40960" "$WORK/err" &&
		grep -q -- "--reformat-store" "$WORK/err" || fail "$layout: refusal said: $(cat "$WORK/err")"
	for p in rpmbd stmmd supplicantd; do
		pid=$(cat "$S/$p.pid" 2>/dev/null || true)
		if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
			fail "$layout: $p was started by a refused up"
		fi
	done
	after=$(sqlite3 "$S/rpmb.db" 'select hex(data) from blocks order by address' | sha256sum)
	[[ $before == "$after" ]] || fail "$layout: the refused up changed the device"
	ok "$layout: changed var-store-size refused (exit 3, both layouts named), device untouched"

	printf '[stmmd]\nrpmb-layout=%s\n' "$layout" >"$S/stmm-emu.conf"
	"$EMU" up -q --state "$S"
	[[ $("$EMU" var get --state "$S" Keep --raw) == precious ]] || fail "$layout: variable lost"
	"$EMU" down --state "$S" >/dev/null
	ok "$layout: sizes put back: up works, the variable is there"

	printf '[stmmd]\nrpmb-layout=%s\nvar-store-size=8192\n' "$layout" >"$S/stmm-emu.conf"
	"$EMU" up -q --state "$S" --reformat-store
	rc=$(status_of "$EMU" var get --state "$S" Keep)
	[[ $rc == 1 ]] && grep -q EFI_NOT_FOUND "$WORK/err" || fail "$layout: after --reformat-store: exit $rc $(cat "$WORK/err")"
	"$EMU" status --state "$S" --json >"$WORK/st.json"
	[[ $(json_get 'd["ctrl"]["store_boot"]["reformatted"]' <"$WORK/st.json") == true ]] ||
		fail "$layout: status does not say the store was reformatted: $(cat "$WORK/st.json")"
	"$EMU" down --state "$S" >/dev/null
	ok "$layout: --reformat-store starts empty on purpose, and status says so"
done
all_passed
