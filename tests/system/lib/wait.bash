# SPDX-License-Identifier: MIT
# Shared by the system tests (sourced, not run; no state, no trap): waiting on an event with
# a bounded deadline, and skipping.  Each uses the caller's fail MESSAGE.
#   wait_until SECONDS WHAT CMD [ARGS...]
#       runs CMD every 20 ms until it succeeds; fails "timed out after SECONDS s waiting
#       for WHAT" at the deadline.  CMD may call fail itself (e.g. a daemon died).
#   wait_for_socket PATH PID WHAT
#       until the Unix socket PATH exists; fails at once if PID (the daemon that creates it)
#       exits first, or after 10 s.
#   skip_test REASON
#       a test whose environment lacks something: "SKIP: REASON" and exit 0 outside CI; a
#       failure when CI is set (.ci/run installs everything, so nothing may be skipped there).
#   skip_part REASON
#       the same for one part of a test: "SKIP REASON" and carry on outside CI; a failure
#       when CI is set.

wait_until() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((${EPOCHREALTIME/./} + secs * 1000000))
	until "$@"; do
		((${EPOCHREALTIME/./} < deadline)) || fail "timed out after $secs s waiting for $what"
		sleep 0.02
	done
}

_socket_up() { # path pid what
	[[ -S $1 ]] && return 0
	kill -0 "$2" 2>/dev/null || fail "$3 (pid $2) exited before creating $1"
	return 1
}
wait_for_socket() {
	wait_until 10 "$3 to create $1" _socket_up "$1" "$2" "$3"
}

skip_test() {
	[[ -n ${CI:-} ]] && fail "$* (required when CI is set)"
	echo "SKIP: $*"
	exit 0
}

skip_part() {
	[[ -n ${CI:-} ]] && fail "$* (required when CI is set)"
	echo "SKIP $*"
}
