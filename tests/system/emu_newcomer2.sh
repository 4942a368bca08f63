#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What a newcomer trips over, part 2 (issue 15, defects 3, 4, 5, 8 and the features users
# expect): each check is the command as a new user typed it, with the answer it must give.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
export STMM_EMU_TIMEOUT_MS=10000
# run CMD...: exit status in $rc, stdout in $WORK/out, stderr in $WORK/err.
run() { rc=0; "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?; }
# gone PID: exited (a zombie waiting for init to reap it counts as exited).
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
all_gone() { local p; for p in "$@"; do gone "$p" || return 1; done; }

# 3: conform on a valid non-default layout (the README's `up --import OVMF_VARS_4M.ms.fd`)
# takes the expected store sizes from the stack under test.
OVMF=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
if [[ -f $OVMF ]]; then
	S3=$WORK/s3
	STATES+=("$S3")
	"$EMU" up --json --state "$S3" --import "$OVMF" >"$WORK/out" || fail "3: up --import $OVMF"
	json_ok 'd["state"] == sys.argv[3] and d["daemons"]["stmmd"]["started"] and d["max_payload"] > 0' "$S3" <"$WORK/out" ||
		fail "up --json: $(cat "$WORK/out")"
	run "$EMU" conform --state "$S3" --group query --json
	[[ $rc == 0 ]] || fail "3: conform --group query on an imported layout: exit $rc: $(cat "$WORK/out" "$WORK/err")"
	grep -q "query  *15 passed,   0 failed" "$WORK/err" || fail "3: $(cat "$WORK/err")"
	json_ok 'd["cases"] == 15 and d["passed"] == 15 and d["failures"] == []' <"$WORK/out" || fail "3: conform --json: $(cat "$WORK/out")"
	"$EMU" export --json --state "$S3" "$WORK/s3.fd" >"$WORK/out" || fail "export --json"
	json_ok 'd["variables"] > 0 and d["size"] == int(sys.argv[3])' "$(stat -c %s "$WORK/s3.fd")" <"$WORK/out" ||
		fail "export --json: $(cat "$WORK/out")"
	"$EMU" down -q --state "$S3"
	"$EMU" import --json --state "$WORK/s3i" "$WORK/s3.fd" >"$WORK/out" || fail "import --json"
	json_ok 'd["live_variables"] > 0 and d["var_store_size"] > 0 and d["rpmb_size"] % 131072 == 0' <"$WORK/out" ||
		fail "import --json: $(cat "$WORK/out")"
	ok "up --json, conform --json, export --json, import --json: one JSON object each"
	ok "3: conform --group query passes on the layout of OVMF_VARS_4M.ms.fd"
else
	skip_part "3: no $OVMF (apt-get install ovmf; it is in .ci/install-deps)"
fi

# 4: a state path longer than a Unix socket path allows (200 characters): every socket of
# the three daemons, the CLI and the rpmb shim work through it.
long=$WORK/$(printf 'd%.0s' {1..80})/$(printf 'e%.0s' {1..80})
while ((${#long} < 200)); do long+=x; done
S4=$long
STATES+=("$S4")
run "$EMU" up --state "$S4"
[[ $rc == 0 ]] || fail "4: up with a ${#S4}-character state path: exit $rc: $(cat "$WORK/err")"
"$EMU" var set --state "$S4" Long --string deep || fail "4: var set"
[[ $("$EMU" var get --state "$S4" Long --raw) == deep ]] || fail "4: var get"
"$EMU" fault --state "$S4" clear all >/dev/null || fail "4: fault (supplicantd's control socket)"
"$EMU" status --state "$S4" | grep -q "supplicantd: *running" || fail "4: status: $("$EMU" status --state "$S4")"
"$EMU" down -q --state "$S4"
if [[ -f $BUILD/librpmb-shim.so ]] && command -v mmc >/dev/null; then
	source "$(dirname "$0")/lib/shim.bash"
	shim_preload "$BUILD/librpmb-shim.so"
	"$BUILD/rpmbd" --db "$S4/shim.db" --socket "$S4/shim.sock" >"$WORK/shim-rpmbd.log" 2>&1 &
	extra_pids+=($!)
	wait_for_socket "$S4/shim.sock" $! rpmbd
	head -c 32 /dev/urandom >"$WORK/key"
	LD_PRELOAD="$PRELOAD" ASAN_OPTIONS="$MMC_ASAN_OPTIONS" RPMB_SHIM_SOCKET="$S4/shim.sock" \
		mmc rpmb write-key /dev/mmcblk0rpmb "$WORK/key" >/dev/null 2>&1 || fail "4: shim write-key"
	LD_PRELOAD="$PRELOAD" ASAN_OPTIONS="$MMC_ASAN_OPTIONS" RPMB_SHIM_SOCKET="$S4/shim.sock" \
		mmc rpmb read-counter /dev/mmcblk0rpmb >"$WORK/out" 2>&1 || fail "4: shim read-counter: $(cat "$WORK/out")"
	grep -q "Counter value: 0x00000000" "$WORK/out" || fail "4: shim: $(cat "$WORK/out")"
	kill "${extra_pids[-1]}"
	ok "4: a ${#S4}-character state path: up, var, fault, status, down and the rpmb shim work"
else
	ok "4: a ${#S4}-character state path: up, var, fault, status, down work (no mmc: shim not tried)"
fi

# 5: rm -rf of a running state directory: the daemons notice and exit; `down` finds
# daemons whose pid files are gone; ps lists them; down --all stops them.
S5=$WORK/s5
STATES+=("$S5")
"$EMU" up -q --state "$S5" || fail "5: up"
pids5=($(cat "$S5"/rpmbd.pid "$S5"/stmmd.pid "$S5"/supplicantd.pid))
run "$EMU" ps
grep -q "^${pids5[0]} .*rpmbd  *$S5\$" "$WORK/out" || fail "5: ps: $(cat "$WORK/out")"
"$EMU" ps --json | json_ok '[p for p in d if p["state"] == sys.argv[3] and p["program"] == "stmmd" and p["state_exists"]]' "$S5" ||
	fail "5: ps --json: $("$EMU" ps --json)"
ok "5: ps lists the three daemons of a running state"
rm -f "$S5"/*.pid
run "$EMU" down --state "$S5"
[[ $rc == 0 ]] && grep -q "stopped rpmbd (pid ${pids5[0]}" "$WORK/out" || fail "5: down without pid files: $(cat "$WORK/out" "$WORK/err")"
all_gone "${pids5[@]}" || fail "5: down without pid files left daemons running"
ok "5: down finds daemons whose pid files were lost (process scan)"
"$EMU" up -q --state "$S5" || fail "5: up again"
pids5=($(cat "$S5"/rpmbd.pid "$S5"/stmmd.pid "$S5"/supplicantd.pid))
rm -f "$S5/mmc.sock"
wait_until 5 "rpmbd to notice its socket is gone" gone "${pids5[0]}"
grep -q "mmc.sock: gone (state directory removed?), stopping" "$S5/rpmbd.log" || fail "5: rpmbd.log: $(tail -3 "$S5/rpmbd.log")"
run "$EMU" down --all --under "$WORK"
grep -q "stopped stmmd (pid ${pids5[1]}, state $S5)" "$WORK/out" || fail "5: down --all: $(cat "$WORK/out" "$WORK/err")"
all_gone "${pids5[@]}" || fail "5: down --all left daemons running"
ok "5: a daemon whose socket is removed exits (logged); down --all (--under) stops every stack found"
"$EMU" up -q --state "$S5" || fail "5: up a third time"
pids5=($(cat "$S5"/rpmbd.pid "$S5"/stmmd.pid "$S5"/supplicantd.pid))
rm -rf "$S5"
wait_until 5 "the daemons of a removed state directory to exit" all_gone "${pids5[@]}"
run "$EMU" down --state "$S5"
[[ $rc == 0 ]] || fail "5: down of a removed state: exit $rc"
ok "5: rm -rf of a running state: rpmbd, stmmd, supplicantd exit by themselves"

# up --var-store-size/--ftw-spare-size/--rpmb-size choose a fresh state's layout (kept in
# stmm-emu.conf); refused on a state that has a device.
SL=$WORK/layout
STATES+=("$SL")
"$EMU" up -q --state "$SL" --var-store-size 65536 --ftw-spare-size 65536 --rpmb-size 524288 || fail "layout: up"
grep -q "^var-store-size=65536" "$SL/stmm-emu.conf" && grep -q "^size-mult=4" "$SL/stmm-emu.conf" || fail "layout: conf: $(cat "$SL/stmm-emu.conf")"
"$EMU" status --state "$SL" | grep -q "147456 bytes region" || fail "layout: status: $("$EMU" status --state "$SL" | grep store)"
run "$EMU" up --state "$SL" --var-store-size 32768
[[ $rc == 2 ]] && grep -q "is not a fresh state" "$WORK/err" || fail "layout: a second layout accepted: exit $rc $(cat "$WORK/err")"
# status shows the boot phase; event confirms on success.
"$EMU" status --state "$SL" | grep -q "^boot phase: *boot time (neither" || fail "phase: $("$EMU" status --state "$SL" | grep phase)"
[[ $("$EMU" event --state "$SL" ready-to-boot) == "stmm-emu: ready-to-boot signalled to StMM"* ]] || fail "event: no confirmation"
"$EMU" status --state "$SL" | grep -q "^boot phase: *ReadyToBoot signalled" || fail "phase after ready-to-boot"
"$EMU" event -q --state "$SL" exit-boot-services
"$EMU" status --json --state "$SL" | json_ok 'd["ctrl"]["boot_phase"] == "runtime"' || fail "phase json after exit-boot-services"
ok "status: boot phase boot time / ReadyToBoot / runtime (JSON boot_phase); event confirms"
# Back to boot time (a restart of stmmd): after EndOfDxe the optee-stmm profile's
# VarCheckUefiLib refuses names UEFI does not define under the global GUID used below.
"$EMU" down -q --state "$SL" && "$EMU" up -q --state "$SL" || fail "phase: restart"
# var get: the GUID-Name form var list prints (and efivarfs' Name-GUID); --string/--ucs2.
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
"$EMU" var set --state "$SL" Txt --string "héllo" && "$EMU" var set --state "$SL" Wide --ucs2 "wörld" || fail "get: set"
"$EMU" var list --state "$SL" | grep -qx "$G-Wide" || fail "get: var list form: $("$EMU" var list --state "$SL")"
[[ $("$EMU" var get --state "$SL" "$G-Wide" --ucs2) == "wörld" ]] || fail "get GUID-Name --ucs2"
[[ $("$EMU" var get --state "$SL" "Txt-$G" --string) == "héllo" ]] || fail "get Name-GUID --string"
run "$EMU" var get --state "$SL" Wide --string
[[ $rc == 2 ]] && grep -q "are not UTF-8 text" "$WORK/err" || fail "get --string of UCS-2 data: exit $rc $(cat "$WORK/err")"
# SetVariable's EFI_INVALID_PARAMETER says which rule refused it.
run "$EMU" var set --state "$SL" Txt --string x --attrs bs
[[ $rc == 1 ]] && grep -q "hint: the variable exists with attributes nv,bs,rt, not bs" "$WORK/err" || fail "hint attrs: $(cat "$WORK/err")"
run "$EMU" var set --state "$SL" Rt --string x --attrs nv,rt
grep -q "hint: RUNTIME_ACCESS without BOOTSERVICE_ACCESS" "$WORK/err" || fail "hint rt: $(cat "$WORK/err")"
head -c 8200 /dev/zero >"$WORK/big"
run "$EMU" var set --state "$SL" Big --data-file "$WORK/big"
grep -q "hint: name + data are 8208 bytes, above the maximum variable size 8132" "$WORK/err" || fail "hint size: $(cat "$WORK/err")"
ok "var set: EFI_INVALID_PARAMETER with a hint naming the rule (attributes changed, rt without bs, size)"
ok "var get: GUID-Name and Name-GUID forms; --string and --ucs2 decode, refuse what is not text"
"$EMU" down -q --state "$SL"
ok "up --var-store-size/--ftw-spare-size/--rpmb-size: a fresh state's layout; refused once it has a device"

# --json: an error is a JSON object on stdout too, for every command that has --json.
for cmd in "var get Nope" "var list" "var info" "raw --function 1" "check" "status --bogus" "trace"; do
	run "$EMU" $cmd --json --state "$WORK/never-up"
	[[ $rc != 0 ]] || continue
	json_ok 'd["exit"] == int(sys.argv[3]) and d["error"] and isinstance(d["messages"], list)' "$rc" <"$WORK/out" ||
		fail "--json error of '$cmd' (exit $rc): stdout $(cat "$WORK/out")"
done
ok "--json: a failing command prints {error, messages, exit} on stdout"

# LICENSE matches the SPDX headers: every file says MIT, LICENSE is the MIT text.
ids=$(cd "$(dirname "$0")/../.." && git grep -h -o -E "SPDX-License-Identifier: [A-Za-z0-9.-]+" | sort -u | awk '{ print $2 }')
[[ $ids == MIT ]] || fail "SPDX identifiers other than MIT: $ids"
head -1 "$(dirname "$0")/../../LICENSE" | grep -qx "MIT License" || fail "LICENSE is not the MIT License"
ok "LICENSE: the MIT License, the one identifier every SPDX header names"

# 8: make install PREFIX=...: the installed stmm-emu finds its daemons in libexec/stmm-emu;
# man pages (help2man) and the bash completion are installed.
if command -v help2man >/dev/null; then
	P=$WORK/prefix
	make -s --no-print-directory BUILD="$BUILD" install PREFIX="$P" >"$WORK/out" 2>&1 ||
		fail "8: make install: $(tail -5 "$WORK/out")"
	[[ -x $P/bin/stmm-emu && -x $P/libexec/stmm-emu/stmmd && ! -e $P/bin/stmmd ]] || fail "8: layout: $(find "$P" -type f)"
	S8=$WORK/s8
	STATES+=("$S8")
	(cd "$WORK" && PATH=$P/bin:$PATH stmm-emu -s "$S8" up -q && PATH=$P/bin:$PATH stmm-emu -s "$S8" var set Inst --string yes) ||
		fail "8: the installed stmm-emu: up / var set"
	[[ $(PATH=$P/bin:$PATH stmm-emu -s "$S8" var get Inst --raw) == yes ]] || fail "8: var get"
	grep -q "libexec/stmm-emu/stmmd" "$S8/stmmd.log" || fail "8: stmmd not from libexec: $(head -1 "$S8/stmmd.log")"
	PATH=$P/bin:$PATH stmm-emu -s "$S8" down -q
	for m in stmm-emu rpmbd stmmd supplicantd; do
		grep -q '^\.SH SYNOPSIS\|^\.SH DESCRIPTION' "$P/share/man/man1/$m.1" || fail "8: man page $m.1"
	done
	(source "$P/share/bash-completion/completions/stmm-emu"; COMP_WORDS=("$P/bin/stmm-emu" dow); COMP_CWORD=1
	 _stmm_emu; [[ ${COMPREPLY[*]} == down ]]) || fail "8: bash completion of 'dow'"
	ok "8: make install PREFIX: up/var/down from PREFIX/bin, daemons in libexec, man pages, bash completion"
else
	skip_part "8: no help2man (apt-get install help2man; it is in .ci/install-deps)"
fi

all_passed
