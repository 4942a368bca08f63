# SPDX-License-Identifier: MIT
# Shared by the efivarfs system tests (sourced after stack.bash): needs_fuse (fails under
# CI=1, else skips with the reason, when FUSE or root is missing), G (EFI global GUID),
# T (the kernel selftests' GUID), py (python3 for open/ioctl sequences the shell cannot do).
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
T=210be57c-9849-4fc7-a635-e6382d1aec27

needs_fuse() {
	local why=""
	[[ -c /dev/fuse ]] || why="no /dev/fuse"
	[[ -z $why && $(id -u) != 0 ]] && why="not root"
	[[ -z $why ]] && return 0
	if [[ ${CI:-} == 1 ]]; then
		fail "$why (CI needs FUSE and root for the efivarfs mount)"
	fi
	echo "SKIP $TEST_NAME: $why"
	exit 0
}

# py 'CODE' ARGS...: python3 with os, fcntl, struct, sys imported; GET/SET = FS_IOC_GETFLAGS/SETFLAGS.
py() {
	local code=$1
	shift
	python3 -c 'import os, fcntl, struct, sys, errno
GET, SET, IMM = 0x80086601, 0x40086602, 0x10
def getflags(fd): return struct.unpack("I", fcntl.ioctl(fd, GET, b"\0" * 4))[0]
def setflags(fd, v): fcntl.ioctl(fd, SET, struct.pack("I", v))
def err(f):
    try:
        f(); return 0
    except OSError as e:
        return e.errno
'"$code" "$@"
}
