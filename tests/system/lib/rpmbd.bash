# SPDX-License-Identifier: MIT
# Shared by the rpmbd system tests (sourced, not run): a temporary directory with one
# rpmbd on it, cleaned up on exit.  Sets BUILD, RPMBD, CLIENT, dir, pid; defines fail,
# client (rpmb-client on the socket, with --key $KEY when KEY is set), start [ARGS...].
BUILD=${BUILD:-build}
RPMBD=$PWD/$BUILD/rpmbd
CLIENT=$PWD/$BUILD/tools/rpmb-client
dir=$(mktemp -d)
pid=
rpmbd_cleanup() {
	if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap rpmbd_cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- rpmbd log" >&2; tail -20 "$dir/rpmbd.log" >&2 || true; exit 1; }
client() { "$CLIENT" --socket "$dir/rpmb.sock" ${KEY:+--key "$KEY"} "$@"; }
start() {
	"$RPMBD" --db "$dir/rpmb.db" --socket "$dir/rpmb.sock" "$@" 2>>"$dir/rpmbd.log" &
	pid=$!
	for _ in $(seq 100); do
		client info >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || fail "rpmbd exited at start"
		sleep 0.05
	done
	fail "rpmbd not ready"
}
