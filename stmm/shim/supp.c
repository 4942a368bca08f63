/* SPDX-License-Identifier: MIT */
/* The supplicant side of the TEE shim (see supp.h). */
#include "supp.h"

#include <errno.h>
#include <linux/tee.h>
#include <string.h>
#include <sys/mman.h>

#include "ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"

#define META_VALUE (TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT | TEE_IOCTL_PARAM_ATTR_META)

/* recv_lock: one RECV waits on the link at a time (tee-supplicant may have several
 * threads in RECV).  state_lock guards the RPC slot and the payload buffer. */
static pthread_mutex_t recv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t state_cond = PTHREAD_COND_INITIALIZER;

/* Parameters an RPC of stmmd's takes, as OP-TEE sends it. */
static uint32_t rpc_num_params(uint32_t cmd)
{
	return cmd == OPTEE_RPC_CMD_RPMB_PROBE_RESET ? 1 : 2;
}

static void answer_stmmd(struct teeshim_dev *dev, uint32_t stmmd_id, uint32_t ret,
			 const void *out, uint32_t out_len)
{
	struct emu_supp_rpc_rsp rsp = { .ret = ret, .out_len = out ? out_len : 0 };
	struct iovec iov[2] = {
		{ .iov_base = &rsp, .iov_len = sizeof(rsp) },
		{ .iov_base = (void *)out, .iov_len = rsp.out_len },
	};
	int r = emu_ipc_sendv(dev->ent.fd, EMU_MSG_SUPP_RPC_RSP, stmmd_id, iov, rsp.out_len ? 2 : 1, -1);
	if (r < 0)
		teeshim_debug("SUPP_RPC_RSP %u: %s", stmmd_id, strerror(-r));
}

/* Fill the RECV argument from dev->rpc (state_lock held). */
static void deliver_unlocked(struct teeshim_dev *dev, struct tee_iocl_supp_recv_arg *arg,
			     uint32_t nm)
{
	const struct teeshim_rpc *rpc = &dev->rpc;
	struct tee_ioctl_param *p = arg->params + nm;

	arg->func = rpc->cmd;
	arg->num_params = rpc->num_params + nm;
	if (nm)
		arg->params[0] = (struct tee_ioctl_param){ .attr = META_VALUE, .a = rpc->id };
	memset(p, 0, sizeof(*p) * rpc->num_params);
	if (rpc->synthetic) {
		/* optee_rpc_cmd_alloc_suppl(): value INOUT {APPL, size, 0}; c comes back. */
		p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
		p[0].a = OPTEE_RPC_SHM_TYPE_APPL;
		p[0].b = TEESHIM_RPC_SHM_SIZE;
		return;
	}
	switch (rpc->cmd) {
	case OPTEE_RPC_CMD_RPMB_PROBE_RESET:
		p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
		break;
	case OPTEE_RPC_CMD_RPMB_PROBE_NEXT:
		p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
		p[1] = (struct tee_ioctl_param){ .attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT,
						 .a = 0,
						 .b = rpc->out_len - sizeof(struct emu_supp_rpc_value),
						 .c = (uint64_t)dev->rpc_shm };
		break;
	default: /* RPMB, RPMB_FRAMES: request then response in one buffer */
		p[0] = (struct tee_ioctl_param){ .attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT,
						 .a = 0, .b = rpc->in_len, .c = (uint64_t)dev->rpc_shm };
		p[1] = (struct tee_ioctl_param){ .attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT,
						 .a = rpc->in_len, .b = rpc->out_len,
						 .c = (uint64_t)dev->rpc_shm };
		break;
	}
}

/*
 * Take stmmd's request into the slot and the payload buffer (state_lock held).  0, or a
 * TEE error to answer stmmd with at once.
 */
static uint32_t accept_unlocked(struct teeshim_dev *dev, const struct emu_msg *msg)
{
	struct emu_supp_rpc req;

	if (msg->hdr.length < sizeof(req))
		return TEE_ERROR_BAD_PARAMETERS;
	memcpy(&req, msg->payload, sizeof(req));
	if (req.in_len != msg->hdr.length - sizeof(req))
		return TEE_ERROR_BAD_PARAMETERS;
	if (req.cmd == OPTEE_RPC_CMD_RPMB_PROBE_NEXT &&
	    req.out_len < sizeof(struct emu_supp_rpc_value))
		return TEE_ERROR_BAD_PARAMETERS;
	if (dev->rpc.active)
		return TEE_ERROR_BUSY;
	struct teeshim_shm *shm = teeshim_shm_find(dev, dev->rpc_shm);
	if (!shm || !shm->map || (uint64_t)req.in_len + req.out_len > shm->size)
		return TEE_ERROR_OUT_OF_MEMORY; /* thread_rpc_alloc_payload() failed */
	memcpy(shm->map, msg->payload + sizeof(req), req.in_len);
	dev->rpc = (struct teeshim_rpc){
		.active = true,
		.id = dev->next_rpc_id++,
		.stmmd_id = msg->hdr.req_id,
		.cmd = req.cmd,
		.in_len = req.in_len,
		.out_len = req.out_len,
		.num_params = rpc_num_params(req.cmd),
	};
	return TEE_SUCCESS;
}

int teeshim_supp_recv(struct teeshim_dev *dev, void *a)
{
	struct tee_ioctl_buf_data *buf = a;
	struct tee_iocl_supp_recv_arg *arg = (void *)(uintptr_t)buf->buf_ptr;
	int r = 0;

	if (buf->buf_len < sizeof(*arg) ||
	    teeshim_buf_check(buf->buf_len, sizeof(*arg), arg->num_params) < 0)
		return -EINVAL;
	/* supp_check_recv_params(): only NONE, or NONE|META, may come in. */
	for (uint32_t i = 0; i < arg->num_params; i++)
		if (arg->params[i].attr && arg->params[i].attr != TEE_IOCTL_PARAM_ATTR_META)
			return -EINVAL;
	uint32_t nm = arg->num_params && arg->params[0].attr == TEE_IOCTL_PARAM_ATTR_META ? 1 : 0;
	uint32_t room = arg->num_params - nm;

	pthread_mutex_lock(&recv_lock);
	for (;;) {
		pthread_mutex_lock(&state_lock);
		if (!dev->alloc_tried && !dev->rpc.active) {
			/* Play OP-TEE first: the payload buffer must be the supplicant's own. */
			dev->rpc = (struct teeshim_rpc){ .active = true, .synthetic = true,
							 .id = dev->next_rpc_id++,
							 .cmd = OPTEE_RPC_CMD_SHM_ALLOC, .num_params = 1 };
			deliver_unlocked(dev, arg, nm);
			pthread_mutex_unlock(&state_lock);
			break;
		}
		pthread_mutex_unlock(&state_lock);

		g_autoptr(emu_msg) msg = NULL;
		do
			r = emu_ipc_recv(dev->ent.fd, -1, &msg);
		while (r == -EINTR);
		if (r == -EBADMSG)
			continue;
		if (r < 0) {
			teeshim_debug("SUPPL_RECV: link to stmmd: %s", strerror(-r));
			r = -EIO;
			break;
		}
		if (msg->hdr.type != EMU_MSG_SUPP_RPC_REQ)
			continue;
		pthread_mutex_lock(&state_lock);
		while (dev->rpc.active && dev->rpc.synthetic)
			pthread_cond_wait(&state_cond, &state_lock);
		uint32_t ret = accept_unlocked(dev, msg);
		if (ret == TEE_SUCCESS && room < dev->rpc.num_params) {
			dev->rpc.active = false;
			ret = TEE_ERROR_COMMUNICATION;
			r = -EINVAL; /* optee_supp_recv(): fewer params than the request has */
		}
		if (ret == TEE_SUCCESS)
			deliver_unlocked(dev, arg, nm);
		pthread_mutex_unlock(&state_lock);
		if (ret != TEE_SUCCESS)
			answer_stmmd(dev, msg->hdr.req_id, ret, NULL, 0);
		if (ret == TEE_SUCCESS || r < 0)
			break;
	}
	pthread_mutex_unlock(&recv_lock);
	return r;
}

/* The synthetic SHM_ALLOC's answer: value c names the supplicant's buffer. */
static void take_alloc_unlocked(struct teeshim_dev *dev, uint32_t ret,
				const struct tee_ioctl_param *p)
{
	dev->alloc_tried = true;
	struct teeshim_shm *shm = ret == TEE_SUCCESS ? teeshim_shm_find(dev, (int64_t)p->c) : NULL;
	if (!shm || shm->size < TEESHIM_RPC_SHM_SIZE || shm->fd < 0) {
		teeshim_debug("SHM_ALLOC RPC: no usable buffer (ret 0x%08x, id %lld)", ret,
			      (long long)p->c);
		return;
	}
	if (!shm->map) {
		void *map = mmap(NULL, shm->size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd, 0);
		if (map == MAP_FAILED)
			return;
		shm->map = map;
	}
	dev->rpc_shm = shm->id;
}

int teeshim_supp_send(struct teeshim_dev *dev, void *a)
{
	struct tee_ioctl_buf_data *buf = a;
	struct tee_iocl_supp_send_arg *arg = (void *)(uintptr_t)buf->buf_ptr;

	if (buf->buf_len < sizeof(*arg) ||
	    teeshim_buf_check(buf->buf_len, sizeof(*arg), arg->num_params) < 0)
		return -EINVAL;
	uint32_t nm = arg->num_params && arg->params[0].attr == META_VALUE ? 1 : 0;

	pthread_mutex_lock(&state_lock);
	struct teeshim_rpc rpc = dev->rpc;
	/* supp_pop_req(): the id of META, else the one request handed out. */
	if (!rpc.active || (nm && arg->params[0].a != rpc.id) ||
	    arg->num_params - nm != rpc.num_params) {
		pthread_mutex_unlock(&state_lock);
		return -EINVAL;
	}
	const struct tee_ioctl_param *p = arg->params + nm;
	dev->rpc.active = false;
	if (rpc.synthetic) {
		take_alloc_unlocked(dev, arg->ret, &p[0]);
		pthread_cond_broadcast(&state_cond);
		pthread_mutex_unlock(&state_lock);
		return 0;
	}

	/* The reply's bytes: [value 0] then memref 1 as the supplicant sized it. */
	struct teeshim_shm *shm = teeshim_shm_find(dev, dev->rpc_shm);
	uint8_t *out = g_malloc0(rpc.out_len ? rpc.out_len : 1);
	uint32_t out_len = 0;
	if (arg->ret == TEE_SUCCESS && shm && shm->map) {
		if (rpc.cmd == OPTEE_RPC_CMD_RPMB_PROBE_RESET ||
		    rpc.cmd == OPTEE_RPC_CMD_RPMB_PROBE_NEXT) {
			struct emu_supp_rpc_value v = { .a = p[0].a, .b = p[0].b, .c = p[0].c };
			uint32_t n = MIN((uint32_t)sizeof(v), rpc.out_len);
			memcpy(out, &v, n);
			out_len = n;
		}
		if (rpc.num_params == 2) {
			uint64_t room = rpc.out_len - out_len;
			uint64_t n = MIN(p[1].b, room);
			uint64_t off = rpc.cmd == OPTEE_RPC_CMD_RPMB_PROBE_NEXT ? 0 : rpc.in_len;
			memcpy(out + out_len, (uint8_t *)shm->map + off, n);
			out_len += (uint32_t)n;
		}
	}
	pthread_mutex_unlock(&state_lock);
	answer_stmmd(dev, rpc.stmmd_id, arg->ret, out, out_len);
	g_free(out);
	return 0;
}
