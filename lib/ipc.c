/* SPDX-License-Identifier: MIT */
#include "ipc.h"
#include "trace.h"
#include "perf_count.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void emu_msg_free(struct emu_msg *msg)
{
	if (!msg)
		return;
	if (msg->fd >= 0)
		close(msg->fd);
	g_free(msg->payload);
	g_free(msg);
}

/*
 * `path` as sun_path can hold it: itself when short enough, else (issue 15 #4: deep CI
 * workspaces) "/proc/self/fd/N/<base name>" through an O_PATH descriptor of its directory,
 * which bind() and connect() resolve like the long path.  *dir_fd is that descriptor
 * (-1 when none; the caller closes it).  NULL and -ENAMETOOLONG when even that is too long.
 */
static char *short_name(const char *path, int *dir_fd)
{
	struct sockaddr_un addr;
	*dir_fd = -1;
	if (strlen(path) < sizeof(addr.sun_path))
		return g_strdup(path);
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *name = g_strdup_printf("/proc/self/fd/%d/%s", fd, base);
	if (strlen(name) >= sizeof(addr.sun_path)) {
		g_free(name);
		close(fd);
		errno = ENAMETOOLONG;
		return NULL;
	}
	*dir_fd = fd;
	return name;
}

/*
 * A SOCK_SEQPACKET socket listening on `path`, or connected to it.  0 or -errno.  A
 * listening socket is bound under a temporary name and renamed to `path` once it listens,
 * so that whoever sees `path` can connect (no ECONNREFUSED between bind and listen).
 * A path longer than sun_path is reached through its directory (short_name).
 */
static int open_socket(const char *path, bool listening, int *ret_fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	g_autofree char *staged = listening ? g_strdup_printf("%s.%d", path, (int)getpid()) : NULL;
	const char *full = staged ? staged : path; /* the file bind() creates */
	int dir_fd = -1;
	g_autofree char *name = short_name(full, &dir_fd);
	int r;

	if (!name)
		return errno == ENAMETOOLONG || errno == 0 ? -ENAMETOOLONG : -errno;
	strcpy(addr.sun_path, name);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		if (dir_fd >= 0)
			close(dir_fd);
		return r;
	}
	if (listening) {
		(void)unlink(full);
		r = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0 ||
		    rename(full, path) < 0;
	} else {
		r = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0;
	}
	if (r) {
		r = -errno;
		if (listening)
			(void)unlink(full);
		close(fd);
		if (dir_fd >= 0)
			close(dir_fd);
		return r;
	}
	if (dir_fd >= 0)
		close(dir_fd);
	*ret_fd = fd;
	return 0;
}

int emu_ipc_listen(const char *path, int *ret_fd)
{
	return open_socket(path, true, ret_fd);
}

int emu_ipc_connect(const char *path, int *ret_fd)
{
	return open_socket(path, false, ret_fd);
}

int emu_ipc_sendv(int fd, uint16_t type, uint32_t req_id, const struct iovec *iov,
		  size_t iovcnt, int pass_fd)
{
	struct emu_msg_hdr hdr = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION,
				   .type = type, .req_id = req_id };
	struct iovec v[8];
	size_t total = 0;

	if (iovcnt + 1 > G_N_ELEMENTS(v))
		return -E2BIG;
	v[0].iov_base = &hdr;
	v[0].iov_len = sizeof(hdr);
	for (size_t i = 0; i < iovcnt; i++) {
		v[i + 1] = iov[i];
		total += iov[i].iov_len;
	}
	if (total > EMU_MSG_MAX_PAYLOAD)
		return -EMSGSIZE;
	hdr.length = (uint32_t)total;

	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct msghdr mh = { .msg_iov = v, .msg_iovlen = iovcnt + 1 };
	if (pass_fd >= 0) {
		memset(&ctrl, 0, sizeof(ctrl));
		mh.msg_control = ctrl.buf;
		mh.msg_controllen = sizeof(ctrl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (emu_trace_on()) /* recorded before the peer can answer it */
		emu_trace_fd_msg(fd, EMU_TRACE_MSG_TX, &hdr, iov, iovcnt);
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(hdr) + total)
		return -EIO;
	emu_perf_count(EMU_PERF_IPC_SENT);
	return 0;
}

int emu_ipc_send(int fd, uint16_t type, uint32_t req_id, const void *payload, size_t len)
{
	struct iovec v = { .iov_base = (void *)payload, .iov_len = len };
	return emu_ipc_sendv(fd, type, req_id, &v, len ? 1 : 0, -1);
}

int emu_ipc_send_error(int fd, uint32_t req_id, int error, const char *fmt, ...)
{
	struct emu_msg_error e = { .error = error < 0 ? error : -error };
	char text[EMU_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct iovec v[2] = { { &e, sizeof(e) }, { text, strlen(text) + 1 } };
	return emu_ipc_sendv(fd, EMU_MSG_ERROR, req_id, v, 2, -1);
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			gint64 now = g_get_monotonic_time();
			left = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
		}
		int r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int emu_ipc_recv(int fd, int timeout_ms, struct emu_msg **ret_msg)
{
	/*
	 * timeout 0 (a main loop saw the socket readable): no poll first, a non-blocking
	 * receive says the same in one system call (EAGAIN -> -ETIMEDOUT).
	 */
	int flags = timeout_ms == 0 ? MSG_DONTWAIT : 0;
	if (timeout_ms != 0) {
		int r = wait_readable(fd, timeout_ms);
		if (r < 0)
			return r;
	}

	g_autofree uint8_t *buf = g_malloc(EMU_MSG_MAX_SIZE);
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctrl;
	struct iovec v = { .iov_base = buf, .iov_len = EMU_MSG_MAX_SIZE };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctrl.buf,
			     .msg_controllen = sizeof(ctrl.buf) };
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		return errno == EPIPE ? -ECONNRESET : -errno;
	}
	emu_perf_count(EMU_PERF_IPC_RECEIVED);

	/* Take every passed descriptor first so that none leaks on a bad message. */
	int passed = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (passed < 0)
				passed = f;
			else
				close(f);
		}
	}

	/*
	 * 0 bytes is the peer's orderly close -- or an empty datagram, which SOCK_SEQPACKET
	 * carries too (possibly with descriptors).  Only a close leaves the socket hung up;
	 * an empty datagram is a malformed message like any other.
	 */
	if (n == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
		if (passed < 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)))
			return -ECONNRESET;
		goto bad;
	}

	struct emu_msg_hdr hdr;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < sizeof(hdr))
		goto bad;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != EMU_MSG_MAGIC || hdr.version != EMU_MSG_VERSION ||
	    hdr.length != (size_t)n - sizeof(hdr))
		goto bad;

	struct emu_msg *msg = g_new0(struct emu_msg, 1);
	msg->hdr = hdr;
	msg->fd = passed;
	if (hdr.length)
		msg->payload = g_memdup2(buf + sizeof(hdr), hdr.length);
	if (emu_trace_on()) {
		struct iovec pv = { buf + sizeof(hdr), hdr.length };
		emu_trace_fd_msg(fd, EMU_TRACE_MSG_RX, &hdr, &pv, 1);
	}
	*ret_msg = msg;
	return 0;
bad:
	if (passed >= 0)
		close(passed);
	return -EBADMSG;
}

uint32_t emu_ipc_next_id(uint32_t *next_id)
{
	uint32_t id = *next_id ? *next_id : 1;
	*next_id = id + 1;
	return id;
}

/* An EMU_MSG_ERROR reply -> its error code (see emu_ipc_call). */
static int error_reply(const struct emu_msg *reply, char **ret_error_text)
{
	struct emu_msg_error e;

	if (reply->hdr.length < sizeof(e))
		return -EPROTO;
	memcpy(&e, reply->payload, sizeof(e));
	if (ret_error_text)
		*ret_error_text = g_strndup((const char *)reply->payload + sizeof(e),
					    reply->hdr.length - sizeof(e));
	return e.error < 0 ? e.error : -EPROTO;
}

int emu_ipc_call(int fd, uint32_t *next_id, int timeout_ms, uint16_t type,
		 const struct iovec *iov, size_t iovcnt, int pass_fd, uint16_t want_type,
		 struct emu_msg **ret_reply, char **ret_error_text)
{
	gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	uint32_t id = emu_ipc_next_id(next_id);
	int r = emu_ipc_sendv(fd, type, id, iov, iovcnt, pass_fd);
	if (r < 0)
		return r;

	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			gint64 now = g_get_monotonic_time();
			if (now >= deadline)
				return -ETIMEDOUT; /* even while stale replies keep coming */
			left = (int)MIN((deadline - now + 999) / 1000, G_MAXINT);
		}
		g_autoptr(emu_msg) reply = NULL;
		r = emu_ipc_recv(fd, left, &reply);
		if (r < 0)
			return r;
		if (reply->hdr.req_id != id)
			continue; /* a late answer to an earlier call that timed out */
		if (reply->hdr.type == EMU_MSG_ERROR)
			return error_reply(reply, ret_error_text);
		if (reply->hdr.type != want_type)
			return -EPROTO;
		*ret_reply = g_steal_pointer(&reply);
		return 0;
	}
}
