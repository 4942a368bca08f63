# SPDX-License-Identifier: MIT
# Shared by the rpmbd system tests (sourced, not run): a temporary directory with one
# rpmbd on it, cleaned up on exit.  Sets BUILD, RPMBD, CLIENT, dir, pid; defines fail,
# client (rpmb-client on the socket, with --key $KEY when KEY is set), start [ARGS...] and
# start_db DB [ARGS...] (rpmbd on dir/rpmb.db or DB, until it answers) and stop (SIGTERM:
# exit status 0 and the socket removed).
source "$(dirname "${BASH_SOURCE[0]}")/wait.bash"
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
start_db() {
	local db=$1
	shift
	"$RPMBD" --db "$db" --socket "$dir/rpmb.sock" "$@" 2>>"$dir/rpmbd.log" &
	pid=$!
	wait_until 10 "rpmbd to answer" rpmbd_answers
}
start() { start_db "$dir/rpmb.db" "$@"; }
rpmbd_answers() {
	client info >/dev/null 2>&1 && return 0
	kill -0 "$pid" 2>/dev/null || fail "rpmbd exited at start"
	return 1
}
stop() {
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	pid=
	[ "$rc" = 0 ] || fail "rpmbd exit status $rc after SIGTERM"
	[ ! -e "$dir/rpmb.sock" ] || fail "socket left behind"
}
