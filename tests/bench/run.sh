#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make bench`: start the four-process stack in a temporary state directory, measure
# GetVariable and SetVariable (NV, 32 bytes) per second through it and, in the same run,
# the raw round trip of one message between two processes (SOCK_SEQPACKET socketpair);
# print the three side by side.  A few seconds in all (BENCH_SECONDS per figure).
set -euo pipefail

BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"
BENCH="$BUILD/bench/bench_vars"
SECONDS_PER_FIGURE=${BENCH_SECONDS:-2}

for f in "$EMU" "$BENCH"; do
	[[ -x $f ]] || { echo "bench: $f not built (make bench builds it)" >&2; exit 2; }
done

STATE=$(mktemp -d "${TMPDIR:-/tmp}/emu-bench.XXXXXX")
cleanup() {
	"$EMU" down --state "$STATE" --quiet >/dev/null 2>&1 || true
	rm -rf "$STATE"
}
trap cleanup EXIT

"$EMU" up --state "$STATE" --quiet
echo "bench: stack up in $STATE ($(nproc) CPUs), ${SECONDS_PER_FIGURE} s per figure"
"$BENCH" --state "$STATE" --seconds "$SECONDS_PER_FIGURE"
