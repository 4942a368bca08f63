#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make bench`'s floor (tests/bench/bench_floor.c, issue 16): the figures the fresh-up and
# disk floors are computed from come out as numbers a reader can use, and the probe leaves
# nothing behind:
#   - each of relay round trip, durable block write and write crypto ran at least once and
#     has a positive latency and CPU time, in the table and in --json;
#   - the durable write's database (and its -wal, -shm, .lock) is gone from --dir after;
#   - a missing --dir is a usage error (exit 2) that says what is needed.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
FLOOR=$BUILD/bench/bench_floor
[[ -x $FLOOR ]] || fail "$FLOOR not built (make check builds it)"

mkdir -p "$WORK/dir"
"$FLOOR" --dir "$WORK/dir" --seconds 0.2 --json "$WORK/floor.json" >"$WORK/out" ||
	fail "bench_floor exited $?: $(cat "$WORK/out")"
for row in "relay round trip (3 procs)" "durable block write" "write crypto"; do
	grep -F -- "$row" "$WORK/out" | awk '{ if (!($(NF-2) > 0 && $(NF-1) > 0 && $NF > 0)) exit 1 }' ||
		fail "no positive ops / latency / CPU in the row '$row': $(cat "$WORK/out")"
done
ok "three rows, each with ops, latency and CPU"
json_ok 'all(d[k]["ops"] > 0 and d[k]["latency_us"] > 0 and d[k]["cpu_us"] > 0
	  for k in ("relay_round_trip", "store_write", "write_crypto"))' <"$WORK/floor.json" ||
	fail "--json lacks a figure: $(cat "$WORK/floor.json")"
ok "--json has relay_round_trip, store_write and write_crypto"
left=$(ls -A "$WORK/dir")
[[ -z $left ]] || fail "bench_floor left files in --dir: $left"
ok "the probe's database is removed"

set +e
"$FLOOR" --seconds 0.1 >"$WORK/usage" 2>&1
rc=$?
set -e
[[ $rc == 2 ]] || fail "without --dir: exit $rc, expected 2"
grep -q -- "--dir" "$WORK/usage" || fail "without --dir the message does not name it: $(cat "$WORK/usage")"
ok "without --dir: usage error naming --dir"
all_passed
