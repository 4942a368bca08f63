/* SPDX-License-Identifier: MIT */
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc.h"
#include "shim/shim_common.h"

#define SHIM_MAX_DEVS   16
#define SHIM_TIMEOUT_MS 15000
#define SHIM_NAME_MAX   32

struct shim_dev {
	struct shim_fd_entry ent; /* fd: a socket, connected to rpmbd or not yet */
	bool connected;   /* ent.fd is a socket connected to rpmbd */
	char name[SHIM_NAME_MAX];
	uint32_t next_id; /* request ids on this device's link (lib/ipc.h) */
};
_Static_assert(offsetof(struct shim_dev, ent) == 0, "a shim_fd_table entry starts with its header");

/* table's lock is never held across I/O (lib/shim/shim_common.h; lib/ipc.c's close() calls
 * come back through our close()).  io_lock serializes whole ioctls: one host controller. */
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_dev devs[SHIM_MAX_DEVS];
static struct shim_fd_table table = SHIM_FD_TABLE_INIT(devs);

static int debug_level(void)
{
	const char *v = getenv("RPMB_SHIM_DEBUG");
	if (!v)
		return 0;
	return atoi(v) >= 2 ? 2 : 1;
}

__attribute__((format(printf, 1, 2))) static void debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shim_debug_line("rpmb-shim", fmt, ap);
	va_end(ap);
}

bool shim_dev_path_match(const char *path)
{
	return shim_path_numbered(path, "/dev/mmcblk", "rpmb");
}

int shim_dev_open(const char *path, int flags)
{
	const char *sock = getenv("RPMB_SHIM_SOCKET");
	struct shim_dev d = { .next_id = 1 };
	int r;

	if (!sock || !*sock) {
		fprintf(stderr, "rpmb-shim: cannot open %s: RPMB_SHIM_SOCKET is not set "
				"(set it to rpmbd's --socket path)\n", path);
		errno = ENOENT;
		return -1;
	}
	d.ent.fd = socket(AF_UNIX, SOCK_SEQPACKET | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
	if (d.ent.fd < 0)
		return -1;
	r = shim_fd_identify(d.ent.fd, &d.ent.st_dev, &d.ent.st_ino);
	if (r < 0)
		goto fail;
	snprintf(d.name, sizeof(d.name), "%s", path);
	r = shim_fd_table_insert(&table, &d);
	if (r < 0)
		goto fail;
	if (debug_level() >= 2)
		debug("open %s -> fd %d (rpmbd at %s)", path, d.ent.fd, sock);
	return d.ent.fd;
fail:
	close(d.ent.fd);
	if (debug_level())
		debug("open %s: %s", path, strerror(-r));
	errno = -r;
	return -1;
}

/* A stale entry (the number closed by some other path -- close_range, dup2 onto it -- and
 * reused) is dropped at once: it holds nothing to release. */
bool shim_dev_owns(int fd)
{
	return shim_fd_table_lookup(&table, fd, SHIM_FD_DROP_STALE) != NULL;
}

void shim_dev_forget(int fd)
{
	shim_fd_table_take(&table, fd, NULL);
}

/* Connect a fresh socket to rpmbd and put it in place of fd. */
static int reconnect(int fd, dev_t *ret_dev, ino_t *ret_ino)
{
	const char *sock = getenv("RPMB_SHIM_SOCKET");
	int nfd, r;

	if (!sock || !*sock)
		return -ENOENT;
	r = emu_ipc_connect(sock, &nfd);
	if (r < 0)
		return r;
	int fdflags = fcntl(fd, F_GETFD);
	if (fdflags < 0 || dup3(nfd, fd, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		r = -errno;
	else
		r = shim_fd_identify(fd, ret_dev, ret_ino);
	close(nfd);
	return r;
}

/* Where a sequence failed. */
enum shim_stage {
	STAGE_BUILD,   /* the commands themselves: ioc_build_seq's errno as is */
	STAGE_CONNECT, /* rpmbd not reachable */
	STAGE_LINK,    /* send/receive failed or timed out */
	STAGE_RPMBD,   /* rpmbd answered EMU_MSG_ERROR */
	STAGE_REPLY,   /* the reply does not match the request */
};

static const char *const stage_names[] = {
	[STAGE_BUILD] = "invalid command",
	[STAGE_CONNECT] = "cannot reach rpmbd",
	[STAGE_LINK] = "rpmbd link",
	[STAGE_RPMBD] = "rpmbd error",
	[STAGE_REPLY] = "bad reply from rpmbd",
};

/* What a kernel ioctl would say for a failure at `stage` with -errno r. */
static int to_ioctl_errno(enum shim_stage stage, int r)
{
	switch (stage) {
	case STAGE_BUILD:
		return -r;
	case STAGE_CONNECT:
		return -r == ENOMEM ? ENOMEM : ENODEV; /* no card behind the node */
	case STAGE_LINK:
		return -r == ETIMEDOUT ? ETIMEDOUT : EIO;
	case STAGE_RPMBD:
		return (-r > 0 && -r < 4096) ? -r : EIO;
	case STAGE_REPLY:
	default:
		return EIO;
	}
}

/* The sequence itself.  0 or -errno with *ret_stage; *ret_text: rpmbd's error text. */
static int run_seq(struct shim_dev *d, struct mmc_ioc_cmd *cmds, size_t n, char **ret_text,
		   enum shim_stage *ret_stage)
{
	g_autoptr(GByteArray) req = NULL;
	g_autoptr(emu_msg) reply = NULL;
	size_t read_len;
	int r;

	*ret_stage = STAGE_BUILD;
	r = ioc_build_seq(cmds, n, &req, &read_len);
	if (r < 0)
		return r;
	struct iovec v = { .iov_base = req->data, .iov_len = req->len };
	for (int attempt = 0;; attempt++) {
		if (!d->connected) {
			*ret_stage = STAGE_CONNECT;
			r = reconnect(d->ent.fd, &d->ent.st_dev, &d->ent.st_ino);
			if (r < 0) {
				const char *sock = getenv("RPMB_SHIM_SOCKET");
				*ret_text = g_strdup_printf("%s: %s",
							    sock ? sock : "(RPMB_SHIM_SOCKET unset)",
							    g_strerror(-r));
				return r;
			}
			d->connected = true;
		}
		r = emu_ipc_call(d->ent.fd, &d->next_id, SHIM_TIMEOUT_MS, EMU_MSG_MMC_SEQ_REQ, &v, 1, -1,
				 EMU_MSG_MMC_SEQ_RSP, &reply, ret_text);
		if (r >= 0)
			break;
		*ret_stage = *ret_text ? STAGE_RPMBD : STAGE_LINK;
		if (*ret_stage == STAGE_RPMBD)
			return r;
		d->connected = false; /* reconnect before the next sequence */
		/*
		 * The send itself failed, so rpmbd (restarted since our last ioctl) never saw
		 * the sequence and it is safe to send it once more.  After a failure while
		 * waiting for the reply the outcome is unknown: report it.
		 */
		if (attempt > 0 || !emu_ipc_not_sent(r))
			return r;
	}
	*ret_stage = STAGE_REPLY;
	r = ioc_scatter(cmds, n, reply->payload, reply->hdr.length);
	if (r < 0)
		d->connected = false;
	return r;
}

static const char *request_name(unsigned long request)
{
	return request == MMC_IOC_CMD ? "MMC_IOC_CMD" : "MMC_IOC_MULTI_CMD";
}

int shim_dev_ioctl(int fd, unsigned long request, void *arg)
{
	struct mmc_ioc_cmd *cmds;
	size_t n;

	if (request == MMC_IOC_CMD) {
		cmds = arg;
		n = 1;
	} else if (request == MMC_IOC_MULTI_CMD) {
		struct mmc_ioc_multi_cmd *m = arg;
		if (!m) {
			errno = EFAULT;
			return -1;
		}
		/* The kernel's limit first, then ours (two sequence commands per ioctl command). */
		if (m->num_of_cmds == 0 || m->num_of_cmds > MMC_IOC_MAX_CMDS ||
		    m->num_of_cmds > SHIM_MAX_IOC_CMDS) {
			if (debug_level())
				debug("%s on fd %d: %llu commands (1..%u supported)",
				      request_name(request), fd, (unsigned long long)m->num_of_cmds,
				      SHIM_MAX_IOC_CMDS);
			errno = EINVAL;
			return -1;
		}
		cmds = m->cmds;
		n = (size_t)m->num_of_cmds;
	} else {
		errno = ENOTTY;
		return -1;
	}
	if (!cmds) {
		errno = EFAULT;
		return -1;
	}

	/* The I/O runs on a copy of the entry, written back after (if fd is still ours). */
	pthread_mutex_lock(&io_lock);
	struct shim_dev d;
	if (!shim_fd_table_get(&table, fd, &d)) { /* closed by another thread meanwhile */
		pthread_mutex_unlock(&io_lock);
		errno = EBADF;
		return -1;
	}

	g_autofree char *text = NULL;
	enum shim_stage stage;
	int r = run_seq(&d, cmds, n, &text, &stage);

	shim_fd_table_put(&table, &d);
	pthread_mutex_unlock(&io_lock);

	int lvl = debug_level();
	char desc[256];
	if (r < 0) {
		int e = to_ioctl_errno(stage, r);
		/* Frames are safe to look at only once ioc_build_seq has checked the commands. */
		int peek = stage == STAGE_BUILD ? IOC_PEEK_NONE : IOC_PEEK_WRITES;
		if (lvl)
			debug("%s on fd %d (%s) [%s]: %s: %s -> %s", request_name(request), fd,
			      d.name, ioc_describe(cmds, n, peek, desc, sizeof(desc)),
			      stage_names[stage], text ? text : strerror(-r), strerror(e));
		errno = e;
		return -1;
	}
	if (lvl >= 2)
		debug("%s on fd %d: %s", request_name(request), fd,
		      ioc_describe(cmds, n, IOC_PEEK_ALL, desc, sizeof(desc)));
	return 0;
}
