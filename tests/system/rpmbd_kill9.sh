#!/usr/bin/env bash
# kill -9 rpmbd in the middle of a stream of authenticated writes, several times: after each
# restart every acknowledged write is present and the counter equals the number of
# acknowledged writes (or one more: the write in flight may have committed before its
# answer was lost).  The stream never ends by itself; each kill lands once its output shows
# a random number (1 .. 2 x BLOCKS, so before and after the addresses wrap) of acknowledged
# writes of the round.
set -euo pipefail
KEY=4b4559204b4559204b4559204b4559204b4559204b4559204b4559204b455920
BLOCKS=24
ROUNDS=${ROUNDS:-4}
source "$(dirname "$0")/lib/rpmbd.bash"

# Both durability modes (rpmbd --durability): each survives kill -9.
for durability in full process; do
start() { start_db "$dir/rpmb.db" --durability "$durability" "$@"; }
rm -f "$dir/rpmb.db" "$dir/rpmb.db-wal" "$dir/rpmb.db-shm"
start
client write-key || fail "write-key"
acks_reach() { (($(wc -l <"$dir/acks") >= want)); }
acked=0 # acknowledged writes so far = the counter they imply
for round in $(seq "$ROUNDS"); do
	: >"$dir/acks" # exists before the stream opens it
	client write-stream $BLOCKS >"$dir/acks" 2>/dev/null &
	stream=$!
	want=$((RANDOM % (2 * BLOCKS) + 1))
	wait_until 20 "$want acknowledged writes in round $round" acks_reach
	kill -9 "$pid"
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	pid=
	[ "$rc" = 137 ] || fail "round $round: rpmbd exit status $rc, want 137 (SIGKILL)"
	wait "$stream" && fail "round $round: the stream did not notice the kill"
	last=$(tail -n 1 "$dir/acks" | sed -n 's/^ACK //p')
	[ -n "$last" ] && acked=$((last + 1))
	n=$(wc -l <"$dir/acks")

	start
	counter=$(client read-counter) || fail "round $round: read-counter"
	[ "$counter" = "$acked" ] || [ "$counter" = "$((acked + 1))" ] ||
		fail "round $round: counter $counter, acknowledged $acked"
	client verify-stream $BLOCKS >/dev/null || fail "round $round: data does not match counter $counter"
	echo "round $round: $n writes acknowledged, counter $counter, data verified"
	acked=$counter
done
stop
echo "durability $durability: ok"
done
echo "rpmbd_kill9: ok"
