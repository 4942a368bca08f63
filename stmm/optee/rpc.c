/* SPDX-License-Identifier: MIT */
/*
 * RPC to the supplicant (see rpc.h for the threading).  The outstanding call lives on the
 * worker's stack and is reachable from other threads only through rpc->pending, under
 * rpc->lock.  The worker sends the request itself (under the lock) and reads the reply
 * itself from the same connection: it polls that fd and rpc->wake_fd, which any other
 * thread that completes the call (detach, shutdown, a reply routed by the main thread)
 * writes.  rpc->reading_fd says which connection the worker may be polling or reading with
 * the lock dropped; rpc_detach_supplicant() waits until it has let go, so its caller can
 * close the fd.
 */
#include "rpc.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "optee_rpmb.h"
#include "pta_stmm.h"

enum pending_state { PENDING_WAITING, PENDING_DONE };

struct pending {
	uint32_t id;
	enum pending_state state;
	int fd;         /* the connection it was sent on */
	int result;     /* 0 or -errno once DONE */
	void *out;      /* the worker's buffer */
	size_t out_len;
};

struct rpc {
	GMainContext *main_ctx;
	int timeout_ms;
	GMutex lock;
	GCond cond;       /* supplicant attached, or the worker let go of reading_fd */
	int wake_fd;      /* eventfd: the outstanding call completed by another thread */
	int reading_fd;   /* the connection the worker polls and reads now, -1 none */
	unsigned detach_waiters; /* rpc_detach_supplicant()s waiting for reading_fd to change */
	rpc_forward_fn forward;  /* what the worker read that is not its reply */
	void *forward_ctx;
	int supp_fd;      /* -1 when none (main thread writes, under lock) */
	int rpmb_fd;      /* the in-kernel RPMB handler (22/23/24), -1 when none; same rules */
	bool shutdown;
	bool supp_nowait;      /* no supplicant: fail at once instead of waiting for one */
	uint32_t next_id;
	struct pending *pending;
	gint64 pending_since;  /* monotonic µs when `pending` was sent */
	gint64 fail_time;      /* real µs of the last failed call; 0 = none */
	gint64 ok_time;        /* real µs of the last answered call; 0 = none */
	int fail_errno;        /* its -errno */
};

int rpc_new(GMainContext *main_ctx, int timeout_ms, struct rpc **ret_rpc)
{
	if (timeout_ms <= 0)
		return -EINVAL;
	int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0)
		return -errno;
	struct rpc *rpc = g_new0(struct rpc, 1);
	rpc->wake_fd = wake_fd;
	rpc->reading_fd = -1;
	rpc->main_ctx = main_ctx ? g_main_context_ref(main_ctx) : g_main_context_ref_thread_default();
	rpc->timeout_ms = timeout_ms;
	g_mutex_init(&rpc->lock);
	g_cond_init(&rpc->cond);
	rpc->supp_fd = -1;
	rpc->rpmb_fd = -1;
	rpc->next_id = 1;
	*ret_rpc = rpc;
	return 0;
}

void rpc_free(struct rpc *rpc)
{
	if (!rpc)
		return;
	g_mutex_clear(&rpc->lock);
	g_cond_clear(&rpc->cond);
	close(rpc->wake_fd);
	g_main_context_unref(rpc->main_ctx);
	g_free(rpc);
}

int rpc_teec_to_errno(uint32_t teec)
{
	switch (teec) {
	case TEE_SUCCESS:
		return 0;
	case TEE_ERROR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case TEE_ERROR_NOT_IMPLEMENTED:
		return -ENOSYS; /* kept apart: OP-TEE before 96e8f740b fell back only on the other */
	case TEE_ERROR_BAD_PARAMETERS:
		return -EINVAL;
	case TEE_ERROR_ITEM_NOT_FOUND:
		return -ENOENT;
	case TEE_ERROR_OUT_OF_MEMORY:
		return -ENOMEM;
	case TEE_ERROR_BUSY:
		return -EBUSY;
	case TEE_ERROR_COMMUNICATION:
		return -ECOMM;
	default:
		return -EIO;
	}
}

/* Complete the outstanding call from the worker itself; caller holds the lock. */
static bool complete_here_unlocked(struct rpc *rpc, int result)
{
	if (!rpc->pending || rpc->pending->state != PENDING_WAITING)
		return false;
	rpc->pending->result = result;
	rpc->pending->state = PENDING_DONE;
	return true;
}

/* Complete the outstanding call from another thread and wake the worker out of its poll;
 * caller holds the lock. */
static void complete_unlocked(struct rpc *rpc, int result)
{
	if (!complete_here_unlocked(rpc, result))
		return;
	uint64_t one = 1;
	/* Cannot fail short of an overflow of the 64-bit counter; the worker drains it. */
	(void)!write(rpc->wake_fd, &one, sizeof(one));
}

void rpc_set_forward(struct rpc *rpc, rpc_forward_fn fn, void *ctx)
{
	g_mutex_lock(&rpc->lock);
	rpc->forward = fn;
	rpc->forward_ctx = ctx;
	g_mutex_unlock(&rpc->lock);
}

/* `fd` leaves both roles; the outstanding call on it fails.  Caller holds the lock. */
static void detach_unlocked(struct rpc *rpc, int fd)
{
	if (rpc->supp_fd == fd)
		rpc->supp_fd = -1;
	if (rpc->rpmb_fd == fd)
		rpc->rpmb_fd = -1;
	if (rpc->pending && rpc->pending->fd == fd)
		complete_unlocked(rpc, -ECONNRESET);
}

int rpc_attach_supplicant(struct rpc *rpc, int fd)
{
	g_mutex_lock(&rpc->lock);
	int r = 0;
	if (rpc->supp_fd >= 0 || rpc->rpmb_fd == fd)
		r = -EBUSY;
	else {
		rpc->supp_fd = fd;
		g_cond_broadcast(&rpc->cond);
	}
	g_mutex_unlock(&rpc->lock);
	return r;
}

void rpc_detach_supplicant(struct rpc *rpc, int fd)
{
	g_mutex_lock(&rpc->lock);
	if (fd >= 0 && (rpc->supp_fd == fd || rpc->rpmb_fd == fd))
		detach_unlocked(rpc, fd);
	/* The caller closes fd next: the worker must be out of its poll and read first (it
	 * is woken above, or about to finish with a reply already in hand). */
	while (fd >= 0 && rpc->reading_fd == fd) {
		rpc->detach_waiters++;
		g_cond_wait(&rpc->cond, &rpc->lock);
		rpc->detach_waiters--;
	}
	g_mutex_unlock(&rpc->lock);
}

int rpc_attach_rpmb_handler(struct rpc *rpc, int fd)
{
	g_mutex_lock(&rpc->lock);
	int r = 0;
	if (rpc->rpmb_fd >= 0 || rpc->supp_fd == fd)
		r = -EBUSY;
	else {
		rpc->rpmb_fd = fd;
		g_cond_broadcast(&rpc->cond);
	}
	g_mutex_unlock(&rpc->lock);
	return r;
}

bool rpc_is_rpmb_handler(struct rpc *rpc, int fd)
{
	g_mutex_lock(&rpc->lock);
	bool is = fd >= 0 && rpc->rpmb_fd == fd;
	g_mutex_unlock(&rpc->lock);
	return is;
}

bool rpc_rpmb_handler_attached(struct rpc *rpc)
{
	g_mutex_lock(&rpc->lock);
	bool att = rpc->rpmb_fd >= 0;
	g_mutex_unlock(&rpc->lock);
	return att;
}

/*
 * Who serves `cmd` now (caller holds the lock): the RPMB kinds of the kernel route go to
 * the in-kernel handler when one is registered, everything else (and those, without one)
 * to the supplicant -- linux drivers/tee/optee/rpc.c optee_rpc_process_cmd():
 * handle_rpc_func_rpmb_probe_reset() etc. when in_kernel_rpmb_routing, else
 * handle_rpc_supp_cmd().  -1: nobody.
 */
static int route_fd_unlocked(const struct rpc *rpc, uint32_t cmd)
{
	bool kernel_kind = cmd == OPTEE_RPC_CMD_RPMB_PROBE_RESET ||
			   cmd == OPTEE_RPC_CMD_RPMB_PROBE_NEXT || cmd == OPTEE_RPC_CMD_RPMB_FRAMES;
	if (kernel_kind && rpc->rpmb_fd >= 0)
		return rpc->rpmb_fd;
	return rpc->supp_fd;
}

bool rpc_is_supplicant(struct rpc *rpc, int fd)
{
	g_mutex_lock(&rpc->lock);
	bool is = fd >= 0 && rpc->supp_fd == fd;
	g_mutex_unlock(&rpc->lock);
	return is;
}

bool rpc_supplicant_attached(struct rpc *rpc)
{
	g_mutex_lock(&rpc->lock);
	bool att = rpc->supp_fd >= 0;
	g_mutex_unlock(&rpc->lock);
	return att;
}

void rpc_shutdown(struct rpc *rpc)
{
	g_mutex_lock(&rpc->lock);
	rpc->shutdown = true;
	complete_unlocked(rpc, -ESHUTDOWN);
	g_cond_broadcast(&rpc->cond);
	g_mutex_unlock(&rpc->lock);
}

int rpc_handle_reply(struct rpc *rpc, const struct emu_msg *msg)
{
	return rpc_handle_reply_from(rpc, -1, msg);
}

/*
 * A reply on `fd` (-1: any) -> the outstanding call's result; caller holds the lock.
 * `here`: the worker's own read (no wake-up needed).  0, -ESRCH or -EBADMSG.
 */
static int handle_reply_unlocked(struct rpc *rpc, int fd, const struct emu_msg *msg, bool here)
{
	struct emu_supp_rpc_rsp rsp;

	if (msg->hdr.length < sizeof(rsp))
		return -EBADMSG;
	memcpy(&rsp, msg->payload, sizeof(rsp));
	if (rsp.out_len != msg->hdr.length - sizeof(rsp))
		return -EBADMSG;

	struct pending *p = rpc->pending;
	int result = 0;
	if (!p || p->state != PENDING_WAITING || p->id != msg->hdr.req_id ||
	    (fd >= 0 && p->fd != fd))
		return -ESRCH; /* late reply to a call that timed out, or a made-up id */
	if (rsp.ret != TEE_SUCCESS) {
		result = rpc_teec_to_errno(rsp.ret);
	} else if (rsp.out_len != p->out_len) {
		result = -EPROTO;
	} else if (p->out_len) {
		memcpy(p->out, msg->payload + sizeof(rsp), p->out_len);
	}
	if (here)
		(void)complete_here_unlocked(rpc, result);
	else
		complete_unlocked(rpc, result);
	return 0;
}

int rpc_handle_reply_from(struct rpc *rpc, int fd, const struct emu_msg *msg)
{
	g_mutex_lock(&rpc->lock);
	int r = handle_reply_unlocked(rpc, fd, msg, false);
	g_mutex_unlock(&rpc->lock);
	return r;
}

static void record_failure_unlocked(struct rpc *rpc, int r)
{
	rpc->fail_time = g_get_real_time();
	rpc->fail_errno = r;
}

void rpc_set_supplicant_nowait(struct rpc *rpc, bool nowait)
{
	g_mutex_lock(&rpc->lock);
	rpc->supp_nowait = nowait;
	g_mutex_unlock(&rpc->lock);
}

/* wait_and_read(): neither a message nor a hang-up (timeout, wake-up, nothing queued) */
#define RPC_READ_NOTHING 1

/*
 * Worker, without the lock: wait up to `timeout_ms` for `fd` to be readable or for the
 * wake-up, then take one message.  emu_ipc_recv records it in the trace and the perf
 * counters exactly as the main loop's reader does.  RPC_READ_NOTHING, or what
 * emu_ipc_recv returned (0: *ret_msg; -EBADMSG; other -errno: the peer hung up).
 */
static int wait_and_read(struct rpc *rpc, int fd, int timeout_ms, struct emu_msg **ret_msg)
{
	struct pollfd pf[2] = { { .fd = fd, .events = POLLIN },
				{ .fd = rpc->wake_fd, .events = POLLIN } };
	if (poll(pf, 2, timeout_ms) <= 0)
		return RPC_READ_NOTHING; /* timeout or EINTR: the caller checks its deadline */
	if (pf[1].revents) {
		uint64_t n;
		(void)!read(rpc->wake_fd, &n, sizeof(n));
	}
	if (!pf[0].revents)
		return RPC_READ_NOTHING;
	int r = emu_ipc_recv(fd, 0, ret_msg);
	return r == -ETIMEDOUT ? RPC_READ_NOTHING : r;
}

/*
 * Worker, holding the lock: what it read from `fd` (`r`, `msg` as wait_and_read gave).
 * Its reply completes the call; a late or foreign reply is dropped, as the main thread
 * drops it.  Anything else -- another message, a malformed one, the hang-up -- is the main
 * thread's business, handed over through rpc->forward while fd is still attached (on a
 * hang-up the worker detaches fd first, so that the call fails with -ECONNRESET and a new
 * supplicant can register at once).  The lock is dropped around the hand-over.
 */
static void read_done_unlocked(struct rpc *rpc, int fd, int r, struct emu_msg *msg)
{
	bool attached = rpc->supp_fd == fd || rpc->rpmb_fd == fd;
	bool was_supplicant = rpc->supp_fd == fd;

	if (r == 0 && msg->hdr.type == EMU_MSG_SUPP_RPC_RSP) {
		int rr = handle_reply_unlocked(rpc, fd, msg, true);
		if (rr == -ESRCH)
			g_debug("supplicant reply %u matches no outstanding call; dropped",
				msg->hdr.req_id);
		if (rr != -EBADMSG) {
			emu_msg_free(msg);
			return;
		}
	} else if (r < 0 && r != -EBADMSG) {
		if (!attached)
			return; /* detached meanwhile: its owner is closing it anyway */
		if (rpc->pending && rpc->pending->fd == fd)
			(void)complete_here_unlocked(rpc, -ECONNRESET); /* no wake-up: we are it */
		detach_unlocked(rpc, fd);
	}
	if (!attached || !rpc->forward) {
		if (msg)
			g_debug("message 0x%04x from the supplicant while nobody takes it; dropped",
				msg->hdr.type);
		emu_msg_free(msg);
		return;
	}
	rpc_forward_fn forward = rpc->forward;
	void *ctx = rpc->forward_ctx;
	g_mutex_unlock(&rpc->lock);
	forward(ctx, fd, r, msg, was_supplicant);
	g_mutex_lock(&rpc->lock);
}

int rpc_call(struct rpc *rpc, uint32_t cmd, const void *in, size_t in_len, void *out,
	     size_t out_len)
{
	struct emu_supp_rpc hdr = { .cmd = cmd, .in_len = (uint32_t)in_len,
				    .out_len = (uint32_t)out_len };
	struct pending p = { .state = PENDING_WAITING, .out = out, .out_len = out_len };
	gint64 deadline = g_get_monotonic_time() + (gint64)rpc->timeout_ms * G_TIME_SPAN_MILLISECOND;
	int r = 0;

	if (in_len + sizeof(hdr) > EMU_MSG_MAX_PAYLOAD ||
	    out_len + sizeof(struct emu_supp_rpc_rsp) > EMU_MSG_MAX_PAYLOAD)
		return -EMSGSIZE;

	g_mutex_lock(&rpc->lock);
again:
	while (!rpc->shutdown && route_fd_unlocked(rpc, cmd) < 0) {
		if (rpc->supp_nowait) {
			/* Linux optee_supp_thrd_req(): a kernel client's request with no
			 * supplicant fails at once with TEEC_ERROR_COMMUNICATION. */
			record_failure_unlocked(rpc, -ECOMM);
			g_mutex_unlock(&rpc->lock);
			return -ECOMM;
		}
		if (!g_cond_wait_until(&rpc->cond, &rpc->lock, deadline) &&
		    g_get_monotonic_time() >= deadline) {
			record_failure_unlocked(rpc, -ETIMEDOUT);
			g_mutex_unlock(&rpc->lock);
			return -ETIMEDOUT;
		}
	}
	if (rpc->shutdown) {
		g_mutex_unlock(&rpc->lock);
		return -ESHUTDOWN;
	}
	p.id = emu_ipc_next_id(&rpc->next_id); /* never reused: a late reply stays late */
	p.fd = route_fd_unlocked(rpc, cmd);
	p.state = PENDING_WAITING;
	rpc->pending = &p;
	rpc->pending_since = g_get_monotonic_time();
	rpc->reading_fd = p.fd;
	/*
	 * Send from this thread, under the lock: the main thread detaches a connection under
	 * the same lock before it closes the fd, so p.fd is open here.  A SEQPACKET datagram
	 * is sent whole, so the main thread's own sends on that socket cannot interleave.  No
	 * copy and no hand-off: header and payload go out as two iovecs.
	 */
	struct iovec iov[2] = { { .iov_base = &hdr, .iov_len = sizeof(hdr) },
				{ .iov_base = (void *)in, .iov_len = in_len } };
	r = emu_ipc_sendv(p.fd, EMU_MSG_SUPP_RPC_REQ, p.id, iov, in_len ? 2 : 1, -1);
	if (r == -EPIPE || r == -ECONNRESET) {
		/*
		 * The peer hung up after the last call: nobody polls it during a job, so this
		 * is where the hang-up is found.  As if the main thread had seen it first: the
		 * connection goes, and the request waits for another supplicant (before boot)
		 * or fails with -ECOMM (after) -- Linux fails only the requests the supplicant
		 * had taken when it closed.
		 */
		read_done_unlocked(rpc, p.fd, -ECONNRESET, NULL);
		rpc->pending = NULL;
		rpc->reading_fd = -1;
		g_cond_broadcast(&rpc->cond);
		goto again;
	}
	if (r < 0)
		(void)complete_here_unlocked(rpc, r);
	while (p.state == PENDING_WAITING) {
		gint64 now = g_get_monotonic_time();
		if (now >= deadline) {
			(void)complete_here_unlocked(rpc, -ETIMEDOUT);
			break;
		}
		g_mutex_unlock(&rpc->lock);
		struct emu_msg *msg = NULL;
		int rr = wait_and_read(rpc, p.fd, (int)((deadline - now + 999) / 1000), &msg);
		g_mutex_lock(&rpc->lock);
		if (rr != RPC_READ_NOTHING)
			read_done_unlocked(rpc, p.fd, rr, msg);
	}
	rpc->reading_fd = -1;
	/* A detach waiting to close p.fd.  Only then: GLib's broadcast is a futex syscall
	 * even with nobody waiting, once per RPMB request otherwise. */
	if (rpc->detach_waiters)
		g_cond_broadcast(&rpc->cond);
	r = p.result;
	rpc->pending = NULL;
	if (r < 0)
		record_failure_unlocked(rpc, r);
	else
		rpc->ok_time = g_get_real_time();
	g_mutex_unlock(&rpc->lock);
	return r;
}

void rpc_get_health(struct rpc *rpc, struct rpc_health *ret)
{
	g_mutex_lock(&rpc->lock);
	gint64 waited = rpc->pending ? g_get_monotonic_time() - rpc->pending_since : 0;
	*ret = (struct rpc_health){
		.pending_ms = (uint32_t)MIN(waited / 1000, (gint64)UINT32_MAX),
		.fail_time = rpc->fail_time,
		.fail_errno = rpc->fail_errno,
		.ok_time = rpc->ok_time,
	};
	g_mutex_unlock(&rpc->lock);
}
