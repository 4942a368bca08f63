#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make bench-anchor` (issue 16 #5): an outside anchor for the start-up figure of `make bench`.
# In the same run:
#   1. Debian's OVMF (OVMF_CODE_4M.fd + a fresh copy of OVMF_VARS_4M.fd) booted in
#      qemu-system-x86_64 -nographic, TCG (no KVM), no disk, no network, timed from the start
#      of qemu until its serial console shows
#        - the boot manager starting the first boot option ("BdsDxe: starting": the
#          firmware is up, its variable services answer)  -- the anchor,
#        - the UEFI shell's banner ("UEFI Interactive Shell"),
#        - the shell prompt ("Shell>", after the shell's 5 s startup.nsh countdown),
#      bounded by BENCH_ANCHOR_TIMEOUT seconds (120);
#   2. `stmm-emu up` on a fresh state (tmpfs) to the first GetVariable answered, as
#      tests/bench/run.sh measures it (tests/bench/bench_vars --first-get), and on the state
#      it left (existing).
# Each is run BENCH_ANCHOR_RUNS times (1); the best of each is printed with the ratio
# OVMF / stmm-emu, and everything goes into $BUILD/bench-anchor.json.
# Needs qemu-system-x86 and ovmf; without them it says so and exits 0 (not part of CI).
set -euo pipefail

BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"
BENCH="$BUILD/bench/bench_vars"
RUNS=${BENCH_ANCHOR_RUNS:-1}
TIMEOUT=${BENCH_ANCHOR_TIMEOUT:-120}
OVMF_DIR=${BENCH_ANCHOR_OVMF_DIR:-/usr/share/OVMF}
QEMU=${BENCH_ANCHOR_QEMU:-qemu-system-x86_64}
OUT="$BUILD/bench-anchor.json"

missing=()
command -v "$QEMU" >/dev/null || missing+=("$QEMU (package qemu-system-x86)")
for f in OVMF_CODE_4M.fd OVMF_VARS_4M.fd; do
	[[ -f $OVMF_DIR/$f ]] || missing+=("$OVMF_DIR/$f (package ovmf)")
done
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "bench-anchor: skipped, missing: ${missing[*]}"
	echo "bench-anchor: install them with: sudo apt-get install -y qemu-system-x86 ovmf"
	exit 0
fi
for f in "$EMU" "$BENCH"; do
	[[ -x $f ]] || { echo "bench-anchor: $f not built (make bench-anchor builds it)" >&2; exit 2; }
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench-anchor: BENCH_ANCHOR_RUNS=$RUNS: not a count" >&2; exit 2; }

base=/dev/shm
[[ -d $base && -w $base ]] || base=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$base/emu-anchor.XXXXXX")
cleanup() {
	"$EMU" down --state "$WORK/startup" --quiet >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
now_ns() { date +%s%N; }
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-anchor: $(nproc) CPUs, load $LOAD; $RUNS run(s) each; $("$QEMU" --version | head -n1)"

# ---- 1. OVMF in qemu (TCG) ------------------------------------------------------------------
# One boot: prints "bds_ms shell_ms prompt_ms" (ms since qemu was started; -1: not seen).
ovmf_boot() {
	cp "$OVMF_DIR/OVMF_VARS_4M.fd" "$WORK/vars.fd"
	python3 - "$TIMEOUT" "$WORK/serial-$1.log" "$QEMU" -machine q35 -accel tcg -m 256 \
		-nographic -nodefaults -serial stdio -net none \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.fd" \
		-drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" <<'PY'
import os, select, subprocess, sys, time
timeout, log, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
marks = [b"BdsDxe: starting", b"UEFI Interactive Shell", b"Shell>"]
seen = [-1.0] * len(marks)
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT)
buf = b""
try:
    while seen[-1] < 0:
        left = t0 + timeout - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([p.stdout], [], [], left)
        if not r:
            break
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        now = time.monotonic()
        buf += chunk
        for i, m in enumerate(marks):
            if seen[i] < 0 and m in buf:
                seen[i] = (now - t0) * 1000
finally:
    p.kill()
    p.wait()
    open(log, "wb").write(buf)
print(" ".join("%.1f" % s for s in seen))
PY
}
best() { tr ' ' '\n' | awk '$1 >= 0' | sort -g | head -n1; }
bds=() shell=() prompt=()
for ((i = 0; i < RUNS; i++)); do
	read -r b s p < <(ovmf_boot "$i")
	if [[ $b == -1.0 ]]; then
		echo "bench-anchor: OVMF did not reach its boot manager within $TIMEOUT s; serial console:" >&2
		tail -c 2000 "$WORK/serial-$i.log" >&2
		exit 1
	fi
	bds+=("$b") shell+=("$s") prompt+=("$p")
	echo "  OVMF boot $((i + 1)): boot manager $b ms, shell banner $s ms, Shell> $p ms"
done
BDS_MS=$(echo "${bds[*]}" | best)
SHELL_MS=$(echo "${shell[*]}" | best)
PROMPT_MS=$(echo "${prompt[*]}" | best)

# ---- 2. stmm-emu up to the first GetVariable ------------------------------------------------
fresh=() exist=()
S="$WORK/startup"
for ((i = 0; i < RUNS; i++)); do
	rm -rf "$S"
	t0=$(now_ns); "$EMU" up --state "$S" --quiet; "$BENCH" --state "$S" --first-get; t1=$(now_ns)
	"$EMU" down --state "$S" --quiet
	t2=$(now_ns); "$EMU" up --state "$S" --quiet; "$BENCH" --state "$S" --first-get; t3=$(now_ns)
	"$EMU" down --state "$S" --quiet
	fresh+=("$(bc -l <<<"scale=1; ($t1 - $t0) / 1000000")")
	exist+=("$(bc -l <<<"scale=1; ($t3 - $t2) / 1000000")")
	echo "  stmm-emu up to first GetVariable $((i + 1)): fresh ${fresh[-1]} ms, existing ${exist[-1]} ms"
done
FRESH_MS=$(echo "${fresh[*]}" | best)
EXIST_MS=$(echo "${exist[*]}" | best)

RATIO=$(bc -l <<<"scale=1; $BDS_MS / $FRESH_MS")
RATIO_PROMPT=-1.0
[[ -n $PROMPT_MS ]] && RATIO_PROMPT=$(bc -l <<<"scale=1; $PROMPT_MS / $FRESH_MS")
echo "== OVMF (qemu TCG, no disk) to its boot manager: $BDS_MS ms (shell banner ${SHELL_MS:--} ms, Shell> ${PROMPT_MS:--} ms)"
echo "== stmm-emu up to first GetVariable: fresh state $FRESH_MS ms, existing $EXIST_MS ms"
echo "== ratio OVMF boot manager / stmm-emu fresh: ${RATIO}x (Shell> / stmm-emu fresh: ${RATIO_PROMPT}x)"

python3 - "$OUT" <<PY
import json, sys
num = lambda s: float(s) if s not in ("", "-1.0") else None
d = {
    "load": "$LOAD",
    "runs": $RUNS,
    "qemu": "$("$QEMU" --version | head -n1)",
    "ovmf": {"code": "$OVMF_DIR/OVMF_CODE_4M.fd", "vars": "$OVMF_DIR/OVMF_VARS_4M.fd (copy)",
             "accel": "tcg", "to_boot_manager_ms": num("$BDS_MS"),
             "to_shell_banner_ms": num("$SHELL_MS"), "to_shell_prompt_ms": num("$PROMPT_MS"),
             "runs_ms": [[float(b), float(s), float(p)] for b, s, p in
                         zip("${bds[*]}".split(), "${shell[*]}".split(), "${prompt[*]}".split())]},
    "stmm_emu_up_to_first_get_ms": {"fresh": num("$FRESH_MS"), "existing": num("$EXIST_MS"),
                                    "runs_fresh": [float(x) for x in "${fresh[*]}".split()],
                                    "runs_existing": [float(x) for x in "${exist[*]}".split()]},
    "ratio_ovmf_boot_manager_to_stmm_emu_fresh": num("$RATIO"),
    "ratio_ovmf_shell_prompt_to_stmm_emu_fresh": num("$RATIO_PROMPT"),
}
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
echo "bench-anchor: wrote $OUT"
