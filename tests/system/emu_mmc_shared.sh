#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Scenario S5 (next-wave-anchors.md §3): one eMMC controller shared by the OS's block I/O
# and the RPMB.  rpmbd models EXT_CSD[179] partition selection and a user data area; the OS
# is tests/tools/os_io (single commands).  Interleaving is deterministic: os_io's read is
# queued in rpmbd and runs right after each RPMB data-write request of the supplicant
# (EMU_MMC_CMD_AFTER_RPMB_REQ | _WRITE), so no timing is involved.
#   1. OS I/O alone: user-area blocks written and read back byte for byte.
#   2. supplicantd --no-multi-cmd (each CMD25/CMD18 its own request, as tee-supplicant
#      before MMC_IOC_MULTI_CMD) + an OS read after each of the next 10 RPMB writes: the
#      prepared result is lost every time, OP-TEE sees GENERAL_FAILURE, retries, and after
#      10 attempts marks the RPMB dead (stmm-emu status).
#   3. The default supplicantd (one sequence per request, MMC_IOC_MULTI_CMD) with the same
#      OS reads between its sequences: immune, writes succeed, never dead.
#   4. A host that selects RPMB and forgets to switch back: its "user-area" read returns an
#      RPMB frame (result GENERAL_FAILURE), not the user data; with the kernel's switch the
#      data is there.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
OSIO="$BUILD/tools/os_io"
[[ -x $OSIO ]] || fail "$OSIO missing (make BUILD=$BUILD $OSIO)"

status_json() { "$EMU" status --json 2>/dev/null || true; }
rpmb_dead() { status_json | json_ok "$1"'d["ctrl"]["rpmb"]["dead"]'; }
queued_lines() { grep -c "queued to run after" "$STATE/rpmbd.log" || true; }
# os_io queued in the background: wait until rpmbd holds its read (n-th queue line).
start_queued_read() { # count  outfile
	local before
	before=$(queued_lines)
	"$OSIO" --mmc-socket "$STATE/mmc.sock" --reads 1 --lba 3 --after-rpmb-requests "$1" \
		--rpmb-writes-only >"$2" 2>&1 &
	osio_pid=$!
	extra_pids+=("$osio_pid")
	wait_until 10 "rpmbd to queue the OS read" bash -c "(( \$(grep -c 'queued to run after' '$STATE/rpmbd.log') > $before ))"
}

"$EMU" up --quiet || fail "stmm-emu up"
"$EMU" var set Before --string "written before" || fail "baseline var set"

# ---- 1. OS I/O alone -----------------------------------------------------------------
out=$("$OSIO" --mmc-socket "$STATE/mmc.sock" --writes 2 --reads 2 --lba 3 --pattern 0x5c \
	--out "$WORK/user.bin") || fail "os_io writes/reads: $out"
[[ $(od -An -tx1 -v "$WORK/user.bin" | tr -d ' \n') == "$(printf '5c%.0s' {1..512})$(printf '5d%.0s' {1..512})" ]] ||
	fail "user area bytes differ: $(od -An -tx1 "$WORK/user.bin" | head -3)"
grep -q "read lba 3: status 0x00000000 part 0" <<<"$out" || fail "os_io output: $out"
ok "OS block I/O: 2 blocks written and read back byte for byte (partition 0)"

# ---- 2. no MULTI_CMD + interleaved OS read -> GENERAL_FAILURE x10 -> dead ----------------
"$EMU" down --quiet || fail "down"
"$EMU" up --quiet --supplicantd-arg=--no-multi-cmd || fail "up with supplicantd --no-multi-cmd"
grep -q "supplicantd .*--no-multi-cmd" "$STATE/supplicantd.log" || fail "supplicantd not started with --no-multi-cmd"
out=$("$OSIO" --mmc-socket "$STATE/mmc.sock" --reads 1 --lba 4) || fail "os_io after restart: $out"
grep -q "data 5d5d5d5d" <<<"$out" || fail "user area not persisted across an rpmbd restart: $out"
ok "the user area persists in rpmb.db across an rpmbd restart"
"$EMU" var set Plain --string "no interleaving" || fail "--no-multi-cmd without OS I/O must work"
ok "supplicantd --no-multi-cmd works while nothing else uses the card"

start_queued_read 10 "$WORK/osio-s5.out"
if "$EMU" var set Victim --string "interleaved" 2>"$WORK/set.err"; then
	fail "var set succeeded although every write lost its result"
fi
grep -q EFI_DEVICE_ERROR "$WORK/set.err" || fail "var set error: $(cat "$WORK/set.err")"
wait "$osio_pid" || fail "os_io (queued) failed: $(cat "$WORK/osio-s5.out")"
grep -q "read lba 3: status 0x00000000 part 0 runs 10 data 5c5c" "$WORK/osio-s5.out" ||
	fail "os_io did not run exactly after 10 RPMB writes: $(cat "$WORK/osio-s5.out")"
ok "the OS read ran between CMD25 and CMD18 of each of 10 RPMB writes"
st=$(status_json)
json_ok 'd["ctrl"]["rpmb"]["dead"] is True' <<<"$st" || fail "RPMB not dead: $st"
json_ok 'd["ctrl"]["rpmb"]["last_failure"]["result"] == "GENERAL_FAILURE"' <<<"$st" ||
	fail "last failure is not GENERAL_FAILURE: $st"
json_ok 'd["ctrl"]["rpmb"]["last_failure"]["attempts"] == 10 and d["ctrl"]["rpmb"]["retries"] >= 9' <<<"$st" ||
	fail "not 10 attempts: $st"
st_text=$("$EMU" status || true)
grep -q "rpmb state:   DEAD" <<<"$st_text" || fail "stmm-emu status does not show DEAD: $st_text"
grep -q "prepared response or result is lost" "$STATE/rpmbd.log" || fail "rpmbd did not log the lost response"
ok "OP-TEE saw GENERAL_FAILURE, retried to 10 attempts and marked the RPMB dead"

# ---- 3. the default (MULTI_CMD) supplicant is immune ------------------------------------
"$EMU" reset || fail "reset after dead RPMB"
rpmb_dead "not " || fail "RPMB still dead after reset"
"$EMU" down --quiet || fail "down"
"$EMU" up --quiet || fail "up with the default supplicantd"
start_queued_read 3 "$WORK/osio-multi.out"
for v in M1 M2 M3; do
	"$EMU" var set "$v" --string "with OS I/O in between" || fail "var set $v with MULTI_CMD"
done
wait "$osio_pid" || fail "os_io (queued) failed: $(cat "$WORK/osio-multi.out")"
grep -q "runs 3 data 5c5c" "$WORK/osio-multi.out" || fail "os_io: $(cat "$WORK/osio-multi.out")"
rpmb_dead "not " || fail "RPMB dead with MULTI_CMD"
[[ $("$EMU" var get M3 --raw) == "with OS I/O in between" ]] || fail "M3 does not read back"
ok "MULTI_CMD sequences are atomic: 3 OS reads between them, writes succeed, RPMB alive"

# ---- 4. a host that forgets to switch back --------------------------------------------
out=$("$OSIO" --mmc-socket "$STATE/mmc.sock" --switch-to-rpmb-and-forget --reads 1 --lba 3 \
	--out "$WORK/forgot.bin") || fail "os_io forget: $out"
grep -q "switch to RPMB: status 0x00000000 part 3" <<<"$out" || fail "switch: $out"
[[ $(stat -c %s "$WORK/forgot.bin") == 512 ]] || fail "forgot.bin size"
# struct rpmb_frame: result at 508 (be16), req_resp at 510: GENERAL_FAILURE (1), type 0
[[ $(od -An -tx1 -j 508 -N 4 "$WORK/forgot.bin" | tr -d ' \n') == 00010000 ]] ||
	fail "not an RPMB no-request frame: $(od -An -tx1 -j 500 "$WORK/forgot.bin")"
cmp -s -n 512 "$WORK/forgot.bin" "$WORK/user.bin" && fail "the forgetful host read the user data"
ok "after a forgotten switch-back the user-area read returns an RPMB frame (GENERAL_FAILURE), not the data"
out=$("$OSIO" --mmc-socket "$STATE/mmc.sock" --reads 1 --lba 3 --out "$WORK/back.bin") || fail "os_io: $out"
cmp -s -n 512 "$WORK/back.bin" "$WORK/user.bin" || fail "user data not back after the kernel's switch"
"$EMU" var set After --string "still fine" || fail "RPMB after the forgetful host"
ok "the kernel's switch reaches the user data again and the RPMB still works"

all_passed
