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

# 11: up --quirk bogus is refused before anything starts; an up that fails half-way stops
# what it had started.
nothing_runs() {
	local p pid
	for p in rpmbd stmmd supplicantd; do
		pid=$(cat "$1/$p.pid" 2>/dev/null || true)
		if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}
S11=$WORK/s11
STATES+=("$S11")
run "$EMU" up --state "$S11" --quirk optee-stmm,bogus
[[ $rc == 2 ]] || fail "11: up --quirk bogus: exit $rc, want 2: $(cat "$WORK/err")"
grep -q "unknown quirk 'bogus'" "$WORK/err" || fail "11: message: $(cat "$WORK/err")"
[[ -z $(nothing_runs "$S11") ]] || fail "11: $(nothing_runs "$S11") left running by a refused up"
[[ ! -e $S11/rpmbd.log ]] || fail "11: rpmbd was started by a refused up"
ok "11: up --quirk bogus: exit 2 naming it, nothing started"
run "$EMU" up --state "$S11" --supplicantd-arg=--no-such-option
[[ $rc == 3 ]] || fail "11: up with a supplicantd that cannot start: exit $rc, want 3"
[[ -z $(nothing_runs "$S11") ]] || fail "11: $(nothing_runs "$S11") left running by a failed up"
grep -q "stopped what this .up. had started" "$WORK/err" || fail "11: message: $(cat "$WORK/err")"
ok "11: an up that fails at supplicantd stops the rpmbd and stmmd it started"

# 12: --data-file reads no further than the largest payload the stack accepts.
max=$("$EMU" var info --json | json_get 'd["max_payload"]') || fail "12: var info --json"
run timeout 20 "$EMU" var set Big --data-file /dev/zero
[[ $rc == 2 ]] || fail "12: var set --data-file /dev/zero: exit $rc, want 2: $(head -c 300 "$WORK/err")"
grep -q "/dev/zero: more than the max payload of this stack, $max bytes" "$WORK/err" ||
	fail "12: message: $(cat "$WORK/err")"
run timeout 20 "$EMU" var set Big --data-file - </dev/zero
[[ $rc == 2 ]] && grep -q -- "-: more than the max payload of this stack, $max bytes" "$WORK/err" || fail "12: --data-file - from /dev/zero: exit $rc: $(head -c 300 "$WORK/err")"
head -c 100 /dev/zero | "$EMU" var set Small --data-file - || fail "12: 100 bytes on stdin refused"
[[ $("$EMU" var get Small --raw | wc -c) == 100 ]] || fail "12: Small is not 100 bytes"
ok "12: var set --data-file /dev/zero and - stop past $max bytes (exit 2); 100 bytes from stdin work"

# 14: hex errors say where: the position of the first character that is not a hex digit.
run "$EMU" var set Foo --data gg
[[ $rc == 2 ]] && grep -q "var set: --data: not a hex digit at position 1 ('g')" "$WORK/err" ||
	fail "14: --data gg: exit $rc: $(cat "$WORK/err")"
run "$EMU" var set Foo --data "0xde ad:bz"
grep -q "not a hex digit at position 10 ('z')" "$WORK/err" || fail "14: --data 0xde ad:bz: $(cat "$WORK/err")"
run "$EMU" var set Foo --data abc
[[ $rc == 2 ]] && grep -q "an odd number of hex digits" "$WORK/err" || fail "14: --data abc: $(cat "$WORK/err")"
run "$EMU" raw --hex 00x1
[[ $rc == 2 ]] && grep -q "raw: --hex: not a hex digit at position 3 ('x')" "$WORK/err" || fail "14: raw --hex 00x1: $(cat "$WORK/err")"
ok "14: hex errors name the position and the character (var set --data, raw --hex)"

# 15: export to a path that cannot be written: a file error naming the user's path, exit 4,
# for a running and for a stopped stack (which is then not started at all).
run "$EMU" export "$WORK/nonexistent/dir/x.fd"
[[ $rc == 4 ]] || fail "15: export to a missing directory (running stack): exit $rc, want 4: $(cat "$WORK/err")"
grep -q "export: $WORK/nonexistent/dir/x.fd: no such directory" "$WORK/err" && ! grep -q 'x\.fd\.' "$WORK/err" ||
	fail "15: message: $(cat "$WORK/err")"
S15=$WORK/s15
STATES+=("$S15")
"$EMU" up -q --state "$S15" && "$EMU" down -q --state "$S15"
run "$EMU" export --state "$S15" "$WORK/nonexistent/dir/x.fd"
[[ $rc == 4 ]] && grep -q "no such directory" "$WORK/err" || fail "15: stopped stack: exit $rc: $(cat "$WORK/err")"
[[ -z $(nothing_runs "$S15") ]] || fail "15: export left $(nothing_runs "$S15") running"
[[ $(grep -c "stmm-emu up:" "$S15/stmmd.log") == 1 ]] || fail "15: a stack was started for an export that cannot be written"
run "$EMU" export "$WORK"
[[ $rc == 4 ]] && grep -q "$WORK: is a directory" "$WORK/err" || fail "15: export to a directory: exit $rc: $(cat "$WORK/err")"
ok "15: export to an unwritable path: exit 4 naming the user's path, no stack started"

# 16: var list prints one line per variable: newlines, tabs, backslashes and control bytes
# in a name are escaped (the JSON form has them as they are).
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
"$EMU" var set $'nl\nname' --string x && "$EMU" var set $'tab\tback\\slash' --string x &&
	"$EMU" var set $'ctl\x01name' --string x || fail "16: var set of the odd names"
"$EMU" var list >"$WORK/list" || fail "16: var list"
grep -qxF "$G-nl\\nname" "$WORK/list" && grep -qxF "$G-tab\\tback\\\\slash" "$WORK/list" &&
	grep -qxF "$G-ctl\\x01name" "$WORK/list" || fail "16: var list: $(cat -A "$WORK/list")"
! grep -qx "name" "$WORK/list" || fail "16: a name broke a line"
"$EMU" var list --json | json_ok '"nl\nname" in [v["name"] for v in d]' || fail "16: JSON lost the raw name"
ok "16: var list escapes \\n, \\t, \\\\ and control bytes in names; JSON keeps them"

# 18: a timeout that is not positive and an empty state directory are refused by every
# command; user input echoed in an error is cut to 64 characters and "…".
for cmd in "var list" "var get Foo" "status" "conform --group get" "raw --hex 00" "event ready-to-boot"; do
	for t in "-t -5" "--timeout=0" "--timeout -1"; do
		# shellcheck disable=SC2086
		run "$EMU" $cmd $t
		[[ $rc == 2 ]] && grep -q "a positive number of milliseconds" "$WORK/err" ||
			fail "18: $cmd $t: exit $rc: $(cat "$WORK/err")"
	done
done
for cmd in "var list" "up" "down" "status" "export $WORK/x.fd" "check"; do
	# shellcheck disable=SC2086
	run "$EMU" $cmd -s ""
	[[ $rc == 2 ]] && grep -q -- "--state: an empty directory name" "$WORK/err" ||
		fail "18: $cmd -s '': exit $rc: $(cat "$WORK/err")"
	# shellcheck disable=SC2086
	run "$EMU" $cmd --state=
	[[ $rc == 2 ]] || fail "18: $cmd --state=: exit $rc"
done
"$EMU" var list -t 5000 -s "$STATE" >/dev/null || fail "18: var list -t 5000 -s STATE refused"
"$EMU" run bash -c 'exit 0' -t -5 -s "" || fail "18: run: CMD's own -t/-s were checked as stmm-emu's"
long=$(head -c 20000 /dev/zero | tr '\0' A)
run "$EMU" var set "$long" --string x
[[ $rc != 0 ]] || fail "18: a 20000-character name was accepted"
[[ $(wc -c <"$WORK/err") -lt 300 ]] && grep -q "A…" "$WORK/err" || fail "18: long name echoed: $(head -c 300 "$WORK/err")"
run "$EMU" "$long"
[[ $rc == 2 ]] && [[ $(head -n1 "$WORK/err" | wc -c) -lt 150 ]] || fail "18: unknown command echoed in full"
ok "18: -t/--timeout <= 0 and an empty -s/--state refused (exit 2); long input echoed cut to 64 + …"

# 19: raw with a 64 MiB memref: the TEE answers (EXCESS_DATA) with the memref size it takes;
# only that much is dumped, in text, JSON and --out.
run "$EMU" raw --hex 00 -m 67108864
[[ $rc == 0 ]] || fail "19: raw -m 64 MiB: exit $rc: $(cat "$WORK/err")"
msize=$(sed -n 's/^memref size: //p' "$WORK/out")
[[ -n $msize && $msize -lt 67108864 ]] || fail "19: memref size $msize"
lines=$(grep -c '^[0-9a-f]\{8\} ' "$WORK/out")
[[ $lines == $(((msize + 15) / 16)) ]] || fail "19: $lines dump lines for a memref size of $msize"
"$EMU" raw --hex 00 -m 67108864 --json >"$WORK/raw.json"
json_ok 'len(d["answer"]) == 2 * d["memref_size"] and d["shared_size"] == 67108864' <"$WORK/raw.json" ||
	fail "19: JSON answer: $(head -c 200 "$WORK/raw.json")"
"$EMU" raw --hex 00 -m 67108864 --out "$WORK/raw.bin" >/dev/null
[[ $(wc -c <"$WORK/raw.bin") == "$msize" ]] || fail "19: --out wrote $(wc -c <"$WORK/raw.bin") bytes"
ok "19: raw -m 64 MiB dumps the $msize bytes the TEE answered (text, JSON, --out)"

# 17: --state/-s before the command; --version on every program.
S17=$WORK/s17
EMU_ABS=$(realpath "$EMU")
STATES+=("$S17")
(unset STMM_EMU_STATE; cd "$WORK" && "$EMU_ABS" --state "$S17" up -q) || fail "17: stmm-emu --state DIR up"
[[ -S $S17/tee.sock && ! -e $WORK/.stmm-emu ]] || fail "17: --state before up did not choose the state"
(unset STMM_EMU_STATE; cd "$WORK" && "$EMU_ABS" -s "$S17" var set G17 --string g) || fail "17: -s DIR var set"
[[ $(cd "$WORK" && env -u STMM_EMU_STATE "$EMU_ABS" --state="$S17" var get G17 --raw) == g ]] || fail "17: --state=DIR var get"
run env -u STMM_EMU_STATE "$EMU" -s "$S17" var get G17 --state "$STATE"
[[ $rc == 1 ]] || fail "17: the command's own --state does not win (exit $rc)"
(unset STMM_EMU_STATE; cd "$WORK" && "$EMU_ABS" -s "$S17" down -q) || fail "17: -s DIR down"
run "$EMU" --bogus up
[[ $rc == 2 ]] && grep -q "unknown option --bogus before the command" "$WORK/err" || fail "17: --bogus: exit $rc"
run "$EMU" -s "" up
[[ $rc == 2 ]] || fail "17: -s '' before the command: exit $rc"
for p in stmm-emu rpmbd stmmd supplicantd; do
	v=$("$BUILD/$p" --version) || fail "17: $p --version failed"
	[[ $v =~ ^$p\ [0-9]+\.[0-9]+ ]] || fail "17: $p --version said: $v"
done
"$EMU" --help | grep -q -- "--version" || fail "17: stmm-emu --help does not mention --version"
ok "17: --state/-s/--state= before the command; --version on stmm-emu, rpmbd, stmmd, supplicantd"

# 13: one payload figure under one name: status, var info, conform and the JSON of the first
# two all give the client's budget (GET_PAYLOAD_SIZE minus Linux's 2 bytes).
"$EMU" status >"$WORK/status"
"$EMU" var info >"$WORK/info"
"$EMU" conform --group query >"$WORK/conform" 2>&1 || fail "13: conform --group query: $(tail -3 "$WORK/conform")"
want="max payload:\? *$max bytes (GET_PAYLOAD_SIZE $((max + 2)) - 2)"
for f in status info conform; do
	grep -q "$want" "$WORK/$f" || fail "13: $f does not say '$want': $(grep -i payload "$WORK/$f")"
	[[ $(grep -ci "payload" "$WORK/$f") == 1 ]] || fail "13: $f names the payload twice: $(grep -i payload "$WORK/$f")"
done
"$EMU" status --json | json_ok "d['max_payload'] == $max" || fail "13: status --json max_payload"
ok "13: status, var info and conform all say 'max payload $max bytes (GET_PAYLOAD_SIZE $((max + 2)) - 2)'"

# 20: every $STMM_EMU_* variable the CLI reads is listed under "Environment:" in --help
# (names read from the sources: a new one without a help line fails here).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
mapfile -t names < <(grep -rhoE 'getenv\("STMM_EMU_[A-Z0-9_]+"\)|define [A-Z_]+_ENV +"STMM_EMU_[A-Z0-9_]+"' \
	"$SRC/emu" "$SRC/lib" | grep -oE 'STMM_EMU_[A-Z0-9_]+' | sort -u)
(( ${#names[@]} >= 5 )) || fail "20: found only ${#names[@]} STMM_EMU_* names in the sources"
"$EMU" --help | sed -n '/^Environment:/,/^$/p' >"$WORK/env"
for n in "${names[@]}"; do
	[[ $n == STMM_EMU_PERF_COUNTERS ]] && continue # bench-only, set by make bench
	grep -qE "^  $n(=| )" "$WORK/env" || fail "20: \$$n not in stmm-emu --help's Environment: $(cat "$WORK/env")"
done
ok "20: stmm-emu --help lists every \$STMM_EMU_* the CLI reads (${#names[@]} in the sources)"

all_passed
