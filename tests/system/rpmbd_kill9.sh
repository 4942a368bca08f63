#!/usr/bin/env bash
# kill -9 rpmbd in the middle of a stream of authenticated writes, several times: after each
# restart every acknowledged write is present and the counter equals the number of
# acknowledged writes (or one more: the write in flight may have committed before its
# answer was lost).
set -euo pipefail
BUILD=${BUILD:-build}
RPMBD=$PWD/$BUILD/rpmbd
CLIENT=$PWD/$BUILD/tools/rpmb-client
KEY=4b4559204b4559204b4559204b4559204b4559204b4559204b4559204b455920
BLOCKS=24
ROUNDS=${ROUNDS:-4}
dir=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- rpmbd log" >&2; tail -20 "$dir/rpmbd.log" >&2 || true; exit 1; }

client() { "$CLIENT" --socket "$dir/rpmb.sock" --key $KEY "$@"; }
start() {
	"$RPMBD" --db "$dir/rpmb.db" --socket "$dir/rpmb.sock" 2>>"$dir/rpmbd.log" &
	pid=$!
	for _ in $(seq 100); do
		client info >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || fail "rpmbd exited at start"
		sleep 0.05
	done
	fail "rpmbd not ready"
}

start
client write-key || fail "write-key"
acked=0 # acknowledged writes so far = the counter they imply
for round in $(seq "$ROUNDS"); do
	client write-stream $BLOCKS >"$dir/acks" 2>/dev/null &
	stream=$!
	sleep "0.$((RANDOM % 7 + 2))"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
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
kill -TERM "$pid"
wait "$pid" || fail "rpmbd exit status after SIGTERM"
pid=
echo "rpmbd_kill9: ok"
