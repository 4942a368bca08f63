/* SPDX-License-Identifier: MIT */
#include "ready.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int emu_ready_fd_check(int fd)
{
	if (fd == -1)
		return 0;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	/* Ours alone: nothing we might start inherits it. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int emu_ready_notify(int fd)
{
	const char *line = EMU_READY_LINE;
	size_t len = strlen(line), done = 0;
	int r = 0;

	if (fd < 0)
		return 0;
	while (done < len) {
		ssize_t n = write(fd, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	return r;
}

int emu_ready_wait(int fd, gint64 deadline)
{
	const char *want = EMU_READY_LINE;
	size_t len = strlen(want), got = 0;
	char buf[16];

	while (got < len) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, left > G_MAXINT ? G_MAXINT : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		ssize_t r = read(fd, buf, MIN(sizeof(buf), len - got));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECHILD;
		if (memcmp(buf, want + got, (size_t)r) != 0)
			return -EPROTO;
		got += (size_t)r;
	}
	return 0;
}
