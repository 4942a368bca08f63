/* SPDX-License-Identifier: MIT */
/*
 * RPC to the supplicant (see rpc.h for the threading).  The outstanding call lives on the
 * worker's stack and is reachable from the main thread only through rpc->pending, under
 * rpc->lock; the worker sends the request itself (under the lock), the main thread copies
 * the reply into it and signals rpc->cond.
 */
#include "rpc.h"

#include <errno.h>
#include <string.h>

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
	GCond cond;       /* supplicant attached, or pending changed state */
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
	struct rpc *rpc = g_new0(struct rpc, 1);
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

/* Complete the outstanding call; caller holds the lock. */
static void complete_unlocked(struct rpc *rpc, int result)
{
	if (!rpc->pending || rpc->pending->state != PENDING_WAITING)
		return;
	rpc->pending->result = result;
	rpc->pending->state = PENDING_DONE;
	g_cond_broadcast(&rpc->cond);
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
	if (fd >= 0 && (rpc->supp_fd == fd || rpc->rpmb_fd == fd)) {
		if (rpc->supp_fd == fd)
			rpc->supp_fd = -1;
		if (rpc->rpmb_fd == fd)
			rpc->rpmb_fd = -1;
		if (rpc->pending && rpc->pending->fd == fd)
			complete_unlocked(rpc, -ECONNRESET);
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

int rpc_handle_reply_from(struct rpc *rpc, int fd, const struct emu_msg *msg)
{
	struct emu_supp_rpc_rsp rsp;

	if (msg->hdr.length < sizeof(rsp))
		return -EBADMSG;
	memcpy(&rsp, msg->payload, sizeof(rsp));
	if (rsp.out_len != msg->hdr.length - sizeof(rsp))
		return -EBADMSG;

	g_mutex_lock(&rpc->lock);
	struct pending *p = rpc->pending;
	int r = 0;
	if (!p || p->state != PENDING_WAITING || p->id != msg->hdr.req_id ||
	    (fd >= 0 && p->fd != fd)) {
		r = -ESRCH; /* late reply to a call that timed out, or a made-up id */
	} else if (rsp.ret != TEE_SUCCESS) {
		complete_unlocked(rpc, rpc_teec_to_errno(rsp.ret));
	} else if (rsp.out_len != p->out_len) {
		complete_unlocked(rpc, -EPROTO);
	} else {
		if (p->out_len)
			memcpy(p->out, msg->payload + sizeof(rsp), p->out_len);
		complete_unlocked(rpc, 0);
	}
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
	rpc->pending = &p;
	rpc->pending_since = g_get_monotonic_time();
	/*
	 * Send from this thread, under the lock: the main thread detaches a connection under
	 * the same lock before it closes the fd, so p.fd is open here.  A SEQPACKET datagram
	 * is sent whole, so the main thread's own sends on that socket cannot interleave.  No
	 * copy and no hand-off: header and payload go out as two iovecs.
	 */
	struct iovec iov[2] = { { .iov_base = &hdr, .iov_len = sizeof(hdr) },
				{ .iov_base = (void *)in, .iov_len = in_len } };
	r = emu_ipc_sendv(p.fd, EMU_MSG_SUPP_RPC_REQ, p.id, iov, in_len ? 2 : 1, -1);
	if (r < 0)
		complete_unlocked(rpc, r);
	g_mutex_unlock(&rpc->lock);

	g_mutex_lock(&rpc->lock);
	while (p.state == PENDING_WAITING) {
		if (!g_cond_wait_until(&rpc->cond, &rpc->lock, deadline) &&
		    g_get_monotonic_time() >= deadline && p.state == PENDING_WAITING) {
			p.state = PENDING_DONE;
			p.result = -ETIMEDOUT;
		}
	}
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
