#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Crash consistency, exhaustively: for each operation (create, update, append, delete, and
# a write that only fits after a reclaim) the power of the RPMB device is cut after k of
# the operation's durable writes, for every k from 0 to the number of writes it makes
# (measured on a fault-free run from the RPMB write counter).  Each run starts from the
# same pre-operation device image with `stmm-emu up --rpmbd-arg=--fail-after-writes=N`
# (N = the writes stmmd makes while booting + k), runs the operation (it must fail while
# k < writes), then takes everything down, brings it up normally and checks:
#   - the store opens (stmmd boots, a round trip works, store_open in status),
#   - the whole store (every variable: name, GUID, attributes, data) equals either the
#     snapshot before the operation or the one after it -- nothing else changed,
#   - the store is still writable.
# The plain build covers every k of every operation, the reclaim (a whole-store rewrite
# through the FTW spare, ~130 writes) included.  The sanitizer build, ~3x slower, covers
# the reclaim at a deterministic spread: the first and last $POWERCUT_EDGE values of k and
# every $POWERCUT_STRIDE-th in between (the store-level unit test cuts every block write of
# a reclaim in both builds).  Knobs (environment):
#   POWERCUT_STRIDE (default 1; 25 in a sanitizer build), POWERCUT_EDGE (default 10; 3),
#   POWERCUT_OPS (default "create update append delete reclaim"; set and empty: none).
# The above runs on the raw layout; then POWERCUT_FS_OPS run on the optee-fs layout (EFI_VARS in OP-TEE's RPMB file system), whose copy
# updates make an operation hundreds of writes: every k of create, update and delete in the
# plain build, every POWERCUT_FS_STRIDE-th (60 sanitized) and the edges in a sanitizer
# build; the reclaim's 389 writes at every POWERCUT_FS_RECLAIM_STRIDE-th k (8; 60) and the
# edges (the copy path it takes is the one create and update cover at every k).
# POWERCUT_FS_OPS defaults to "reclaim" here: the optee-fs create, update and delete sweeps
# are emu_powercut_fs_{create,update,delete}.sh, so that `make check` runs the four parts
# side by side (tests/system/lib/runner.bash).
# system-check: long
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=5000
# Generous: on a loaded machine a write slower than the timeout has an unknown outcome, and
# OP-TEE's retry of it then kills the RPMB (COUNTER_FAILURE) -- faithful, but not this test's subject.
RPC_TIMEOUT_MS=5000
case $BUILD in
*san*) def_stride=25 def_edge=3 def_fs_stride=60 def_fs_reclaim_stride=60 ;;
*) def_stride=1 def_edge=10 def_fs_stride=1 def_fs_reclaim_stride=8 ;;
esac
STRIDE=${POWERCUT_STRIDE:-$def_stride}
RAW_STRIDE=$STRIDE
FS_STRIDE=${POWERCUT_FS_STRIDE:-$def_fs_stride}
FS_RECLAIM_STRIDE=${POWERCUT_FS_RECLAIM_STRIDE:-$def_fs_reclaim_stride}
EDGE=${POWERCUT_EDGE:-$def_edge}
# Set but empty means none (emu_powercut_fs_*.sh run the other parts of the sweep).
OPS=${POWERCUT_OPS-create update append delete reclaim}
FS_OPS=${POWERCUT_FS_OPS-reclaim}

# `up --durability`: full (default) or process (EMU_DURABILITY; tests/system/
# emu_durability_process.sh runs this test again in process mode).
DURABILITY=${EMU_DURABILITY:-full}
up() { "$EMU" up --quiet --rpc-timeout "$RPC_TIMEOUT_MS" --durability "$DURABILITY" "$@"; }
down() { "$EMU" down --quiet; }
counter() {
	"$EMU" status --json | json_get 'd["ctrl"]["rpmb_write_counter"]'
}
store_open() { "$EMU" status --json | json_ok 'd["ctrl"]["store_open"] is True'; }

# Every variable with its attributes and data, one line each, in enumeration order.
dump() {
	local line guid name
	"$EMU" var list | while IFS= read -r line; do
		guid=${line:0:36}
		name=${line:37}
		"$EMU" var get "$name" --guid "$guid" --json || echo "unreadable: $line"
	done
}

# The device image without the daemons running (SQLite files only).
save_image() { # dest
	rm -f "$1"*
	for f in "$STATE"/rpmb.db*; do cp "$f" "$1${f#"$STATE"/rpmb.db}"; done
}
load_image() { # src
	rm -f "$STATE"/rpmb.db*
	for f in "$1"*; do cp "$f" "$STATE/rpmb.db${f#"$1"}"; done
}

data_file() { # bytes fill-char -> path
	local p="$WORK/data.$1.$2"
	[[ -f $p ]] || head -c "$1" /dev/zero | tr '\0' "$2" >"$p"
	echo "$p"
}

# ---- the operations ------------------------------------------------------------------

setup_common() {
	"$EMU" var set Keep1 -f "$(data_file 100 k)" >/dev/null
	"$EMU" var set Keep2 -a nv,bs --string "boot only" >/dev/null
	"$EMU" var set Target --string "old value" >/dev/null
}
setup_create() { setup_common; }
setup_update() { setup_common; }
setup_append() { setup_common; }
setup_delete() { setup_common; }
# Fill the store with 1000-byte variables, then delete every other one: the tail has no
# room for 2500 bytes, the store has once the deleted records are reclaimed.
setup_reclaim() {
	setup_common
	local i=0
	while "$EMU" var set "Fill$i" -f "$(data_file 1000 $((i % 10)))" >/dev/null 2>&1; do
		i=$((i + 1))
		[[ $i -lt 100 ]] || fail "reclaim setup: the store never filled"
	done
	local j
	for ((j = 0; j < i; j += 2)); do "$EMU" var delete "Fill$j" >/dev/null; done
}

op_create() { "$EMU" var set Created --string "a new variable" >/dev/null 2>&1; }
op_update() { "$EMU" var set Target --string "the new, longer value of the target" >/dev/null 2>&1; }
op_append() { "$EMU" var set Target -a nv,bs,rt,append --string " and more" >/dev/null 2>&1; }
op_delete() { "$EMU" var delete Target >/dev/null 2>&1; }
op_reclaim() { "$EMU" var set Big -f "$(data_file 2500 B)" >/dev/null 2>&1; }

# ---- one operation, every k ----------------------------------------------------------------

total_runs=0
summary=()

run_op() { # name
	local op=$1 img="$WORK/$1.img"
	rm -rf "$STATE"
	mkdir -p "$STATE"
	up --rpmb-layout "$LAYOUT" || fail "$op: first up ($LAYOUT layout)"
	"setup_$op"
	local c0
	c0=$(counter)
	dump >"$WORK/$op.old"
	down
	save_image "$img"

	# Fault-free run: the writes booting makes, the writes the operation makes, the result.
	load_image "$img"
	up || fail "$op: up from the image"
	local c1 c2
	c1=$(counter)
	"op_$op" || fail "$op: the operation fails without a fault"
	c2=$(counter)
	dump >"$WORK/$op.new"
	down
	local boot=$((c1 - c0)) writes=$((c2 - c1))
	[[ $writes -gt 0 ]] || fail "$op: made no RPMB write"
	cmp -s "$WORK/$op.old" "$WORK/$op.new" && fail "$op: changed nothing visible"

	# Which k: all of them for small operations, a spread for large ones.
	local ks=() k
	for ((k = 0; k <= writes; k++)); do
		if [[ $writes -le $((2 * EDGE + 10)) || $k -lt $EDGE || $k -gt $((writes - EDGE)) ||
			$((k % STRIDE)) -eq 0 ]]; then
			ks+=("$k")
		fi
	done

	local n_old=0 n_new=0
	for k in "${ks[@]}"; do
		load_image "$img"
		up --rpmbd-arg="--fail-after-writes=$((boot + k))" || fail "$op k=$k: up with the fault plan"
		if "op_$op"; then
			[[ $k -ge $writes ]] || fail "$op k=$k: the operation succeeded though the power went after $k of $writes writes"
		else
			[[ $k -lt $writes ]] || fail "$op k=$k: the operation failed without a power cut"
			local rpid
			rpid=$(pid_of rpmbd)
			if [[ -n $rpid ]] && kill -0 "$rpid" 2>/dev/null &&
				[[ $(ps -o comm= -p "$rpid") == rpmbd ]] && [[ $(ps -o stat= -p "$rpid") != Z* ]]; then
				fail "$op k=$k: the operation failed but rpmbd still runs (no power cut)"
			fi
		fi
		down
		up || fail "$op k=$k: the stack does not come back after the power cut"
		store_open || fail "$op k=$k: the store is not open after the restart"
		dump >"$WORK/$op.now"
		if cmp -s "$WORK/$op.now" "$WORK/$op.old"; then
			n_old=$((n_old + 1))
		elif cmp -s "$WORK/$op.now" "$WORK/$op.new"; then
			n_new=$((n_new + 1))
		else
			echo "--- before:" >&2
			cat "$WORK/$op.old" >&2
			echo "--- after (fault-free):" >&2
			cat "$WORK/$op.new" >&2
			echo "--- after the cut at k=$k:" >&2
			cat "$WORK/$op.now" >&2
			fail "$op k=$k: the store holds neither the old nor the new state"
		fi
		"$EMU" var set PowercutProbe --string probe >/dev/null || fail "$op k=$k: store not writable after recovery"
		"$EMU" var delete PowercutProbe >/dev/null || fail "$op k=$k: probe not deletable"
		down
		total_runs=$((total_runs + 1))
	done
	local line
	line=$(printf '%-8s %-8s %4d writes (boot %d): k covered %d of %d (%s..%s), %d old + %d new' \
		"$LAYOUT" "$op" "$writes" "$boot" "${#ks[@]}" $((writes + 1)) "${ks[0]}" "${ks[-1]}" "$n_old" "$n_new")
	ok "$line"
	summary+=("$line")
}

start=$SECONDS
LAYOUT=raw
for op in $OPS; do
	run_op "$op"
done
# The optee-fs layout: every write of the store that is not one whole block is a copy of
# EFI_VARS (~193 RPMB writes, FAT entry last), so operations are large.
LAYOUT=optee-fs
for op in $FS_OPS; do
	STRIDE=$FS_STRIDE
	[[ $op == reclaim ]] && STRIDE=$FS_RECLAIM_STRIDE
	run_op "$op"
done
echo "emu_powercut: $total_runs power cuts, every store valid and old-or-new ($((SECONDS - start)) s;" \
	"raw: stride $RAW_STRIDE; optee-fs: stride $FS_STRIDE, reclaim $FS_RECLAIM_STRIDE; edge $EDGE for large operations)"
