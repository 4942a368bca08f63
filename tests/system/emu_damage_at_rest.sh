#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Damage at rest, as the whole stack meets it at boot (each case from the same pristine
# device image, stack stopped while the bytes change):
#   - a flipped data byte under the device (its checksum no longer matches): rpmbd answers
#     READ_FAILURE and names the block, StMM cannot read its store (`up` fails, the boot
#     warning is rate-limited), no variable is served (EFI_DEVICE_ERROR) -- never the
#     damaged bytes
#   - a flipped record StartId written "through" the device (checksum recomputed): StMM drops
#     that record and every later one, as EDK2 does, and stmmd warns with the offset; status
#     shows the damage; the records before it survive
#   - a flipped FV header signature (sealed likewise): StMM formats the store afresh, as EDK2
#     does, with a warning; status shows it
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/rpmbdb.bash"
export STMM_EMU_TIMEOUT_MS=10000

command -v sqlite3 >/dev/null || fail "sqlite3 CLI missing (apt-get install sqlite3)"
status_json() { "$EMU" status --json | python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(json.dumps(v))' "$1"; }

"$EMU" up --quiet --rpmb-layout raw || fail "up" # offsets below: the raw layout
for v in Alpha Bravo Charlie; do
	"$EMU" var set "$v" --string "value of $v" || fail "var set $v"
done
[[ $(status_json ctrl.store_boot.damage) == null ]] || fail "a fresh store reports damage"
"$EMU" down --quiet || fail "down"
cp "$DB" "$WORK/pristine.db"
off=$(record_offset Charlie)

# ---- a data byte changed under the device ------------------------------------------------
flip $((off + 60 + 20)) 01
# The daemons start, but StMM cannot read its store: up says the round trip failed.
"$EMU" up --quiet --wait 3000 2>"$WORK/up.err" && fail "up succeeded on an unreadable store"
err=$("$EMU" var get Alpha --raw 2>&1) && fail "a variable was served from a store that cannot be read: $err"
[[ $err == *EFI_DEVICE_ERROR* ]] || fail "damaged block: var get said: $err"
blk=$(((off + 60 + 20) / 256))
grep -q "block $blk.*checksum\|checksum.*block $blk" "$STATE/rpmbd.log" ||
	fail "rpmbd.log does not name block $blk: $(tail -n 5 "$STATE/rpmbd.log")"
grep -q "StMM boot failed" "$STATE/stmmd.log" || fail "stmmd.log does not say StMM could not boot"
ok "data byte changed under the device: READ_FAILURE named for block $blk, StMM does not boot, nothing served"
"$EMU" down --quiet || fail "down"
cp "$WORK/pristine.db" "$DB"

# ---- a record's StartId, written through the device ---------------------------------------
flip_sealed "$off" 01
"$EMU" up --quiet || fail "up (damaged record)"
[[ $("$EMU" var get Alpha --raw) == "value of Alpha" ]] || fail "Alpha lost with a later record"
err=$("$EMU" var get Charlie --raw 2>&1) && fail "Charlie served from a dropped record"
[[ $err == *EFI_NOT_FOUND* ]] || fail "Charlie: $err"
grep -q "WARNING.*NV store at RPMB byte 0: offset $(printf '0x%x' "$off"): .*variables dropped" "$STATE/stmmd.log" ||
	fail "stmmd.log has no warning naming offset $(printf '0x%x' "$off"): $(grep -i 'nv store' "$STATE/stmmd.log")"
[[ $(status_json ctrl.store_boot.records_dropped) == true ]] || fail "status: records_dropped not set"
[[ $(status_json ctrl.store_boot.damage) == *"$(printf '0x%x' "$off")"* ]] || fail "status: damage text"
"$EMU" status | grep -q "^store damage: at the last boot StMM dropped records" || fail "status text"
ok "record StartId at $(printf '0x%x' "$off"): Charlie dropped as EDK2 does, Alpha kept; warning and status name it"
"$EMU" down --quiet || fail "down"
cp "$WORK/pristine.db" "$DB"

# ---- the FV header ------------------------------------------------------------------------
flip_sealed 40 20
"$EMU" up --quiet || fail "up (damaged FV header)"
err=$("$EMU" var get Alpha --raw 2>&1) && fail "Alpha served from a store that was formatted"
grep -q "WARNING.*NV store at RPMB byte 0: offset 0x28: .*reformatted" "$STATE/stmmd.log" ||
	fail "stmmd.log has no reformat warning: $(grep -i 'nv store' "$STATE/stmmd.log")"
[[ $(status_json ctrl.store_boot.reformatted) == true ]] || fail "status: reformatted not set"
"$EMU" status | grep -q "^store damage: at the last boot StMM formatted the store afresh" || fail "status text"
"$EMU" var set Delta --string new || fail "the formatted store takes writes"
ok "FV header signature: store formatted afresh as EDK2 does; warning and status say so"
all_passed
