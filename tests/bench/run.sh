#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make bench`: the figures of issue 16, each as latency AND as CPU time per operation
# summed over every process involved (client + rpmbd + supplicantd + stmmd: utime+stime),
# with its ratio to the raw IPC round trip measured in the same run (tests/bench/bench_vars.c):
#
#   1. a stack on tmpfs (/dev/shm): raw IPC, GetVariable, SetVariable NV (+ RPMB writes it
#      makes, CPU per RPMB write), authenticated SetVariable (private time-based variable,
#      RSA-2048 / SHA-256, BENCH_AUTH_N payloads presigned with efitools once and kept in
#      $BUILD/bench-auth), RSS of the three daemons;
#   1b. the authenticated figure again on a stack with `up --rpmb-layout raw` ("raw layout"),
#      and the CPU of the signature check alone (tests/bench/bench_auth_verify.c);
#   2. the breakdown, on a fresh tmpfs stack with STMM_EMU_PERF_COUNTERS=1 (lib/perf_count.h)
#      and strace -c attached to the daemons: per RPMB write the IPC messages, HMACs, SQLite
#      statements and syscalls; per SetVariable the RPMB writes and reads (BENCH_BREAKDOWN_N
#      sets, minus a baseline run of the same start-up);
#   3. a stack on disk ($BENCH_DISK_DIR, default /var/tmp): SetVariable NV latency next to one
#      fsync measured there, for each durability mode (`up --durability full|process`);
#   4. `up` to the first GetVariable answered, fresh state (format) and existing state, and
#      the floor under both the fresh and the disk figures (tests/bench/bench_floor.c: the
#      3-process relay round trip with no work, one durable commit of rpmbd's store, one
#      write's crypto);
#   5. the trace's cost (`up --trace`).
# Writes everything to $BUILD/bench.json.  BENCH_SECONDS per figure (default 2).
set -euo pipefail

BUILD=${BUILD:-build}
EMU="$BUILD/stmm-emu"
BENCH="$BUILD/bench/bench_vars"
SECONDS_PER_FIGURE=${BENCH_SECONDS:-2}
AUTH_N=${BENCH_AUTH_N:-1000}
BREAKDOWN_N=${BENCH_BREAKDOWN_N:-20}
DISK_DIR=${BENCH_DISK_DIR:-/var/tmp}
KEYS=$(cd "$(dirname "$0")/../../fixtures/keys" && pwd)
AUTH_GUID=6e1d7a2c-3b4f-4c58-9a0e-5b8d2f7c1e90
OUT="$BUILD/bench.json"

for f in "$EMU" "$BENCH" "$BUILD/bench/bench_floor"; do
	[[ -x $f ]] || { echo "bench: $f not built (make bench builds it)" >&2; exit 2; }
done

WORK=$(mktemp -d /dev/shm/emu-bench.XXXXXX)
DISK=$(mktemp -d "$DISK_DIR/emu-bench.XXXXXX")
STATES=()
cleanup() {
	for s in "${STATES[@]}"; do "$EMU" down --state "$s" --quiet >/dev/null 2>&1 || true; done
	rm -rf "$WORK" "$DISK"
}
trap cleanup EXIT
now_ns() { date +%s%N; }

# Presigned updates of BenchAuthVar (32 bytes each), one second apart; made once per build dir.
AUTH_DIR="$BUILD/bench-auth"
AUTH_ARGS=()
if command -v sign-efi-sig-list >/dev/null; then
	if [[ $(find "$AUTH_DIR" -name '*.auth' 2>/dev/null | wc -l) -lt $AUTH_N ]]; then
		echo "bench: presigning $AUTH_N authenticated payloads into $AUTH_DIR (once)"
		rm -rf "$AUTH_DIR"
		mkdir -p "$AUTH_DIR"
		base=1735689600 # 2025-01-01 00:00:00 UTC
		for ((i = 0; i < AUTH_N; i++)); do
			head -c 32 /dev/urandom >"$AUTH_DIR/value"
			TZ=UTC printf -v ts '%(%Y-%m-%d %H:%M:%S)T' $((base + i))
			sign-efi-sig-list -g "$AUTH_GUID" -t "$ts" -k "$KEYS/priv1.key" \
				-c "$KEYS/priv1.crt" BenchAuthVar "$AUTH_DIR/value" \
				"$(printf '%s/%05d.auth' "$AUTH_DIR" "$i")" >/dev/null
		done
	fi
	AUTH_ARGS=(--auth-dir "$AUTH_DIR" --auth-guid "$AUTH_GUID")
else
	echo "bench: sign-efi-sig-list (efitools) not installed: no authenticated figure" >&2
fi

up() { STATES+=("$1"); shift 0; "$EMU" up --state "$@" --quiet; }
daemon_pids() { for p in rpmbd supplicantd stmmd; do cat "$1/$p.pid"; done; }
rss_kb() {
	local t=0 p
	for p in $(daemon_pids "$1"); do
		t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
	done
	echo "$t"
}

echo "bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ${SECONDS_PER_FIGURE} s per figure"

# ---- 1. the main figures, state on tmpfs -------------------------------------------------
S1="$WORK/main"
up "$S1"
echo "== stack on tmpfs ($S1)"
"$BENCH" --state "$S1" --seconds "$SECONDS_PER_FIGURE" "${AUTH_ARGS[@]}" --json "$WORK/main.json"
RSS=$(rss_kb "$S1")
printf 'RSS of one stack (rpmbd + supplicantd + stmmd): %.1f MB\n' "$(bc -l <<<"$RSS / 1024")"
"$EMU" down --state "$S1" --quiet

# ---- 1b. the authenticated figure again, raw RPMB layout ---------------------------------
# `up --rpmb-layout raw`: the variable store straight in RPMB blocks (no OP-TEE secure
# storage file system), so an authenticated SetVariable makes a few RPMB writes instead of
# ~90; the optee-fs figure above stays the default one.
echo '{}' >"$WORK/raw.json"
if ((${#AUTH_ARGS[@]})); then
	SR="$WORK/raw"
	up "$SR" --rpmb-layout raw
	echo "== stack on tmpfs, raw layout ($SR, up --rpmb-layout raw)"
	"$BENCH" --state "$SR" --seconds "$SECONDS_PER_FIGURE" --auth-only --label "raw layout" \
		"${AUTH_ARGS[@]}" --json "$WORK/raw.json"
	jq -r '.set_variable_auth | "authenticated SetVariable, raw layout: \(.per_second | floor)/s"' \
		"$WORK/raw.json"
	"$EMU" down --state "$SR" --quiet
	# The signature check alone (stmmd's verify path in one process, no IPC, no store).
	"$BUILD/bench/bench_auth_verify" --auth-dir "$AUTH_DIR" --auth-guid "$AUTH_GUID" \
		--json "$WORK/verify.json"
	jq --slurpfile v "$WORK/verify.json" '. + { signature_check_alone: $v[0] }' \
		"$WORK/raw.json" >"$WORK/raw.json.new"
	mv "$WORK/raw.json.new" "$WORK/raw.json"
fi

# ---- 2. the breakdown ----------------------------------------------------------------
# counters of a run: "<prog> hmacs sql sent received" per daemon, from the logs at exit.
counters() {
	sed -n 's/^perf-counters: prog=\([a-z]*\) hmacs=\([0-9]*\) sql=\([0-9]*\) ipc_sent=\([0-9]*\) ipc_received=\([0-9]*\)$/\1 \2 \3 \4 \5/p' \
		"$1"/rpmbd.log "$1"/supplicantd.log "$1"/stmmd.log
}
breakdown_run() { # STATE N_SETS [strace-out]
	local s=$1 n=$2 so=${3:-} spid=
	STMM_EMU_PERF_COUNTERS=1 up "$s" 2>&1 | { grep -v '^perf-counters' >&2 || true; }
	if [[ -n $so ]] && command -v strace >/dev/null; then
		local args=()
		for p in $(daemon_pids "$s"); do args+=(-p "$p"); done
		strace -f -c -o "$so" "${args[@]}" 2>"$so.err" &
		spid=$!
		for ((i = 0; i < 500; i++)); do # bounded wait until all three are attached
			[[ $(grep -c attached "$so.err" 2>/dev/null) -ge 3 ]] && break
			sleep 0.01
		done
	fi
	"$BENCH" --state "$s" --set-only --max-ops "$n" --seconds 60 --json "$s.json" >/dev/null
	if [[ -n $spid ]]; then kill -INT "$spid"; wait "$spid" || true; fi
	"$EMU" down --state "$s" --quiet
	counters "$s" >"$s.counters"
}
breakdown_run "$WORK/base" 1
breakdown_run "$WORK/meas" $((1 + BREAKDOWN_N)) "$WORK/strace"
# Per-process deltas; writes come from stmmd's counter in the measured run.
# (The first set of each run writes the value already there: EDK2 skips it, no RPMB write.)
WRITES=$(jq '(.set_variable_nv.rpmb_writes_per_op // 0) * .set_variable_nv.ops | round' "$WORK/meas.json")
BASE_WRITES=$(jq '(.set_variable_nv.rpmb_writes_per_op // 0) * .set_variable_nv.ops | round' "$WORK/base.json")
DW=$(bc -l <<<"$WRITES - $BASE_WRITES")
delta() { # column (2 hmacs, 3 sql, 4 sent, 5 received) [prog]
	local col=$1 prog=${2:-} a b
	a=$(awk -v c="$col" -v p="$prog" 'p == "" || $1 == p {t += $c} END {print t + 0}' "$WORK/meas.counters")
	b=$(awk -v c="$col" -v p="$prog" 'p == "" || $1 == p {t += $c} END {print t + 0}' "$WORK/base.counters")
	echo $((a - b))
}
SYSCALLS=0 FSYNCS=0
if [[ -s $WORK/strace ]]; then
	SYSCALLS=$(awk '$NF == "total" {print $(NF-2) ~ /^[0-9]+$/ ? $(NF-2) : $(NF-1)}' "$WORK/strace")
	FSYNCS=$(awk '$NF == "fsync" || $NF == "fdatasync" {t += $4} END {print t + 0}' "$WORK/strace")
fi
SEQS=$(delta 5 rpmbd)
per_w() { bc -l <<<"scale=2; $1 / $DW"; }
per_s() { bc -l <<<"scale=2; $1 / $BREAKDOWN_N"; }
echo "== breakdown ($BREAKDOWN_N SetVariable NV on a fresh tmpfs stack; counters minus a baseline run)"
printf 'per SetVariable: %s RPMB writes, %s RPMB reads (requests to rpmbd %s)\n' \
	"$(per_s "$DW")" "$(per_s "($SEQS - $DW)")" "$(per_s "$SEQS")"
printf 'per RPMB write:  %s IPC messages (all daemons), %s HMACs, %s SQLite statements, %s syscalls (strace -c, all daemons), %s fsyncs\n' \
	"$(per_w "$(delta 4)")" "$(per_w "$(delta 2)")" "$(per_w "$(delta 3 rpmbd)")" \
	"$(per_w "$SYSCALLS")" "$(per_w "$FSYNCS")"
jq -n --argjson n "$BREAKDOWN_N" --argjson w "$DW" --argjson seqs "$SEQS" \
	--argjson msgs "$(delta 4)" --argjson hmacs "$(delta 2)" --argjson sql "$(delta 3 rpmbd)" \
	--argjson sys "$SYSCALLS" --argjson fs "$FSYNCS" '{
	  set_variables: $n,
	  per_set_variable: { rpmb_writes: ($w / $n), rpmb_reads: (($seqs - $w) / $n),
	                      rpmbd_requests: ($seqs / $n), fsyncs: ($fs / $n) },
	  per_rpmb_write: { ipc_messages: ($msgs / $w), hmacs: ($hmacs / $w),
	                    sqlite_statements: ($sql / $w), syscalls: ($sys / $w),
	                    fsyncs: ($fs / $w) } }' >"$WORK/breakdown.json"

# ---- 3. on disk: SetVariable vs one fsync, per durability mode -------------------------
FSYNCS_PER_SET=$(jq '.per_set_variable.fsyncs' "$WORK/breakdown.json")
echo '{}' >"$WORK/disk.json"
for mode in full process; do
	S3="$DISK/$mode"
	if ! up "$S3" --durability "$mode" 2>/dev/null; then
		echo "bench: up --durability $mode refused; skipped" >&2
		continue
	fi
	echo "== stack on disk ($S3, --durability $mode)"
	"$BENCH" --state "$S3" --set-only --seconds "$SECONDS_PER_FIGURE" --fsync-dir "$DISK" \
		--json "$S3.json"
	"$EMU" down --state "$S3" --quiet
	# The fsyncs a SetVariable needs: those counted in the breakdown (full durability);
	# process durability needs none per write (only at WAL checkpoints).
	[[ $mode == full ]] && f=$FSYNCS_PER_SET || f=0
	jq --arg m "$mode" --argjson f "$f" --slurpfile r "$S3.json" '. + { ($m): {
	      set_variable_nv: $r[0].set_variable_nv, fsync: $r[0].fsync,
	      fsyncs_per_set_variable: $f,
	      latency_vs_fsyncs: (if $f > 0 then $r[0].set_variable_nv.latency_us /
	                          ($f * $r[0].fsync.latency_us) else null end) } }' \
		"$WORK/disk.json" >"$WORK/disk.json.new"
	mv "$WORK/disk.json.new" "$WORK/disk.json"
	if [[ $mode == full ]]; then
		jq -r '.full | "SetVariable on disk: \(.set_variable_nv.latency_us | floor) us = \(.latency_vs_fsyncs // 0 | . * 100 | floor / 100)x (\(.fsyncs_per_set_variable) fsyncs x \(.fsync.latency_us | floor) us)"' "$WORK/disk.json"
	else
		jq -r '"SetVariable on disk, durability process: \(.process.set_variable_nv.latency_us | floor) us (full: \(.full.set_variable_nv.latency_us // 0 | floor) us)"' "$WORK/disk.json"
	fi
done

# ---- 4. up to the first GetVariable answered -------------------------------------------
# Timed by a client already running (bench_vars -- CMD): from `stmm-emu up`'s start to the
# GetVariable answered.  Existing state: the median of 5 (idle-wakeup noise on this VM).
S4="$WORK/startup"
STATES+=("$S4")
first_get_ms() { "$BENCH" --state "$S4" --first-get -- "$EMU" up --state "$S4" --quiet |
	awk '/^first_get_ms/ {print $2}'; }
# The requests rpmbd answered in one start (each one received message; its counters go to
# its log when it stops) and the authenticated writes stmmd made in it (`status`).
rpmbd_requests() { sed -n 's/^perf-counters: prog=rpmbd .*ipc_received=\([0-9]*\)$/\1/p' "$S4/rpmbd.log" | tail -1; }
boot_writes() { "$EMU" status --state "$S4" --json | jq '.ctrl.rpmb.writes'; }
FRESH_MS=$(STMM_EMU_PERF_COUNTERS=1 first_get_ms)
FRESH_WRITES=$(boot_writes)
"$EMU" down --state "$S4" --quiet
FRESH_REQS=$(rpmbd_requests)
EXIST_ALL=()
for i in 1 2 3 4 5; do
	EXIST_ALL+=("$(first_get_ms)")
	"$EMU" down --state "$S4" --quiet
done
EXIST_MS=$(printf '%s\n' "${EXIST_ALL[@]}" | sort -n | sed -n 3p)
STMM_EMU_PERF_COUNTERS=1 first_get_ms >/dev/null
EXIST_WRITES=$(boot_writes)
"$EMU" down --state "$S4" --quiet
EXIST_REQS=$(rpmbd_requests)
echo "== up to first GetVariable: fresh state (format) $FRESH_MS ms, existing state $EXIST_MS ms (median of ${EXIST_ALL[*]})"
# The floor on this machine, measured now (tests/bench/bench_floor.c): every RPMB request
# crosses stmmd -> supplicantd -> rpmbd and back (the relay round trip, three processes and
# no work), every write is also one durable commit in rpmbd's store (no IPC, no MAC) and its
# block's encryption and four MACs.  Nothing else a request does is counted: parsing, the
# file system's logic, the reads' MACs and decryption.
# A fresh start is an existing-state start plus the format's extra requests and writes.
"$BUILD/bench/bench_floor" --dir "$WORK" --json "$WORK/floor.json" | sed 1d
RELAY_US=$(jq '.relay_round_trip.latency_us * 10 | round / 10' "$WORK/floor.json")
COMMIT_US=$(jq '.store_write.latency_us * 10 | round / 10' "$WORK/floor.json")
CRYPTO_US=$(jq '.write_crypto.latency_us * 10 | round / 10' "$WORK/floor.json")
REQS_PER_SET=$(jq '.per_set_variable.rpmbd_requests' "$WORK/breakdown.json")
EXTRA_REQS=$((${FRESH_REQS:-0} - ${EXIST_REQS:-0}))
EXTRA_WRITES=$((${FRESH_WRITES:-0} - ${EXIST_WRITES:-0}))
FLOOR_FRESH_MS=$(bc -l <<<"scale=1; ($EXIST_MS * 1000 + $EXTRA_REQS * $RELAY_US + $EXTRA_WRITES * ($COMMIT_US + $CRYPTO_US)) / 1000")
FLOOR_DISK=$(jq -r --argjson req "$REQS_PER_SET" --argjson relay "$RELAY_US" '.full // empty |
	if .fsyncs_per_set_variable > 0 then
	  (1 + ($req * $relay) / (.fsyncs_per_set_variable * .fsync.latency_us)) * 100 | floor / 100
	else empty end' "$WORK/disk.json")
echo "   floor, fresh: existing-state up $EXIST_MS ms + $EXTRA_REQS more requests x relay" \
	"$RELAY_US us + $EXTRA_WRITES more writes x (commit $COMMIT_US + crypto $CRYPTO_US us) = $FLOOR_FRESH_MS ms" \
	"(fresh: $FRESH_REQS requests, $FRESH_WRITES writes; existing: $EXIST_REQS, $EXIST_WRITES)"
echo "   floor, disk: ${FLOOR_DISK:-?}x fsyncs (the fsyncs + $REQS_PER_SET requests per SetVariable x relay; no work)"

# ---- 5. the trace's cost ---------------------------------------------------------------
S5="$WORK/trace"
up "$S5" --trace
echo "== again with the trace on (stmm-emu up --trace)"
"$BENCH" --state "$S5" --seconds 1 --json "$WORK/trace.json"
"$EMU" down --state "$S5" --quiet

jq -n --slurpfile main "$WORK/main.json" --slurpfile raw "$WORK/raw.json" \
	--slurpfile bd "$WORK/breakdown.json" \
	--slurpfile disk "$WORK/disk.json" --slurpfile tr "$WORK/trace.json" \
	--argjson rss "$RSS" --argjson fresh "$FRESH_MS" --argjson exist "$EXIST_MS" \
	--argjson freqs "${FRESH_REQS:-null}" --argjson ffloor "$FLOOR_FRESH_MS" \
	--argjson fwrites "${FRESH_WRITES:-null}" --argjson ereqs "${EXIST_REQS:-null}" \
	--argjson ewrites "${EXIST_WRITES:-null}" --slurpfile floor "$WORK/floor.json" \
	--argjson dfloor "${FLOOR_DISK:-null}" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson cpus "$(nproc)" '{
	  machine: { cpus: $cpus, loadavg: $load },
	  tmpfs: $main[0], tmpfs_raw_layout: $raw[0], breakdown: $bd[0], disk: $disk[0],
	  rss_kb: $rss, up_to_first_get_ms: { fresh: $fresh, existing: $exist,
	    fresh_rpmb_requests: $freqs, fresh_rpmb_writes: $fwrites,
	    existing_rpmb_requests: $ereqs, existing_rpmb_writes: $ewrites,
	    fresh_floor_ms: $ffloor },
	  floor: $floor[0],
	  disk_floor_vs_fsyncs: $dfloor,
	  trace_on: $tr[0] }' >"$OUT"
echo "bench: figures in $OUT"
