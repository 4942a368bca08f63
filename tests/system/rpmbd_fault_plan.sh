#!/usr/bin/env bash
# rpmbd's fault plan: --fail-after-writes N commits N durable writes and loses power at the
# next (not committed, exit 75, no answer); --lose-response-at-write N commits the N-th and
# loses power before answering.  After a restart the device holds exactly what committed.
set -euo pipefail
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
source "$(dirname "$0")/lib/rpmbd.bash"
expect_power_cut() {
	local rc=0
	wait "$pid" || rc=$?
	pid=
	[ "$rc" = 75 ] || fail "rpmbd exit status $rc, want 75 (power cut)"
}

# Key (write 1) and one block (write 2) commit; the third write is lost with the power.
start --fail-after-writes 2
client write-key >/dev/null || fail "write-key"
client write-block 0 @<(printf 'first') >/dev/null || fail "write 1"
if client write-block 1 @<(printf 'second') >/dev/null 2>&1; then fail "write after the cut succeeded"; fi
expect_power_cut
start
[ "$(client read-counter)" = 1 ] || fail "counter after the cut: $(client read-counter)"
[ "$(client read-block 1 | cut -c1-12)" = 000000000000 ] || fail "uncommitted block 1 present"
[ "$(client read-block 0 | cut -c1-10)" = 6669727374 ] || fail "committed block 0 lost"
stop
echo "ok: --fail-after-writes: committed writes kept, the cut one absent"


# The first durable write of this run commits but its answer never arrives.
start --lose-response-at-write 1
if client write-block 1 @<(printf 'second') >/dev/null 2>&1; then fail "lost response reported OK"; fi
expect_power_cut
start
[ "$(client read-counter)" = 2 ] || fail "counter after a lost response: $(client read-counter)"
[ "$(client read-block 1 | cut -c1-12)" = 7365636f6e64 ] || fail "committed write missing"
stop
echo "ok: --lose-response-at-write: the write committed though the host saw no answer"
echo "rpmbd_fault_plan: 2 passed, 0 failed"
