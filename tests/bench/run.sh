#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make bench`: start the four-process stack in a temporary state directory, measure
# GetVariable and SetVariable (NV, 32 bytes) per second through it, authenticated
# SetVariable (a private time-based variable, RSA-2048 / SHA-256 PKCS#7, payloads presigned
# here with efitools and increasing timestamps) and, in the same run, the raw round trip of
# one message between two processes (SOCK_SEQPACKET socketpair); print them side by side.
# A few seconds in all (BENCH_SECONDS per figure; BENCH_AUTH_N presigned payloads).  Then
# GetVariable and SetVariable again with the trace on, to show what recording costs.
set -euo pipefail

BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"
BENCH="$BUILD/bench/bench_vars"
SECONDS_PER_FIGURE=${BENCH_SECONDS:-2}
AUTH_N=${BENCH_AUTH_N:-64}
KEYS=$(cd "$(dirname "$0")/../../fixtures/keys" && pwd)
AUTH_GUID=6e1d7a2c-3b4f-4c58-9a0e-5b8d2f7c1e90

for f in "$EMU" "$BENCH"; do
	[[ -x $f ]] || { echo "bench: $f not built (make bench builds it)" >&2; exit 2; }
done

STATE=$(mktemp -d "${TMPDIR:-/tmp}/emu-bench.XXXXXX")
cleanup() {
	"$EMU" down --state "$STATE" --quiet >/dev/null 2>&1 || true
	rm -rf "$STATE"
}
trap cleanup EXIT

# Presign AUTH_N updates of BenchAuthVar (32 bytes each), one second apart.
AUTH_ARGS=()
if command -v sign-efi-sig-list >/dev/null; then
	mkdir -p "$STATE/auth"
	for ((i = 0; i < AUTH_N; i++)); do
		head -c 32 /dev/urandom >"$STATE/auth/value"
		ts=$(date -u -d "2025-01-01 00:00:00 UTC + $i seconds" "+%Y-%m-%d %H:%M:%S")
		sign-efi-sig-list -g "$AUTH_GUID" -t "$ts" -k "$KEYS/priv1.key" -c "$KEYS/priv1.crt" \
			BenchAuthVar "$STATE/auth/value" "$(printf '%s/auth/%05d.auth' "$STATE" "$i")" \
			>/dev/null
	done
	AUTH_ARGS=(--auth-dir "$STATE/auth" --auth-guid "$AUTH_GUID")
else
	echo "bench: sign-efi-sig-list (efitools) not installed: no authenticated figure" >&2
fi

"$EMU" up --state "$STATE" --quiet
echo "bench: stack up in $STATE ($(nproc) CPUs), ${SECONDS_PER_FIGURE} s per figure"
"$BENCH" --state "$STATE" --seconds "$SECONDS_PER_FIGURE" "${AUTH_ARGS[@]}"

# The same variable calls with the trace recording (`up --trace`): what recording costs.
# With it off (above) a daemon pays one atomic load per message.
"$EMU" down --state "$STATE" --quiet
"$EMU" up --state "$STATE" --quiet --trace
echo "bench: again with the trace on (stmm-emu up --trace)"
"$BENCH" --state "$STATE" --seconds "$SECONDS_PER_FIGURE"
echo "bench: trace file $(stat -c %s "$STATE/trace.bin") bytes"
