/* SPDX-License-Identifier: MIT */
/* Registration and the RPC loop of the supplicant (see supp.h). */
#include "supp.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "debug_gate.h"
#include "fd_watch.h"
#include "control.h"
#include "ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"

#define SUPP_REGISTER_TIMEOUT_MS 5000

struct supp {
	int fd;
	struct rpmb_mmc *mmc;      /* legacy RPC 1; NULL: not served (the kernel route's relay) */
	struct krpmb *krpmb;       /* 22/23/24 (supp_connect_rpmb_handler); NULL: probe_answer */
	uint32_t probe_answer;     /* what 22/23/24 get without krpmb */
	GMainLoop *loop;
	guint src;
	gboolean lost;
	gboolean stalled; /* a SUPP_STALL fault: read and answer nothing more */
};

static int connect_as(const char *tee_socket, uint16_t req, uint16_t want, struct rpmb_mmc *mmc,
		      struct krpmb *krpmb, struct supp **ret_supp)
{
	int fd;
	int r = emu_ipc_connect(tee_socket, &fd);
	if (r < 0)
		return r;

	g_autoptr(emu_msg) reply = NULL;
	uint32_t next_id = 1;
	r = emu_ipc_call(fd, &next_id, SUPP_REGISTER_TIMEOUT_MS, req, NULL, 0, -1, want, &reply,
			 NULL);
	struct emu_tee_result res;
	if (r == 0 && reply->hdr.length != sizeof(res))
		r = -EPROTO;
	if (r == 0) {
		memcpy(&res, reply->payload, sizeof(res));
		if (res.ret == TEE_ERROR_BUSY)
			r = -EBUSY;
		else if (res.ret != TEE_SUCCESS)
			r = -EPROTO;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_supp = supp_adopt(fd, mmc, krpmb);
	return 0;
}

struct supp *supp_adopt(int fd, struct rpmb_mmc *mmc, struct krpmb *krpmb)
{
	struct supp *s = g_new0(struct supp, 1);
	s->fd = fd;
	s->mmc = mmc;
	s->krpmb = krpmb;
	s->probe_answer = TEE_ERROR_NOT_SUPPORTED; /* tee_supplicant.c process_one_request() default */
	return s;
}

int supp_connect(const char *tee_socket, struct rpmb_mmc *mmc, struct supp **ret_supp)
{
	return connect_as(tee_socket, EMU_MSG_SUPP_REGISTER_REQ, EMU_MSG_SUPP_REGISTER_RSP, mmc,
			  NULL, ret_supp);
}

int supp_connect_rpmb_handler(const char *tee_socket, struct krpmb *krpmb,
			      struct supp **ret_supp)
{
	return connect_as(tee_socket, EMU_MSG_SUPP_REGISTER_RPMB_REQ,
			  EMU_MSG_SUPP_REGISTER_RPMB_RSP, NULL, krpmb, ret_supp);
}

void supp_set_probe_answer(struct supp *s, uint32_t teec)
{
	s->probe_answer = teec;
}

void supp_free(struct supp *s)
{
	if (!s)
		return;
	if (s->src)
		g_source_remove(s->src);
	close(s->fd);
	g_free(s);
}

gboolean supp_lost(const struct supp *s)
{
	return s->lost;
}

/* Answer one RPC request; returns 0 or the send error. */
static int process_one_request(struct supp *s, const struct emu_msg *msg)
{
	struct emu_supp_rpc rpc = { 0 };
	struct emu_supp_rpc_rsp rsp = { .ret = TEE_ERROR_BAD_PARAMETERS };
	g_autofree uint8_t *out = NULL;

	enum supp_fault fault = SUPP_FAULT_NONE;
	if (msg->hdr.length >= sizeof(rpc)) {
		memcpy(&rpc, msg->payload, sizeof(rpc));
		fault = supp_control_rpc_event(rpc.cmd, &rsp.ret); /* run-time fault (control.h) */
		if (fault == SUPP_FAULT_STALL || fault == SUPP_FAULT_DROP) {
			s->stalled = fault == SUPP_FAULT_STALL;
			return 0; /* taken, never answered */
		}
		if (fault == SUPP_FAULT_NONE && rpc.in_len == msg->hdr.length - sizeof(rpc) &&
		    rpc.out_len <= EMU_MSG_MAX_PAYLOAD - sizeof(rsp)) {
			out = g_malloc0(MAX(rpc.out_len, 1));
			switch (rpc.cmd) {
			case OPTEE_RPC_CMD_RPMB:
				rsp.ret = !s->mmc ? TEE_ERROR_NOT_SUPPORTED :
					  rpmb_process_request(s->mmc, msg->payload + sizeof(rpc),
							       rpc.in_len, out, rpc.out_len);
				break;
			case OPTEE_RPC_CMD_RPMB_PROBE_RESET:
			case OPTEE_RPC_CMD_RPMB_PROBE_NEXT:
			case OPTEE_RPC_CMD_RPMB_FRAMES:
				rsp.ret = !s->krpmb ? s->probe_answer :
					  krpmb_process(s->krpmb, rpc.cmd, msg->payload + sizeof(rpc),
							rpc.in_len, out, rpc.out_len);
				break;
			default:
				rsp.ret = TEE_ERROR_NOT_SUPPORTED;
				break;
			}
		}
	}
	if (rsp.ret == TEE_SUCCESS && fault == SUPP_FAULT_NONE)
		rsp.out_len = rpc.out_len;
	emu_debug("RPC %u: cmd %u -> 0x%08x", msg->hdr.req_id, rpc.cmd, rsp.ret);
	struct iovec iov[2] = { { &rsp, sizeof(rsp) }, { out, rsp.out_len } };
	return emu_ipc_sendv(s->fd, EMU_MSG_SUPP_RPC_RSP, msg->hdr.req_id, iov, 2, -1);
}

int supp_handle(struct supp *s, const struct emu_msg *msg)
{
	if (msg->hdr.type == EMU_MSG_SUPP_RPC_REQ)
		return process_one_request(s, msg);
	if (msg->hdr.type == EMU_MSG_ERROR) {
		/* Never answer an error: two peers doing so would bounce it forever. */
		g_warning("stmmd sent an error for request %u; ignored", msg->hdr.req_id);
		return 0;
	}
	g_warning("stmmd sent unexpected message type 0x%04x; refused", msg->hdr.type);
	return emu_ipc_send_error(s->fd, msg->hdr.req_id, -EOPNOTSUPP,
				  "message type 0x%04x is not supported by supplicantd",
				  msg->hdr.type);
}

gboolean supp_stalled(const struct supp *s)
{
	return s->stalled;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct supp *s = data;
	g_autoptr(emu_msg) msg = NULL;
	(void)cond;

	int r = emu_ipc_recv(fd, 0, &msg);
	if (r == -ETIMEDOUT)
		return G_SOURCE_CONTINUE;
	if (r == -EBADMSG) {
		/* Consumed; no trustworthy req_id: answer with 0, as the daemons do. */
		g_warning("stmmd sent a malformed message; refused");
		r = emu_ipc_send_error(fd, 0, -EBADMSG, "malformed message");
	} else if (r == 0) {
		r = supp_handle(s, msg);
	}
	if (r == 0 && s->stalled) {
		s->src = 0; /* stay connected, read nothing more */
		return G_SOURCE_REMOVE;
	}
	if (r < 0) {
		s->lost = TRUE;
		s->src = 0;
		g_printerr("supplicantd: connection to stmmd lost: %s\n", g_strerror(-r));
		g_main_loop_quit(s->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

void supp_attach(struct supp *s, GMainLoop *loop)
{
	s->loop = loop;
	s->src = emu_fd_watch_add(s->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, s);
}
