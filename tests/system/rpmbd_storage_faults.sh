#!/usr/bin/env bash
# rpmbd and a failing or damaged store (issue 10):
#  - a block whose bytes changed at rest (one byte flipped with the sqlite3 CLI) answers
#    READ_FAILURE with a warning naming it; the blocks around it still read;
#  - a database that cannot be written (immutable file, immutable directory, read-only
#    filesystem) is refused at start, before "ready", with the path and the reason;
#  - on a full 2 MiB filesystem a write answers WRITE_FAILURE with a warning, commits
#    nothing, and once space is freed the next write succeeds without a restart;
#  - over a long write stream the -wal file stays below RPMB_STORE_WAL_MAX_BYTES.
# The filesystem cases need root (tmpfs mounts, chattr +i); without it they are skipped
# with the reason, and under CI=1 a missing mechanism fails when running as root.
set -euo pipefail
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
source "$(dirname "$0")/lib/rpmbd.bash"
WAL_MAX=$(sed -n 's/^#define RPMB_STORE_WAL_MAX_BYTES \([0-9]*\).*/\1/p' rpmb/storage.h)
[ -n "$WAL_MAX" ] || fail "RPMB_STORE_WAL_MAX_BYTES not found in rpmb/storage.h"
command -v sqlite3 >/dev/null || fail "sqlite3 CLI missing (a declared test dependency)"

mounts=()
immutable=()
cleanup() {
	if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	pid=
	for f in "${immutable[@]}"; do chattr -i "$f" 2>/dev/null || true; done
	for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	rpmbd_cleanup
}
trap cleanup EXIT

skip() {
	# A mechanism that should exist (root) but does not fails under CI=1.
	if [ "${CI:-}" = 1 ] && [ "$(id -u)" = 0 ]; then fail "$1 (CI=1, running as root)"; fi
	echo "SKIP: $1"
}

# refused DB WHY: rpmbd must exit 1 before "ready", naming DB and WHY.
refused() {
	local db=$1 why=$2 rc=0
	: >"$dir/refused.log"
	"$RPMBD" --db "$db" --socket "$dir/refused.sock" 2>"$dir/refused.log" || rc=$?
	[ "$rc" = 1 ] || fail "rpmbd on unwritable $db: exit status $rc, log: $(cat "$dir/refused.log")"
	grep -q "ready" "$dir/refused.log" && fail "rpmbd said ready on unwritable $db"
	grep -qF "$db" "$dir/refused.log" || fail "refusal does not name $db: $(cat "$dir/refused.log")"
	grep -qF "$why" "$dir/refused.log" || fail "refusal does not say '$why': $(cat "$dir/refused.log")"
	[ ! -e "$dir/refused.sock" ] || fail "refused rpmbd left a socket"
	echo "refused: $(tail -n 1 "$dir/refused.log")"
}
hexblock() { # 256 bytes of a repeated byte, as hex
	local b r=
	b=$(printf %02x "$1")
	for _ in $(seq 256); do r+=$b; done
	echo "$r"
}
warnings() { grep -c "WARNING" "$dir/rpmbd.log" || true; }

# ---- damage at rest ---------------------------------------------------------------------
start
client write-key || fail "write-key"
for a in 0 1 2; do
	client write-block $a "$(hexblock $((a + 0x31)))" >/dev/null || fail "write block $a"
done
[ "$(client read-counter)" = 3 ] || fail "counter after three writes"
# Flip one byte of block 1 behind rpmbd's back (a second connection; rpmbd keeps running).
hex=$(sqlite3 "$dir/rpmb.db" "SELECT hex(data) FROM blocks WHERE address = 1")
[ "${hex:20:2}" = 32 ] || fail "block 1 as stored: ${hex:0:32}..."
sqlite3 "$dir/rpmb.db" "UPDATE blocks SET data = x'${hex:0:20}33${hex:22}' WHERE address = 1"
before=$(warnings)
out=$(client read-block 1 2>&1) && fail "a damaged block was served: $out"
[ "$out" = "rpmb-client: read: READ_FAILURE" ] || fail "damaged block read: $out"
[ "$(warnings)" = $((before + 1)) ] || fail "no warning for the damaged block"
grep "WARNING" "$dir/rpmbd.log" | tail -n 1 | grep -q "read block 1: .*damaged at rest" ||
	fail "the warning does not name block 1"
client read-block 0 2>&1 | grep -qx "$(hexblock 0x31)" || fail "block 0 next to the damage"
client read-block 2 2>&1 | grep -qx "$(hexblock 0x33)" || fail "block 2 next to the damage"
client read-block 0 3 >/dev/null 2>&1 && fail "a range over the damaged block was served"
# Rewriting the block heals it.
client write-block 1 "$(hexblock 0x44)" >/dev/null || fail "rewrite of the damaged block"
client read-block 1 | grep -qx "$(hexblock 0x44)" || fail "block 1 after rewrite"
stop
echo "damage at rest: READ_FAILURE with a warning, neighbours fine"

# ---- unwritable database refused at start ----------------------------------------------
if chattr +i "$dir/rpmb.db" 2>"$dir/chattr.err"; then
	immutable+=("$dir/rpmb.db")
	refused "$dir/rpmb.db" "not writable"
	grep -qF "Operation not permitted" "$dir/refused.log" || fail "reason for the immutable file"
	chattr -i "$dir/rpmb.db"
else
	skip "chattr +i unavailable: $(cat "$dir/chattr.err")"
fi
if chattr +i "$dir" 2>"$dir/chattr.err"; then
	immutable+=("$dir")
	refused "$dir/rpmb.db" "does not take new files (Operation not permitted)"
	chattr -i "$dir"
else
	skip "chattr +i on a directory unavailable: $(cat "$dir/chattr.err")"
fi

mkdir "$dir/ro" "$dir/full"
if mount -t tmpfs -o size=2m,mode=0700 tmpfs "$dir/ro" 2>"$dir/mount.err"; then
	mounts+=("$dir/ro")
	start_db "$dir/ro/rpmb.db"
	client write-key || fail "write-key on tmpfs"
	stop
	mount -o remount,ro "$dir/ro" || fail "remount read-only"
	refused "$dir/ro/rpmb.db" "Read-only file system"
	umount "$dir/ro"
	mounts=()
else
	skip "cannot mount a tmpfs: $(cat "$dir/mount.err")"
fi

# ---- full disk, freed again; -wal bounded -------------------------------------------------
if mount -t tmpfs -o size=2m,mode=0700 tmpfs "$dir/full" 2>"$dir/mount.err"; then
	mounts+=("$dir/full")
	db=$dir/full/rpmb.db
	start_db "$db"
	client write-key || fail "write-key on the 2 MiB tmpfs"
	client write-block 0 "$(hexblock 0x55)" >/dev/null || fail "first write on the tmpfs"
	dd if=/dev/zero of="$dir/full/filler" bs=64k 2>/dev/null || true
	dd if=/dev/zero of="$dir/full/filler" bs=4k oflag=append conv=notrunc 2>/dev/null || true
	before=$(warnings)
	failed=
	for i in $(seq 1 300); do
		counter=$(client read-counter) || fail "read-counter on a full disk"
		if ! out=$(client write-block "$i" "$(hexblock $((i % 256)))" 2>&1); then
			failed=$i
			break
		fi
	done
	[ -n "$failed" ] || fail "300 writes on a full filesystem all succeeded"
	[ "$out" = "rpmb-client: write: WRITE_FAILURE" ] || fail "write on a full disk: $out"
	[ "$(client read-counter)" = "$counter" ] || fail "the failed write moved the counter"
	client read-block "$failed" | grep -qx "$(hexblock 0)" || fail "the failed write left data"
	[ "$(warnings)" -gt "$before" ] || fail "no warning for the failed write"
	grep "WARNING" "$dir/rpmbd.log" | tail -n 1 |
		grep -q "DATA_WRITE of 1 block(s) at address $failed, counter $counter -> WRITE_FAILURE.*full" ||
		fail "warning without operation, address, counter and reason: $(grep WARNING "$dir/rpmbd.log" | tail -n 1)"
	echo "full disk: write $failed failed: $(grep WARNING "$dir/rpmbd.log" | tail -n 1)"
	# Space back: the same write succeeds, no restart.
	rm "$dir/full/filler"
	client write-block "$failed" "$(hexblock 0x66)" >/dev/null || fail "write after freeing space"
	[ "$(client read-counter)" = $((counter + 1)) ] || fail "counter after recovery"
	client read-block "$failed" | grep -qx "$(hexblock 0x66)" || fail "data after recovery"
	grep -q "storage worked again" "$dir/rpmbd.log" || fail "recovery not logged"
	kill -0 "$pid" || fail "rpmbd died"

	# A long stream (~1100 writes, several MiB through the log) on the 2 MiB filesystem:
	# the -wal size, sampled after every acknowledged write, stays below the bound.
	most=0 acks=0
	while read -r tag n; do
		[ "$tag" = ACK ] || fail "write stream: $tag $n"
		acks=$((acks + 1))
		size=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
		[ "$size" -le "$WAL_MAX" ] || fail "-wal is $size bytes after write $n (bound $WAL_MAX)"
		[ "$size" -gt "$most" ] && most=$size
	done < <(client write-stream 1024 1100 || echo "STREAM FAILED")
	[ "$acks" = 1100 ] || fail "write stream: $acks of 1100 writes acknowledged"
	[ "$most" -gt 0 ] || fail "-wal never seen"
	client verify-stream 1024 >/dev/null || fail "data after the stream"
	echo "wal: largest $most bytes over 1100 writes (bound $WAL_MAX); $(df -h --output=used "$dir/full" | tail -n 1) used"
	stop
else
	skip "cannot mount a tmpfs: $(cat "$dir/mount.err")"
fi
echo "rpmbd_storage_faults: ok"
