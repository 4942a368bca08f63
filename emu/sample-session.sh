#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make run`: a first session with the emulated board, on the default state directory
# (./.stmm-emu, or $STMM_EMU_STATE).  Builds nothing itself (make does that first).
#
# It starts the four-process chain, writes a variable, reads it back, lists the store,
# shows the status and the decoded trace of HelloWorld's calls -- and leaves the stack running so that you can go on typing
# `build/stmm-emu var ...` yourself.  Stop it with `build/stmm-emu down`; the RPMB
# contents stay in .stmm-emu/ (delete that directory to start from a blank eMMC).
set -euo pipefail

BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"

if [[ ! -x $EMU ]]; then
	echo "sample-session: $EMU not found; run make first" >&2
	exit 2
fi

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() {
	printf '\n%s$' "$bold"
	printf ' %q' "$@"
	printf '%s\n' "$plain"
	"$@"
}

step "$EMU" up --trace
step "$EMU" var set HelloWorld --string "hello from stmm-emu"
step "$EMU" var get HelloWorld
step "$EMU" var set SampleCounter --guid 3c8e5d2a-6f1b-4b7e-9a53-0d4c2e1f8a90 --attrs nv,bs,rt --data "01 00 00 00"
step "$EMU" var list
step "$EMU" var info
step "$EMU" status
step "$EMU" trace --var HelloWorld

cat <<EOF

The stack is still running (state: ${STMM_EMU_STATE:-$PWD/.stmm-emu}).  Try:
  $EMU var get HelloWorld --json
  $EMU var delete HelloWorld
  $EMU trace | less        # every message between the four processes, decoded
  $EMU --help
Logs are in the state directory (rpmbd.log, stmmd.log, supplicantd.log).
Stop it with:
  $EMU down
EOF
