#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `up --durability process` (SQLite WAL + synchronous=NORMAL: an acknowledged write survives
# kill -9 of any daemon, not a host power loss): recorded in STATE/stmm-emu.conf, passed to
# rpmbd, shown by `status` (text and JSON), kept by a later plain `up`; then the "never lose
# an acknowledged write" fault test (emu_ack_durability.sh) and the power-cut test
# (emu_powercut.sh, whose power cut is rpmbd dying) run again in this mode.
# system-check: long
set -euo pipefail
HERE=$(dirname "$0")
BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"
STATE=$(mktemp -d)
trap '"$EMU" down --state "$STATE" --quiet >/dev/null 2>&1 || true; rm -rf "$STATE"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export STMM_EMU_STATE=$STATE

{ "$EMU" status --json || true; } | jq -e '.durability == "full"' >/dev/null || fail "a new state is not full"
"$EMU" up --quiet --durability process || fail "up --durability process"
grep -qx 'durability=process' "$STATE/stmm-emu.conf" || fail "not recorded in stmm-emu.conf"
tr '\0' ' ' <"/proc/$(cat "$STATE/rpmbd.pid")/cmdline" | grep -q -- '--durability process ' ||
	fail "rpmbd not started with --durability process"
"$EMU" status | grep -q '^durability: *process' || fail "status does not show process"
"$EMU" var set DurVar --data 1234 --attrs nv,bs,rt || fail "var set"
kill -9 "$(cat "$STATE/rpmbd.pid")"
"$EMU" down --quiet >/dev/null 2>&1 || true
"$EMU" up --quiet || fail "up after kill -9 of rpmbd"
"$EMU" status --json | jq -e '.durability == "process"' >/dev/null || fail "plain up lost the mode"
"$EMU" var get DurVar --json | jq -e '.data == "1234"' >/dev/null ||
	fail "the acknowledged write is gone after kill -9"
"$EMU" up --quiet --durability bogus 2>/dev/null && fail "up --durability bogus accepted"
"$EMU" down --quiet
"$EMU" up --quiet --durability full || fail "back to full"
"$EMU" status --json | jq -e '.durability == "full"' >/dev/null || fail "status after --durability full"
"$EMU" down --quiet
unset STMM_EMU_STATE
echo "emu_durability_process: mode recorded, shown, kept; kill -9 survived"

# Fewer rounds and a coarser power-cut sweep than the full-mode runs: the same code paths,
# within this test's time budget (the full sweeps: EMU_DURABILITY=process bash X.sh).
case $BUILD in
*san*) rounds=1 stride=5 fs_stride=250 ;;
*) rounds=2 stride=2 fs_stride=100 ;;
esac
t0=$SECONDS
EMU_DURABILITY=process ACK_ROUNDS=${ACK_ROUNDS:-$rounds} ACK_CLIENTS=${ACK_CLIENTS:-4} \
	BUILD=$BUILD bash "$HERE/emu_ack_durability.sh"
t1=$SECONDS
EMU_DURABILITY=process POWERCUT_STRIDE=${POWERCUT_STRIDE:-$stride} POWERCUT_EDGE=${POWERCUT_EDGE:-1} \
	POWERCUT_OPS=${POWERCUT_OPS:-update} POWERCUT_FS_OPS=${POWERCUT_FS_OPS:-update} \
	POWERCUT_FS_STRIDE=${POWERCUT_FS_STRIDE:-$fs_stride} BUILD=$BUILD bash "$HERE/emu_powercut.sh"
echo "emu_durability_process: ack durability $((t1 - t0)) s, power cut $((SECONDS - t1)) s"
echo "emu_durability_process: ok"
